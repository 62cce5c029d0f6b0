package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/pipeline"
)

// trainCommand trains an architecture on a dataset and writes a checkpoint.
func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train an architecture with surrogate-gradient BPTT and write a checkpoint",
		Description: "--arch is a zoo name, a spec file or a block list. The input shape and class count\n" +
			"come from the dataset unless --input/--classes are given. The checkpoint (--out) is\n" +
			"written atomically after every epoch (and every --checkpoint-every batches); --resume\n" +
			"continues from it bit-identically to an uninterrupted run. After each epoch the model\n" +
			"is evaluated on --eval-split (first --eval-limit images). Progress goes to stderr.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "arch", Usage: use("arch", "not needed with --resume")},
			&cli.StringFlag{Name: "data", Value: "mnist", Usage: use("data")},
			&cli.IntFlag{Name: "epochs", Value: 1, Usage: use("epochs")},
			&cli.IntFlag{Name: "batch", Value: 96, Usage: use("batch", "training mini-batch")},
			&cli.Float64Flag{Name: "lr", Value: 1e-3, Usage: use("lr")},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: use("seed", "of weights, data order and augmentation")},
			&cli.StringFlag{Name: "augment", Value: pipeline.AugmentAuto, Usage: use("augment")},
			&cli.IntFlag{Name: "cutout", Usage: "cutout side in pixels (16 when retraining on CIFAR in the paper); 0 disables"},
			&cli.IntFlag{Name: "limit", Usage: use("limit")},
			&cli.StringFlag{Name: "split", Value: "full-train", Usage: use("split", "the training split: train or full-train")},
			&cli.StringFlag{Name: "eval-split", Value: "test", Usage: "split evaluated after each epoch: val, test, or none"},
			&cli.IntFlag{Name: "eval-limit", Usage: use("eval-limit", "after each epoch")},
			&cli.Float64Flag{Name: "spike-reg", Usage: "spike-regularisation weight beta (loss + beta*spikes/image, paper Table 10)"},
			&cli.StringFlag{Name: "out", Usage: use("out", "checkpoint file"), Required: true},
			&cli.BoolFlag{Name: "resume", Usage: use("resume")},
			&cli.IntFlag{Name: "checkpoint-every", Usage: use("checkpoint-every")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
		}, specFlags()...),
		Action: trainAction,
	}
}

