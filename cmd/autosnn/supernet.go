package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/search/supernet"
)

// supernetCommand is 'autosnn supernet': train a weight-sharing
// super-network by single-path uniform sampling.
func supernetCommand() *cli.Command {
	return &cli.Command{
		Name:  "supernet",
		Usage: "train the AutoSNN super-network of a search space (single-path uniform sampling)",
		Description: "Trains every candidate block of every position of the space with shared stem, pools and head:\n" +
			"one architecture is drawn uniformly per mini-batch (seeded) and only its path is updated. Trains on\n" +
			"the first 80% of the training set (D_train). The checkpoint (--out) is written after every epoch and\n" +
			"stores N_avg, the mean spikes per image of the paths sampled in the last epoch; --resume continues\n" +
			"it bit-identically (to --epochs in total).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "space", Value: "snn1", Usage: "search space: " + strings.Join(search.SpaceNames(), ", ")},
			&cli.IntFlag{Name: "C", Value: 16, Usage: use("C")},
			&cli.IntFlag{Name: "T", Value: 8, Usage: use("T")},
			&cli.IntFlag{Name: "epochs", Value: 1, Usage: use("epochs")},
			&cli.IntFlag{Name: "batch", Value: 96, Usage: use("batch", "training mini-batch")},
			&cli.Float64Flag{Name: "lr", Value: 1e-3, Usage: use("lr")},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: use("seed", "for weights, sampled paths and data order")},
			&cli.IntFlag{Name: "limit", Usage: use("limit", "of D_train")},
			&cli.StringFlag{Name: "augment", Value: pipeline.AugmentAuto, Usage: use("augment")},
			&cli.IntFlag{Name: "checkpoint-every", Usage: use("checkpoint-every")},
			&cli.StringFlag{Name: "out", Value: "supernet.ckpt", Usage: use("out", "checkpoint file")},
			&cli.BoolFlag{Name: "resume", Usage: use("resume")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
			presetFlag(),
		}, dataFlags()...),
		Action: supernetAction,
	}
}

func supernetAction(c *cli.Context) error {
	if err := applyPreset(c); err != nil {
		return fmt.Errorf("supernet: %w", err)
	}
	if err := checks(c, atLeast(1, "C", "T", "epochs", "batch"), atLeast(0, "limit", "checkpoint-every"), positive("lr"),
		oneOf("space", search.SpaceNames()...), oneOf("augment", pipeline.AugmentNames...), frameSize, dataSpec("data", false), outFile); err != nil {
		return err
	}
	out := c.String("out")
	var ck *supernet.Checkpoint
	T := c.Int("T")
	if c.Bool("resume") {
		var err error
		if ck, err = supernet.ReadCheckpoint(out); err != nil {
			return fmt.Errorf("supernet: resume: %w", err)
		}
		if ck.Hyper.Data != c.String("data") {
			return fmt.Errorf("supernet: resume: %s was trained on --data %s, got --data %s", out, ck.Hyper.Data, c.String("data"))
		}
		T = ck.Base.T
	}
	var tr *supernet.Trainer
	if ck != nil { // built, and its memory checked, before the data loads
		var err error
		if tr, err = pipeline.ResumeSupernetTrainer(c.Context, ck, c.Int("epochs")); err != nil {
			return fmt.Errorf("supernet: resume: %w", err)
		}
		defer tr.Close()
	} else if spec, err := dataset.ParseSpec(c.String("data")); err == nil { // the memory check, before the data loads
		if shape, err := dataset.StandardShape(spec.Name, dataOptions(c, T, c.Int("size"))); err == nil {
			if err := pipeline.CheckSupernetSpec(c.Context, c.String("space"), c.Int("C"), T, shape, c.Int("batch")); err != nil {
				return fmt.Errorf("supernet: %w", err)
			}
		}
	}
	set, err := openData(c, T)
	if err != nil {
		return fmt.Errorf("supernet: %w", err)
	}
	defer set.Close()
	if ck != nil {
		fmt.Fprintf(c.App.Writer, "resuming %s: space %s, epoch %d batch %d of %d epochs (its hyper-parameters are kept)\n",
			out, ck.Space, ck.Epoch, ck.Batch, tr.Hyper.Epochs)
	} else {
		h := train.Hyper{Epochs: c.Int("epochs"), Batch: c.Int("batch"), LR: c.Float64("lr"), Seed: c.Uint64("seed"),
			Limit: c.Int("limit"), Data: c.String("data")}
		if tr, err = pipeline.NewSupernetTrainer(c.Context, c.String("space"), c.Int("C"), T, set, h, c.String("augment")); err != nil {
			return fmt.Errorf("supernet: %w", err)
		}
		defer tr.Close()
	}
	tr.Checkpoint, tr.CheckpointEvery, tr.Progress = out, c.Int("checkpoint-every"), progress(c)
	tr.Logf = func(f string, a ...any) { fmt.Fprintf(c.App.Writer, f+"\n", a...) }
	sp := tr.Net.Space()
	params := 0
	for _, p := range tr.Net.Params() {
		params += len(p.Data)
	}
	est, ntrain := "", int64(set.Len(dataset.Train))
	if tr.Hyper.Limit > 0 {
		ntrain = min(ntrain, int64(tr.Hyper.Limit))
	}
	if d, err := pipeline.SupernetTime(sp, int64(max(tr.Hyper.Epochs-tr.Epoch, 0))*ntrain, tr.Net.Env().WS.Workers()); err == nil && tr.Hyper.Epochs > tr.Epoch {
		est = fmt.Sprintf("; about %s (rough estimate)", pipeline.FormatEstimate(d))
	}
	fmt.Fprintf(c.App.Writer, "super-network %s: C=%d T=%d input %v, %d classes, %d positions x %d candidates, %d parameters; data %s (D_train %d images)%s\n",
		sp.Name, sp.Base.Channels, sp.Base.T, sp.Base.Input, sp.Base.Classes, sp.Positions, len(sp.Candidates), params, set.Name, set.Len(dataset.Train), est)
	start := time.Now()
	if err := tr.Run(c.Context, pipeline.DataSource(set, tr.Hyper, dataset.Train, dataset.Val, 0)); err != nil {
		return err
	}
	if len(tr.History) == 0 {
		return fmt.Errorf("supernet: no epoch completed")
	}
	fmt.Fprintf(c.App.Writer, "done in %s: N_avg = %.1f spikes/image (paths sampled in the last epoch), checkpoint %s\n",
		time.Since(start).Round(time.Millisecond), tr.NAvg(), out)
	return nil
}
