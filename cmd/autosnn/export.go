package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// exportCommand writes a network in an exchange format (NIR).
func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write a trained network as a NIR file for other neuromorphic toolchains",
		Description: "Writes --model as NIR (the Neuromorphic Intermediate Representation, an HDF5 file read by\n" +
			"snnTorch, Norse, sinabs, Rockpool, Lava and others; docs/nir.md). Batch-norms are folded into the\n" +
			"convolutions, PLIF neurons become LIF nodes with tau = dt/k, a max-pool over spikes becomes a\n" +
			"SumPool2d into a Threshold node, the voting layer a Linear node. What NIR cannot express (ReLU\n" +
			"layers, a max-pool over analog values) is refused naming the layer. autosnn reads the file back\n" +
			"wherever it takes a model (NIR import, with the same --dt).\n\n" +
			"--model is a training checkpoint, an IR directory, a NIR file, or, for testing, an architecture\n" +
			"(zoo name, spec file or block list) with --random-weights SEED.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "nir", Usage: use("format", "nir (the only one)")},
			&cli.StringFlag{Name: "model", Required: true, Usage: use("model", "checkpoint file, IR directory, NIR file, or architecture with --random-weights")},
			&cli.StringFlag{Name: "out", Required: true, Usage: use("out", "the NIR file")},
			&cli.Uint64Flag{Name: "random-weights", Usage: use("random-weights")},
			&cli.Float64Flag{Name: "dt", Value: frontend.DefaultNIRDT, Usage: use("dt")},
			&cli.IntFlag{Name: "C", Usage: use("C", "of an architecture --model (overrides the spec)")},
		},
		Action: runExport,
	}
}

func runExport(c *cli.Context) error {
	if err := checks(c, oneOf("format", "nir"), ifSet("C", atLeast(1, "C"))); err != nil {
		return err
	}
	if dt := c.Float64("dt"); !(dt > 0) || dt > 1 {
		return fmt.Errorf("export: --dt %g, want a timestep in seconds in (0, 1]", dt)
	}
	g, err := exportModel(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := frontend.WriteNIRFile(out, g, frontend.NIROptions{DT: c.Float64("dt")}); err != nil {
		return fmt.Errorf("export: --model %s: %w", c.String("model"), err)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s: NIR %s, %s (%d populations) with dt %g s\n", out, frontend.NIRVersion, g.Name, len(g.Pops), c.Float64("dt"))
	return nil
}

// exportModel reads --model: a trained graph, or an architecture given
// --random-weights.
func exportModel(c *cli.Context) (*ir.Graph, error) {
	arg := c.String("model")
	m, err := frontend.ReadModelNIR(arg, frontend.NIROptions{DT: c.Float64("dt")})
	if err != nil {
		return nil, fmt.Errorf("export: --model: %w", err)
	}
	if m.Graph != nil {
		if c.IsSet("random-weights") {
			return nil, fmt.Errorf("export: --random-weights is for an architecture --model, but %s is a trained network", arg)
		}
		return m.Graph, nil
	}
	s, err := resolveArch(c, arg)
	if err != nil {
		return nil, fmt.Errorf("export: --model %s: %w", arg, err)
	}
	if !c.IsSet("random-weights") {
		return nil, fmt.Errorf("export: --model %s is an untrained architecture; export a checkpoint, or pass --random-weights SEED to test with seeded random weights", arg)
	}
	g, err := frontend.Lower(s)
	if err != nil {
		return nil, fmt.Errorf("export: --model %s: %w", arg, err)
	}
	frontend.RandomWeights(g, c.Uint64("random-weights"))
	return g, nil
}
