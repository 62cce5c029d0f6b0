package main

import (
	"fmt"
	"strings"

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
		Description: "--arch is a zoo name, a spec file or a block list, or a NIR file to fine-tune (its trained\n" +
			"weights are the start; imported with --dt and --T). The input shape and class count\n" +
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
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: use("seed", "for weights, data order and augmentation")},
			&cli.StringFlag{Name: "augment", Value: pipeline.AugmentAuto, Usage: use("augment")},
			&cli.IntFlag{Name: "cutout", Usage: "cutout side in pixels (16 when retraining on CIFAR in the paper); 0 disables"},
			&cli.IntFlag{Name: "limit", Usage: use("limit")},
			&cli.StringFlag{Name: "split", Value: "full-train", Usage: use("split", "the training split: train or full-train")},
			&cli.StringFlag{Name: "eval-split", Value: "test", Usage: "split evaluated after each epoch: val, test, or none"},
			&cli.IntFlag{Name: "eval-limit", Usage: use("eval-limit", "after each epoch")},
			&cli.Float64Flag{Name: "spike-reg", Usage: "the paper's spike regulariser lambda_reg (Table 10: loss + lambda_reg/(K*T) * spikes of the K neurons over T steps per image, i.e. times the mean firing rate; the paper uses 1, 0.1, 0.01)"},
			&cli.StringFlag{Name: "out", Usage: use("out", "checkpoint file"), Required: true},
			&cli.BoolFlag{Name: "resume", Usage: use("resume")},
			&cli.IntFlag{Name: "checkpoint-every", Usage: use("checkpoint-every")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
			&cli.IntFlag{Name: "size", Usage: use("size", "default: the side of --input, of the resumed network, or 128")},
			&cli.StringFlag{Name: "cache", Usage: use("cache")},
			&cli.BoolFlag{Name: "allow-empty", Usage: use("allow-empty")},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
			nirDTFlag(), presetFlag(),
		}, specFlags()...),
		Action: trainAction,
	}
}

// trainChecks are train's flag checks, run before anything is read.
var trainChecks = []check{
	atLeast(1, "epochs", "batch"), atLeast(0, "cutout", "limit", "eval-limit", "checkpoint-every"),
	positive("lr"), nonNegative("spike-reg"), ifSet("C", atLeast(1, "C")), ifSet("T", atLeast(1, "T")),
	ifSet("classes", atLeast(2, "classes")), ifSet("size", frameSize),
	oneOf("augment", pipeline.AugmentNames...), oneOf("split", "train", "full-train"), oneOf("eval-split", "val", "test", "none"),
}

func trainAction(c *cli.Context) error {
	if err := applyPreset(c); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := checks(c, trainChecks...); err != nil {
		return err
	}
	out, logw := c.String("out"), c.App.ErrWriter
	var st pipeline.TrainStart
	if c.IsSet("arch") {
		m, err := loadModel(c, c.String("arch"), "--arch", pipeline.UseTrain)
		if err != nil {
			return err
		}
		if st.Graph = m.Graph; st.Graph == nil {
			st.Arch = &m.Spec
			if !c.IsSet("input") {
				st.Arch.Input = nil // the dataset's
			}
			if !c.IsSet("classes") {
				st.Arch.Classes = 0
			}
		} else if c.Bool("resume") {
			return fmt.Errorf("train: --resume with the NIR --arch %s, whose trained graph the checkpoint holds; drop --resume", c.String("arch"))
		}
	} else if c.IsSet("dt") {
		return fmt.Errorf("train: --dt is for a NIR --arch, but none is given")
	}
	dataSpec := c.String("data")
	if c.Bool("resume") {
		var err error
		if st.Resume, err = train.ReadCheckpoint(out); err != nil {
			return err
		}
		if err := sameHyper(c, st.Resume.Hyper); err != nil {
			return err
		}
		dataSpec = st.Resume.Hyper.Data
	} else if st.Arch == nil && st.Graph == nil {
		return fmt.Errorf("train: --arch is required (or --resume to continue %s)", out)
	}
	spec, err := dataset.ParseSpec(dataSpec)
	if err != nil {
		return fmt.Errorf("train: --data: %w", err)
	}
	if err := checks(c, outFile); err != nil {
		return err
	}
	T, side := st.Shape()
	opt := dataOptions(c, T, frameSide(c, side))
	if err := st.CheckMemory(c.Context, spec, opt, c.Int("batch")); err != nil { // before the data loads
		return fmt.Errorf("train: %w", err)
	}
	set, err := dataset.Load(c.Context, spec, opt)
	if err != nil {
		return err
	}
	defer set.Close()
	epochs := 0
	if c.IsSet("epochs") {
		epochs = c.Int("epochs")
	}
	h := train.Hyper{Epochs: c.Int("epochs"), Batch: c.Int("batch"), LR: c.Float64("lr"), Seed: c.Uint64("seed"),
		Cutout: c.Int("cutout"), Limit: c.Int("limit"), SpikeReg: c.Float64("spike-reg"), Data: spec.String()}
	tr, err := st.Trainer(c.Context, set, h, c.String("augment"), epochs)
	switch {
	case err != nil && st.Resume != nil:
		return err
	case err != nil && st.Graph != nil:
		return fmt.Errorf("train: --arch %s: %w", c.String("arch"), err)
	case err != nil:
		return fmt.Errorf("train: %w", err)
	case st.Resume != nil:
		ck := st.Resume
		fmt.Fprintf(logw, "resuming %s from %s: epoch %d, batch %d, step %d\n", ck.Graph.Name, out, ck.Epoch, ck.Batch, ck.Step)
	}
	defer tr.Close()
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
	h = tr.Hyper
	tr.Checkpoint, tr.CheckpointEvery, tr.EvalEachEpoch, tr.Progress = out, c.Int("checkpoint-every"), c.String("eval-split") != "none", progress(c)
	tr.Logf = func(f string, a ...any) { fmt.Fprintf(c.App.Writer, f+"\n", a...) }
	g := tr.Net.Graph()
	fmt.Fprintf(c.App.Writer, "training %s (%d parameters) on %s: T=%d, batch %d, lr %g, %d epochs, seed %d, %d workers%s\n",
		g.Name, ir.Count(g).Params, h.Data, g.T, h.Batch, h.LR, h.Epochs, h.Seed, tr.Net.Env().WS.Workers(),
		trainEstimate(g, set, h, tr.Epoch, ts, es, tr.EvalEachEpoch, c.Int("eval-limit"), tr.Net.Env().WS.Workers()))
	if err := tr.Run(c.Context, pipeline.DataSource(set, h, ts, es, c.Int("eval-limit"))); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", out)
	return nil
}

