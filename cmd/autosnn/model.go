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

// resolveArch resolves an architecture argument and applies spec flags.
func resolveArch(c *cli.Context, arg string) (frontend.Spec, error) {
	s, err := frontend.Resolve(arg)
	if err != nil {
		return s, err
	}
	if c.IsSet("C") {
		s.Channels = c.Int("C")
	}
	if c.IsSet("T") {
		s.T = c.Int("T")
	}
	if c.IsSet("classes") {
		s.Classes = c.Int("classes")
	}
	if c.IsSet("input") {
		var in []int
		for _, f := range strings.Split(c.String("input"), ",") {
			var v int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &v); err != nil {
				return s, fmt.Errorf("%s: --input %q: want three integers C,H,W", cmdName(c), c.String("input"))
			}
			in = append(in, v)
		}
		s.Input = in
	}
	return s, nil
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
			nopt, err := nirOptions(c)
			if err != nil {
				return err
			}
			if g, ok, err := frontend.ReadNIRFile(c.Args().First(), nopt); ok {
				// A NIR file has no architecture spec: show its IR.
				if err != nil {
					return err
				}
				if dir := c.String("out"); dir != "" {
					if err := ir.WriteDir(dir, g); err != nil {
						return err
					}
				}
				fmt.Fprint(c.App.Writer, g)
				return nil
			}
			if c.IsSet("dt") {
				return fmt.Errorf("show: --dt is for a NIR file, but %s is not one", c.Args().First())
			}
			s, err := resolveArch(c, c.Args().First())
			if err != nil {
				return err
			}
			g, err := frontend.Lower(s)
			if err != nil {
				return err
			}
			if dir := c.String("out"); dir != "" {
				if err := checks(c, outDir); err != nil {
					return err
				}
				if err := ir.WriteDir(dir, g); err != nil {
					return err
				}
			}
			if c.Bool("ir") {
				fmt.Fprint(c.App.Writer, g)
				return nil
			}
			return pipeline.WriteLayerTable(c.App.Writer, s, g)
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
