package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/sim"
)

// Files of a simulation directory (SimResult.WriteDir).
const (
	SimSummaryFile = "summary.yaml"
	StepsFile      = "steps.csv"
	LinkLoadFile   = "linkload.png"
	// AgreementFile holds the Trained/Chip comparison (SimOptions.Compare).
	AgreementFile = "agreement.yaml"
)

// SimOptions configure Simulate.
type SimOptions struct {
	// Progress, when not nil, shows progress over the images, titled Desc
	// (default: "simulate GRAPH on CHIP").
	Progress *train.Progress
	Desc     string
	// Semantics is the simulator's time semantics (the zero value is
	// sim.Trained, spike-exact against the reference executor).
	Semantics sim.Semantics
	// Compare, with Semantics sim.Chip, also runs every image in Trained
	// semantics and fills SimResult.Agreement; the counts, energy and
	// latency stay the Chip run's.
	Compare bool
	// Shards, when not nil, runs the images elsewhere (a fleet of
	// workers; simshard.go): Simulate merges its shards in image order
	// into the same result, bit for bit.
	Shards SimShards
	// Workers is the number of images simulated at once, each worker on
	// its own fork of the chip (>= 0; 0: runtime.GOMAXPROCS, at most one
	// per image). The result does not depend on it.
	Workers int
}

// SimResult is a run of the virtual chip over a sequence of inputs.
type SimResult struct {
	// Sim summarises the simulated images (per-image means, on-chip
	// accuracy over the labelled ones).
	Sim *sim.Summary
	// MaxLinkLoad is the simulated messages per inference over the busiest
	// mesh link, and BusiestLink that link ("none" without inter-tile traffic).
	MaxLinkLoad float64
	BusiestLink string
	// HeatmapPNG is sim.WriteHeatmap of the run (link load over the mesh).
	HeatmapPNG []byte
	// Steps is the per-timestep CSV of every simulated image (sim.StepCSV).
	Steps []byte
	// PopSpikes[p] is the mean number of spikes per image of population p
	// (an index into the graph's Pops; 0 for the input).
	PopSpikes []float64
	// Agreement compares the Trained and Chip runs (SimOptions.Compare;
	// nil otherwise).
	Agreement *sim.Agreement
}

