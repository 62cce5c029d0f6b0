package passes

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// nirFixture imports frontend/testdata/nir/<name>.nir with the default
// options.
func nirFixture(t *testing.T, name string) *ir.Graph {
	t.Helper()
	g, ok, err := frontend.ReadNIRFile(filepath.Join("..", "frontend", "testdata", "nir", name+".nir"), frontend.NIROptions{})
	if err != nil || !ok {
		t.Fatalf("importing %s: ok %v, %v", name, ok, err)
	}
	return g
}

// convNetFiring imports conv_net.nir with its IF layer's input scaled by
// 1/dt (so that it fires: the file's r = 1 charges dt*I per step).
func convNetFiring(t *testing.T) *ir.Graph {
	t.Helper()
	g := nirFixture(t, "conv_net")
	for i := range g.Proj("conv2").Weights {
		g.Proj("conv2").Weights[i] /= frontend.DefaultNIRDT
	}
	return g
}

// TestFoldPoolRelays: conv_net's sum-pool and average-pool relays fold
// into the conv2d and dense projections after them, the folded graph
// computes what the imported one computes (the reference executor, every
// population at every step, on seeded inputs).
func TestFoldPoolRelays(t *testing.T) {
	g, folded := convNetFiring(t), convNetFiring(t)
	if n, err := foldPoolRelays(folded); n != 2 || err != nil {
		t.Fatalf("foldPoolRelays(conv_net) = %d, %v; want 2 folds", n, err)
	}
	if folded.Pop("pool1") != nil || folded.Pop("pool2") != nil || len(folded.Pops) != 4 {
		t.Fatalf("folded graph:\n%v\nwant the relays pool1 and pool2 gone", folded)
	}
	c2 := folded.Proj("conv2")
	if c2.Src.Name != "lif1" || c2.Kernel != 6 || c2.Stride != 2 || c2.Pad != 2 || folded.Proj("fc").Src.Name != "if2" {
		t.Fatalf("conv2 %s k%d s%d p%d, fc from %s; want conv2 from lif1 k6 s2 p2 (3x3 after a 2x2 sum-pool), fc from if2", c2.Src.Name, c2.Kernel, c2.Stride, c2.Pad, folded.Proj("fc").Src.Name)
	}
	if err := ir.Verify(folded); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(18, 2))
	spikes := 0
	for n := range 3 {
		x := make([]float32, g.Input().Shape.Len())
		for i := range x {
			x[i] = float32(4 * r.Float64())
		}
		want, got := runSteps(t, g, x), runSteps(t, folded, x)
		for step := range want {
			for name, w := range want[step] {
				f, ok := got[step][name]
				if !ok {
					continue
				}
				for j := range w {
					if math.Abs(float64(f[j]-w[j])) > 1e-4*math.Max(1, math.Abs(float64(w[j]))) {
						t.Fatalf("input %d step %d population %s neuron %d: %g folded, %g imported", n, step, name, j, f[j], w[j])
					}
					if name == "if2" && w[j] != 0 {
						spikes++
					}
				}
			}
		}
	}
	if spikes == 0 {
		t.Fatal("if2, behind both folds, never fired: vacuous")
	}
	t.Logf("if2 fired %d times over 3 inputs", spikes)
}