// trainEstimate is the first line's time estimate ("; about 25 min
// (rough estimate)") of the epochs after done of training g on set with
// h, evaluating each epoch on evalLimit images (0: all) of es when eval
// is set, with workers workers; "" when no epoch is left.
func trainEstimate(g *ir.Graph, set *dataset.Set, h train.Hyper, done int, ts, es dataset.Split, eval bool, evalLimit, workers int) string {
	epochs := int64(max(h.Epochs-done, 0))
	n, m := int64(set.Len(ts)), int64(0)
	if h.Limit > 0 {
		n = min(n, int64(h.Limit))
	}
	if eval {
		if m = int64(set.Len(es)); evalLimit > 0 {
			m = min(m, int64(evalLimit))
		}
	}
	if epochs == 0 {
		return ""
	}
	return fmt.Sprintf("; about %s (rough estimate)", pipeline.FormatEstimate(pipeline.TrainTime(g, epochs*n, epochs*m, workers)))
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
			"With --out DIR it also writes DIR/layer-spikes.png. With --chip A,B it prints instead the\n" +
			"accuracy of the network as each chip computes it (lowered and quantised by the compiler,\n" +
			"run on the integer reference executor) beside the float network's, on the same images.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: use("model", "checkpoint written by autosnn train, or a NIR file (with --data)"), Required: true},
			&cli.IntFlag{Name: "T", Usage: use("T", "of a NIR --model (default "+fmt.Sprint(frontend.DefaultNIRT)+")")},
			nirDTFlag(),
			&cli.StringFlag{Name: "data", Usage: use("data", "default: the one the model was trained on")},
			&cli.StringFlag{Name: "split", Value: "test", Usage: use("split")},
			&cli.IntFlag{Name: "eval-limit", Usage: use("eval-limit", "the first N of the split")},
			&cli.IntFlag{Name: "batch", Value: 100, Usage: use("batch", "evaluation")},
			&cli.StringFlag{Name: "out", Usage: use("out", "directory for layer-spikes.png")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
			&cli.IntFlag{Name: "size", Usage: use("size", "default: the model's input side")},
			&cli.StringFlag{Name: "cache", Usage: use("cache")},
			&cli.BoolFlag{Name: "allow-empty", Usage: use("allow-empty")},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
			&cli.StringFlag{Name: "chip", Usage: use("chip", "comma-separated: instead of the spike table, the accuracy of the network lowered and quantised for each chip (the integer network the chip computes, ir.IntExecutor) against the float network (ir.Executor) on the same images")},
		},
		Action: evalAction,
	}, "limit", "eval-limit")
}

func evalAction(c *cli.Context) error {
	if err := checks(c, atLeast(0, "eval-limit"), atLeast(1, "batch"), ifSet("size", frameSize)); err != nil {
		return err
	}
	sp, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return fmt.Errorf("eval: --split: %w", err)
	}
	chips, err := evalChips(c)
	if err != nil {
		return err
	}
	if err := checks(c, ifSet("T", atLeast(1, "T"))); err != nil {
		return err
	}
	m, err := loadModel(c, c.String("model"), "--model", pipeline.UseEval)
	if err != nil {
		return err
	}
	g, from, data := m.Graph, m.From, m.Data
	if c.IsSet("data") {
		data = c.String("data")
	}
	if data == "" {
		return fmt.Errorf("eval: --model %s (%s) records no data spec; pass --data", c.String("model"), from)
	}
	spec, err := dataset.ParseSpec(data)
	if err != nil {
		return fmt.Errorf("eval: --data: %w", err)
	}
	opt := dataOptions(c, g.T, frameSide(c, g.Input().Shape.H))
	if shape, err := dataset.StandardShape(spec.Name, opt); err == nil { // the memory check, before the data loads
		if err := pipeline.CheckEvalSpec(c.Context, g, shape, sp, c.Int("batch"), c.Int("eval-limit")); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	if c.String("out") != "" {
		if err := checks(c, outDir); err != nil {
			return err
		}
	}
	set, err := dataset.Load(c.Context, spec, opt)
	if err != nil {
		return fmt.Errorf("eval: --data: %w", err)
	}
	defer set.Close()
	if c.IsSet("chip") {
		return evalOnChips(c, chips, g, from, data, set, sp)
	}
	res, err := pipeline.Evaluate(c.Context, g, set, sp, c.Int("batch"), c.Int("eval-limit"), progress(c))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "model %s (%s) on %s %s: %d images\n", g.Name, from, data, sp, res.Images)
	if err := pipeline.WriteEval(w, res, g.T); err != nil {
		return err
	}
	if dir := c.String("out"); dir != "" {
		path, err := pipeline.WriteLayerSpikes(dir, res, fmt.Sprintf("%s: spikes per image by layer (%s %s)", g.Name, data, sp))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nwrote %s\n", path)
	}
	return nil
}
