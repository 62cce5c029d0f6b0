package main

import (
	"fmt"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/urfave/cli/v2"
)

// chipsCommand lists the built-in chip profiles and shows one profile.
func chipsCommand() *cli.Command {
	return &cli.Command{
		Name:      "chips",
		Usage:     "list the built-in neuromorphic chip profiles",
		ArgsUsage: " ",
		Description: "Prints the built-in single chips and boards (several chips) as two tables, one line each:\n" +
			"cores, mesh (tiles x tiles x cores per tile), neurons and synaptic memory per core; for a chip\n" +
			"its fan-in and energy per synaptic operation, for a board its chips and inter-chip hop cost.\n" +
			"Use 'autosnn chips show NAME|FILE' for a whole profile.",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("chips: unexpected argument %q (did you mean 'chips show %s'?)", c.Args().First(), c.Args().First())
			}
			var targets []*backends.Target
			for _, name := range backends.Builtins() {
				t, err := backends.Lookup(name)
				if err != nil {
					return fmt.Errorf("chips: %w", err)
				}
				targets = append(targets, t)
			}
			return backends.WriteTable(c.App.Writer, targets)
		},
		Subcommands: []*cli.Command{{
			Name:      "show",
			Usage:     "print one chip profile with units",
			ArgsUsage: "NAME|FILE",
			Description: "NAME is a built-in profile (see 'autosnn chips'); FILE is a chip-profile YAML file.\n" +
				"With --yaml the profile is printed as YAML: the embedded source with its citations for\n" +
				"a built-in, the canonical form for a file (a starting point for a new profile).\n" +
				"With --sanafe it prints the chip as a SANA-FE architecture file (one-chip targets only).",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "yaml", Usage: "print the profile as YAML instead of text"},
				&cli.BoolFlag{Name: "sanafe", Usage: use("sanafe", "print the chip as a SANA-FE architecture file (ARCH.yaml) instead")},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					for _, a := range c.Args().Slice() {
						if strings.HasPrefix(a, "-") {
							return fmt.Errorf("chips show: flag %s after the chip name, want flags first: autosnn chips show %s NAME", a, a)
						}
					}
					return fmt.Errorf("chips show: got %d arguments, want one chip NAME or FILE", c.NArg())
				}
				arg := c.Args().First()
				t, err := backends.Resolve(arg)
				if err != nil {
					return fmt.Errorf("chips show: %w", err)
				}
				switch {
				case c.Bool("yaml") && c.Bool("sanafe"):
					return fmt.Errorf("chips show: got both --yaml and --sanafe, want at most one")
				case c.Bool("sanafe"):
					return backends.WriteSANAFEArch(c.App.Writer, t)
				case !c.Bool("yaml"):
					return t.WriteText(c.App.Writer)
				}
				// Resolve prefers a built-in name over a file of that name.
				out, err := backends.BuiltinSource(arg)
				if err != nil {
					if out, err = backends.Marshal(&t.Profile); err != nil {
						return fmt.Errorf("chips show: %w", err)
					}
				}
				_, err = c.App.Writer.Write(out)
				return err
			},
		}},
	}
}
