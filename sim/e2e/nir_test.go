package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
)

// nirGraph imports frontend/testdata/nir/<name>.nir.
func nirGraph(t *testing.T, name string) *ir.Graph {
	t.Helper()
	g, ok, err := frontend.ReadNIRFile(filepath.Join("..", "..", "frontend", "testdata", "nir", name+".nir"), frontend.NIROptions{})
	if err != nil || !ok {
		t.Fatalf("importing %s: ok %v, %v", name, ok, err)
	}
	return g
}

// TestNIRFixturesOnChip is issue #18's "compile it for loihi1 and simulate
// a few inputs with the rasters equal": every NIR fixture a chip can run
// (residual, snntorch_mlp, cuba with its current-based neurons on Loihi's
// cuba_lif compartments, and conv_net with its LI readout replaced by a
// LIF so that its sum- and average-pool relays are folded and run) compiles
// for loihi1 (lower-ops folds the pools), and the simulator's spike raster
// equals the integer reference executor's on three seeded inputs, every
// population at every step; conv_net as written (an LI readout) is refused
// by the compiler naming the layer.
func TestNIRFixturesOnChip(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles four networks")
	}
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, refused string }{
		{"residual", ""},
		{"snntorch_mlp", ""},
		{"conv_net", "layer li: li population"},
		{"cuba", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nirGraph(t, tc.name)
			if tc.refused != "" {
				u := &passes.Unit{G: nirGraph(t, tc.name), Target: tg}
				if err := passes.Compile(context.Background(), u, passes.Config{}); err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("compile: %v, want %q", err, tc.refused)
				}
				if tc.name != "conv_net" {
					return
				}
				// With a LIF readout the rest of conv_net, its relays
				// folded by lower-ops, runs on the chip (threshold 0.05:
				// the LI membrane stays small at tau 20 steps).
				g.Output().Neuron = ir.Neuron{Model: ir.LIF, Tau: g.Output().Neuron.Tau, Threshold: 0.05}
				for i := range g.Proj("conv2").Weights {
					g.Proj("conv2").Weights[i] /= frontend.DefaultNIRDT // r = 1/dt, so that the IF layer fires
				}
			}
			in := normalisedInputs(g, 3, 18)
			for _, x := range in {
				for i := range x {
					x[i] = 2 * (x[i] + 1) // [0, 4): enough current to fire every layer
				}
			}
			cg := compileReal(t, g, tg, in[:1], 1)
			spikes, per := 0, make([]int, len(cg.Pops))
			for i, x := range in {
				wantRes, want := reference(t, cg, x)
				gotRes, got := simulate(t, cg, tg, x)
				if !rastersEqual(want, got) {
					t.Fatalf("input %d: the simulator's raster differs from the reference executor's", i)
				}
				for p, n := range wantRes.Spikes {
					if gotRes.Result.Spikes[p] != n {
						t.Fatalf("input %d population %s: %d spikes simulated, %d reference", i, cg.Pops[p].Name, gotRes.Result.Spikes[p], n)
					}
					spikes += n
					per[p] += n
				}
			}
			for p, n := range per[1:] {
				if n == 0 {
					t.Errorf("population %s never spiked: its raster is compared vacuously", cg.Pops[p+1].Name)
				}
			}
			t.Logf("%s on loihi1: %d spikes over %d inputs (per population %v), rasters equal", tc.name, spikes, len(in), per[1:])
		})
	}
}
