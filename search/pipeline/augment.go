package pipeline

import (
	"fmt"
	"strings"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// Augmentation policies (the values of `--augment` in train and supernet).
const (
	AugmentAuto     = "auto"      // crop-flip for 3-channel static images, none otherwise
	AugmentCropFlip = "crop-flip" // random crop from a 4-pixel zero pad, and horizontal flip
	AugmentCrop     = "crop"      // random crop from a 4-pixel zero pad
	AugmentNone     = "none"
)

// AugmentNames lists the augmentation policies.
var AugmentNames = []string{AugmentAuto, AugmentCropFlip, AugmentCrop, AugmentNone}

// Augment sets h.Pad and h.Flip from the augmentation policy for the
// training set set (h.Cutout is left alone).
func Augment(h *train.Hyper, policy string, set *dataset.Set) error {
	switch policy {
	case AugmentAuto:
		if set.Kind == dataset.Static && set.C == 3 {
			h.Pad, h.Flip = 4, true
		}
	case AugmentCropFlip:
		h.Pad, h.Flip = 4, true
	case AugmentCrop:
		h.Pad = 4
	case AugmentNone:
	default:
		return fmt.Errorf("pipeline: augmentation %q, want %s", policy, strings.Join(AugmentNames, ", "))
	}
	return nil
}

// DataSource returns the training data of a run with hyper-parameters h
// on set: mini-batches of h.Batch from split tr (h.Seed orders them and
// draws the augmentation that h.Pad, h.Flip and h.Cutout ask for; h.Limit
// samples per epoch, 0: all), evaluation on the first evalLimit images of
// split ev (0: all).
func DataSource(set *dataset.Set, h train.Hyper, tr, ev dataset.Split, evalLimit int) *train.DataSource {
	s := &train.DataSource{Set: set, TrainSplit: tr, EvalSplit: ev, Batch: h.Batch, Seed: h.Seed, Limit: h.Limit, EvalLimit: evalLimit}
	if h.Pad > 0 || h.Flip || h.Cutout > 0 {
		s.Augment = &dataset.Augment{Pad: h.Pad, Flip: h.Flip, Cutout: h.Cutout}
	}
	return s
}
