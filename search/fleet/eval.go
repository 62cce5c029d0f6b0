package fleet

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/search/supernet"
)

// KindEval is the job that evaluates a batch of a search round's
// candidates with weights inherited from a super-network, exactly as
// `autosnn search` does locally (pipeline.NewEvaluator).
const KindEval = "search-eval"

// EvalSpec describes a batch of candidates to evaluate. Its inputs are
// "supernet" (the checkpoint file) and "data" (the dataset's directory).
type EvalSpec struct {
	Archs []search.Arch `json:"archs"`
	// Data is the dataset name (dataset.Names); T, Size and AllowEmpty
	// are its loading options (dataset.Options).
	Data       string `json:"data"`
	T          int    `json:"t"`
	Size       int    `json:"size"`
	AllowEmpty bool   `json:"allow_empty,omitempty"`
	// Batch, ValLimit and Recalib are the evaluator's batch size, the
	// D_val images evaluated (0: all) and the batch-norm recalibration
	// batches (supernet.Evaluator.Recalib).
	Batch    int `json:"batch"`
	ValLimit int `json:"val_limit"`
	Recalib  int `json:"recalib"`
}

// Evaluator is a search.Evaluator that evaluates a batch of candidates on
// a fleet: it orders them by architecture (so candidates that share a
// prefix land in the same job and keep sharing it), cuts them into jobs of
// PerJob candidates, and returns the evaluations in the order asked.
// Evaluations do not depend on which candidates share a job (the
// super-network evaluator's results are bit-identical with or without
// sharing), so the result equals the local evaluator's.
type Evaluator struct {
	Fleet *Fleet
	// Spec is every job's description but the architectures.
	Spec EvalSpec
	// Inputs are the jobs' "supernet" and "data" inputs.
	Inputs map[string]Input
	// PerJob is the number of candidates per job; 0 splits each call's
	// candidates evenly over the workers of the moment (Fleet.Workers),
	// one job each: every job repeats the pass over the data and the stem,
	// so fewer, larger jobs cost less CPU and more jobs finish sooner.
	PerJob int
	// Logf, when not nil, is told when results are slow to come.
	Logf func(format string, a ...any)
	// Stats accumulates over calls.
	Stats RunStats
}

// Evaluate implements search.Evaluator.
func (e *Evaluator) Evaluate(ctx context.Context, archs []search.Arch) ([]search.Evaluation, error) {
	per := e.PerJob
	if per < 0 {
		return nil, fmt.Errorf("fleet: %d candidates per job, want >= 1 (0: split over the workers)", per)
	}
	if per == 0 {
		n, err := e.Fleet.Workers(ctx)
		if err != nil {
			return nil, err
		}
		n = max(n, 1)
		per = (len(archs) + n - 1) / n
	}
	order := make([]int, len(archs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return slices.Compare(archs[a], archs[b]) })
	var jobs []Job
	var parts [][]int
	for start := 0; start < len(order); start += per {
		part := order[start:min(start+per, len(order))]
		spec := e.Spec
		spec.Archs = make([]search.Arch, len(part))
		for k, i := range part {
			spec.Archs[k] = archs[i]
		}
		j, err := NewJob(KindEval, spec, e.Inputs)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
		parts = append(parts, part)
	}
	res, st, err := e.Fleet.Run(ctx, jobs, e.Logf)
	e.Stats.Jobs += st.Jobs
	e.Stats.Reused += st.Reused
	e.Stats.Published += st.Published
	if err != nil {
		return nil, fmt.Errorf("fleet: evaluation: %w", err)
	}
	out := make([]search.Evaluation, len(archs))
	for n, b := range res {
		var evs []search.Evaluation
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&evs); err != nil {
			return nil, fmt.Errorf("fleet: evaluation job %d: result: %w", n, err)
		}
		if len(evs) != len(parts[n]) {
			return nil, fmt.Errorf("fleet: evaluation job %d: %d results for %d candidates", n, len(evs), len(parts[n]))
		}
		for k, i := range parts[n] {
			out[i] = evs[k]
		}
	}
	return out, nil
}

