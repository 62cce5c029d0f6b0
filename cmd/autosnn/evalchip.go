package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// evalChips resolves eval's --chip list (nil without --chip).
func evalChips(c *cli.Context) ([]*backends.Target, error) {
	if !c.IsSet("chip") {
		return nil, nil
	}
	var chips []*backends.Target
	for name := range strings.SplitSeq(c.String("chip"), ",") {
		t, err := backends.Resolve(strings.TrimSpace(name))
		if err != nil {
			return nil, fmt.Errorf("eval: --chip: %w", err)
		}
		chips = append(chips, t)
	}
	return chips, nil
}

// evalOnChips is eval --chip: the float network and its integer form for
// each chip on the first --eval-limit images (all without it).
func evalOnChips(c *cli.Context, chips []*backends.Target, g *ir.Graph, from, data string, set *dataset.Set, sp dataset.Split) error {
	n := c.Int("eval-limit")
	if n == 0 || n > set.Len(sp) {
		n = set.Len(sp)
	}
	src, err := pipeline.OpenSource(set, sp, n, g)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	load := func() (*ir.Graph, error) {
		m, err := loadModel(c, c.String("model"), "--model", pipeline.UseEval)
		if err != nil {
			return nil, err
		}
		return m.Graph, nil
	}
	rows, err := pipeline.ChipAccuracies(c.Context, load, chips, src)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	fmt.Fprintf(c.App.Writer, "model %s (%s) on %s %s: %d images, float vs each chip's integer network\n", g.Name, from, data, sp, rows[0].Images)
	return pipeline.WriteChipAccuracies(c.App.Writer, rows)
}
