package fleet

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/sim"
)

// KindSimulate is the job that simulates a shard of images of a compiled
// mapping on the virtual chip, exactly as `autosnn simulate` runs each
// image locally (pipeline.SimulateShard).
const KindSimulate = "simulate-shard"

// MaxImagesPerJob bounds the images of a simulation job when the split is
// automatic (SimShards.PerJob 0): a job's result holds every step of its
// images (a few kB per image; one over a message of the server, 1 MB by
// default, goes through the object store), and smaller jobs spread better
// and lose less to a killed worker.
const MaxImagesPerJob = 64

// SimSpec describes a shard of a simulation. Its inputs are "mapping" (the
// mapping directory) and, unless Data is pipeline.SyntheticData, "data"
// (the dataset's directory).
type SimSpec struct {
	// Data is the dataset name or pipeline.SyntheticData; Split, Images and
	// Seed select the run's inputs as pipeline.OpenDataWith does (Images
	// is the whole run's request, not the shard's); Size and AllowEmpty
	// are the loading options.
	Data       string `json:"data"`
	Split      string `json:"split"`
	Images     int    `json:"images"`
	Seed       uint64 `json:"seed"`
	Size       int    `json:"size"`
	AllowEmpty bool   `json:"allow_empty,omitempty"`
	// Len is the number of images the run has (the source's length, set
	// by SimShards): a worker whose data gives another count fails.
	Len int `json:"len"`
	// Lo and Hi are the shard's images [Lo, Hi).
	Lo int `json:"lo"`
	Hi int `json:"hi"`
	// Semantics is "chip" or "trained"; Compare also runs trained
	// semantics (pipeline.SimOptions.Compare).
	Semantics string `json:"semantics"`
	Compare   bool   `json:"compare,omitempty"`
	// NoC, when not nil, overrides the profile's NoC (sim.WithNoC).
	NoC *sim.NoCOverride `json:"noc,omitempty"`
}

// SimShards is a pipeline.SimShards that runs a simulation's shards of
// images on a fleet: jobs of PerJob consecutive images (0: the images split
// evenly over the workers of the moment, at most MaxImagesPerJob per job).
type SimShards struct {
	Fleet *Fleet
	// Spec is every job's description but Len, Lo and Hi.
	Spec SimSpec
	// Inputs are the jobs' "mapping" and "data" inputs.
	Inputs map[string]Input
	PerJob int
	// Logf, when not nil, is told when results are slow to come.
	Logf  func(format string, a ...any)
	Stats RunStats
}

// SimulateShards implements pipeline.SimShards.
func (s *SimShards) SimulateShards(ctx context.Context, n int) ([]*pipeline.SimShard, error) {
	per := s.PerJob
	if per < 0 {
		return nil, fmt.Errorf("fleet: %d images per job, want >= 1 (0: split over the workers)", per)
	}
	if per == 0 {
		w, err := s.Fleet.Workers(ctx)
		if err != nil {
			return nil, err
		}
		per = min((n+max(w, 1)-1)/max(w, 1), MaxImagesPerJob)
	}
	var jobs []Job
	for lo := 0; lo < n; lo += per {
		spec := s.Spec
		spec.Len, spec.Lo, spec.Hi = n, lo, min(lo+per, n)
		j, err := NewJob(KindSimulate, spec, s.Inputs)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	res, st, err := s.Fleet.Run(ctx, jobs, s.Logf)
	s.Stats.Jobs += st.Jobs
	s.Stats.Reused += st.Reused
	s.Stats.Published += st.Published
	if err != nil {
		return nil, fmt.Errorf("fleet: simulation: %w", err)
	}
	out := make([]*pipeline.SimShard, len(res))
	for k, b := range res {
		var sh pipeline.SimShard
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&sh); err != nil {
			return nil, fmt.Errorf("fleet: simulation job %d: result: %w", k, err)
		}
		out[k] = &sh
	}
	return out, nil
}

