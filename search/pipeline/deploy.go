package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/sim"
)

// Samples are network inputs with their labels, in the layout
// ir.Executor.Run and sim.Sim.Run take: one image normalised with the set's
// constants for direct encoding, T frames for frame encoding.
type Samples struct {
	Inputs [][]float32
	// Labels has one class per input (-1: unlabelled).
	Labels []int
}

// LoadSamples reads the first n samples of split sp of set for a network
// of T timesteps (n is capped at the split's size), exactly as
// `autosnn compile --data` and `autosnn simulate --data` read them.
func LoadSamples(set *dataset.Set, sp dataset.Split, n, T int) (Samples, error) {
	var s Samples
	n = min(n, set.Len(sp))
	if set.Kind == dataset.Events && set.T != T {
		return s, fmt.Errorf("pipeline: %s has %d frames per sample, the network runs %d timesteps", set.Name, set.T, T)
	}
	for i := range n {
		x, err := set.Input(sp, i, nil)
		if err != nil {
			return s, err
		}
		s.Inputs = append(s.Inputs, x)
		s.Labels = append(s.Labels, set.Label(sp, i))
	}
	return s, nil
}

// Deployment is a network compiled for a chip and run on the virtual chip.
type Deployment struct {
	// Fits is false when the compiler found that the network does not fit
	// the chip; FitError then says why and the other fields are nil.
	Fits     bool
	FitError string
	// Unit is the compiled unit: the placed integer graph, routes and the
	// compiler's report (Unit.Report.Mapping: cores, traffic, estimated
	// energy from profiled rates).
	Unit *passes.Unit
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
}

// Cores returns the cores the mapping uses (0 when it does not fit).
func (d *Deployment) Cores() int {
	if d.Sim == nil {
		return 0
	}
	return d.Sim.CoresUsed
}

// EnergyPJ returns the simulated energy per inference in pJ (+Inf when
// the network does not fit).
func (d *Deployment) EnergyPJ() float64 {
	if d.Sim == nil {
		return inf
	}
	return d.Sim.PerImage.Energy.Total()
}

// LatencyNs returns the simulated latency per inference in ns (+Inf when
// the network does not fit).
func (d *Deployment) LatencyNs() float64 {
	if d.Sim == nil {
		return inf
	}
	return d.Sim.PerImage.LatencyNs
}

// Deploy compiles g (which it modifies in place, as passes.Compile does)
// for t, profiling spike rates on profile, then runs every input of test
// through the virtual chip. A network the chip cannot hold gives a
// Deployment with Fits false and no error; other failures are errors.
// progress, when not nil, gets a progress bar over the simulated images;
// log, when not nil, the compiler's lines.
func Deploy(ctx context.Context, g *ir.Graph, t *backends.Target, profile, test Samples, seed uint64, log, progress io.Writer) (*Deployment, error) {
	if len(test.Inputs) == 0 {
		return nil, fmt.Errorf("pipeline: deploy %s: no test inputs to simulate", g.Name)
	}
	u := &passes.Unit{G: g, Target: t, Samples: profile.Inputs, Seed: seed, Log: log}
	if err := passes.Compile(ctx, u, passes.Config{}); err != nil {
		var fe *passes.FitError
		if errors.As(err, &fe) {
			return &Deployment{FitError: err.Error()}, nil
		}
		return nil, fmt.Errorf("pipeline: deploy %s on %s: %w", g.Name, t.Name(), err)
	}
	s, err := sim.New(u.G, t)
	if err != nil {
		return nil, fmt.Errorf("pipeline: deploy %s on %s: %w", g.Name, t.Name(), err)
	}
	d := &Deployment{Fits: true, Unit: u, Sim: sim.NewSummary(s)}
	var steps bytes.Buffer
	sc := sim.NewStepCSV(&steps)
	var bar *progressbar.ProgressBar
	if progress != nil {
		bar = progressbar.NewOptions(len(test.Inputs), progressbar.OptionSetWriter(progress),
			progressbar.OptionSetDescription("simulate "+g.Name+" on "+t.Name()), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"), progressbar.OptionClearOnFinish())
	}
	for i, x := range test.Inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := s.Run(x, nil)
		if err != nil {
			return nil, fmt.Errorf("pipeline: simulate %s on %s: image %d: %w", g.Name, t.Name(), i, err)
		}
		label := -1
		if i < len(test.Labels) {
			label = test.Labels[i]
		}
		d.Sim.Add(r, label)
		if err := sc.Write(i, r); err != nil {
			return nil, err
		}
		if bar != nil {
			bar.Add(1)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if err := sc.Flush(); err != nil {
		return nil, err
	}
	d.Steps = steps.Bytes()
	var best int64 = -1
	for l, n := range s.LinkLoad() {
		name := fmt.Sprint(l)
		if n > best || (n == best && name < d.BusiestLink) {
			best, d.BusiestLink = n, name
		}
	}
	if best > 0 {
		d.MaxLinkLoad = float64(best) / float64(len(test.Inputs))
	} else {
		d.BusiestLink = "none"
	}
	var png bytes.Buffer
	if err := sim.WriteHeatmap(&png, s); err != nil {
		return nil, fmt.Errorf("pipeline: heatmap: %w", err)
	}
	d.HeatmapPNG = png.Bytes()
	return d, nil
}

// WriteMapping writes d's mapping directory (what `autosnn compile --out`
// writes apart from the DOT and METIS files: graph, weights, mapping,
// summary, routes), which `autosnn simulate --mapping` reads.
func (d *Deployment) WriteMapping(dir string) error {
	if !d.Fits {
		return fmt.Errorf("pipeline: no mapping to write: %s", d.FitError)
	}
	return backends.WriteMapping(dir, d.Unit.G, d.Unit.Target, backends.MappingExtras{Summary: d.Unit.Report.Mapping, Routes: d.Unit.Layout.Routes})
}
