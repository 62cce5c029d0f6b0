package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

// NewSupernetTrainer returns the trainer of the super-network of search
// space spaceName (search.SpaceNames) at C initial channels and T
// timesteps on set (the set's per-frame shape and classes, PLIF neurons),
// with hyper-parameters h and the augmentation policy augment applied.
func NewSupernetTrainer(ctx context.Context, spaceName string, C, T int, set *dataset.Set, h train.Hyper, augment string) (*supernet.Trainer, error) {
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
	space, err := supernetSpace(spaceName, C, T, setShape(set))
	if err != nil {
		return nil, err
	}
	if err := CheckSupernet(ctx, space, h.Batch); err != nil {
		return nil, err
	}
	return supernet.NewTrainer(space, h)
}

// supernetSpace is the search space spaceName of the super-network at C
// initial channels and T timesteps on data of shape (PLIF neurons).
func supernetSpace(spaceName string, C, T int, shape dataset.Shape) (search.Space, error) {
	base := frontend.Spec{Name: "supernet", Channels: C, T: T, Input: []int{shape.C, shape.H, shape.W}, Classes: shape.Classes, Neuron: "plif"}
	return search.NewSpace(spaceName, base)
}

// ResumeSupernetTrainer continues the super-network run stored in ck
// (supernet.Resume; epochs > 0 sets the total number of epochs), after
// checking that training it with its batch size fits in ctx's memory limit
// (CheckSupernet).
func ResumeSupernetTrainer(ctx context.Context, ck *supernet.Checkpoint, epochs int) (*supernet.Trainer, error) {
	space, err := search.NewSpace(ck.Space, ck.Base)
	if err != nil {
		return nil, fmt.Errorf("pipeline: super-network checkpoint: %w", err)
	}
	if err := CheckSupernet(ctx, space, ck.Hyper.Batch); err != nil {
		return nil, err
	}
	return supernet.Resume(ck, epochs)
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
	// Form is the fitness form; NAvg the spikes normaliser (N_avg > 0, or
	// 0 in the ann space, which then takes only lambda 0: accuracy alone).
	Form search.FitnessForm
	NAvg float64
	// Random runs random search (Evo.Budget architectures drawn Evo.Pool
	// at a time from Evo.Seed) instead of evolution.
	Random bool
	Evo    search.EvoConfig
	// Out, when not "", receives each search's history in
	// Out/lambda<value>/ (search.History.WriteDir: best.yaml, history.csv,
	// history.json, pareto.png) and the run's checkpoint in
	// Out/SearchCheckpoint, written atomically after every round.
	Out string
	// Run holds the settings that define the run (flag name -> value; the
	// command's flags), recorded in the checkpoint. Resume continues the
	// run checkpointed in Out, refusing a Run that differs from the
	// checkpoint's (naming each flag); it ends with exactly the histories
	// of an uninterrupted run.
	Run    map[string]string
	Resume bool
	// Progress, when not nil, gets a line per evaluated round.
	Progress *train.Progress
}

// SearchCheckpoint is the name of the checkpoint of a run of searches in
// its output directory (search.Checkpoint).
const SearchCheckpoint = "search.ckpt"

// SearchRow is one lambda's search.
type SearchRow struct {
	Lambda  float64
	History *search.History
	// NewEvals is the number of architectures this search evaluated that
	// no earlier lambda had (counting those of an interrupted run it
	// resumed); Duration its wall time in this process; Dir its history
	// directory ("" without SearchConfig.Out).
	NewEvals int
	Duration time.Duration
	Dir      string
}

