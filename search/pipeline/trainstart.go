package pipeline

import (
	"context"
	"errors"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// TrainStart is where a training run starts: a checkpoint to resume
// (Resume, with Arch the resumed architecture's spec when given), a
// trained graph to fine-tune (Graph: a NIR import), or an architecture to
// train from scratch (Arch, whose nil Input and zero Classes take the
// dataset's). Exactly one of Resume, Graph and Arch leads.
type TrainStart struct {
	Resume *train.Checkpoint
	Graph  *ir.Graph
	Arch   *frontend.Spec
}

// errNoStart is a TrainStart with nothing to start from.
var errNoStart = errors.New("pipeline: train: no checkpoint, graph or architecture to start from")

// Shape returns the run's timesteps and input side in pixels (0: the
// dataset's), for the dataset options.
func (s TrainStart) Shape() (T, side int) {
	switch {
	case s.Resume != nil:
		return s.Resume.Graph.T, s.Resume.Graph.Input().Shape.H
	case s.Graph != nil:
		return s.Graph.T, s.Graph.Input().Shape.H
	case s.Arch != nil && len(s.Arch.Input) == 3:
		return s.Arch.T, s.Arch.Input[1]
	case s.Arch != nil:
		return s.Arch.T, 0
	}
	return 0, 0
}

// CheckMemory is the memory check of the run before its data loads:
// batch images per batch (a resumed run: its own batch) on data spec read
// with opt. An architecture whose dataset has no standard shape is left to
// the trainer's check once the data has loaded.
func (s TrainStart) CheckMemory(ctx context.Context, spec dataset.Spec, opt dataset.Options, batch int) error {
	switch {
	case s.Resume != nil:
		return CheckTrain(ctx, s.Resume.Graph, s.Resume.Hyper.Batch)
	case s.Graph != nil:
		return CheckTrain(ctx, s.Graph, batch)
	case s.Arch != nil:
		if shape, err := dataset.StandardShape(spec.Name, opt); err == nil {
			return CheckTrainSpec(ctx, *s.Arch, shape, batch)
		}
		return nil
	}
	return errNoStart
}

// Trainer returns the run's trainer on set: resumed (epochs, when > 0,
// replaces the checkpoint's total; h and augment are the checkpoint's),
// fine-tuning Graph from its weights, or training Arch from seeded weights,
// with hyper-parameters h and the augmentation policy augment.
func (s TrainStart) Trainer(ctx context.Context, set *dataset.Set, h train.Hyper, augment string, epochs int) (*train.Trainer, error) {
	switch {
	case s.Resume != nil:
		return ResumeTrainer(ctx, s.Resume, s.Arch, epochs)
	case s.Graph != nil:
		return NewFineTuner(ctx, s.Graph, set, h, augment)
	case s.Arch != nil:
		return NewTrainer(ctx, *s.Arch, set, h, augment)
	}
	return nil, errNoStart
}
