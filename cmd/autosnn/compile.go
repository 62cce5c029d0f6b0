package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// compileCommand compiles a network onto a chip and writes the mapping
// directory the simulator reads.
func compileCommand() *cli.Command {
	return renamed(&cli.Command{
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
			&cli.StringFlag{Name: "model", Required: true, Usage: use("model", "checkpoint file, IR directory, or architecture with --random-weights")},
			&cli.StringFlag{Name: "chip", Value: "loihi1", Usage: use("chip", "or "+pipeline.AutoChip+": the smallest built-in target (fewest cores, then chips, then energy per synaptic operation) that holds the network, with why each smaller one was skipped")},
			&cli.StringFlag{Name: "data", Value: pipeline.SyntheticData, Usage: use("data", "or synthetic: seeded random inputs in the range the network was trained on")},
			&cli.IntFlag{Name: "profile-samples", Value: 4, Usage: use("profile-samples", "the first of --profile-split of --data")},
			&cli.StringFlag{Name: "profile-split", Value: "val", Usage: "data split the profiling samples come from: train, val, full-train or test (--split elsewhere; the name keeps it apart from the split pass)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: use("out", "mapping directory")},
			&cli.StringFlag{Name: "dump-after", Usage: "print the IR after this pass"},
			&cli.StringFlag{Name: "stop-after", Usage: "stop after this pass (no mapping is written before verify)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: use("seed", "for the placement annealing and synthetic samples")},
			&cli.Uint64Flag{Name: "random-weights", Usage: "give an architecture --model seeded random weights (testing only)"},
			&cli.BoolFlag{Name: "verify-ir", Usage: "run the IR verifier between passes"},
			&cli.Float64Flag{Name: "effort", Value: 1, Usage: "annealing effort of the placer: 4 spends about 4x the CPU for a few percent fewer message-hops on large boards, 0.25 compiles faster"},
			&cli.IntFlag{Name: "granularity", Usage: granularityUsage()},
			&cli.IntFlag{Name: "C", Usage: use("C", "of an architecture --model (overrides the spec)")},
			&cli.IntFlag{Name: "T", Usage: use("T", "of a NIR or architecture --model (default: "+fmt.Sprint(frontend.DefaultNIRT)+" for NIR, the spec's otherwise)")},
			nirDTFlag(),
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet", "prints only the summary, not the passes")},
			&cli.IntFlag{Name: "size", Usage: use("size", "default: the model's input side")},
			&cli.StringFlag{Name: "cache", Usage: use("cache")},
			&cli.BoolFlag{Name: "allow-empty", Usage: use("allow-empty")},
		},
		Action: runCompile,
	}, "samples", "profile-samples")
}

func runCompile(c *cli.Context) error {
	names := passes.PassNames()
	if err := checks(c, atLeast(0, "profile-samples", "granularity"), inRange("effort", 0, 100, true), ifSet("C", atLeast(1, "C")),
		ifSet("size", frameSize), ifSet("dump-after", oneOf("dump-after", names...)), ifSet("stop-after", oneOf("stop-after", names...)), dataSpec("data", true)); err != nil {
		return err
	}
	auto := c.String("chip") == pipeline.AutoChip
	var t *backends.Target
	var cands []*backends.Target
	var err error
	if auto {
		cands, err = pipeline.DefaultCandidates()
	} else {
		t, err = backends.Resolve(c.String("chip"))
	}
	if err != nil {
		return fmt.Errorf("compile: --chip: %w", err)
	}
	r, err := modelRequest(c, c.String("model"), "--model", pipeline.UseTrained)
	if err != nil {
		return err
	}
	r.Check = func(g *ir.Graph) error { return pipeline.CheckCompile(c.Context, g, c.Int("profile-samples")) }
	m, err := pipeline.LoadModel(r)
	if err != nil {
		return err
	}
	g := m.Graph
	sp, err := dataset.ParseSplit(c.String("profile-split"))
	if err != nil {
		return fmt.Errorf("compile: --profile-split: %w", err)
	}
	if !c.IsSet("stop-after") {
		if err := checks(c, outDir); err != nil {
			return err
		}
	}
	var samples pipeline.Source
	if n := c.Int("profile-samples"); n > 0 {
		opt := dataOptions(c, 0, frameSide(c, 0))
		src, closeData, err := pipeline.OpenDataWith(c.Context, c.String("data"), sp, n, g, c.Uint64("seed"), opt)
		if err != nil {
			return fmt.Errorf("compile: --profile-samples %d of --data %s: %w", n, c.String("data"), err)
		}
		defer closeData()
		samples = src
	}
	out := c.App.Writer
	var log io.Writer = out
	if quiet(c) {
		log = io.Discard
	}
	nsamples := 0
	if samples != nil {
		nsamples = samples.Len()
	}
	opt := pipeline.CompileOptions{Samples: samples, Seed: c.Uint64("seed"), Granularity: c.Int("granularity"), Effort: c.Float64("effort"),
		DumpAfter: c.String("dump-after"), StopAfter: c.String("stop-after"), VerifyIR: c.Bool("verify-ir"), Log: log, Dump: out}
	var res *pipeline.Compiled
	if auto {
		fmt.Fprintf(log, "compiling %s (%d populations) for the smallest of %d built-in targets that holds it, %d profiling samples\n", g.Name, len(g.Pops), len(cands), nsamples)
		ch, err := pipeline.ChooseTarget(c.Context, g, cands, opt)
		if err != nil {
			return fmt.Errorf("compile: --chip %s: %w", pipeline.AutoChip, err)
		}
		pipeline.WriteChoice(out, ch)
		res = ch.Compiled
	} else {
		fmt.Fprintf(log, "compiling %s (%d populations) for %s (%d cores on %d chips), %d profiling samples\n", g.Name, len(g.Pops), t.Name(), t.NumCores, t.NumChips, nsamples)
		if res, err = pipeline.Compile(c.Context, g, t, opt); err != nil {
			return err
		}
	}
	if !res.Mapped() {
		fmt.Fprintf(out, "stopped after %s in %v; no mapping written\n", c.String("stop-after"), res.Duration.Round(1e6))
		return nil
	}
	dir := c.String("out")
	if err := pipeline.WriteMappingDir(dir, res.Unit); err != nil {
		return err
	}
	pipeline.WriteCompileSummary(out, res, dir)
	return nil
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
