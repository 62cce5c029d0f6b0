package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

// NewSupernetTrainer returns the trainer of the super-network of search
// space spaceName (search.SpaceNames) at C initial channels and T
// timesteps on set (the set's per-frame shape and classes, PLIF neurons),
// with hyper-parameters h and the augmentation policy augment applied.
func NewSupernetTrainer(spaceName string, C, T int, set *dataset.Set, h train.Hyper, augment string) (*supernet.Trainer, error) {
	if C < 1 || T < 1 {
		return nil, fmt.Errorf("pipeline: super-network C %d, T %d: want both >= 1", C, T)
	}
	for _, sp := range []dataset.Split{dataset.Train, dataset.Val} { // D_train and D_val
		if err := set.CheckSplit(sp); err != nil {
			return nil, fmt.Errorf("pipeline: super-network: %w", err)
		}
	}
	if err := Augment(&h, augment, set); err != nil {
		return nil, err
	}
	base := frontend.Spec{Name: "supernet", Channels: C, T: T, Input: []int{set.C, set.H, set.W}, Classes: set.Classes(), Neuron: "plif"}
	space, err := search.NewSpace(spaceName, base)
	if err != nil {
		return nil, err
	}
	if err := CheckSupernet(space, h.Batch); err != nil {
		return nil, err
	}
	return supernet.NewTrainer(space, h)
}

// CheckSpaceSet reports whether the samples of set are inputs of the
// super-network of space: the same per-frame shape and classes.
func CheckSpaceSet(space search.Space, set *dataset.Set) error {
	if in := []int{set.C, set.H, set.W}; fmt.Sprint(in) != fmt.Sprint(space.Base.Input) || set.Classes() != space.Base.Classes {
		return fmt.Errorf("pipeline: data %s has %v inputs and %d classes, the super-network was trained on %v and %d", set.Name, in, set.Classes(), space.Base.Input, space.Base.Classes)
	}
	return nil
}

// SearchConfig configures Search.
type SearchConfig struct {
	// Lambdas are the fitness exponents, one search each, in order.
	Lambdas []float64
	// Form is the fitness form; NAvg the spikes normaliser (N_avg > 0).
	Form search.FitnessForm
	NAvg float64
	// Random runs random search (Evo.Budget architectures drawn Evo.Pool
	// at a time from Evo.Seed) instead of evolution.
	Random bool
	Evo    search.EvoConfig
	// Out, when not "", receives each search's history in
	// Out/lambda<value>/ (search.History.WriteDir: best.yaml, history.csv,
	// history.json, pareto.png).
	Out string
	// Progress, when not nil, gets a line per evaluated round.
	Progress *train.Progress
}

// SearchRow is one lambda's search.
type SearchRow struct {
	Lambda  float64
	History *search.History
	// NewEvals is the number of architectures this search evaluated that
	// no earlier lambda had; Duration its wall time; Dir its history
	// directory ("" without SearchConfig.Out).
	NewEvals int
	Duration time.Duration
	Dir      string
}

// Search runs one search per lambda over space, evaluating candidates
// through cache (shared, so a lambda costs only architectures no earlier
// one evaluated), and writes the histories.
func Search(ctx context.Context, space search.Space, cache *search.Cache, cfg SearchConfig) ([]SearchRow, error) {
	if !(cfg.NAvg > 0) {
		return nil, fmt.Errorf("pipeline: N_avg %g, want > 0 (a super-network with a completed epoch)", cfg.NAvg)
	}
	if cfg.Out != "" {
		if err := PrepareOut(cfg.Out); err != nil {
			return nil, err
		}
	}
	var rows []SearchRow
	for _, lam := range cfg.Lambdas {
		fit := search.Fitness{Form: cfg.Form, Lambda: lam, NAvg: cfg.NAvg}
		start, misses := time.Now(), cache.Misses
		progress := func(done, budget int) {
			cfg.Progress.Status(done >= budget, "lambda %g: %d/%d evaluated", lam, done, budget)
		}
		var h *search.History
		var err error
		if cfg.Random {
			h, err = search.RandomSearch(ctx, space, cache, fit, cfg.Evo.Budget, cfg.Evo.Pool, cfg.Evo.Seed, progress)
		} else {
			h, err = search.Evolve(ctx, space, cache, fit, cfg.Evo, progress)
		}
		if err != nil {
			return nil, err
		}
		r := SearchRow{Lambda: lam, History: h, NewEvals: cache.Misses - misses, Duration: time.Since(start)}
		if cfg.Out != "" {
			r.Dir = filepath.Join(cfg.Out, LambdaDir(lam))
			if err := h.WriteDir(r.Dir, space); err != nil {
				return nil, err
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// WriteSearchTable prints one line per lambda: its best architecture,
// validation accuracy, spikes per image, fitness, new evaluations, wall
// time and history directory.
func WriteSearchTable(w io.Writer, rows []SearchRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "lambda\tblocks\taccuracy\tspikes\tfitness\tnew evals\ttime\toutput")
	for _, r := range rows {
		b := r.History.BestRecord()
		fmt.Fprintf(tw, "%g\t%s\t%.2f%%\t%.0f\t%.4f\t%d\t%s\t%s\n", r.Lambda, strings.Join(b.Blocks, ","), 100*b.Acc, b.Spikes, b.Fitness,
			r.NewEvals, r.Duration.Round(time.Millisecond), r.Dir)
	}
	return tw.Flush()
}

// OpenSupernet reads the super-network checkpoint at path and builds its
// network with the trained weights (the caller closes it). The checkpoint
// must hold a completed epoch (N_avg > 0), which the search's fitness
// normalises by.
func OpenSupernet(path string) (*supernet.SuperNet, *supernet.Checkpoint, error) {
	ck, err := supernet.ReadCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	if !(ck.NAvg > 0) {
		return nil, nil, fmt.Errorf("pipeline: %s: N_avg is %g (no completed epoch?), want > 0", path, ck.NAvg)
	}
	net, err := ck.Build(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline: %s: %w", path, err)
	}
	return net, ck, nil
}

// NewEvaluator returns the evaluator of candidates of net with inherited
// weights on the first valLimit images (0: all) of D_val of set, batch
// images at a time; dataSeed is the super-network's data seed (batch-norm
// recalibration draws training batches with it). progress, when not nil,
// shows the progress of each evaluation.
func NewEvaluator(net *supernet.SuperNet, set *dataset.Set, dataSeed uint64, batch, valLimit int, progress *train.Progress) *supernet.Evaluator {
	src := &train.DataSource{Set: set, TrainSplit: dataset.Train, EvalSplit: dataset.Val, Batch: batch, Seed: dataSeed, EvalLimit: valLimit}
	return &supernet.Evaluator{Net: net, Data: src, Progress: progress}
}
