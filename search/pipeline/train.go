package pipeline

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"text/tabwriter"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// NewFineTuner returns the trainer that continues training the trained
// graph g (a NIR import, say) from its weights on set, with
// hyper-parameters h and the augmentation policy augment, after the checks
// a new training run gets: memory (CheckTrain), the set's samples
// (CheckSet) and its classes.
func NewFineTuner(ctx context.Context, g *ir.Graph, set *dataset.Set, h train.Hyper, augment string) (*train.Trainer, error) {
	if err := CheckTrain(ctx, g, h.Batch); err != nil {
		return nil, err
	}
	if err := CheckSet(set, g); err != nil {
		return nil, err
	}
	if set.Classes() != g.Classes {
		return nil, fmt.Errorf("pipeline: %s has %d classes, the graph %s has %d", set.Name, set.Classes(), g.Name, g.Classes)
	}
	if err := Augment(&h, augment, set); err != nil {
		return nil, err
	}
	return train.NewTrainer(g, h)
}

// NewTrainer lowers arch for training on set and returns its trainer with
// hyper-parameters h and the augmentation policy augment (AugmentNames)
// applied. A nil arch.Input takes the set's per-frame shape [C, H, W]
// (event sets: C = 2 polarities), a zero arch.Classes the set's classes.
func NewTrainer(ctx context.Context, arch frontend.Spec, set *dataset.Set, h train.Hyper, augment string) (*train.Trainer, error) {
	g, err := frontend.Lower(onShape(arch, setShape(set)))
	if err != nil {
		return nil, err
	}
	if err := CheckTrain(ctx, g, h.Batch); err != nil {
		return nil, err
	}
	if err := Augment(&h, augment, set); err != nil {
		return nil, err
	}
	return train.NewTrainer(g, h)
}

// onShape returns arch with the per-frame shape and classes of shape where
// arch leaves them unset (nil Input, zero Classes).
func onShape(arch frontend.Spec, shape dataset.Shape) frontend.Spec {
	if arch.Input == nil {
		arch.Input = []int{shape.C, shape.H, shape.W}
	}
	if arch.Classes == 0 {
		arch.Classes = shape.Classes
	}
	return arch
}

// setShape is the Shape of the loaded set (Test: its Test split's size).
func setShape(set *dataset.Set) dataset.Shape {
	return dataset.Shape{C: set.C, H: set.H, W: set.W, Classes: set.Classes(), Test: set.Len(dataset.Test)}
}

// ResumeTrainer continues the run stored in ck bit-identically. arch, when
// not nil, is the run's architecture given again (lowered with the
// checkpoint's input shape and classes, and checked by train.Resume against
// the checkpoint's graph); epochs > 0 sets the total number of epochs.
func ResumeTrainer(ctx context.Context, ck *train.Checkpoint, arch *frontend.Spec, epochs int) (*train.Trainer, error) {
	if err := CheckTrain(ctx, ck.Graph, ck.Hyper.Batch); err != nil {
		return nil, err
	}
	var g *ir.Graph
	if arch != nil {
		s := *arch
		in := ck.Graph.Input().Shape
		s.Input, s.Classes = []int{in.C, in.H, in.W}, ck.Graph.Classes
		var err error
		if g, err = frontend.Lower(s); err != nil {
			return nil, err
		}
		g.Name = s.Name
	}
	return train.Resume(ck, g, epochs)
}

// Evaluate runs the trained float graph g on the first limit images (0:
// all) of split sp of set, batch images at a time, after checking that
// the set's samples and classes are g's (CheckSet). progress, when not
// nil, shows how far it is.
func Evaluate(ctx context.Context, g *ir.Graph, set *dataset.Set, sp dataset.Split, batch, limit int, progress *train.Progress) (train.EvalResult, error) {
	if err := CheckEval(ctx, g, batch, evalImages(set, sp, limit)); err != nil {
		return train.EvalResult{}, err
	}
	if err := CheckSet(set, g); err != nil {
		return train.EvalResult{}, err
	}
	if err := set.CheckSplit(sp); err != nil {
		return train.EvalResult{}, err
	}
	if set.Classes() != g.Classes {
		return train.EvalResult{}, fmt.Errorf("pipeline: %s has %d classes, the model %s has %d", set.Name, set.Classes(), g.Name, g.Classes)
	}
	net, err := train.Build(g, rand.New(rand.NewPCG(0, 0))) // every value is loaded from g
	if err != nil {
		return train.EvalResult{}, err
	}
	defer net.Close()
	return train.Evaluate(ctx, net, &train.DataSource{Set: set, EvalSplit: sp, Batch: batch, EvalLimit: limit}, progress)
}

// WriteEval prints an evaluation: accuracy, spikes per image in the
// paper's metric (neuron spikes plus pooled spike maps) and neurons only,
// and one row per layer with its spikes per image, share and firing rate
// (spikes per neuron per timestep over T timesteps).
func WriteEval(out io.Writer, res train.EvalResult, T int) error {
	fmt.Fprintf(out, "accuracy            %.2f%% (%d/%d)\n", 100*res.Accuracy, res.Correct, res.Images)
	fmt.Fprintf(out, "spikes per image    %.0f (paper metric: neurons + pooled spike maps)\n", res.SpikesPerImage)
	fmt.Fprintf(out, "neuron spikes/image %.0f (each neuron spike once)\n\n", res.NeuronSpikesPerImage)
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tpopulation\trole\tmodel\tneurons\tspikes/image\tshare\tfiring rate\t")
	for _, l := range res.Layers {
		spikes, share, rate := "-", "-", "-"
		if l.Counted {
			if res.SpikesPerImage > 0 {
				share = fmt.Sprintf("%.1f%%", 100*l.Spikes/res.SpikesPerImage)
			}
			spikes, rate = fmt.Sprintf("%.1f", l.Spikes), fmt.Sprintf("%.4f", l.Rate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%s\t%s\t%s\t\n", l.Layer, l.Name, l.Role, l.Model, l.Neurons, spikes, share, rate)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t%.1f\t\t\t\n", res.SpikesPerImage)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "(firing rate = spikes per neuron per timestep, T = %d; max-pool rows count pooled spike maps)\n", T)
	return err
}

// LayerSpikesFile is the plot WriteLayerSpikes writes.
const LayerSpikesFile = "layer-spikes.png"

// WriteLayerSpikes writes dir/layer-spikes.png, the spikes per image of
// every layer of an evaluation (train.LayerSpikesPNG), and returns its path.
func WriteLayerSpikes(dir string, res train.EvalResult, title string) (string, error) {
	png, err := train.LayerSpikesPNG(res, title)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, LayerSpikesFile), writeFiles(dir, map[string][]byte{LayerSpikesFile: png})
}
