package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/search/dataset"
)

// Files compile writes next to the mapping directory's own files.
const (
	coreGraphFile = "cores.dot"
	metisFile     = "problem.graph"
)

// compileCommand compiles a network onto a chip and writes the mapping
// directory the simulator reads.
func compileCommand() *cli.Command {
	return &cli.Command{
		Name:  "compile",
		Usage: "compile a trained network onto a chip profile and write its core mapping",
		Description: "Runs the compiler passes (" + strings.Join(passes.PassNames(), ", ") + ") and writes --out:\n" +
			"graph.yaml + weights.bin (the compiled integer graph with its core placement), mapping.yaml\n" +
			"and mapping.json (cores and the neurons they hold, with the chip profile embedded),\n" +
			"summary.yaml (utilisation, traffic, hops, link load, energy per inference), routes.yaml\n" +
			"(per-core destination lists), cores.dot (Graphviz core graph) and problem.graph (the\n" +
			"partitioning problem in METIS format). A network that does not fit the chip exits non-zero\n" +
			"naming the layer, the resource, the amount over and what would fit.\n\n" +
			"--model is a training checkpoint (autosnn train), an IR directory (graph.yaml + weights.bin),\n" +
			"or, for testing, an architecture (zoo name, spec file or block list) with --random-weights SEED.\n" +
			"--data names the samples for the quantize report and the profile pass (spike rates that\n" +
			"weight the partitioner): a dataset spec name[:path], or 'synthetic' for seeded random inputs.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "checkpoint file, IR directory, or architecture with --random-weights"},
			&cli.StringFlag{Name: "chip", Value: "loihi1", Usage: "chip profile: built-in name (see `autosnn chips`) or YAML file"},
			&cli.StringFlag{Name: "data", Value: "synthetic", Usage: "profiling samples: dataset spec name[:path], or synthetic"},
			&cli.IntFlag{Name: "samples", Value: 4, Usage: "number of profiling samples (0: no profile, uniform rates)"},
			&cli.StringFlag{Name: "split", Value: "val", Usage: "dataset split the samples come from"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "output directory"},
			&cli.StringFlag{Name: "dump-after", Usage: "print the IR after this pass"},
			&cli.StringFlag{Name: "stop-after", Usage: "stop after this pass (no mapping is written before verify)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the placement annealing and of synthetic samples"},
			&cli.Uint64Flag{Name: "random-weights", Usage: "give an architecture --model seeded random weights (testing only)"},
			&cli.BoolFlag{Name: "verify-ir", Usage: "run the IR verifier between passes"},
			&cli.Float64Flag{Name: "effort", Value: 1, Usage: "annealing effort of the placer: 4 spends about 4x the CPU for a few percent fewer message-hops on large boards, 0.25 compiles faster"},
			&cli.IntFlag{Name: "granularity", Usage: granularityUsage()},
			&cli.IntFlag{Name: "C", Usage: "initial channels of an architecture --model (overrides the spec)"},
			&cli.BoolFlag{Name: "quiet", Usage: "print only the summary"},
		},
		Action: runCompile,
	}
}

