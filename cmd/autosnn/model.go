package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/pipeline"
)

// zooCommand lists the built-in architectures.
func zooCommand() *cli.Command {
	return &cli.Command{
		Name:   "zoo",
		Usage:  "list the built-in architectures with their sizes",
		Action: func(c *cli.Context) error { return pipeline.WriteZoo(c.App.Writer) },
	}
}

// modelRequest is the pipeline's request for the model argument arg,
// named flag in errors ("" for a positional argument), for use: the NIR
// import options (--dt, --T) and the spec overrides (--C, --T, --classes,
// --input) and --random-weights of the commands that have them.
func modelRequest(c *cli.Context, arg, flag string, use pipeline.ModelUse) (pipeline.ModelRequest, error) {
	nopt, err := nirOptions(c)
	if err != nil {
		return pipeline.ModelRequest{}, err
	}
	r := pipeline.ModelRequest{Arg: arg, Flag: flag, Use: use, NIR: nopt, DTSet: c.IsSet("dt"), TSet: c.IsSet("T"), Command: cmdName(c),
		C: c.Int("C"), T: c.Int("T"), Classes: c.Int("classes"), RandomWeights: c.Uint64("random-weights"), RandomSet: c.IsSet("random-weights")}
	if c.IsSet("input") {
		for _, f := range strings.Split(c.String("input"), ",") {
			var v int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &v); err != nil {
				return r, fmt.Errorf("%s: --input %q: want three integers C,H,W", cmdName(c), c.String("input"))
			}
			r.Input = append(r.Input, v)
		}
	}
	return r, nil
}

// loadModel loads the model argument arg (named flag) for use; its errors
// name the command.
func loadModel(c *cli.Context, arg, flag string, use pipeline.ModelUse) (*pipeline.Model, error) {
	r, err := modelRequest(c, arg, flag, use)
	if err != nil {
		return nil, err
	}
	return pipeline.LoadModel(r)
}

// showCommand prints the layer table of an architecture.
func showCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "print the layer table of an architecture (zoo name, spec file or block list)",
		ArgsUsage: "ARCH|FILE",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "ir", Usage: "print the IR dump instead of the table"},
			&cli.StringFlag{Name: "out", Usage: use("out", "also write the IR (graph.yaml) to this directory")},
			nirDTFlag(),
		}, specFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				for _, a := range c.Args().Slice() {
					if strings.HasPrefix(a, "-") {
						return fmt.Errorf("show: flag %s after the architecture, want flags first: autosnn show %s ARCH", a, a)
					}
				}
				return fmt.Errorf("show: want one architecture argument, got %d", c.NArg())
			}
			if err := checks(c, ifSet("C", atLeast(1, "C")), ifSet("T", atLeast(1, "T")), ifSet("classes", atLeast(2, "classes"))); err != nil {
				return err
			}
			m, err := loadModel(c, c.Args().First(), "", pipeline.UseShow)
			if err != nil {
				return err
			}
			g := m.Graph
			if g == nil {
				if g, err = frontend.Lower(m.Spec); err != nil {
					return err
				}
			}
			if dir := c.String("out"); dir != "" {
				if err := checks(c, outDir); err != nil {
					return err
				}
				if err := ir.WriteDir(dir, g); err != nil {
					return err
				}
			}
			if c.Bool("ir") || m.Graph != nil { // a graph file has no spec: show its IR
				fmt.Fprint(c.App.Writer, g)
				return nil
			}
			return pipeline.WriteLayerTable(c.App.Writer, m.Spec, g)
		},
	}
}

// nirDTFlag is --dt of a command that imports a NIR file.
func nirDTFlag() cli.Flag {
	return &cli.Float64Flag{Name: "dt", Value: frontend.DefaultNIRDT, Usage: use("dt", "of a NIR file")}
}

// nirOptions are the import options of a NIR model argument: --dt (in
// (0, 1] seconds) and --T (timesteps, >= 1) when the command has it and it
// is set; T 0 leaves frontend.DefaultNIRT.
func nirOptions(c *cli.Context) (frontend.NIROptions, error) {
	dt := c.Float64("dt")
	if !(dt > 0) || dt > 1 {
		return frontend.NIROptions{}, fmt.Errorf("%s: --dt %g, want a timestep in seconds in (0, 1]", cmdName(c), dt)
	}
	opt := frontend.NIROptions{DT: dt}
	if c.IsSet("T") {
		if opt.T = c.Int("T"); opt.T < 1 {
			return frontend.NIROptions{}, fmt.Errorf("%s: --T %d, want at least 1 timestep", cmdName(c), opt.T)
		}
	}
	return opt, nil
}