func trainAction(c *cli.Context) error {
	ctx := c.Context
	out := c.String("out")
	logw := c.App.ErrWriter
	if logw == nil {
		logw = os.Stderr
	}
	var tr *train.Trainer
	var dataSpec string
	if c.Bool("resume") {
		ck, err := train.ReadCheckpoint(out)
		if err != nil {
			return err
		}
		var arch *ir.Graph
		if c.IsSet("arch") {
			s, err := resolveArch(c, c.String("arch"))
			if err != nil {
				return err
			}
			s.Input = []int{ck.Graph.Input().Shape.C, ck.Graph.Input().Shape.H, ck.Graph.Input().Shape.W}
			s.Classes = ck.Graph.Classes
			if arch, err = frontend.Lower(s); err != nil {
				return err
			}
			arch.Name = s.Name
		}
		if err := sameHyper(c, ck.Hyper); err != nil {
			return err
		}
		epochs := 0
		if c.IsSet("epochs") {
			epochs = c.Int("epochs")
		}
		if tr, err = train.Resume(ck, arch, epochs); err != nil {
			return err
		}
		dataSpec = ck.Hyper.Data
		fmt.Fprintf(logw, "resuming %s from %s: epoch %d, batch %d, step %d\n", ck.Graph.Name, out, ck.Epoch, ck.Batch, ck.Step)
	} else {
		if !c.IsSet("arch") {
			return fmt.Errorf("train: --arch is required (or --resume to continue %s)", out)
		}
		dataSpec = c.String("data")
	}
	spec, err := dataset.ParseSpec(dataSpec)
	if err != nil {
		return err
	}
	var arch frontend.Spec
	if tr == nil {
		if arch, err = resolveArch(c, c.String("arch")); err != nil {
			return err
		}
	}
	T := arch.T
	if tr != nil {
		T = tr.Net.Graph().T
	}
	set, err := dataset.Load(ctx, spec, dataset.Options{T: T, Logf: func(f string, a ...any) { fmt.Fprintf(logw, f+"\n", a...) }})
	if err != nil {
		return err
	}
	defer set.Close()
	if tr == nil {
		if !c.IsSet("input") {
			arch.Input = []int{set.C, set.H, set.W} // event sets: C = 2 polarities per frame
		}
		if !c.IsSet("classes") {
			arch.Classes = set.Classes()
		}
		g, err := frontend.Lower(arch)
		if err != nil {
			return err
		}
		h := train.Hyper{Epochs: c.Int("epochs"), Batch: c.Int("batch"), LR: c.Float64("lr"), Seed: c.Uint64("seed"),
			Cutout: c.Int("cutout"), Limit: c.Int("limit"), SpikeReg: c.Float64("spike-reg"), Data: spec.String()}
		if err := pipeline.Augment(&h, c.String("augment"), set); err != nil {
			return fmt.Errorf("train: --augment: %w", err)
		}
		if tr, err = train.NewTrainer(g, h); err != nil {
			return err
		}
	}
	defer tr.Close()
	h := tr.Hyper
	ts, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return fmt.Errorf("train: --split: %w", err)
	}
	es := dataset.Test
	if c.String("eval-split") != "none" {
		if es, err = dataset.ParseSplit(c.String("eval-split")); err != nil {
			return fmt.Errorf("train: --eval-split: %w", err)
		}
	}
	src := pipeline.DataSource(set, h, ts, es, c.Int("eval-limit"))
	tr.Checkpoint = out
	tr.CheckpointEvery = c.Int("checkpoint-every")
	tr.EvalEachEpoch = c.String("eval-split") != "none"
	tr.Progress = progress(c)
	tr.Logf = func(f string, a ...any) { fmt.Fprintf(c.App.Writer, f+"\n", a...) }
	g := tr.Net.Graph()
	fmt.Fprintf(c.App.Writer, "training %s (%d parameters) on %s: T=%d, batch %d, lr %g, %d epochs, seed %d, %d workers\n",
		g.Name, ir.Count(g).Params, h.Data, g.T, h.Batch, h.LR, h.Epochs, h.Seed, tr.Net.Env().WS.Workers())
	if err := tr.Run(ctx, src); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", out)
	return nil
}

// sameHyper refuses flags that would change a resumed run's
// hyper-parameters (which would break the bit-identical continuation).
func sameHyper(c *cli.Context, h train.Hyper) error {
	var diffs []string
	check := func(flag string, set bool, got, want any) {
		if set && fmt.Sprint(got) != fmt.Sprint(want) {
			diffs = append(diffs, fmt.Sprintf("--%s %v (the checkpoint was trained with %v)", flag, got, want))
		}
	}
	check("batch", c.IsSet("batch"), c.Int("batch"), h.Batch)
	check("lr", c.IsSet("lr"), c.Float64("lr"), h.LR)
	check("seed", c.IsSet("seed"), c.Uint64("seed"), h.Seed)
	check("cutout", c.IsSet("cutout"), c.Int("cutout"), h.Cutout)
	check("limit", c.IsSet("limit"), c.Int("limit"), h.Limit)
	check("spike-reg", c.IsSet("spike-reg"), c.Float64("spike-reg"), h.SpikeReg)
	check("data", c.IsSet("data"), c.String("data"), h.Data)
	if len(diffs) > 0 {
		return fmt.Errorf("train: --resume continues a run with its own hyper-parameters; refusing %s", strings.Join(diffs, ", "))
	}
	return nil
}

