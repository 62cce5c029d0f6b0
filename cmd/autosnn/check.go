package main

// This file holds the flag checks every command runs first thing, before
// it reads a dataset or writes a file: ranges of numbers and names from a
// list, each error naming the flag, the value and what was expected.

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// check is one flag check; checks runs them in order and returns the
// first error prefixed with the command name.
type check func(c *cli.Context) error

func checks(c *cli.Context, cs ...check) error {
	for _, ch := range cs {
		if err := ch(c); err != nil {
			return fmt.Errorf("%s: %w", cmdName(c), err)
		}
	}
	return nil
}

// cmdName is the command path of c without the program name: "train",
// "data inspect".
func cmdName(c *cli.Context) string {
	if h := c.Command.HelpName; h != "" {
		return strings.TrimPrefix(h, c.App.Name+" ")
	}
	return c.Command.Name
}

// atLeast refuses an int flag below lo.
func atLeast(lo int, flags ...string) check {
	return func(c *cli.Context) error {
		for _, f := range flags {
			if v := c.Int(f); v < lo {
				return fmt.Errorf("--%s %d, want >= %d", f, v, lo)
			}
		}
		return nil
	}
}

// ifSet applies ch only when flag was given (flags whose 0 default means
// "from the spec" or "from the checkpoint").
func ifSet(flag string, ch check) check {
	return func(c *cli.Context) error {
		if !c.IsSet(flag) {
			return nil
		}
		return ch(c)
	}
}

// inRange refuses a float flag outside [lo, hi] (or (lo, hi] when
// openLo), and NaN or infinity.
func inRange(flag string, lo, hi float64, openLo bool) check {
	return func(c *cli.Context) error {
		v := c.Float64(flag)
		bad := math.IsNaN(v) || math.IsInf(v, 0) || v > hi || v < lo || (openLo && v == lo)
		if !bad {
			return nil
		}
		left := "["
		if openLo {
			left = "("
		}
		right := fmt.Sprintf("%g]", hi)
		if math.IsInf(hi, 1) {
			right = "inf)"
		}
		return fmt.Errorf("--%s %g, want a number in %s%g, %s", flag, v, left, lo, right)
	}
}

// positive refuses a float flag <= 0; nonNegative one < 0.
func positive(flag string) check    { return inRange(flag, 0, math.Inf(1), true) }
func nonNegative(flag string) check { return inRange(flag, 0, math.Inf(1), false) }

// oneOf refuses a string flag that is not one of names.
func oneOf(flag string, names ...string) check {
	return func(c *cli.Context) error {
		if v := c.String(flag); !slices.Contains(names, v) {
			return fmt.Errorf("--%s %q, want one of %s", flag, v, strings.Join(names, ", "))
		}
		return nil
	}
}

// frameSize checks --size: the event-frame side, 1 to 128 pixels.
func frameSize(c *cli.Context) error {
	if v := c.Int("size"); v < 1 || v > 128 {
		return fmt.Errorf("--size %d, want 1 <= pixels <= 128 (the sensor is 128x128)", v)
	}
	return nil
}

// outDir creates --out as a directory and checks it is writable
// (pipeline.PrepareOut); outFile checks --out as a file path
// (pipeline.CheckOutFile).
func outDir(c *cli.Context) error {
	if err := pipeline.PrepareOut(c.String("out")); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

func outFile(c *cli.Context) error {
	if err := pipeline.CheckOutFile(c.String("out")); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// evoChecks checks the evoFlags.
func evoChecks() []check {
	return []check{atLeast(1, "evals", "rounds", "pool", "topk"), atLeast(0, "mutations", "crossovers"),
		inRange("mutation-prob", 0, 1, false)}
}

// frameSide is the event-frame side to load data at: --size when given,
// else side (the network's input height) when it is a side the sensor can
// be binned to, else 0 (the dataset's default, 128).
func frameSide(c *cli.Context, side int) int {
	if c.IsSet("size") {
		return c.Int("size")
	}
	if side >= 1 && side <= 128 {
		return side
	}
	return 0
}

// dataSpec checks that string flag names a dataset spec name[:path]
// (dataset.ParseSpec), or SyntheticData when synthetic is true; the files
// are read later, after the output is prepared.
func dataSpec(flag string, synthetic bool) check {
	return func(c *cli.Context) error {
		s := c.String(flag)
		if synthetic && s == pipeline.SyntheticData {
			return nil
		}
		if _, err := dataset.ParseSpec(s); err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
		return nil
	}
}
