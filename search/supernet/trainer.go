package supernet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/train"
)

// Seed streams: the weights and the sampled paths come from two PCGs
// seeded by (Hyper.Seed, stream), the data order from train.DataSource's
// own use of the seed.
const (
	weightStream = 0x5eed
	pathStream   = 0x9a7b
)

// Trainer trains a super-network by single-path uniform sampling: for every
// mini-batch one architecture is drawn uniformly from the space (each
// position's candidate independently, from the PCG PathPCG), the batch runs
// through that path and only the path's parameters are updated.
type Trainer struct {
	Net   *SuperNet
	Opt   *nn.Adam
	Hyper train.Hyper
	// PathPCG draws the sampled paths; checkpoints save its state.
	PathPCG *rand.PCG
	// Epoch is the number of completed epochs, Batch the batches done in
	// the current one, Step the optimiser steps so far.
	Epoch, Batch, Step int
	// History has one entry per completed epoch; its Spikes field is the
	// mean paper-metric spikes per image of the sampled paths.
	History []train.EpochStats
	// Progress shows each epoch's progress when not nil; Logf gets one
	// line per epoch when not nil.
	Progress *train.Progress
	Logf     func(format string, args ...any)
	// Checkpoint is the path written after every epoch (and every
	// CheckpointEvery batches when > 0); "" writes none.
	Checkpoint      string
	CheckpointEvery int
	// Paths, when not nil, is told every sampled path (for tests and logs).
	Paths func(step int, a search.Arch)

	rng     *rand.Rand
	partial train.EpochProgress
	path    search.Arch
	pred    []int
}

// NewTrainer builds the super-network of space with weights drawn from a
// PCG seeded by (h.Seed, 0x5eed) and paths from one seeded by
// (h.Seed, 0x9a7b), and an Adam optimiser with h.LR over all parameters.
func NewTrainer(space search.Space, h train.Hyper) (*Trainer, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	net, err := New(space, rand.New(rand.NewPCG(h.Seed, weightStream)), nil)
	if err != nil {
		return nil, err
	}
	return newTrainer(net, rand.NewPCG(h.Seed, pathStream), h), nil
}

func newTrainer(net *SuperNet, pcg *rand.PCG, h train.Hyper) *Trainer {
	return &Trainer{Net: net, Opt: nn.NewAdam(net.Params(), h.LR), Hyper: h, PathPCG: pcg, rng: rand.New(pcg)}
}

// Close releases the super-network.
func (t *Trainer) Close() { t.Net.Close() }

// NAvg returns N_avg: the mean paper-metric spikes per image of the paths
// sampled in the last completed epoch (0 before the first epoch ends). The
// last epoch is used because it reflects the weights the candidates inherit.
func (t *Trainer) NAvg() float64 {
	if len(t.History) == 0 {
		return 0
	}
	return t.History[len(t.History)-1].Spikes
}

// Run trains from the current position until Hyper.Epochs epochs are
// complete, writing checkpoints as configured. It stops with an error on
// cancellation or a non-finite value; the last checkpoint stays intact. On
// cancellation it stops before the next batch, writes the checkpoint of
// that point (when Checkpoint is set) and returns a *train.Interrupted.
// Temporaries of Checkpoint left by a killed run are removed first.
func (t *Trainer) Run(ctx context.Context, src train.Source) error {
	if t.Checkpoint != "" {
		ir.RemoveStaleTemps(t.Checkpoint) // left by a killed run
	}
	for t.Epoch < t.Hyper.Epochs {
		st, err := t.epoch(ctx, src)
		if err != nil {
			return train.StopAt(ctx, err, "supernet", t.Epoch, t.Batch, t.Step, t.Checkpoint, t.Save)
		}
		t.History = append(t.History, st)
		if t.Logf != nil {
			t.Logf("epoch %d/%d: loss %.4f, train accuracy %.2f%% (sampled paths), spikes/image %.0f, %.1fs",
				st.Epoch+1, t.Hyper.Epochs, st.Loss, 100*st.Accuracy, st.Spikes, st.Seconds)
		}
		if t.Checkpoint != "" {
			if err := t.Save(t.Checkpoint); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Trainer) epoch(ctx context.Context, src train.Source) (train.EpochStats, error) {
	start := time.Now()
	it, err := src.Train(ctx, t.Epoch)
	if err != nil {
		return train.EpochStats{}, err
	}
	defer it.Close()
	bar := t.Progress.Start(train.TaskSpec{N: it.Len(), Done: t.Batch, Desc: fmt.Sprintf("supernet epoch %d/%d", t.Epoch+1, t.Hyper.Epochs), Keep: true})
	defer bar.Close()
	for skip := 0; skip < t.Batch; skip++ { // resume mid-epoch
		if !it.Next() {
			return train.EpochStats{}, fmt.Errorf("supernet: epoch %d has fewer than the %d batches the checkpoint had done", t.Epoch+1, t.Batch)
		}
	}
	net := t.Net
	net.SetTraining(true)
	r := &t.partial
	params := net.Params()
	use := func(i int) bool { return net.OnPath(i, t.path) }
	for it.Next() {
		if err := ctx.Err(); err != nil {
			r.Seconds += time.Since(start).Seconds() // kept by the stop point's checkpoint
			return train.EpochStats{}, fmt.Errorf("supernet: stopped in epoch %d at batch %d: %w", t.Epoch+1, t.Batch, err)
		}
		b := it.Batch()
		n := len(b.Labels)
		if n == 0 {
			return train.EpochStats{}, fmt.Errorf("supernet: epoch %d batch %d is empty", t.Epoch+1, b.Index)
		}
		t.path = net.space.Random(t.rng)
		if t.Paths != nil {
			t.Paths(t.Step, t.path.Clone())
		}
		net.env.Step = t.Step
		loss, spikes, err := net.Forward(&nn.Tensor{Shape: b.Shape, Data: b.X}, b.Labels, t.path)
		if err != nil {
			return train.EpochStats{}, fmt.Errorf("supernet: epoch %d batch %d (step %d, path %s): %w", t.Epoch+1, t.Batch, t.Step, t.path.Key(), err)
		}
		for i, p := range params {
			if use(i) {
				clear(p.Grad)
			}
		}
		if err := net.Backward(); err != nil {
			return train.EpochStats{}, fmt.Errorf("supernet: epoch %d batch %d (step %d, path %s): %w", t.Epoch+1, t.Batch, t.Step, t.path.Key(), err)
		}
		t.Opt.StepIf(use)
		t.pred = net.Predict(t.pred)
		r.Add(n, loss, t.pred, b.Labels, spikes)
		t.Batch++
		t.Step++
		if bar != nil {
			bar.Describe(fmt.Sprintf("supernet epoch %d/%d %s", t.Epoch+1, t.Hyper.Epochs, r.Line()))
			bar.Add(1)
		}
		if t.Checkpoint != "" && t.CheckpointEvery > 0 && t.Batch%t.CheckpointEvery == 0 {
			r.Seconds += time.Since(start).Seconds()
			start = time.Now()
			if err := t.Save(t.Checkpoint); err != nil {
				return train.EpochStats{}, err
			}
		}
	}
	if err := it.Err(); err != nil {
		return train.EpochStats{}, fmt.Errorf("supernet: epoch %d: %w", t.Epoch+1, err)
	}
	bar.Finish()
	r.Seconds += time.Since(start).Seconds()
	st := r.Stats(t.Epoch)
	t.Epoch++
	t.Batch = 0
	t.partial = train.EpochProgress{}
	return st, nil
}