// evalCommand evaluates a checkpoint.
func evalCommand() *cli.Command {
	return renamed(&cli.Command{
		Name:  "eval",
		Usage: "evaluate a checkpoint: accuracy, spikes per image and the per-layer spike table",
		Description: "Prints accuracy, spikes per image in the paper's metric (neuron spikes plus pooled\n" +
			"spike maps) and the neuron-only metric, and one row per layer with its spikes per image\n" +
			"and firing rate (spikes per neuron per timestep), the view of the paper's Fig. 2/3.\n" +
			"With --out DIR it also writes DIR/layer-spikes.png.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: use("model", "checkpoint written by autosnn train"), Required: true},
			&cli.StringFlag{Name: "data", Usage: use("data", "default: the one the model was trained on")},
			&cli.StringFlag{Name: "split", Value: "test", Usage: use("split")},
			&cli.IntFlag{Name: "eval-limit", Usage: use("eval-limit", "the first N of the split")},
			&cli.IntFlag{Name: "batch", Value: 100, Usage: use("batch", "evaluation")},
			&cli.StringFlag{Name: "out", Usage: use("out", "directory for layer-spikes.png")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
		},
		Action: evalAction,
	}, "limit", "eval-limit")
}

func evalAction(c *cli.Context) error {
	ctx := c.Context
	ck, err := train.ReadCheckpoint(c.String("model"))
	if err != nil {
		return err
	}
	data := ck.Hyper.Data
	if c.IsSet("data") {
		data = c.String("data")
	}
	if data == "" {
		return fmt.Errorf("eval: the checkpoint records no data spec; pass --data")
	}
	g := ck.Graph
	set, err := dataset.Open(ctx, data, dataset.Options{T: g.T})
	if err != nil {
		return err
	}
	defer set.Close()
	in := g.Input().Shape
	if set.C != in.C || set.H != in.H || set.W != in.W {
		return fmt.Errorf("eval: %s has %dx%dx%d samples, the model %s takes %v", data, set.C, set.H, set.W, g.Name, in)
	}
	if set.Classes() != g.Classes {
		return fmt.Errorf("eval: %s has %d classes, the model %s has %d", data, set.Classes(), g.Name, g.Classes)
	}
	sp, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return err
	}
	net, err := train.Build(g, rand.New(rand.NewPCG(0, 0))) // every value is loaded from g
	if err != nil {
		return err
	}
	defer net.Close()
	src := &train.DataSource{Set: set, EvalSplit: sp, Batch: c.Int("batch"), EvalLimit: c.Int("eval-limit")}
	res, err := train.Evaluate(ctx, net, src, progress(c))
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "model %s (epoch %d, %d steps) on %s %s: %d images\n", g.Name, ck.Epoch, ck.Step, data, sp, res.Images)
	fmt.Fprintf(w, "accuracy            %.2f%% (%d/%d)\n", 100*res.Accuracy, res.Correct, res.Images)
	fmt.Fprintf(w, "spikes per image    %.0f (paper metric: neurons + pooled spike maps)\n", res.SpikesPerImage)
	fmt.Fprintf(w, "neuron spikes/image %.0f (each neuron spike once)\n\n", res.NeuronSpikesPerImage)
	if err := layerSpikeTable(w, res, g.T); err != nil {
		return err
	}
	if dir := c.String("out"); dir != "" {
		png, err := train.LayerSpikesPNG(res, fmt.Sprintf("%s: spikes per image by layer (%s %s)", g.Name, data, sp))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(dir, "layer-spikes.png")
		if err := ir.WriteFileAtomic(path, png); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nwrote %s\n", path)
	}
	return nil
}

// layerSpikeTable prints one row per population after the input.
func layerSpikeTable(out io.Writer, res train.EvalResult, T int) error {
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tpopulation\trole\tmodel\tneurons\tspikes/image\tshare\tfiring rate\t")
	for _, l := range res.Layers {
		share, rate := "-", "-"
		if l.Counted {
			if res.SpikesPerImage > 0 {
				share = fmt.Sprintf("%.1f%%", 100*l.Spikes/res.SpikesPerImage)
			}
			rate = fmt.Sprintf("%.4f", l.Rate)
		}
		spikes := "-"
		if l.Counted {
			spikes = fmt.Sprintf("%.1f", l.Spikes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%s\t%s\t%s\t\n", l.Layer, l.Name, l.Role, l.Model, l.Neurons, spikes, share, rate)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t%.1f\t\t\t\n", res.SpikesPerImage)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "(firing rate = spikes per neuron per timestep, T = %d; max-pool rows count pooled spike maps)\n", T)
	return nil
}
