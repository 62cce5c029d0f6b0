package e2e

import (
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// TestChipBalancedEqualsTrained: the AutoSNN network (C = 4, 16x16
// inputs, four residual joins) compiled for loihi1, whose delay pass
// balances every join, computes in Chip semantics exactly the reference
// (Trained) spikes, population p delayed by its depth - 1, with the same
// votes, biases included. With the delays reset to one step per synapse
// (no balancing) the joins hear their paths at different steps and the
// rasters differ.
func TestChipBalancedEqualsTrained(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a zoo network")
	}
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	g := zooGraph(t, "autosnn", 4, 16, 1)
	in := normalisedInputs(g, 2, 1)
	g = compileReal(t, g, tg, in[:1], 1)
	delayed := 0
	for _, e := range g.Projs {
		if e.Delay > 1 {
			delayed++
		}
	}
	if delayed == 0 {
		t.Fatal("the delay pass delayed nothing: vacuous")
	}
	run := func(x []float32) (sim.ImageResult, raster, []int) {
		s, err := sim.NewWithOptions(g, tg, sim.Options{Semantics: sim.Chip})
		if err != nil {
			t.Fatal(err)
		}
		var r raster
		res, err := s.Run(x, r.observe)
		if err != nil {
			t.Fatal(err)
		}
		_, depth := ir.Depths(g, true)
		return res, r, depth
	}
	// diffs counts the spikes of the Chip raster that differ from the
	// reference's delayed by depth - 1.
	diffs := func(want, got raster, depth []int) int {
		n := 0
		for step := 0; step < g.T; step++ {
			for p := 1; p < len(g.Pops); p++ {
				a, b := want[step][p], got[step+depth[p]-1][p]
				for j := range a {
					if a[j] != b[j] {
						n++
					}
				}
			}
		}
		return n
	}
	for i, x := range in {
		wantRes, want := reference(t, g, x)
		res, got, depth := run(x)
		if n := diffs(want, got, depth); n != 0 {
			t.Errorf("image %d: %d spikes differ from the delayed reference", i, n)
		}
		for c := range wantRes.Counter {
			if res.Result.Counter[c] != wantRes.Counter[c] {
				t.Errorf("image %d: votes %v, want %v", i, res.Result.Counter, wantRes.Counter)
				break
			}
		}
	}
	for _, e := range g.Projs {
		e.Delay = 0
	}
	if err := ir.Verify(g); err != nil {
		t.Fatal(err)
	}
	wantRes, want := reference(t, g, in[0])
	_, got, depth := run(in[0])
	if n := diffs(want, got, depth); n == 0 {
		t.Errorf("without delays the Chip raster equals the delayed reference (%v spikes): the joins are not tested", wantRes.Spikes)
	}
}
