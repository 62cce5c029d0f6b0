package e2e

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
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
// a few inputs with the rasters equal": every NIR fixture compiles for
// loihi1 (lower-ops folds conv_net's pools; cuba runs on Loihi's cuba_lif
// compartments; conv_net's LI readout is a compartment whose membrane the
// host probes), and the simulator's raster equals the integer reference
// executor's on three seeded inputs, every population at every step (the
// readout's raster is its probed potential), as do the votes. conv_net
// also runs with its readout replaced by a LIF, so that every population
// spikes.
func TestNIRFixturesOnChip(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles five networks")
	}
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, fixture string
		lifReadout    bool
	}{
		{"residual", "residual", false},
		{"snntorch_mlp", "snntorch_mlp", false},
		{"conv_net", "conv_net", false},
		{"conv_net-lif", "conv_net", true},
		{"cuba", "cuba", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nirGraph(t, tc.fixture)
			if tc.fixture == "conv_net" {
				for i := range g.Proj("conv2").Weights {
					g.Proj("conv2").Weights[i] /= frontend.DefaultNIRDT // r = 1/dt, so that the IF layer fires
				}
			}
			if tc.lifReadout { // threshold 0.05: the LI membrane stays small at tau 20 steps
				g.Output().Neuron = ir.Neuron{Model: ir.LIF, Tau: g.Output().Neuron.Tau, Threshold: 0.05}
			}
			readout := g.Output().Neuron.Model == ir.LI
			in := normalisedInputs(g, 3, 18)
			for _, x := range in {
				for i := range x {
					x[i] = 2 * (x[i] + 1) // [0, 4): enough current to fire every layer
				}
			}
			cg := compileReal(t, g, tg, in[:1], 1)
			spikes, per, probed := 0, make([]int, len(cg.Pops)), 0
			for i, x := range in {
				wantRes, want := reference(t, cg, x)
				gotRes, got := simulate(t, cg, tg, x)
				if !rastersEqual(want, got) {
					t.Fatalf("input %d: the simulator's raster differs from the reference executor's", i)
				}
				if !slices.Equal(wantRes.Counter, gotRes.Result.Counter) {
					t.Fatalf("input %d: votes %v simulated, %v reference", i, gotRes.Result.Counter, wantRes.Counter)
				}
				for p, n := range wantRes.Spikes {
					if gotRes.Result.Spikes[p] != n {
						t.Fatalf("input %d population %s: %d spikes simulated, %d reference", i, cg.Pops[p].Name, gotRes.Result.Spikes[p], n)
					}
					spikes += n
					per[p] += n
				}
				for _, step := range want {
					for _, v := range step[len(cg.Pops)-1] {
						if v != 0 {
							probed++
						}
					}
				}
			}
			for p, n := range per[1:] {
				if n == 0 && !(readout && p+1 == len(cg.Pops)-1) {
					t.Errorf("population %s never spiked: its raster is compared vacuously", cg.Pops[p+1].Name)
				}
			}
			if readout && probed == 0 {
				t.Error("the readout's potential stayed 0: compared vacuously")
			}
			t.Logf("%s on loihi1: %d spikes over %d inputs (per population %v), %d nonzero outputs of %s, rasters and votes equal", tc.name, spikes, len(in), per[1:], probed, cg.Output().Name)
		})
	}
}