func runCompile(c *cli.Context) error {
	t, err := backends.Resolve(c.String("chip"))
	if err != nil {
		return err
	}
	g, err := loadModel(c)
	if err != nil {
		return err
	}
	samples, err := compileSamples(c, g)
	if err != nil {
		return err
	}
	out := c.App.Writer
	var log io.Writer = out
	if c.Bool("quiet") {
		log = io.Discard
	}
	if e := c.Float64("effort"); !(e > 0 && e <= 100) {
		return fmt.Errorf("--effort %g: want a number in (0, 100]", e)
	}
	if gr := c.Int("granularity"); gr < 0 {
		return fmt.Errorf("--granularity %d: want 0 (automatic) or a positive number of fragments per core", gr)
	}
	u := &passes.Unit{G: g, Target: t, Samples: samples, Seed: c.Uint64("seed"), Log: log, Granularity: c.Int("granularity"), Effort: c.Float64("effort")}
	cfg := passes.Config{DumpAfter: c.String("dump-after"), StopAfter: c.String("stop-after"), Verify: c.Bool("verify-ir"), Dump: out}
	fmt.Fprintf(log, "compiling %s (%d populations) for %s (%d cores on %d chips), %d profiling samples\n", g.Name, len(g.Pops), t.Name(), t.NumCores, t.NumChips, len(samples))
	start := time.Now()
	if err := passes.Compile(c.Context, u, cfg); err != nil {
		return err
	}
	total := time.Since(start)
	if u.Report.Mapping == nil {
		fmt.Fprintf(out, "stopped after %s in %v; no mapping written\n", c.String("stop-after"), total.Round(time.Millisecond))
		return nil
	}
	dir := c.String("out")
	if err := writeCompiled(dir, u); err != nil {
		return err
	}
	printCompileSummary(out, u, total, dir)
	return nil
}

// loadModel reads --model: a checkpoint or IR directory (frontend.ReadModel
// recognises them by content), or an architecture given random weights.
func loadModel(c *cli.Context) (*ir.Graph, error) {
	arg := c.String("model")
	m, err := frontend.ReadModel(arg)
	if err != nil {
		return nil, fmt.Errorf("compile: --model: %w", err)
	}
	if m.Graph != nil {
		return m.Graph, nil
	}
	s, err := resolveArch(c, arg)
	if err != nil {
		return nil, fmt.Errorf("compile: --model %s: %w", arg, err)
	}
	if !c.IsSet("random-weights") {
		return nil, fmt.Errorf("compile: --model %s is an untrained architecture; compile a checkpoint, or pass --random-weights SEED to test with seeded random weights", arg)
	}
	g, err := frontend.Lower(s)
	if err != nil {
		return nil, err
	}
	frontend.RandomWeights(g, c.Uint64("random-weights"))
	return g, nil
}