// runSteps returns every population's output at every step, by name.
func runSteps(t *testing.T, g *ir.Graph, x []float32) []map[string][]float32 {
	t.Helper()
	e, err := ir.NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string][]float32
	if _, err := e.Run(x, func(step, p int, o []float32) {
		for len(out) <= step {
			out = append(out, map[string][]float32{})
		}
		out[step][g.Pops[p].Name] = append([]float32(nil), o...)
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFoldPoolRelaysRefuses: a pool whose window at the conv's padding
// reads the source is not folded, and lower-ops names the relay.
func TestFoldPoolRelaysRefuses(t *testing.T) {
	g := convNetFiring(t)
	p := g.Proj("pool1.sumpool")
	p.Kernel, p.Pad = 3, 1 // 28 -> 14 still, but relay row 14 (the conv's padding) would read source row 27
	if err := lowerOpsPass(newUnit(t, g, "loihi1", nil)); err == nil || !strings.Contains(err.Error(), "layer pool1: relay pool1 behind sumpool pool1.sumpool: conv2d conv2 reads relay row 14, whose pool window starts at source row 27 of 28") {
		t.Errorf("overlapping pool: %v, want the fold of relay pool1 refused", err)
	}
}

// TestCubaLIFLowering: the imported CubaLIF (cuba.nir: tau_syn 2 steps,
// tau_mem 5) is one cuba_lif population that loihi1 runs with its
// synaptic decay quantized to 1/2 of 2^12, and that chips without
// current-based neurons refuse naming the layer and the chips that have
// them.
func TestCubaLIFLowering(t *testing.T) {
	g := nirFixture(t, "cuba")
	if p := g.Pop("cuba"); p == nil || p.Neuron.Model != ir.CubaLIF || len(g.Pops) != 2 {
		t.Fatalf("imported cuba.nir:\n%v\nwant one cuba_lif population cuba", g)
	}
	u := newUnit(t, g, "loihi1", nil)
	runPasses(t, u, "fold-bn", "lower-ops", "quantize")
	if q := g.Pop("cuba").Q; q.SynDecay != 2048 || q.DecayBits != 12 || q.Decay != 819 {
		t.Errorf("cuba quantized with synaptic decay %d, decay %d of 2^%d; want 2048 (ks 1/2) and 819 (k 1/5) of 2^12", q.SynDecay, q.Decay, q.DecayBits)
	}
	for _, chip := range []string{"truenorth", "tiny"} {
		err := lowerOpsPass(newUnit(t, nirFixture(t, "cuba"), chip, nil))
		if err == nil || !strings.Contains(err.Error(), "layer cuba: cuba_lif neurons") || !strings.Contains(err.Error(), "loihi1") {
			t.Errorf("%s: lower-ops = %v, want cuba refused naming the chips with cuba_lif neurons", chip, err)
		}
	}
	if _, err := cubaSynDecay(ir.Neuron{Model: ir.CubaLIF, Tau: 1, SynTau: 3}, 0); err == nil {
		t.Error("a synaptic decay of 1/3 was rounded to a chip without decay bits")
	}
}

// TestLIReadout: conv_net's LI readout (tau 20 steps) runs on loihi1 as a
// compartment whose membrane the host probes (quantized, never firing); a
// chip with a linear leak only refuses it naming the layer, and an li
// population that feeds another layer is refused on any chip.
func TestLIReadout(t *testing.T) {
	u := newUnit(t, convNetFiring(t), "loihi1", nil)
	runPasses(t, u, "fold-bn", "lower-ops", "quantize")
	if q := u.G.Pop("li").Q; q == nil || q.Decay != 205 || q.DecayBits != 12 {
		t.Errorf("li quantized as %+v, want decay 205 of 2^12 (k = 1/20)", q)
	}
	err := lowerOpsPass(newUnit(t, convNetFiring(t), "truenorth", nil))
	if err == nil || !strings.Contains(err.Error(), "layer li: the li readout (tau 20 steps) needs a core model with a multiplicative decay") {
		t.Errorf("truenorth: lower-ops = %v, want the li readout refused", err)
	}
	g := convNetFiring(t)
	li := g.Pop("li")
	out := &ir.Population{Name: "head", Shape: li.Shape, Neuron: ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, Role: li.Role}
	g.Pops = append(g.Pops, out)
	g.Projs = append(g.Projs, &ir.Projection{Name: "li->head", Src: li, Dst: out, Op: ir.Identity})
	if err := ir.Verify(g); err != nil {
		t.Fatal(err)
	}
	err = lowerOpsPass(newUnit(t, g, "loihi1", nil))
	if err == nil || !strings.Contains(err.Error(), "layer li: li population (a leaky integrator whose output is its membrane) feeds other layers") {
		t.Errorf("li inside the network: lower-ops = %v, want it refused naming the layer", err)
	}
}
