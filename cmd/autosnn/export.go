package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search/pipeline"
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
	m, err := loadModel(c, c.String("model"), "--model", pipeline.UseTrained)
	if err != nil {
		return err
	}
	g := m.Graph
	out := c.String("out")
	if err := frontend.WriteNIRFile(out, g, frontend.NIROptions{DT: c.Float64("dt")}); err != nil {
		return fmt.Errorf("export: --model %s: %w", c.String("model"), err)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s: NIR %s, %s (%d populations) with dt %g s\n", out, frontend.NIRVersion, g.Name, len(g.Pops), c.Float64("dt"))
	return nil
}
