package e2e

import (
	"fmt"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// nirFixtureInputs imports NIR fixture name and returns it with n seeded
// inputs scaled to [0, 4), conv_net's conv2 scaled by 1/dt so that its IF
// layer fires (as TestNIRFixturesOnChip does).
func nirFixtureInputs(t *testing.T, name string, n int) (*ir.Graph, [][]float32) {
	t.Helper()
	g := nirGraph(t, name)
	if name == "conv_net" {
		for i := range g.Proj("conv2").Weights {
			g.Proj("conv2").Weights[i] /= frontend.DefaultNIRDT
		}
	}
	in := normalisedInputs(g, n, 18)
	for _, x := range in {
		for i := range x {
			x[i] = 2 * (x[i] + 1)
		}
	}
	return g, in
}

// TestNIRChipIsDelayedTrained: the cuba fixture (cuba_lif populations) and
// the conv_net fixture (an LI readout) compiled for loihi1 are chains, so
// in Chip semantics population p at depth d computes at step t+d-1 exactly
// what it computes at step t in Trained semantics: the cuba_lif spikes
// spike for spike, and the readout's probed potential value for value,
// hence the same votes (the readout's summed potential, read over the last
// T of the T+D-1 chip steps). As in TestChipChainIsDelayedTrained it holds
// with the biases and without: the fill-in steps hold a population's
// membrane and synaptic current at 0 and integrate no bias.
func TestNIRChipIsDelayedTrained(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles two NIR networks")
	}
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	for _, fixture := range []string{"cuba", "conv_net"} {
		g, in := nirFixtureInputs(t, fixture, 3)
		cg := compileReal(t, g, tg, in[:1], 1)
		want := ir.CubaLIF
		if fixture == "conv_net" {
			want = ir.LI
		}
		models := 0
		for _, p := range cg.Pops[1:] {
			if p.Neuron.Model == want {
				models++
			}
		}
		if models == 0 {
			t.Fatalf("%s compiled without a %v population: vacuous", fixture, want)
		}
		biased := 0
		for _, p := range cg.Pops[1:] {
			if p.Q.Bias != nil {
				biased++
			}
		}
		for _, bias := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/bias=%v", fixture, bias), func(t *testing.T) {
				if !bias {
					if biased == 0 {
						t.Skipf("%s has no bias: the bias=true case already covers it", fixture)
					}
					for _, p := range cg.Pops[1:] {
						p.Q.Bias = nil
					}
				}
				first, depth := ir.Depths(cg, true)
				for p := range cg.Pops {
					if first[p] != depth[p] {
						t.Fatalf("population %s: first input at depth %d, longest path %d: not a chain, the test assumes one", cg.Pops[p].Name, first[p], depth[p])
					}
				}
				out := len(cg.Pops) - 1
				checked, nonzero := 0, 0
				for i, x := range in {
					tr, trR := simulate(t, cg, tg, x)
					s, err := sim.NewWithOptions(cg, tg, sim.Options{Semantics: sim.Chip})
					if err != nil {
						t.Fatal(err)
					}
					var chR raster
					ch, err := s.Run(x, chR.observe)
					if err != nil {
						t.Fatal(err)
					}
					if len(chR) != cg.T+depth[out]-1 || s.OutputOffset() != depth[out]-1 {
						t.Fatalf("input %d: %d chip steps, offset %d; want T+D-1 = %d, D-1 = %d", i, len(chR), s.OutputOffset(), cg.T+depth[out]-1, depth[out]-1)
					}
					diffs := 0
					for step := 0; step < cg.T; step++ {
						for p := 1; p < len(cg.Pops); p++ {
							a, b := trR[step][p], chR[step+depth[p]-1][p]
							for j := range a {
								checked++
								if a[j] != 0 {
									nonzero++
								}
								if a[j] != b[j] {
									if diffs < 5 {
										t.Errorf("input %d population %s neuron %d: trained step %d gives %v, chip step %d gives %v", i, cg.Pops[p].Name, j, step, a[j], step+depth[p]-1, b[j])
									}
									diffs++
								}
							}
						}
					}
					if diffs != 0 {
						t.Errorf("input %d: %d values of the chip raster differ from the trained raster delayed by depth-1", i, diffs)
					}
					// Before its first input (fill-in) and after its T
					// steps (fill-out, zero input) a population of a chain
					// driven only through synapses outputs nothing but
					// what the drained state gives; the comparison window
					// above is the one the votes read.
					for c := range tr.Result.Counter {
						if tr.Result.Counter[c] != ch.Result.Counter[c] {
							t.Errorf("input %d: votes %v in chip semantics, want the trained %v", i, ch.Result.Counter, tr.Result.Counter)
							break
						}
					}
					if tr.Predicted != ch.Predicted {
						t.Errorf("input %d: predicted %d in chip semantics, %d trained", i, ch.Predicted, tr.Predicted)
					}
				}
				if nonzero == 0 {
					t.Fatal("every compared value is 0: vacuous")
				}
				t.Logf("%s bias=%v: %d values compared (%d nonzero), depths %v", fixture, bias, checked, nonzero, depth)
			})
		}
	}
}
