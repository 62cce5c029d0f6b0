package experiments

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/autosnn/autosnn/ir/cpuclock"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/search/supernet"
)

// Supernet is a trained super-network opened for evaluating candidates.
type Supernet struct {
	Space search.Space
	Net   *supernet.SuperNet
	NAvg  float64
	// Epochs is the number of epochs it was trained for.
	Epochs int
	// Cache evaluates candidates with inherited weights on D_val (shared
	// by every search on this super-network).
	Cache *search.Cache
	// Seconds and CPUSeconds are the training time in this process.
	Seconds, CPUSeconds float64
}

// Close releases the super-network.
func (s *Supernet) Close() { s.Net.Close() }

// Supernet trains (or continues, or reads back) the super-network of
// space at the protocol's C and T for SupernetEpochs epochs of
// SupernetLimit D_train images, seed 1, checkpointed in
// Out/supernet-SPACE.ckpt, and opens it with an evaluation cache.
func (r *Runner) Supernet(ctx context.Context, space string) (*Supernet, error) {
	set, err := r.data(ctx)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(r.Out, "supernet-"+space+".ckpt")
	start, cpu0 := time.Now(), cpuclock.Seconds()
	ck, err := supernet.ReadCheckpoint(path)
	if err == nil {
		got := fmt.Sprintf("data %s, C %d, T %d, batch %d, lr %g, limit %d", ck.Hyper.Data, ck.Base.Channels, ck.Base.T, ck.Hyper.Batch, ck.Hyper.LR, ck.Hyper.Limit)
		want := fmt.Sprintf("data %s, C %d, T %d, batch %d, lr %g, limit %d", r.P.Data, r.P.C, r.P.T, r.P.Batch, r.P.LR, r.P.SupernetLimit)
		if got != want || ck.Epoch > r.P.SupernetEpochs {
			return nil, fmt.Errorf("experiments: %s holds a super-network of %s at epoch %d; this protocol gives %s, %d epochs: use another --out",
				path, got, ck.Epoch, want, r.P.SupernetEpochs)
		}
	}
	var tr *supernet.Trainer
	switch {
	case err == nil && ck.Epoch == r.P.SupernetEpochs:
	case err == nil:
		if tr, err = pipeline.ResumeSupernetTrainer(ctx, ck, r.P.SupernetEpochs); err != nil {
			return nil, fmt.Errorf("experiments: %s: %w", path, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		h := train.Hyper{Epochs: r.P.SupernetEpochs, Batch: r.P.Batch, LR: r.P.LR, Seed: 1, Limit: r.P.SupernetLimit, Data: r.P.Data}
		if tr, err = pipeline.NewSupernetTrainer(ctx, space, r.P.C, r.P.T, set, h, pipeline.AugmentAuto); err != nil {
			return nil, fmt.Errorf("experiments: super-network %s: %w", space, err)
		}
	default:
		return nil, err
	}
	if tr != nil {
		tr.Checkpoint, tr.Progress = path, r.Progress
		r.logf("super-network %s: training to epoch %d", space, r.P.SupernetEpochs)
		err := tr.Run(ctx, pipeline.DataSource(set, tr.Hyper, dataset.Train, dataset.Val, 0))
		tr.Close()
		if err != nil {
			return nil, err
		}
	}
	net, ck, err := pipeline.OpenSupernet(ctx, path, r.P.EvalBatch)
	if err != nil {
		return nil, err
	}
	ev := pipeline.NewEvaluator(net, set, ck.Hyper.Seed, r.P.EvalBatch, r.P.ValLimit, r.Progress)
	sn := &Supernet{Space: net.Space(), Net: net, NAvg: ck.NAvg, Epochs: ck.Epoch, Cache: search.NewCache(ev),
		Seconds: time.Since(start).Seconds(), CPUSeconds: cpuclock.Seconds() - cpu0}
	r.logf("super-network %s: N_avg %.1f spikes/image", space, sn.NAvg)
	return sn, nil
}

// Search runs one search per lambda (evolution, or random search) on sn,
// resumable in Out/NAME (pipeline.Search's checkpoint), and returns its
// rows.
func (r *Runner) Search(ctx context.Context, sn *Supernet, name string, lambdas []float64, random bool) ([]pipeline.SearchRow, error) {
	out := filepath.Join(r.Out, name)
	run := map[string]string{"space": sn.Space.Name, "random": strconv.FormatBool(random), "lambdas": fmt.Sprint(lambdas),
		"evo": fmt.Sprintf("%+v", r.P.Evo), "val-limit": strconv.Itoa(r.P.ValLimit), "eval-batch": strconv.Itoa(r.P.EvalBatch),
		"supernet": fmt.Sprintf("%d epochs, N_avg %g", sn.Epochs, sn.NAvg)} // a super-network trained further makes the evaluations stale
	prev, err := search.ReadCheckpoint(filepath.Join(out, pipeline.SearchCheckpoint))
	resume := err == nil
	if resume {
		if !maps.Equal(prev.Run, run) {
			return nil, fmt.Errorf("experiments: %s holds a search with other settings (%v), want %v: remove it to start again", out, prev.Run, run)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	r.logf("%s: %d lambdas on %s", name, len(lambdas), sn.Space.Name)
	return pipeline.Search(ctx, sn.Space, sn.Cache, pipeline.SearchConfig{Lambdas: lambdas, NAvg: sn.NAvg, Random: random, Evo: r.P.Evo,
		Out: out, Run: run, Resume: resume})
}
