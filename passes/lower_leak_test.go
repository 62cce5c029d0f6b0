package passes

import (
	"math"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// modelsTarget returns the tiny chip with only the given neuron models.
func modelsTarget(t *testing.T, name string, models ...string) *backends.Target {
	t.Helper()
	p := target(t, "tiny").Profile
	p.Name = name
	p.Core.NeuronModels = models
	tg, err := backends.NewTarget(&p, "test:"+name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestLeakOn pins which built-in chips run leaky neurons with a decay and
// which with a linear leak.
func TestLeakOn(t *testing.T) {
	want := map[string]leakForm{
		"loihi1": leakDecay, "loihi1-sanafe": leakDecay, "loihi2": leakDecay, "spinnaker1": leakDecay,
		"spinnaker2": leakDecay, "tiny": leakDecay, "tiny-2chip": leakDecay, "truenorth": leakLinear, "speck": leakLinear,
		"loihi1-kapoho-bay": leakDecay, "loihi1-nahuku32": leakDecay, "loihi1-pohoiki-beach": leakDecay,
		"loihi2-kapoho-point": leakDecay, "spinnaker1-spin5": leakDecay, "truenorth-ns16e": leakLinear,
	}
	for _, name := range backends.Builtins() {
		w, ok := want[name]
		if !ok {
			t.Errorf("built-in %s: no expected leak form in this test", name)
			continue
		}
		if got := leakOn(target(t, name)); got != w {
			t.Errorf("leakOn(%s) = %d, want %d", name, got, w)
		}
	}
	if got := leakOn(modelsTarget(t, "x", backends.NeuronIzhikevich)); got != leakUnsupported {
		t.Errorf("leakOn(izhikevich only) = %d, want leakUnsupported", got)
	}
}

// TestLinearLeakNeuron checks the lowered neuron against the rule by hand:
// one PLIF neuron fed a constant current X from the host, lowered to IF
// with threshold θ/k, reset r/k and bias b - f(θ-r), must produce the
// spikes of H' = V' + X + b - f(θ-r) computed here step by step.
func TestLinearLeakNeuron(t *testing.T) {
	b := ir.NewBuilder("one", ir.Header{T: 12, Classes: 1, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 1, W: 1})
	nr := ir.Neuron{Model: ir.PLIF, W: -0.7, Threshold: 1, Reset: 0.1}
	b.Layer("n", nr, ir.Role{Kind: ir.RoleHead}, ir.Full(x, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	g.Projs[0].Weights = []float32{1}
	p := g.Pop("n")
	p.Bias = []float32{0.05}
	k := nr.K()
	linearLeak(p, LinearLeakFraction)
	if p.Neuron.Model != ir.IF || p.Neuron.Threshold != nr.Threshold/k || p.Neuron.Reset != nr.Reset/k {
		t.Fatalf("lowered neuron %+v, want IF with threshold %g and reset %g", p.Neuron, nr.Threshold/k, nr.Reset/k)
	}
	leak := float32(LinearLeakFraction) * (nr.Threshold - nr.Reset)
	if want := 0.05 - leak; p.Bias[0] != want {
		t.Fatalf("bias %g, want %g", p.Bias[0], want)
	}
	fx, err := ir.NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []float32{0.3, 0.6, 1.1, 2.5} {
		var got []float32
		if _, err := fx.Run([]float32{in}, func(_, pi int, out []float32) {
			if pi == 1 {
				got = append(got, out[0])
			}
		}); err != nil {
			t.Fatal(err)
		}
		v, fired := float32(0), 0
		for step := range g.T {
			h := v + in + p.Bias[0]
			s := float32(0)
			if h >= p.Neuron.Threshold {
				s, v = 1, p.Neuron.Reset
				fired++
			} else {
				v = h
			}
			if got[step] != s {
				t.Errorf("input %g, step %d: spike %g, want %g", in, step, got[step], s)
			}
		}
		if in == 2.5 && fired == 0 {
			t.Error("the strongest input never fired; the check proves nothing")
		}
	}
}

// TestPLIFOnEveryChip compiles a random-weight PLIF network to its integer
// form on every built-in general-core chip and compares the chip's spikes
// (ir.IntExecutor, which the simulator matches spike for spike) with the
// trained float network's. On chips with a decay register the decay is
// k rounded to the decay bits, so |k - k_chip| <= 2^-(decay bits+1) for
// every leaky layer; on linear-leak chips the lowering is an
// approximation, reported by lower-ops. The rows are docs/compiler.md's
// table "Neuron models on each chip" (go test ./passes -run PLIFOnEveryChip -v).
func TestPLIFOnEveryChip(t *testing.T) {
	const n = 16
	build := func() *ir.Graph {
		g := zooNet(t, "cifarnet-fang", 4, 28)
		frontend.RandomWeights(g, 1)
		return g
	}
	ref := build()
	ins := frontend.RandomInputs(ref, n, 2)
	want, err := runFloat(ref, ins)
	if err != nil {
		t.Fatal(err)
	}
	classes := map[int]bool{}
	for _, w := range want {
		classes[w.predict] = true
	}
	if len(classes) < 3 {
		t.Fatalf("the float network predicts only %d classes on %d inputs; agreement would prove little", len(classes), n)
	}
	// The largest fraction of the raster that may differ: decay chips
	// differ only by rounding; the linear leak is an approximation.
	maxMismatch := map[leakForm]float64{leakDecay: 0.05, leakLinear: 0.2}
	for _, chip := range backends.Builtins() {
		tg := target(t, chip)
		if tg.Profile.LayerCores != nil || tg.NumChips > 1 || chip == "tiny" { // a board runs its chip's neurons
			continue
		}
		t.Run(chip, func(t *testing.T) {
			g := build()
			u := &Unit{G: g, Target: tg, Samples: ins, Report: &Report{}}
			runPasses(t, u, "fold-bn", "lower-ops")
			u.Samples = nil // quantize's own float/int comparison is not this one
			runPasses(t, u, "quantize")
			form := leakOn(tg)
			for _, l := range u.Report.Quant.Layers {
				if form == leakDecay && l.K > 0 && l.K < 1 {
					bound := math.Ldexp(1, -(tg.Profile.Precision.DecayBits + 1))
					if d := math.Abs(l.K - l.KQ); d > bound {
						t.Errorf("layer %s: k %g on chip %g, off by %g, want <= %g", l.Name, l.K, l.KQ, d, bound)
					}
				}
			}
			if form == leakLinear && (u.Report.Lower == nil || len(u.Report.Lower.LinearLeak) == 0) {
				t.Errorf("no linear-leak report on %s", chip)
			}
			ix, err := ir.NewIntExecutor(g)
			if err != nil {
				t.Fatal(err)
			}
			var agree int
			var fs, is, mm, all int64
			for k, in := range ins {
				var r []float32
				res, err := ix.Run(in, func(_, p int, o []float32) {
					if p > 0 {
						r = append(r, o...)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if res.Predict() == want[k].predict {
					agree++
				}
				for _, s := range res.Spikes[1:] {
					is += int64(s)
				}
				fs += want[k].spikes
				for j := range r {
					if r[j] != want[k].raster[j] {
						mm++
					}
				}
				all += int64(len(r))
			}
			t.Logf("| `%s` | %s | %d/%d | %.3f | %.2f %% |", chip, map[leakForm]string{leakDecay: "LIF, decay k rounded to " + itoa(u.Report.Quant.DecayBits) + " bits", leakLinear: "IF + linear leak"}[form],
				agree, n, float64(is)/float64(fs), 100*float64(mm)/float64(all))
			if frac := float64(mm) / float64(all); frac > maxMismatch[form] {
				t.Errorf("%.2f%% of the raster differs from the float network, want <= %.0f%%", 100*frac, 100*maxMismatch[form])
			}
			// Predictions of a random-weight network sit on near-ties of
			// the vote counts, so they are logged, not checked; the spikes
			// are checked.
			if r := float64(is) / float64(fs); r < 0.8 || r > 1.25 {
				t.Errorf("chip/float spikes %.3f, want within [0.8, 1.25]", r)
			}
		})
	}
}

// TestAcceptsNeurons: fit hints (split) list only chips for which this is
// true.
func TestAcceptsNeurons(t *testing.T) {
	g := tinyNet(t, ir.Direct)
	for _, tc := range []struct {
		tg   *backends.Target
		want bool
	}{
		{target(t, "loihi1"), true},
		{target(t, "truenorth"), true},
		{modelsTarget(t, "lif-only", backends.NeuronLIF), true},
		{modelsTarget(t, "izhikevich-only", backends.NeuronIzhikevich), false},
		{modelsTarget(t, "alif-only", backends.NeuronALIF), false},
	} {
		if got := acceptsNeurons(tc.tg, g); got != tc.want {
			t.Errorf("acceptsNeurons(%s, tiny) = %v, want %v", tc.tg.Name(), got, tc.want)
		}
	}
}