// simState is a worker's open mapping and inputs, kept across the shards
// of one simulation.
type simState struct {
	mu        sync.Mutex
	key       string
	g         *ir.Graph
	t         *backends.Target
	src       pipeline.Source
	closeData func() error
	cache     string
}

// SimHandler returns the handler of KindSimulate jobs. It keeps the last
// mapping and data open for the next shard of the same simulation; close
// releases them. cacheDir holds the integrated frames of event data.
func SimHandler(cacheDir string) (h Handler, close func()) {
	st := &simState{cache: cacheDir}
	return st.run, func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.reset()
	}
}

func (st *simState) reset() {
	if st.closeData != nil {
		_ = st.closeData()
	}
	st.key, st.g, st.t, st.src, st.closeData = "", nil, nil, nil, nil
}

func (st *simState) run(ctx context.Context, job Job, in *Inputs) ([]byte, error) {
	var spec SimSpec
	if err := json.Unmarshal(job.Spec, &spec); err != nil {
		return nil, fmt.Errorf("fleet: %s job: %w", KindSimulate, err)
	}
	sem, err := sim.ParseSemantics(spec.Semantics)
	if err != nil {
		return nil, fmt.Errorf("fleet: %s job: %w", KindSimulate, err)
	}
	sp, err := dataset.ParseSplit(spec.Split)
	if err != nil {
		return nil, fmt.Errorf("fleet: %s job: %w", KindSimulate, err)
	}
	if spec.Images < 1 || spec.Lo < 0 || spec.Hi > spec.Len || spec.Lo >= spec.Hi {
		return nil, fmt.Errorf("fleet: %s job: images [%d, %d) of %d (%d asked), want 0 <= lo < hi <= len and images >= 1", KindSimulate, spec.Lo, spec.Hi, spec.Len, spec.Images)
	}
	mapDir, err := in.Path(ctx, "mapping")
	if err != nil {
		return nil, err
	}
	data := spec.Data
	if data != pipeline.SyntheticData {
		dir, err := in.Path(ctx, "data")
		if err != nil {
			return nil, err
		}
		data += ":" + dir
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	whole := spec
	whole.Lo, whole.Hi = 0, 0    // the shards of one run share the open data
	kb, _ := json.Marshal(whole) // a SimSpec always marshals
	key := fmt.Sprint(job.Inputs["mapping"].SHA256, job.Inputs["data"].SHA256, string(kb))
	if key != st.key {
		st.reset()
		g, t, _, err := backends.ReadMapping(mapDir)
		if err != nil {
			return nil, err
		}
		if spec.NoC != nil {
			if t, err = sim.WithNoC(t, *spec.NoC); err != nil {
				return nil, err
			}
		}
		frames := filepath.Join(st.cache, "frames")
		if err := os.MkdirAll(frames, 0o755); err != nil {
			return nil, &TransientError{fmt.Errorf("fleet: %w", err)}
		}
		src, closeData, err := pipeline.OpenDataWith(ctx, data, sp, spec.Images, g, spec.Seed,
			dataset.Options{Size: spec.Size, CacheDir: frames, AllowEmpty: spec.AllowEmpty})
		if err != nil {
			return nil, fmt.Errorf("fleet: %s job: %d images of %s: %w", KindSimulate, spec.Images, spec.Data, err)
		}
		st.key, st.g, st.t, st.src, st.closeData = key, g, t, src, closeData
	}
	if st.src.Len() != spec.Len {
		return nil, fmt.Errorf("fleet: %s job: %d images of %s %s give %d here, %d on the coordinator", KindSimulate, spec.Images, spec.Data, spec.Split, st.src.Len(), spec.Len)
	}
	sh, err := pipeline.SimulateShard(ctx, st.g, st.t, st.src, spec.Lo, spec.Hi, pipeline.SimOptions{Semantics: sem, Compare: spec.Compare})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(sh); err != nil {
		return nil, fmt.Errorf("fleet: %s job: encoding the result: %w", KindSimulate, err)
	}
	return b.Bytes(), nil
}