// compileSamples loads --samples inputs from --data.
func compileSamples(c *cli.Context, g *ir.Graph) ([][]float32, error) {
	n := c.Int("samples")
	if n <= 0 {
		return nil, nil
	}
	shape := g.Input().Shape
	size := shape.Len()
	if g.Encoding == ir.Frames {
		size *= g.T
	}
	if c.String("data") == "synthetic" {
		r := rand.New(rand.NewPCG(c.Uint64("seed"), 0xda7a))
		out := make([][]float32, n)
		for i := range out {
			x := make([]float32, size)
			for j := range x {
				if g.Encoding == ir.Frames {
					x[j] = float32(r.IntN(3) * r.IntN(2))
				} else {
					x[j] = float32(2*r.Float64() - 1)
				}
			}
			out[i] = x
		}
		return out, nil
	}
	split, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return nil, err
	}
	set, err := dataset.Open(c.Context, c.String("data"), dataset.Options{T: g.T, Size: shape.H})
	if err != nil {
		return nil, err
	}
	defer set.Close()
	if set.C != shape.C || set.H != shape.H || set.W != shape.W {
		return nil, fmt.Errorf("compile: %s samples are %dx%dx%d, graph %s wants input %dx%dx%d", set.Name, set.C, set.H, set.W, g.Name, shape.C, shape.H, shape.W)
	}
	if (set.Kind == dataset.Events) != (g.Encoding == ir.Frames) {
		return nil, fmt.Errorf("compile: %s is a %v dataset but graph %s uses %v encoding", set.Name, set.Kind, g.Name, g.Encoding)
	}
	n = min(n, set.Len(split))
	out := make([][]float32, n)
	for i := range out {
		if out[i], err = set.Input(split, i, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeCompiled writes the mapping directory plus the DOT and METIS files.
func writeCompiled(dir string, u *passes.Unit) error {
	if err := backends.WriteMapping(dir, u.G, u.Target, backends.MappingExtras{Summary: u.Report.Mapping, Routes: u.Routes}); err != nil {
		return err
	}
	a := passes.Analyze(u.G, u.Target)
	var dot bytes.Buffer
	if err := backends.WriteDOT(&dot, u.Target, passes.CoreGraph(u.G, u.Target, a)); err != nil {
		return err
	}
	if err := ir.WriteFileAtomic(filepath.Join(dir, coreGraphFile), dot.Bytes()); err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	if u.Problem != nil {
		var m bytes.Buffer
		if err := backends.WriteMETIS(&m, u.Problem.MetisGraph()); err != nil {
			return err
		}
		if err := ir.WriteFileAtomic(filepath.Join(dir, metisFile), m.Bytes()); err != nil {
			return fmt.Errorf("compile: %w", err)
		}
	}
	return nil
}

func printCompileSummary(w io.Writer, u *passes.Unit, total time.Duration, dir string) {
	r := u.Report.Mapping
	fmt.Fprintf(w, "\ncompiled %s onto %s in %v: %d of %d cores on %d of %d chips (%d tiles), %d fragments\n",
		r.Graph, r.Target, total.Round(time.Millisecond), r.CoresUsed, r.Cores, r.ChipsUsed, r.Chips, r.TilesUsed, r.Fragments)
	fmt.Fprintf(w, "utilisation: neurons mean %.0f%% max %.0f%%, synaptic memory mean %.0f%% max %.0f%%\n",
		100*r.MeanNeuronUtil, 100*r.MaxNeuronUtil, 100*r.MeanMemUtil, 100*r.MaxMemUtil)
	rates := "profiled rates"
	if !r.RatesProfiled {
		rates = "uniform rates (no samples): upper bounds"
	}
	fmt.Fprintf(w, "traffic per inference (%s): %.4g inter-core messages (%.4g inter-chip), mean %.3f hops, %.4g message-hops, busiest link %s %.4g messages (%.4g ns)\n",
		rates, r.InterCoreMessages, r.InterChipMessages, r.MeanHops, r.RateHops, r.BusiestLink, r.MaxLinkLoad, r.MaxLinkBusyNs)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tneurons\tcores\tspikes\tsyn ops\tmessages\tenergy uJ\t")
	for _, l := range r.Layers {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4g\t%.4g\t%.4g\t%.4g\t\n", l.Name, l.Neurons, l.Cores, l.Spikes, l.SynOps, l.Messages, l.Energy.Total*1e-6)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t\t\t%.4g\t%.4g\t\n", r.Neurons, r.CoresUsed, r.InterCoreMessages, r.Energy.Total*1e-6)
	tw.Flush()
	fmt.Fprintf(w, "energy per inference: %.4g uJ (synaptic ops %.4g, neuron updates %.4g, spikes %.4g, network %.4g)\n",
		r.Energy.Total*1e-6, r.Energy.SynOps*1e-6, r.Energy.Neurons*1e-6, r.Energy.Spikes*1e-6, r.Energy.Network*1e-6)
	fmt.Fprintf(w, "wrote %s (%s, %s, %s, %s, %s, %s, %s)\n", dir, ir.GraphFile, backends.MappingFile, backends.MappingJSONFile,
		backends.SummaryFile, backends.RoutesFile, coreGraphFile, metisFile)
}

// granularityUsage is the help text of --granularity, with the
// granularities a compile tries by default from package passes.
func granularityUsage() string {
	auto := passes.AutoGranularities()
	var tries string
	for i, g := range auto {
		switch {
		case i == 0:
		case i == len(auto)-1:
			tries += " and "
		default:
			tries += ", "
		}
		tries += fmt.Sprint(g)
	}
	return fmt.Sprintf("fragments per core's worth of neurons or memory that split aims at (0: try %s concurrently and keep the mapping with fewer message-hops; %d alone on layer-per-core targets); finer gives the partitioner more freedom and takes longer", tries, passes.DefaultGranularity)
}