// Search runs one search per lambda over space, evaluating candidates
// through cache (shared, so a lambda costs only architectures no earlier
// one evaluated), and writes the histories. With cfg.Out set, the run is
// checkpointed after every round; when ctx is cancelled (Ctrl-C), the run
// stops after the evaluations done so far, writes the checkpoint of that
// point and returns a *train.Interrupted; cfg.Resume continues it.
func Search(ctx context.Context, space search.Space, cache *search.Cache, cfg SearchConfig) ([]SearchRow, error) {
	if err := CheckNAvg(space, cfg.NAvg, cfg.Lambdas); err != nil {
		return nil, err
	}
	ckPath := ""
	if cfg.Out != "" {
		if err := PrepareOut(cfg.Out); err != nil {
			return nil, err
		}
		ckPath = filepath.Join(cfg.Out, SearchCheckpoint)
		ir.RemoveStaleTemps(ckPath) // left by a killed run
	}
	var prev *search.Checkpoint
	if cfg.Resume {
		if ckPath == "" {
			return nil, fmt.Errorf("pipeline: search: resume needs the output directory that holds the checkpoint")
		}
		var err error
		if prev, err = search.ReadCheckpoint(ckPath); err != nil {
			return nil, err
		}
		if err := prev.SameRun(ckPath, cfg.Run); err != nil {
			return nil, err
		}
		if prev.Lambda > len(cfg.Lambdas) {
			return nil, fmt.Errorf("pipeline: search: %s has %d finished searches, the run has %d lambdas", ckPath, prev.Lambda, len(cfg.Lambdas))
		}
		cache.Restore(prev.Evals)
	}
	var rows []SearchRow
	var newEvals []int
	save := func(lambda, round int) error {
		if ckPath == "" || prev != nil && (lambda < prev.Lambda || lambda == prev.Lambda && round < prev.Round) {
			return nil // replaying: the checkpoint on disk is further on
		}
		ck := &search.Checkpoint{Run: cfg.Run, Lambda: lambda, Round: round, NewEvals: append([]int(nil), newEvals...), Evals: cache.Snapshot()}
		return ck.Write(ckPath)
	}
	for i, lam := range cfg.Lambdas {
		fit := search.Fitness{Form: cfg.Form, Lambda: lam, NAvg: cfg.NAvg}
		base := 0
		if prev != nil && i < len(prev.NewEvals) {
			base = prev.NewEvals[i]
		}
		newEvals = append(newEvals, base)
		start, misses, rounds := time.Now(), cache.Misses, 0
		sctx, cancel := context.WithCancel(ctx)
		var saveErr error
		progress := func(done, budget int) {
			rounds++
			newEvals[i] = base + cache.Misses - misses
			cfg.Progress.Status(done >= budget, "lambda %g: %d/%d evaluated", lam, done, budget)
			if saveErr == nil {
				if saveErr = save(i, rounds); saveErr != nil {
					cancel() // stop: a search that cannot be checkpointed is not run
				}
			}
		}
		var h *search.History
		var err error
		if cfg.Random {
			h, err = search.RandomSearch(sctx, space, cache, fit, cfg.Evo.Budget, cfg.Evo.Pool, cfg.Evo.Seed, progress)
		} else {
			h, err = search.Evolve(sctx, space, cache, fit, cfg.Evo, progress)
		}
		cancel()
		if saveErr != nil {
			return nil, saveErr
		}
		if err != nil {
			newEvals[i] = base + cache.Misses - misses
			err = train.StopAt(ctx, err, "search", 0, 0, 0, ckPath, func(string) error { return save(i, rounds) })
			var ie *train.Interrupted
			if errors.As(err, &ie) {
				at, r := i, rounds
				if prev != nil && (i < prev.Lambda || i == prev.Lambda && rounds < prev.Round) {
					at, r = prev.Lambda, prev.Round // stopped while replaying: the checkpoint's position
				}
				where := fmt.Sprintf("the search of lambda %g (%d of %d) after round %d", cfg.Lambdas[min(at, len(cfg.Lambdas)-1)], at+1, len(cfg.Lambdas), r)
				if at == len(cfg.Lambdas) {
					where = "the replay of a finished run"
				}
				ie.Where = fmt.Sprintf("%s, %d architectures evaluated in all", where, cache.Len())
			}
			return nil, err
		}
		r := SearchRow{Lambda: lam, History: h, NewEvals: newEvals[i], Duration: time.Since(start)}
		if cfg.Out != "" {
			r.Dir = filepath.Join(cfg.Out, LambdaDir(lam))
			if err := h.WriteDir(r.Dir, space); err != nil {
				return nil, err
			}
		}
		if err := save(i+1, 0); err != nil {
			return nil, err
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

// CheckNAvg checks the fitness normaliser of a run of searches: N_avg > 0,
// or N_avg = 0 in the ann space (ReLU, no spikes: the paper's Table 7),
// where every lambda must be 0 (fitness = validation accuracy alone).
func CheckNAvg(space search.Space, nAvg float64, lambdas []float64) error {
	if nAvg > 0 {
		return nil
	}
	if nAvg != 0 || space.Base.Neuron != "ann" {
		return fmt.Errorf("pipeline: N_avg %g, want > 0 (a spiking super-network with a completed epoch)", nAvg)
	}
	for _, l := range lambdas {
		if l != 0 {
			return fmt.Errorf("pipeline: --lambda %g: the %s space has no spikes (N_avg = 0), so its search ranks by accuracy alone: want --lambda 0", l, space.Name)
		}
	}
	return nil
}

// OpenSupernet reads the super-network checkpoint at path and builds its
// network with the trained weights (the caller closes it), after checking
// that evaluating its candidates batch images at a time fits in ctx's
// memory limit (CheckSupernetEval). The checkpoint must hold a completed
// epoch (N_avg > 0), which the search's fitness normalises by.
func OpenSupernet(ctx context.Context, path string, batch int) (*supernet.SuperNet, *supernet.Checkpoint, error) {
	ck, err := supernet.ReadCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	space, err := search.NewSpace(ck.Space, ck.Base)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline: %s: %w", path, err)
	}
	if len(ck.History) == 0 {
		return nil, nil, fmt.Errorf("pipeline: %s: no completed epoch (N_avg is measured over one), want a super-network trained for at least one epoch", path)
	}
	if !(ck.NAvg > 0) && space.Base.Neuron != "ann" {
		return nil, nil, fmt.Errorf("pipeline: %s: N_avg is %g, want > 0 (a spiking super-network whose paths fired)", path, ck.NAvg)
	}
	if err := CheckSupernetEval(ctx, space, batch); err != nil {
		return nil, nil, err
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
