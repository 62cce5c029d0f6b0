package experiments

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Preset is a training recipe: the values a preset gives the training
// flags that the command line does not set. Zero fields leave the
// command's own value (and default) alone.
type Preset struct {
	Name string
	// Data is the data spec ("" keeps --data).
	Data string
	// C and T are the initial channels and timesteps (0 keeps the spec's).
	C, T int
	// Epochs, Batch and LR are the optimisation (Adam, no schedule).
	Epochs, Batch int
	LR            float64
	// Cutout is the cutout side in pixels, applied on CIFAR-10/100 only
	// (the paper retrains with it there).
	Cutout int
	// Limit is the training images per epoch and EvalLimit the test images
	// evaluated after each epoch (0: all).
	Limit, EvalLimit int
	// Differs says how the recipe differs from the paper's, printed beside
	// every result obtained with it.
	Differs string
}

// Presets are the recipes --preset names.
var Presets = map[string]Preset{
	// The paper's retraining recipe (section 7 of the reference
	// semantics): Adam 1e-3, batch 96, 600 epochs, T = 8, cutout 16 on
	// CIFAR; C as given (16 in the paper's CIFAR-10 results).
	"paper": {Name: "paper", T: 8, Epochs: 600, Batch: 96, LR: 1e-3, Cutout: 16,
		Differs: "none: the paper's recipe (C as given; the paper uses C = 16 on CIFAR-10)"},
	// The reduced protocol these 2-core machines can run: Fashion-MNIST
	// (28x28, 10 classes) instead of CIFAR-10, C = 8 instead of 16, T = 4
	// instead of 8, 20 epochs of 6,000 images (batch 32) instead of 600
	// epochs of 50,000, 2,000 test images; resumable with --resume.
	"reduced": {Name: "reduced", Data: "fashion-mnist", C: 8, T: 4, Epochs: 20, Batch: 32, LR: 1e-3, Limit: 6000, EvalLimit: 2000,
		Differs: "Fashion-MNIST for CIFAR-10, C = 8 for 16, T = 4 for 8, 20 epochs of 6,000 images (batch 32) for 600 of 50,000 (batch 96), 2,000 test images, no augmentation"},
}

// PresetNames lists the presets in a stable order.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, error) {
	p, ok := Presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("experiments: preset %q, want one of %s", name, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// Flags returns the training flags (name -> value) the preset sets when
// training on data (the data spec in effect: the preset's, or the
// command's when the preset has none). Cutout applies on CIFAR only.
func (p Preset) Flags(data string) map[string]string {
	f := map[string]string{}
	put := func(name string, v int) {
		if v != 0 {
			f[name] = strconv.Itoa(v)
		}
	}
	if p.Data != "" {
		f["data"] = p.Data
		data = p.Data
	}
	put("C", p.C)
	put("T", p.T)
	put("epochs", p.Epochs)
	put("batch", p.Batch)
	put("limit", p.Limit)
	put("eval-limit", p.EvalLimit)
	if p.LR != 0 {
		f["lr"] = strconv.FormatFloat(p.LR, 'g', -1, 64)
	}
	name, _, _ := strings.Cut(strings.ToLower(data), ":")
	if p.Cutout != 0 && (name == "cifar10" || name == "cifar100") {
		put("cutout", p.Cutout)
	}
	return f
}
