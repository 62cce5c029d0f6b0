package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/sim"
)

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
	// SimResult is the run of the test inputs on the virtual chip (its
	// Sim is nil when the network does not fit).
	SimResult
	// Mapping, for a deployment made elsewhere (SweepConfig.Deployer), is
	// its mapping directory (WriteMappingDir's files by name); Unit is
	// then nil.
	Mapping map[string][]byte
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
// through the virtual chip in its own time semantics (sim.Chip: energy and
// latency as the chip spends them; the delay pass has balanced the joins
// where the chip has delays). A network the chip cannot hold gives a
// Deployment with Fits false and no error; other failures are errors.
// progress, when not nil, shows progress over the simulated images;
// log, when not nil, the compiler's lines.
func Deploy(ctx context.Context, g *ir.Graph, t *backends.Target, profile, test Source, seed uint64, log io.Writer, progress *train.Progress) (*Deployment, error) {
	if test == nil || test.Len() == 0 {
		return nil, fmt.Errorf("pipeline: deploy %s: no test inputs to simulate", g.Name)
	}
	c, err := Compile(ctx, g, t, CompileOptions{Samples: profile, Seed: seed, Log: log})
	if err != nil {
		var fe *passes.FitError
		if errors.As(err, &fe) {
			return &Deployment{FitError: err.Error()}, nil
		}
		return nil, fmt.Errorf("pipeline: deploy %s on %s: %w", g.Name, t.Name(), err)
	}
	r, err := Simulate(ctx, c.G, t, test, SimOptions{Progress: progress, Semantics: sim.Chip})
	if err != nil {
		return nil, err
	}
	return &Deployment{Fits: true, Unit: c.Unit, SimResult: *r}, nil
}

// WriteMapping writes d's mapping directory (WriteMappingDir), which
// `autosnn simulate --mapping` reads.
func (d *Deployment) WriteMapping(dir string) error {
	if !d.Fits {
		return fmt.Errorf("pipeline: no mapping to write: %s", d.FitError)
	}
	if d.Unit == nil {
		if len(d.Mapping) == 0 {
			return fmt.Errorf("pipeline: %s: the deployment has no mapping to write", dir)
		}
		return writeFiles(dir, d.Mapping)
	}
	return WriteMappingDir(dir, d.Unit)
}

// WriteDir writes the deployment's mapping directory to dir/mapping and
// its simulation outputs to dir/sim (SimResult.WriteDir).
func (d *Deployment) WriteDir(dir string) error {
	if err := d.WriteMapping(filepath.Join(dir, "mapping")); err != nil {
		return err
	}
	return d.SimResult.WriteDir(filepath.Join(dir, "sim"))
}
