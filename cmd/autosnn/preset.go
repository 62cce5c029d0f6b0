package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search/experiments"
)

// presetFlag is --preset, a training recipe (experiments.Presets).
func presetFlag() cli.Flag {
	return &cli.StringFlag{Name: "preset", Usage: use("preset")}
}

// applyPreset gives the flags of the --preset recipe that the command has
// and the command line does not set the recipe's values; flags given
// explicitly win. It runs before the command's checks.
func applyPreset(c *cli.Context) error {
	if !c.IsSet("preset") {
		return nil
	}
	p, err := experiments.LookupPreset(c.String("preset"))
	if err != nil {
		return fmt.Errorf("--preset: %w", err)
	}
	data := c.String("data")
	if p.Data != "" && c.IsSet("data") {
		p.Data = "" // the explicit --data wins
	}
	var names []string
	for _, f := range c.Command.Flags {
		names = append(names, f.Names()...)
	}
	for name, v := range p.Flags(data) {
		if !slices.Contains(names, name) || c.IsSet(name) {
			continue
		}
		if err := c.Set(name, v); err != nil {
			return fmt.Errorf("--preset %s: --%s %s: %w", p.Name, name, v, err)
		}
	}
	return nil
}
