package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/experiments"
)

// KindTrain is the job that trains an experiment's stand-alone run and
// evaluates it, exactly as `autosnn experiments run` does locally
// (experiments.TrainRun).
const KindTrain = "experiment-train"

// TrainRemote is an experiments.Remote that trains the runs on a fleet,
// one job per run. Its jobs' description is the experiments.TrainJob and
// their input "data" the protocol's dataset directory.
type TrainRemote struct {
	Fleet *Fleet
	// Inputs are the jobs' inputs ("data").
	Inputs map[string]Input
	// Logf, when not nil, is told when results are slow to come.
	Logf  func(format string, a ...any)
	Stats RunStats
}

// TrainRuns implements experiments.Remote.
func (t *TrainRemote) TrainRuns(ctx context.Context, jobs []experiments.TrainJob) ([]experiments.Run, error) {
	fj := make([]Job, len(jobs))
	for i, j := range jobs {
		var err error
		if fj[i], err = NewJob(KindTrain, j, t.Inputs); err != nil {
			return nil, err
		}
	}
	res, st, err := t.Fleet.Run(ctx, fj, t.Logf)
	t.Stats.Jobs += st.Jobs
	t.Stats.Reused += st.Reused
	t.Stats.Published += st.Published
	if err != nil {
		return nil, fmt.Errorf("fleet: training: %w", err)
	}
	runs := make([]experiments.Run, len(res))
	for i, b := range res {
		if err := json.Unmarshal(b, &runs[i]); err != nil {
			return nil, fmt.Errorf("fleet: training job %d (%s seed %d): result: %w", i, jobs[i].Key, jobs[i].Hyper.Seed, err)
		}
	}
	return runs, nil
}

// trainState is a worker's open dataset, kept across runs on the same data.
type trainState struct {
	mu    sync.Mutex
	key   string
	set   *dataset.Set
	cache string
}

// TrainHandler returns the handler of KindTrain jobs. It keeps the last
// dataset open for the next run on the same data, and checkpoints each
// run every epoch under cacheDir/train (named by the job's hash), so a
// run redelivered to the same machine continues where it stopped; close
// releases the dataset.
func TrainHandler(cacheDir string) (h Handler, close func()) {
	st := &trainState{cache: cacheDir}
	return st.run, func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.set != nil {
			st.set.Close()
		}
		st.set, st.key = nil, ""
	}
}

func (st *trainState) run(ctx context.Context, job Job, in *Inputs) ([]byte, error) {
	var tj experiments.TrainJob
	if err := json.Unmarshal(job.Spec, &tj); err != nil {
		return nil, fmt.Errorf("fleet: %s job: %w", KindTrain, err)
	}
	spec, err := dataset.ParseSpec(tj.Hyper.Data)
	if err != nil {
		return nil, fmt.Errorf("fleet: %s job %s: %w", KindTrain, tj.Key, err)
	}
	if tj.T < 1 {
		return nil, fmt.Errorf("fleet: %s job %s: %d timesteps, want >= 1", KindTrain, tj.Key, tj.T)
	}
	if spec.Path, err = in.Path(ctx, "data"); err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	key := fmt.Sprint(job.Inputs["data"].SHA256, spec.Name, tj.T)
	if key != st.key {
		if st.set != nil {
			st.set.Close()
		}
		st.set, st.key = nil, ""
		set, err := dataset.Load(ctx, spec, dataset.Options{T: tj.T})
		if err != nil {
			return nil, err
		}
		st.set, st.key = set, key
	}
	dir := filepath.Join(st.cache, "train")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &TransientError{fmt.Errorf("fleet: %w", err)}
	}
	ckpt := filepath.Join(dir, job.Hash()+".ckpt")
	run, err := experiments.TrainRun(ctx, tj, st.set, ckpt, nil, nil)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(run)
	if err != nil {
		return nil, fmt.Errorf("fleet: %s job %s: encoding the result: %w", KindTrain, tj.Key, err)
	}
	_ = os.Remove(ckpt) // done: the result goes to the bucket next (a kill before that retrains)
	return b, nil
}