// DataDir returns the directory of data spec: its path, or where mnist or
// fashion-mnist are found when it has none.
func DataDir(ctx context.Context, spec string) (string, error) {
	s, err := dataset.ParseSpec(spec)
	if err != nil {
		return "", err
	}
	switch {
	case s.Path != "":
		return s.Path, nil
	case s.Name == "fashion-mnist":
		return dataset.LocateFashionMNIST()
	default:
		return dataset.LocateMNIST(ctx)
	}
}

// evalState is a worker's open super-network and dataset, kept across jobs
// with the same inputs.
type evalState struct {
	mu    sync.Mutex
	key   string
	net   *supernet.SuperNet
	ck    *supernet.Checkpoint
	set   *dataset.Set
	cache string
}

// EvalHandler returns the handler of KindEval jobs. It keeps the last
// super-network and dataset open for the next job with the same inputs;
// close releases them. cacheDir holds the integrated frames of event data.
func EvalHandler(cacheDir string) (h Handler, close func()) {
	st := &evalState{cache: cacheDir}
	return st.run, st.close
}

// EvalHandlers returns the handlers of KindEval and KindDeploy jobs,
// sharing one open super-network and dataset; close releases them.
func EvalHandlers(cacheDir string) (eval, deploy Handler, close func()) {
	st := &evalState{cache: cacheDir}
	return st.run, st.deploy, st.close
}

func (st *evalState) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.reset()
}

// reset closes the open super-network and dataset; st.mu must be held.
func (st *evalState) reset() {
	if st.net != nil {
		st.net.Close()
	}
	if st.set != nil {
		st.set.Close()
	}
	st.net, st.set, st.key = nil, nil, ""
}

func (st *evalState) run(ctx context.Context, job Job, in *Inputs) ([]byte, error) {
	var spec EvalSpec
	if err := json.Unmarshal(job.Spec, &spec); err != nil {
		return nil, fmt.Errorf("fleet: %s job: %w", KindEval, err)
	}
	if spec.Batch < 1 || spec.ValLimit < 0 || spec.Recalib < 0 {
		return nil, fmt.Errorf("fleet: %s job: batch %d, val limit %d, recalibration %d: want batch >= 1, the others >= 0", KindEval, spec.Batch, spec.ValLimit, spec.Recalib)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.open(ctx, job, in, spec); err != nil {
		return nil, err
	}
	ev := pipeline.NewEvaluator(st.net, st.set, st.ck.Hyper.Seed, spec.Batch, spec.ValLimit, nil)
	ev.Recalib = spec.Recalib
	evs, err := ev.Evaluate(ctx, spec.Archs)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(evs); err != nil {
		return nil, fmt.Errorf("fleet: %s job: encoding the result: %w", KindEval, err)
	}
	return b.Bytes(), nil
}

// open makes st hold the super-network and dataset of job (its inputs
// "supernet" and "data", loaded as spec says), reusing the open ones when
// they are the same. st.mu must be held.
func (st *evalState) open(ctx context.Context, job Job, in *Inputs, spec EvalSpec) error {
	snPath, err := in.Path(ctx, "supernet")
	if err != nil {
		return err
	}
	dataDir, err := in.Path(ctx, "data")
	if err != nil {
		return err
	}
	key := fmt.Sprint(job.Inputs["supernet"].SHA256, job.Inputs["data"].SHA256, spec.Data, spec.T, spec.Size, spec.AllowEmpty, spec.Batch)
	if key == st.key {
		return nil
	}
	st.reset()
	net, ck, err := pipeline.OpenSupernet(ctx, snPath, spec.Batch)
	if err != nil {
		return err
	}
	frames := filepath.Join(st.cache, "frames")
	if err := os.MkdirAll(frames, 0o755); err != nil {
		net.Close()
		return &TransientError{fmt.Errorf("fleet: %w", err)}
	}
	set, err := dataset.Open(ctx, spec.Data+":"+dataDir, dataset.Options{T: spec.T, Size: spec.Size, CacheDir: frames, AllowEmpty: spec.AllowEmpty})
	if err != nil {
		net.Close()
		return err
	}
	if err := pipeline.CheckSpaceSet(net.Space(), set); err != nil {
		net.Close()
		set.Close()
		return err
	}
	st.key, st.net, st.ck, st.set = key, net, ck, set
	return nil
}
