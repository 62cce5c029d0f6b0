// Command sanafecheck runs a compiled mapping side by side in SANA-FE
// (SLAM-Lab, IEEE TCAD 2025, built from its sources; docs/simulator.md)
// and in autosnn's simulator in chip semantics, on the same seeded input,
// and prints a per-layer table (spikes, synaptic events, messages, hops,
// raster agreement), the energy by kind, the step latency and the
// throughput of both, with ratios:
//
//	go run ./sim/internal/sanafecheck -mapping MAPDIR -sanafe $SANAFE_BIN -out DIR
//
// The export has input events (backends.SANAFEOptions.Input); their own
// spikes, messages and synaptic events are SANA-FE's extra "input" rows
// and are taken out of its totals before the comparison (autosnn presents
// the input as a host current, free of charge). Biases are zeroed in both
// unless -keep-bias (SANA-FE integrates biases from its first step, autosnn
// from a population's first input; SANAFERun.BiasNote).
//
// The export carries no synaptic delay (its synapses act after one step in
// SANA-FE): it drops every ir.Projection.Delay > 1 (SANAFERun.DelaysDropped; the delay pass sets
// them on residual networks for Loihi to balance joins). The check
// therefore compares against autosnn's chip semantics with those delays
// removed (every synapse one step, as SANA-FE runs the export) and names
// them in its report; -keep-delays keeps them in autosnn's run, to show
// what dropping them changes (the runs then differ below the first
// delayed join).
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

func main() {
	var c config
	flag.StringVar(&c.Mapping, "mapping", "", "mapping directory written by autosnn compile (required)")
	flag.StringVar(&c.Bin, "sanafe", os.Getenv("SANAFE_BIN"), "SANA-FE's sim binary (default $SANAFE_BIN)")
	flag.StringVar(&c.Mode, "mode", "detailed", "SANA-FE timing model: simple, detailed or cycle")
	flag.StringVar(&c.Out, "out", "", "directory for the export and SANA-FE's traces (required)")
	flag.Uint64Var(&c.Seed, "seed", 1, "seed of the uniform [0,1) input")
	flag.BoolVar(&c.KeepBias, "keep-bias", false, "keep the biases (the fill-in steps then differ; see the package doc)")
	flag.BoolVar(&c.KeepDelays, "keep-delays", false, "keep the synaptic delays in autosnn's run (the SANA-FE export has none, so runs with delays then differ; see the package doc)")
	flag.Parse()
	if err := run(os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, "sanafecheck:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	Mapping, Bin, Mode, Out string
	Seed                    uint64
	KeepBias, KeepDelays    bool
}

func run(w io.Writer, c config) error {
	if c.Mapping == "" || c.Out == "" || c.Bin == "" {
		return fmt.Errorf("-mapping, -out and -sanafe (or $SANAFE_BIN) are required")
	}
	start := time.Now()
	g, t, _, err := backends.ReadMapping(c.Mapping)
	if err != nil {
		return err
	}
	readTime := time.Since(start)
	rep, err := check(g, t, c)
	if err != nil {
		return err
	}
	rep.ReadTime = readTime
	return rep.write(w)
}

// check exports g for t into c.Out, runs SANA-FE and autosnn on the same
// input and compares them.
func check(g *ir.Graph, t *backends.Target, c config) (*report, error) {
	if g.Encoding != ir.Direct {
		return nil, fmt.Errorf("%s: %v encoding; the check presents a Direct input", g.Name, g.Encoding)
	}
	if !c.KeepBias {
		for _, p := range g.Pops[1:] {
			if p.Q != nil {
				clear(p.Q.Bias)
			}
		}
	}
	dropped := dropDelays(g, t, c.KeepDelays)
	rng := rand.New(rand.NewPCG(c.Seed, 17))
	input := make([]float32, g.Input().Shape.Len())
	for i := range input {
		input[i] = rng.Float32()
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, err
	}
	opt := backends.SANAFEOptions{Input: input, LogSpikes: true}
	run := backends.SANAFERunOf(g, t, opt)
	start := time.Now()
	if err := writeExport(c.Out, g, t, opt); err != nil {
		return nil, err
	}
	exportTime := time.Since(start)
	sf, err := runSANAFE(c.Bin, c.Mode, c.Out, run.Timesteps)
	if err != nil {
		return nil, err
	}
	ours, err := runOurs(g, t, input)
	if err != nil {
		return nil, err
	}
	rep := compare(g, t, run, ours, sf)
	rep.ExportTime = exportTime
	rep.Mode = c.Mode
	rep.DelaysDropped, rep.DelaysKept = dropped, c.KeepDelays
	if fi, err := os.Stat(filepath.Join(c.Out, "snn.yaml")); err == nil {
		rep.SNNBytes = fi.Size()
	}
	return rep, nil
}

// dropDelays returns the synaptic delays of g that a SANA-FE export
// cannot carry (backends.SANAFERun.DelaysDropped) and, unless keep, sets
// every projection of g to one step, so that autosnn runs g as SANA-FE
// runs the export.
func dropDelays(g *ir.Graph, t *backends.Target, keep bool) []string {
	dropped := backends.SANAFERunOf(g, t, backends.SANAFEOptions{}).DelaysDropped
	if !keep {
		for _, e := range g.Projs {
			e.Delay = 0
		}
	}
	return dropped
}

func writeExport(dir string, g *ir.Graph, t *backends.Target, opt backends.SANAFEOptions) error {
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"arch.yaml", func(w io.Writer) error {
			return backends.WriteSANAFEArchCoreInputs(w, t, backends.SANAFEInputCores(g, t))
		}},
		{"snn.yaml", func(w io.Writer) error { return backends.WriteSANAFENetwork(w, g, t, opt) }},
	} {
		fh, err := os.Create(filepath.Join(dir, f.name))
		if err != nil {
			return err
		}
		if err := f.write(fh); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	return nil
}
