package pipeline

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
)

// CompileOptions configure Compile. The zero value compiles with every
// pass, automatic granularity, effort 1, seed 0 and no profiling samples
// (uniform spike rates: upper bounds on traffic).
type CompileOptions struct {
	// Samples are the inputs the quantize report and the profile pass run
	// (spike rates that weight the partitioner); nil: uniform rates.
	Samples Source
	// Seed seeds the compiler's randomised passes (placement annealing).
	Seed uint64
	// Granularity is split's target of fragments per core's worth of
	// neurons or memory (0: automatic, see passes.Unit.Granularity).
	Granularity int
	// Effort scales the placer's annealing budget: 4 spends about 4x the
	// CPU, 0.25 compiles faster (0 means 1; at most 100).
	Effort float64
	// DumpAfter and StopAfter name passes after which the IR is printed
	// to Dump, or the compile stops (no mapping then); VerifyIR runs the
	// IR verifier between passes.
	DumpAfter, StopAfter string
	VerifyIR             bool
	// Log receives the compiler's lines and Dump the IR dump; either may
	// be nil (Dump nil: Log).
	Log, Dump io.Writer
}

// Compiled is a compiled unit and its wall time.
type Compiled struct {
	// Unit holds the placed integer graph, routes and the compiler's
	// report; Unit.Report.Mapping is nil when StopAfter stopped the compile
	// before verify.
	*passes.Unit
	Duration time.Duration
}

// Mapped reports whether the compile ran to the end and produced a mapping.
func (c *Compiled) Mapped() bool { return c.Report != nil && c.Report.Mapping != nil }

// Compile runs the compiler passes on g (which it modifies in place) for
// t. A network the chip cannot hold is a *passes.FitError naming the
// layer, the resource and what would fit.
func Compile(ctx context.Context, g *ir.Graph, t *backends.Target, opt CompileOptions) (*Compiled, error) {
	nsamples := 0
	if opt.Samples != nil {
		nsamples = opt.Samples.Len()
	}
	if err := CheckCompile(ctx, g, nsamples); err != nil {
		return nil, err
	}
	if e := opt.Effort; e != 0 && !(e > 0 && e <= 100) {
		return nil, fmt.Errorf("pipeline: compile: effort %g, want a number in (0, 100]", e)
	}
	if opt.Granularity < 0 {
		return nil, fmt.Errorf("pipeline: compile: granularity %d, want 0 (automatic) or a positive number of fragments per core", opt.Granularity)
	}
	var samples [][]float32
	if opt.Samples != nil {
		s, err := ReadAll(opt.Samples)
		if err != nil {
			return nil, fmt.Errorf("pipeline: compile: profiling samples: %w", err)
		}
		samples = s.Inputs
	}
	u := &passes.Unit{G: g, Target: t, Samples: samples, Seed: opt.Seed, Log: opt.Log, Granularity: opt.Granularity, Effort: opt.Effort}
	cfg := passes.Config{DumpAfter: opt.DumpAfter, StopAfter: opt.StopAfter, Verify: opt.VerifyIR, Dump: opt.Dump}
	start := time.Now()
	if err := passes.Compile(ctx, u, cfg); err != nil {
		return nil, err
	}
	return &Compiled{Unit: u, Duration: time.Since(start)}, nil
}
