package fleet

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// KindDeploy is the job that compiles a lambda winner, exported from the
// super-network with its inherited weights, for a chip and simulates it,
// exactly as `autosnn lambda` does locally (pipeline.Deploy).
const KindDeploy = "lambda-deploy"

// DeploySpec describes a winner's deployment. Its inputs are those of the
// evaluations ("supernet", "data"), opened as EvalSpec says; Archs holds
// the one winner.
type DeploySpec struct {
	EvalSpec
	// Chip is a built-in chip's name (backends.Builtins).
	Chip string `json:"chip"`
	// ProfileSamples are the validation images the compiler profiles on,
	// SimImages the test images simulated (the first ones of each split,
	// as pipeline.RunLambda takes them); CompileSeed seeds the compiler
	// (set by each DeployArchs call).
	ProfileSamples int    `json:"profile_samples"`
	SimImages      int    `json:"sim_images"`
	CompileSeed    uint64 `json:"compile_seed"`
}

// deployResult is what a KindDeploy job returns.
type deployResult struct {
	Fits     bool
	FitError string
	// Mapping is the mapping directory's files by name (when Fits).
	Mapping map[string][]byte
	Sim     pipeline.SimResult
}

// Deployer is a pipeline.Deployer that deploys the winners on a fleet,
// one job each.
type Deployer struct {
	Fleet *Fleet
	// Spec is every job's description but the architecture and the
	// compile seed.
	Spec DeploySpec
	// Inputs are the jobs' "supernet" and "data" inputs.
	Inputs map[string]Input
	// Logf, when not nil, is told when results are slow to come.
	Logf  func(format string, a ...any)
	Stats RunStats
}

// DeployArchs implements pipeline.Deployer.
func (d *Deployer) DeployArchs(ctx context.Context, archs []search.Arch, seed uint64) ([]*pipeline.Deployment, error) {
	jobs := make([]Job, len(archs))
	for i, a := range archs {
		spec := d.Spec
		spec.Archs, spec.CompileSeed = []search.Arch{a}, seed
		var err error
		if jobs[i], err = NewJob(KindDeploy, spec, d.Inputs); err != nil {
			return nil, err
		}
	}
	res, st, err := d.Fleet.Run(ctx, jobs, d.Logf)
	d.Stats.Jobs += st.Jobs
	d.Stats.Reused += st.Reused
	d.Stats.Published += st.Published
	if err != nil {
		return nil, fmt.Errorf("fleet: deployment: %w", err)
	}
	out := make([]*pipeline.Deployment, len(res))
	for i, b := range res {
		var r deployResult
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&r); err != nil {
			return nil, fmt.Errorf("fleet: deployment job %d: result: %w", i, err)
		}
		dep := &pipeline.Deployment{Fits: r.Fits, FitError: r.FitError, Mapping: r.Mapping}
		if r.Fits {
			dep.SimResult = r.Sim
		}
		out[i] = dep
	}
	return out, nil
}

func (st *evalState) deploy(ctx context.Context, job Job, in *Inputs) ([]byte, error) {
	var spec DeploySpec
	if err := json.Unmarshal(job.Spec, &spec); err != nil {
		return nil, fmt.Errorf("fleet: %s job: %w", KindDeploy, err)
	}
	if len(spec.Archs) != 1 || spec.Batch < 1 || spec.SimImages < 1 || spec.ProfileSamples < 0 {
		return nil, fmt.Errorf("fleet: %s job: %d architectures, batch %d, %d simulated images, %d profiling samples: want 1, >= 1, >= 1, >= 0",
			KindDeploy, len(spec.Archs), spec.Batch, spec.SimImages, spec.ProfileSamples)
	}
	t, err := backends.Lookup(spec.Chip)
	if err != nil {
		return nil, fmt.Errorf("fleet: %s job: %w", KindDeploy, err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.open(ctx, job, in, spec.EvalSpec); err != nil {
		return nil, err
	}
	T := st.net.Space().Base.T
	profile, err := pipeline.LoadSamples(st.set, dataset.Val, spec.ProfileSamples, T)
	if err != nil {
		return nil, err
	}
	test, err := pipeline.LoadSamples(st.set, dataset.Test, spec.SimImages, T)
	if err != nil {
		return nil, err
	}
	g, err := st.net.Export(spec.Archs[0])
	if err != nil {
		return nil, err
	}
	d, err := pipeline.Deploy(ctx, g, t, profile, test, spec.CompileSeed, nil, nil)
	if err != nil {
		return nil, err
	}
	r := deployResult{Fits: d.Fits, FitError: d.FitError}
	if d.Fits {
		r.Sim = d.SimResult
		tmp, err := os.MkdirTemp("", "autosnn-deploy-*")
		if err != nil {
			return nil, &TransientError{fmt.Errorf("fleet: %w", err)}
		}
		defer os.RemoveAll(tmp)
		if err := d.WriteMapping(tmp); err != nil {
			return nil, err
		}
		ents, err := os.ReadDir(tmp)
		if err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		r.Mapping = map[string][]byte{}
		for _, e := range ents {
			if r.Mapping[e.Name()], err = os.ReadFile(filepath.Join(tmp, e.Name())); err != nil {
				return nil, fmt.Errorf("fleet: %w", err)
			}
		}
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(r); err != nil {
		return nil, fmt.Errorf("fleet: %s job: encoding the result: %w", KindDeploy, err)
	}
	return b.Bytes(), nil
}