// Simulate runs every input of src through the virtual chip: g is a
// compiled graph (placed and quantised, as WriteMappingDir writes it and
// backends.ReadMapping reads it) on t. Images run on opt.Workers forks of
// one chip (sim.Fork: the synapse tables are shared) and are tallied in
// image order, so the result is the same for any number of workers. It
// stops with ctx's error when ctx is cancelled between images.
func Simulate(ctx context.Context, g *ir.Graph, t *backends.Target, src Source, opt SimOptions) (*SimResult, error) {
	n := src.Len()
	if n < 1 {
		return nil, fmt.Errorf("pipeline: simulate %s: no inputs", g.Name)
	}
	if opt.Workers < 0 {
		return nil, fmt.Errorf("pipeline: simulate %s: %d workers, want >= 0 (0: one per CPU)", g.Name, opt.Workers)
	}
	if opt.Compare && opt.Semantics != sim.Chip {
		return nil, fmt.Errorf("pipeline: simulate %s: comparing semantics needs the chip semantics as the main run, got %v", g.Name, opt.Semantics)
	}
	workers := opt.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if opt.Shards != nil {
		workers = 1 // the merge's one Sim; the shards run elsewhere
	}
	if err := checkSimulate(ctx, g, workers, opt.Compare); err != nil {
		return nil, err
	}
	if opt.Shards != nil {
		return simulateShards(ctx, g, t, src, opt)
	}
	s, err := sim.NewWithOptions(g, t, sim.Options{Semantics: opt.Semantics})
	if err != nil {
		return nil, fmt.Errorf("pipeline: simulate %s on %s: %w", g.Name, t.Name(), err)
	}
	ws := make([]*simWorker, workers)
	for k := range ws {
		w := &simWorker{chip: s}
		if k > 0 {
			if w.chip, err = s.Fork(sim.Options{Semantics: opt.Semantics}); err != nil {
				return nil, fmt.Errorf("pipeline: simulate %s on %s: %w", g.Name, t.Name(), err)
			}
		}
		if opt.Compare {
			if w.trained, err = s.Fork(sim.Options{Semantics: sim.Trained}); err != nil {
				return nil, fmt.Errorf("pipeline: simulate %s on %s: %w", g.Name, t.Name(), err)
			}
			w.agree = sim.NewAgreement(g)
		}
		ws[k] = w
	}
	res := &SimResult{Sim: sim.NewSummary(s), PopSpikes: make([]float64, len(g.Pops))}
	var steps bytes.Buffer
	sc := sim.NewStepCSV(&steps)
	desc := opt.Desc
	if desc == "" {
		desc = "simulate " + g.Name + " on " + t.Name()
	}
	bar := opt.Progress.Start(train.TaskSpec{N: n, Desc: desc, Unit: "img"})
	defer bar.Close()
	err = runImages(ctx, src, ws, func(i int, r simImage) error {
		res.Sim.Add(r.chip, r.label)
		for p, k := range r.chip.Result.Spikes {
			res.PopSpikes[p] += float64(k) / float64(n)
		}
		if err := sc.Write(i, r.chip); err != nil {
			return err
		}
		bar.Add(1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: simulate %s on %s: %w", g.Name, t.Name(), err)
	}
	bar.Finish()
	forks := make([]*sim.Sim, 0, len(ws)-1)
	for _, w := range ws[1:] {
		forks = append(forks, w.chip)
	}
	if err := res.Sim.AddForks(forks...); err != nil {
		return nil, err
	}
	if opt.Compare {
		res.Agreement = sim.NewAgreement(g)
		for _, w := range ws {
			if err := res.Agreement.Merge(w.agree); err != nil {
				return nil, err
			}
		}
	}
	if err := res.finish(s, n, sc, &steps); err != nil {
		return nil, err
	}
	return res, nil
}

// finish completes res after the last image: the step table sc wrote
// into steps, the busiest link of s's link loads per image (n images) and
// the link-load heatmap.
func (res *SimResult) finish(s *sim.Sim, n int, sc *sim.StepCSV, steps *bytes.Buffer) error {
	if err := sc.Flush(); err != nil {
		return err
	}
	res.Steps = steps.Bytes()
	if l, c := sim.BusiestLink(s.LinkLoad()); c > 0 {
		res.BusiestLink, res.MaxLinkLoad = l.String(), float64(c)/float64(n)
	} else {
		res.BusiestLink = "none"
	}
	var png bytes.Buffer
	if err := sim.WriteHeatmap(&png, s, n); err != nil {
		return fmt.Errorf("pipeline: heatmap: %w", err)
	}
	res.HeatmapPNG = png.Bytes()
	return nil
}

// WriteDir writes the run into dir (created if needed): summary.yaml,
// steps.csv and linkload.png, and agreement.yaml when the run compared
// semantics.
func (r *SimResult) WriteDir(dir string) error {
	var y bytes.Buffer
	if err := r.Sim.WriteYAML(&y); err != nil {
		return err
	}
	files := map[string][]byte{SimSummaryFile: y.Bytes(), StepsFile: r.Steps, LinkLoadFile: r.HeatmapPNG}
	if r.Agreement != nil {
		var a bytes.Buffer
		if err := r.Agreement.WriteYAML(&a); err != nil {
			return err
		}
		files[AgreementFile] = a.Bytes()
	}
	return writeFiles(dir, files)
}

// WriteSANAFE writes the chip and the mapping as SANA-FE input files into
// dir: arch.yaml, snn.yaml and run.json (the step offsets,
// backends.SANAFERun, which it also returns). For a direct-encoded graph
// the first input of src becomes input events (opt.Input is set from it).
// `sim -s -p arch.yaml snn.yaml run.Timesteps` runs them in SANA-FE.
func WriteSANAFE(dir string, g *ir.Graph, t *backends.Target, src Source, opt backends.SANAFEOptions) (backends.SANAFERun, error) {
	opt.Input = nil
	if g.Encoding == ir.Direct && src != nil && src.Len() > 0 {
		x, err := src.Input(0, nil)
		if err != nil {
			return backends.SANAFERun{}, err
		}
		opt.Input = x
	}
	var arch, snn bytes.Buffer
	var werr error
	if opt.Input != nil {
		werr = backends.WriteSANAFEArchCoreInputs(&arch, t, backends.SANAFEInputCores(g, t))
	} else {
		werr = backends.WriteSANAFEArch(&arch, t)
	}
	if werr != nil {
		return backends.SANAFERun{}, werr
	}
	if err := backends.WriteSANAFENetwork(&snn, g, t, opt); err != nil {
		return backends.SANAFERun{}, err
	}
	run := backends.SANAFERunOf(g, t, opt)
	js, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return run, fmt.Errorf("pipeline: sanafe run.json: %w", err)
	}
	return run, writeFiles(dir, map[string][]byte{"arch.yaml": arch.Bytes(), "snn.yaml": snn.Bytes(), "run.json": append(js, '\n')})
}

func writeFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	for name, data := range files {
		if err := ir.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	return nil
}
