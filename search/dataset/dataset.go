package dataset

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says how samples are stored.
type Kind int

const (
	// Static datasets hold one uint8 image per sample, CHW order.
	Static Kind = iota
	// Events datasets hold T event-count frames per sample, [T][2][H][W].
	Events
)

func (k Kind) String() string {
	switch k {
	case Static:
		return "static"
	case Events:
		return "events"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Split names a part of a dataset.
type Split int

const (
	// Train is the first 80% of the official training set (stratified per
	// class for datasets whose files are grouped by class; see doc.go).
	Train Split = iota
	// Val is the remaining 20% of the official training set.
	Val
	// FullTrain is the whole official training set (Train and Val), for
	// retraining the final network.
	FullTrain
	// Test is the official test set; it never overlaps the training set.
	Test
)

var splitNames = [...]string{Train: "train", Val: "val", FullTrain: "full-train", Test: "test"}

func (s Split) String() string {
	if s >= 0 && int(s) < len(splitNames) {
		return splitNames[s]
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// ParseSplit parses "train", "val", "full-train" or "test".
func ParseSplit(name string) (Split, error) {
	for i, n := range splitNames {
		if n == name {
			return Split(i), nil
		}
	}
	return 0, fmt.Errorf("dataset: unknown split %q, want one of %s", name, strings.Join(splitNames[:], ", "))
}

// Splits lists every split in order.
var Splits = [...]Split{Train, Val, FullTrain, Test}

// TrainPercent is the percentage of the official training set that forms
// the Train split (rounded down); the rest is Val.
const TrainPercent = 80

// Set is a loaded dataset. It is safe for concurrent readers; it is never
// modified after loading.
//
// Static sets keep every image in memory as uint8, CHW per sample.
// Event sets keep their frames in the on-disk frame cache and read the
// frames of a sample on demand (see Frames); counts are uint16, saturating
// at 65535.
type Set struct {
	// Name is the canonical dataset name ("mnist", "cifar10", ...).
	Name string
	// Kind is Static or Events.
	Kind Kind
	// Source is the directory or file the set was loaded from.
	Source string
	// ClassNames has one name per class; labels are indexes into it.
	ClassNames []string
	// C, H, W are the channels, height and width of one image (static) or
	// one frame (events; C is 2, the polarities, channel 0 = polarity 0).
	C, H, W int
	// T is the number of frames per event sample; 0 for static sets.
	T int
	// Mean and Std are the per-channel normalisation constants, in units of
	// pixel/255 (so a pixel v becomes (v/255 - Mean[c]) / Std[c]).
	// They have C entries for static sets and are nil for event sets.
	Mean, Std []float32
	// NormSource says where Mean and Std come from.
	NormSource string
	// Warnings lists what loading found suspicious but valid (for event
	// sets: a labelled segment ending after the last event of its
	// recording, which may have been cut). They are found when the frames
	// are integrated and kept beside the frame cache, so a load from the
	// cache reports them too.
	Warnings []string

	train, test *samples
	// trainIdx and valIdx index the official training samples.
	trainIdx, valIdx []int32
	// stratified says Train/Val were cut per class (see finish).
	stratified bool
}

// samples holds one official part (training or test) of a dataset.
type samples struct {
	labels []int32
	pix    []uint8 // static: len(labels) * C*H*W
	frames *frameFile
}

// Classes returns the number of classes.
func (s *Set) Classes() int { return len(s.ClassNames) }

// SampleShape returns the shape of one sample: [C H W] for static sets and
// [T 2 H W] for event sets.
func (s *Set) SampleShape() []int {
	if s.Kind == Events {
		return []int{s.T, s.C, s.H, s.W}
	}
	return []int{s.C, s.H, s.W}
}

// SampleLen returns the number of values in one sample.
func (s *Set) SampleLen() int {
	n := s.C * s.H * s.W
	if s.Kind == Events {
		n *= s.T
	}
	return n
}

// Len returns the number of samples in a split.
func (s *Set) Len(sp Split) int {
	switch sp {
	case Train:
		return len(s.trainIdx)
	case Val:
		return len(s.valIdx)
	case FullTrain:
		return len(s.train.labels)
	case Test:
		return len(s.test.labels)
	}
	return 0
}

// locate maps (split, i) to the official part and its sample index.
// It panics if i is out of range, like a slice index.
func (s *Set) locate(sp Split, i int) (*samples, int) {
	switch sp {
	case Train:
		return s.train, int(s.trainIdx[i])
	case Val:
		return s.train, int(s.valIdx[i])
	case FullTrain:
		return s.train, s.train.labelIndex(i)
	case Test:
		return s.test, s.test.labelIndex(i)
	}
	panic(fmt.Sprintf("dataset: invalid split %d", int(sp)))
}

func (p *samples) labelIndex(i int) int {
	_ = p.labels[i] // bounds check with the usual panic
	return i
}

// Label returns the class of sample i of a split, in [0, Classes()).
// It panics if i is out of range.
func (s *Set) Label(sp Split, i int) int {
	p, j := s.locate(sp, i)
	return int(p.labels[j])
}

// Image returns sample i of a split of a static set as CHW uint8 pixels.
// The slice aliases the set's storage and must not be modified.
// It panics if the set is not static or i is out of range.
func (s *Set) Image(sp Split, i int) []uint8 {
	if s.Kind != Static {
		panic("dataset: Image called on an event dataset")
	}
	p, j := s.locate(sp, i)
	n := s.C * s.H * s.W
	return p.pix[j*n : (j+1)*n : (j+1)*n]
}

// Frames reads the frames of sample i of a split of an event set into dst
// (grown if needed) and returns it: T*2*H*W event counts, layout
// [T][2][H][W]. It panics if the set is not an event set or i is out of
// range; it returns an error if the frame cache cannot be read.
func (s *Set) Frames(sp Split, i int, dst []uint16) ([]uint16, error) {
	if s.Kind != Events {
		panic("dataset: Frames called on a static dataset")
	}
	p, j := s.locate(sp, i)
	n := s.SampleLen()
	if cap(dst) < n {
		dst = make([]uint16, n)
	}
	dst = dst[:n]
	if err := p.frames.read(j, dst, nil); err != nil {
		return nil, err
	}
	return dst, nil
}

// Histogram returns the number of samples of each class in a split.
func (s *Set) Histogram(sp Split) []int {
	h := make([]int, s.Classes())
	for i := range s.Len(sp) {
		h[s.Label(sp, i)]++
	}
	return h
}

// Close releases the frame cache files of an event set. A static set has
// nothing to release. The set must not be used afterwards.
func (s *Set) Close() error {
	var errs []error
	for _, p := range []*samples{s.train, s.test} {
		if p != nil && p.frames != nil {
			errs = append(errs, p.frames.close())
		}
	}
	return errors.Join(errs...)
}

// finish checks a freshly loaded set and computes the Train/Val split.
// stratified selects the per-class split (first 80% of each class in file
// order) used for datasets whose files are grouped by class; otherwise Train
// is the first 80% of the official training order.
func (s *Set) finish(stratified bool) error {
	if s.train == nil || s.test == nil {
		return fmt.Errorf("dataset: %s: internal error: missing training or test part", s.Name)
	}
	for _, p := range []*samples{s.train, s.test} {
		for i, l := range p.labels {
			if l < 0 || int(l) >= s.Classes() {
				return fmt.Errorf("dataset: %s: sample %d has label %d, want 0..%d", s.Name, i, l, s.Classes()-1)
			}
		}
	}
	if len(s.train.labels) == 0 || len(s.test.labels) == 0 {
		return fmt.Errorf("dataset: %s at %s: got %d training and %d test samples, want both > 0", s.Name, s.Source, len(s.train.labels), len(s.test.labels))
	}
	s.trainIdx, s.valIdx = splitIndices(s.train.labels, s.Classes(), stratified)
	s.stratified = stratified
	return nil
}

// CheckSplit returns an error naming the dataset and the split if split sp
// holds no samples, with the reason where the split rule explains it (Train
// and Val are cut from the official training part; see doc.go). A command
// that trains or evaluates on a split calls it before any work; Batches
// calls it too, so an empty epoch is never handed out.
func (s *Set) CheckSplit(sp Split) error {
	if sp < Train || sp > Test {
		return fmt.Errorf("dataset: %s: invalid split %d", s.Name, int(sp))
	}
	if s.Len(sp) > 0 {
		return nil
	}
	n := s.Len(FullTrain)
	why := ""
	switch {
	case (sp == Train || sp == Val) && s.stratified:
		h := s.Histogram(FullTrain)
		least := n
		for _, c := range h {
			least = min(least, c)
		}
		if sp == Train {
			why = fmt.Sprintf(": the official training part has %d samples, at least %d per class, and Train takes the first %d%% of each class, rounded down", n, least, TrainPercent)
		} else {
			why = fmt.Sprintf(": the official training part has %d samples and Val takes the last %d%% of each class, which is none with so few per class", n, 100-TrainPercent)
		}
	case sp == Train || sp == Val:
		why = fmt.Sprintf(": the official training part has %d samples, of which Train takes the first %d%% (rounded down) and Val the rest", n, TrainPercent)
	}
	if s.Name == "cifar10-dvs" {
		why += fmt.Sprintf(" (CIFAR10-DVS: the first %d%% of each class folder's recordings are the training part, the rest the test part)", CIFAR10DVSTrainPercent)
	}
	return fmt.Errorf("dataset: %s at %s: the %s split is empty%s", s.Name, s.Source, sp, why)
}

// splitIndices returns the Train and Val indexes of a training set.
func splitIndices(labels []int32, classes int, stratified bool) (train, val []int32) {
	n := len(labels)
	if !stratified {
		cut := n * TrainPercent / 100
		train = make([]int32, cut)
		val = make([]int32, n-cut)
		for i := range train {
			train[i] = int32(i)
		}
		for i := range val {
			val[i] = int32(cut + i)
		}
		return train, val
	}
	count := make([]int, classes)
	for _, l := range labels {
		count[l]++
	}
	seen := make([]int, classes)
	for i, l := range labels {
		if seen[l] < count[l]*TrainPercent/100 {
			train = append(train, int32(i))
		} else {
			val = append(val, int32(i))
		}
		seen[l]++
	}
	return train, val
}
