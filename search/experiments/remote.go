package experiments

// This file runs an experiment's stand-alone training runs elsewhere (a
// fleet of workers, search/fleet): Run plans them, hands the unfinished
// ones to Runner.Remote at once, stores their results in Out/runs as a
// local run would, and then builds the tables from the files.

import (
	"context"
	"fmt"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search/engine/train"
)

// TrainJob is a stand-alone training run described as data: everything
// TrainRun needs besides the dataset.
type TrainJob struct {
	// Key names the run (its files Out/runs/KEY-sSEED.*).
	Key string `json:"key"`
	// Arch is the architecture at the protocol's C and T (no input shape
	// or classes: the data gives them); Blocks its block list as the
	// experiment names it.
	Arch   frontend.Spec `json:"arch"`
	Blocks []string      `json:"blocks"`
	// Hyper are the training hyper-parameters (Seed the run's seed, Data
	// the protocol's data spec).
	Hyper train.Hyper `json:"hyper"`
	// Init names a NetInit applied to the new net ("": none).
	Init string `json:"init,omitempty"`
	// Setup is what the result depends on besides key, seed and epochs
	// (Run.Setup).
	Setup string `json:"setup"`
	// T is the data's timesteps; EvalLimit the test images evaluated.
	T         int `json:"t"`
	EvalLimit int `json:"eval_limit"`
}

// NetInit is a named change to a new net before training (Train's init):
// named so that a run on another machine applies the same one.
type NetInit struct {
	Name string
	Fn   func(*train.Net)
}

// netInits are the NetInits by name.
var netInits = map[string]*NetInit{}

func newNetInit(name string, fn func(*train.Net)) *NetInit {
	ni := &NetInit{Name: name, Fn: fn}
	netInits[name] = ni
	return ni
}

// Remote trains stand-alone runs elsewhere.
type Remote interface {
	// TrainRuns runs every job (as TrainRun does, on the protocol's data)
	// and returns the runs in the order of jobs.
	TrainRuns(ctx context.Context, jobs []TrainJob) ([]Run, error)
}

// plan collects the unfinished runs of an experiment.
type plan struct {
	jobs  []TrainJob
	bases []string
	seen  map[string]bool
}

// add records job (its files at base, once) and returns the run as the
// table code sees it while planning: untrained, all counts zero.
func (p *plan) add(base string, job TrainJob) Run {
	if !p.seen[base] {
		p.seen[base] = true
		p.jobs = append(p.jobs, job)
		p.bases = append(p.bases, base)
	}
	return Run{Key: job.Key, Seed: job.Hyper.Seed, Setup: job.Setup, Macro: job.Arch.Macro, Blocks: job.Blocks}
}

// maxPlans bounds the planning passes of one experiment: a pass finds
// every run whose choice depends on no other stand-alone run, which is
// all of them in every experiment here (the runs a search picks depend on
// the search only), so the second pass finds none.
const maxPlans = 3

// runRemote trains e's unfinished runs on r.Remote and stores them in
// Out/runs: it runs e's table code with Train recording instead of
// training (the super-networks and searches it needs are made here, as
// without Remote, and read back by the next pass), hands the runs
// recorded to Remote at once, and repeats until a pass records none.
func (r *Runner) runRemote(ctx context.Context, e *Experiment) error {
	for pass := 0; ; pass++ {
		p := &plan{seen: map[string]bool{}}
		r.plan = p
		_, err := e.rows(ctx, r)
		r.plan = nil
		if err != nil {
			return err
		}
		if len(p.jobs) == 0 {
			return nil
		}
		if pass == maxPlans {
			return fmt.Errorf("experiments: %s: %d runs still unfinished after %d rounds of remote training", e.Name, len(p.jobs), maxPlans)
		}
		r.logf("%s: %d stand-alone runs to train remotely", e.Name, len(p.jobs))
		runs, err := r.Remote.TrainRuns(ctx, p.jobs)
		if err != nil {
			return err
		}
		if len(runs) != len(p.jobs) {
			return fmt.Errorf("experiments: %s: %d runs back for %d jobs", e.Name, len(runs), len(p.jobs))
		}
		for i, run := range runs {
			if run.Key != p.jobs[i].Key || run.Seed != p.jobs[i].Hyper.Seed || run.Setup != p.jobs[i].Setup {
				return fmt.Errorf("experiments: %s: the run back for %s seed %d is %s seed %d", e.Name, p.jobs[i].Key, p.jobs[i].Hyper.Seed, run.Key, run.Seed)
			}
			if err := writeJSON(p.bases[i]+".json", run); err != nil {
				return err
			}
			r.logf("%s seed %d: test accuracy %.2f%% (trained remotely in %.0f s)", run.Key, run.Seed, 100*run.Accuracy, run.Seconds)
		}
	}
}
