package passes

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/ir"
	"github.com/google/go-cmp/cmp"
)

// randNeuron returns a random spiking neuron with threshold > reset.
func randNeuron(r *rand.Rand) ir.Neuron {
	th := float32(0.5 + r.Float64())
	reset := float32(0)
	if r.IntN(3) == 0 {
		reset = float32(-0.3 * r.Float64())
	}
	switch r.IntN(3) {
	case 0:
		return ir.Neuron{Model: ir.PLIF, W: float32(2*r.Float64() - 1), Threshold: th, Reset: reset}
	case 1:
		return ir.Neuron{Model: ir.LIF, Tau: float32(1 + 4*r.Float64()), Threshold: th, Reset: reset}
	}
	return ir.Neuron{Model: ir.IF, Threshold: th, Reset: reset}
}

// denseNet builds input -> h -> out with dense projections, random neuron
// models, random weights and biases.
func denseNet(t *testing.T, r *rand.Rand, enc ir.Encoding) *ir.Graph {
	t.Helper()
	vote := 1 + r.IntN(3)
	b := ir.NewBuilder("dense2", ir.Header{T: 1 + r.IntN(8), Encoding: enc, Classes: 2, Vote: vote})
	x := b.Input("x", ir.Shape{C: 1 + r.IntN(6), H: 1, W: 1})
	h := b.Layer("h", randNeuron(r), ir.Role{Kind: ir.RoleBlock}, ir.Full(x, 1+r.IntN(12)))
	o := b.Layer("out", randNeuron(r), ir.Role{Kind: ir.RoleHead}, ir.Full(h, 2*vote))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Projs {
		e.Weights = make([]float32, e.WeightLen())
		for i := range e.Weights {
			e.Weights[i] = float32(r.NormFloat64())
		}
	}
	for _, p := range []*ir.Population{h, o} {
		if r.IntN(2) == 0 {
			p.Bias = make([]float32, p.Shape.C)
			for c := range p.Bias {
				p.Bias[c] = float32(0.3 * r.NormFloat64())
			}
		}
	}
	return g
}

// directInt evaluates the quantized two-layer dense network g on one input
// straight from the formulas of ir/quant.go, independently of
// ir.IntExecutor, and returns the 0/1 output of h and out at every step.
func directInt(g *ir.Graph, input []float32) [][]int8 {
	x, h, o := g.Pops[0], g.Pops[1], g.Pops[2]
	wh, wo := g.Projs[0].Weights, g.Projs[1].Q.Weights
	nx, nh, no := x.Shape.Len(), h.Shape.Len(), o.Shape.Len()
	update := func(q *ir.PopQuant, leaky bool, v []int64, j int, cur int64) int8 {
		if q.Bias != nil {
			cur += int64(q.Bias[j])
		}
		cur = min(max(cur, int64(q.VMin)), int64(q.VMax))
		var hh int64
		if leaky {
			hh = v[j] + (cur-(v[j]-int64(q.Reset)))*int64(q.Decay)>>q.DecayBits
		} else {
			hh = v[j] + cur
		}
		hh = min(max(hh, int64(q.VMin)), int64(q.VMax))
		if hh >= int64(q.Threshold) {
			v[j] = int64(q.Reset)
			return 1
		}
		v[j] = hh
		return 0
	}
	vh, vo := make([]int64, nh), make([]int64, no)
	var out [][]int8
	for t := 0; t < g.T; t++ {
		frame := input
		if g.Encoding == ir.Frames {
			frame = input[t*nx : (t+1)*nx]
		}
		sh := make([]int8, nh)
		for j := range sh {
			var c float32
			for i, v := range frame {
				c += float32(v * wh[j*nx+i])
			}
			host := int64(math.Round(float64(float32(c * h.Q.Scale))))
			sh[j] = update(h.Q, h.Neuron.Model != ir.IF, vh, j, host)
		}
		so := make([]int8, no)
		for j := range so {
			var syn int64
			for i, s := range sh {
				syn += int64(s) * int64(wo[j*nh+i])
			}
			so[j] = update(o.Q, o.Neuron.Model != ir.IF, vo, j, syn)
		}
		out = append(out, sh, so)
	}
	return out
}

// TestQuantizedEqualsDirect is the property "the quantized reference
// forward equals a direct integer evaluation" over random two-layer
// networks, neuron models, encodings and chips.
func TestQuantizedEqualsDirect(t *testing.T) {
	chips := []string{"tiny", "loihi1", "spinnaker2"}
	r := rand.New(rand.NewPCG(42, 0))
	spikes := 0
	for k := 0; k < 60; k++ {
		enc := ir.Encoding(r.IntN(2))
		g := denseNet(t, r, enc)
		chip := chips[k%len(chips)]
		u := newUnit(t, g, chip, nil)
		runPasses(t, u, "fold-bn", "lower-ops", "quantize")
		ix, err := ir.NewIntExecutor(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range samples(g, 3, uint64(k)) {
			for i := range in {
				in[i] *= 2
			}
			var got [][]int8
			if _, err := ix.Run(in, func(_, p int, out []float32) {
				if p == 0 {
					return
				}
				s := make([]int8, len(out))
				for j, v := range out {
					s[j] = int8(v)
					spikes += int(v)
				}
				got = append(got, s)
			}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(directInt(g, in), got); diff != "" {
				t.Fatalf("case %d on %s: IntExecutor differs from the direct evaluation (-direct +exec):\n%s\n%s", k, chip, diff, g)
			}
		}
	}
	if spikes == 0 {
		t.Fatal("no spikes in any case; the property proves nothing")
	}
}

// knownNet is a network whose float and integer spikes are known by hand:
// two IF neurons h driven by the host with current 2*x (x in {0, 1}: they
// fire every step or never), and two IF outputs with weight 1.5 from
// their h neuron (fire exactly when it does).
func knownNet(t *testing.T) *ir.Graph {
	t.Helper()
	nr := ir.Neuron{Model: ir.IF, Threshold: 1}
	b := ir.NewBuilder("known", ir.Header{T: 4, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 2, H: 1, W: 1})
	h := b.Layer("h", nr, ir.Role{Kind: ir.RoleBlock}, ir.Full(x, 2))
	b.Layer("out", nr, ir.Role{Kind: ir.RoleHead}, ir.Full(h, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	g.Projs[0].Weights = []float32{2, 0, 0, 2}
	g.Projs[1].Weights = []float32{1.5, 0, 0, 1.5}
	return g
}

// knownSamples: float predictions 0, 1, 0 (tie), 0 (tie); 4 inputs with
// 1+1+2+0 = 4 active h neurons, so 4*T = 16 spikes in h and 16 in out.
var knownSamples = [][]float32{{1, 0}, {0, 1}, {1, 1}, {0, 0}}

func TestQuantizeReport(t *testing.T) {
	g := knownNet(t)
	u := newUnit(t, g, "tiny", knownSamples)
	runPasses(t, u, "fold-bn", "lower-ops", "quantize")
	want := &QuantReport{WeightBits: 8, MembraneBits: 16, DecayBits: 12, Samples: 4, T: 4, Agree: 4, FloatSpikes: 32, IntSpikes: 32}
	got := *u.Report.Quant
	got.Layers = nil
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	// out: the largest weight 1.5 limits the scale to 127/1.5 LSB per unit.
	lo := u.Report.Quant.Layers[1]
	if lo.Scale != float32(127/1.5) || lo.Threshold != 85 || lo.FloatSpikes != 16 || lo.IntSpikes != 16 {
		t.Errorf("layer out: %+v, want scale %g, threshold 85, 16 spikes each", lo, float32(127/1.5))
	}
	if diff := cmp.Diff([]int32{127, 0, 0, 127}, g.Projs[1].Q.Weights); diff != "" {
		t.Errorf("out weights (-want +got):\n%s", diff)
	}
	// Silence output neuron 1 in the integer network only: the integer
	// network then predicts 0 everywhere, agreeing on 3 of 4 samples, and
	// loses the 8 spikes out[1] fires on samples 2 and 3.
	g.Pop("out").Q.Bias = []int32{0, -1000}
	rep := &QuantReport{T: 4, Layers: []LayerQuant{{Neurons: 2}, {Neurons: 2}}}
	if err := measureQuant(u, rep); err != nil {
		t.Fatal(err)
	}
	if rep.Samples != 4 || rep.Agree != 3 || rep.FloatSpikes != 32 || rep.IntSpikes != 24 {
		t.Errorf("tampered report %+v, want 4 samples, 3 agree, 32 float and 24 int spikes", rep)
	}
	// The 8 lost spikes are the only raster differences, all in out.
	if rep.Layers[0].Mismatch != 0 || rep.Layers[1].Mismatch != 8 {
		t.Errorf("raster mismatches h %d, out %d; want 0 and 8", rep.Layers[0].Mismatch, rep.Layers[1].Mismatch)
	}
	if got, want := rep.MismatchRate(-1), 8.0/(4*4*4); got != want {
		t.Errorf("overall mismatch rate %g, want %g", got, want)
	}
}

// TestQuantizeZoo quantizes randomly initialised zoo networks and checks
// the integer form against the target's limits.
func TestQuantizeZoo(t *testing.T) {
	for _, tc := range []struct{ net, chip string }{{"autosnn", "loihi1"}, {"autosnn", "tiny"}, {"snn4-srb3", "spinnaker2"}} {
		t.Run(tc.net+"/"+tc.chip, func(t *testing.T) {
			g := zooNet(t, tc.net, 2, 16)
			train(g, 5)
			u := newUnit(t, g, tc.chip, samples(g, 4, 6))
			runPasses(t, u, "fold-bn", "lower-ops", "quantize")
			rep := u.Report.Quant
			t.Logf("agree %d/%d, spikes int/float %d/%d", rep.Agree, rep.Samples, rep.IntSpikes, rep.FloatSpikes)
			wmax := int32(1)<<(rep.WeightBits-1) - 1
			for _, p := range g.Pops[1:] {
				full := false
				for _, e := range g.In(p) {
					for _, w := range e.Q.Weights {
						if w > wmax || w < -wmax {
							t.Errorf("projection %s: weight %d outside ±%d", e.Name, w, wmax)
						}
						full = full || w == wmax || w == -wmax
					}
				}
				vmax := int32(1<<(min(rep.MembraneBits, 32)-1) - 1)
				if p.Q.VMax != vmax || p.Q.Threshold > vmax/membraneHeadroom+1 {
					t.Errorf("population %s: vmax %d, threshold %d; want vmax %d and threshold <= vmax/%d", p.Name, p.Q.VMax, p.Q.Threshold, vmax, membraneHeadroom)
				}
				// A layer is either weight-limited (uses the full weight
				// range) or membrane-limited (threshold at the headroom).
				if !full && p.Q.Threshold < vmax/membraneHeadroom-1 && g.In(p)[0].Src != g.Input() {
					t.Errorf("population %s: neither the weights (max ±%d) nor the threshold (%d) use the available range", p.Name, wmax, p.Q.Threshold)
				}
			}
			if rep.FloatSpikes == 0 {
				t.Error("float network is silent")
			}
		})
	}
}

func TestQuantizeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, chip string
		mod        func(g *ir.Graph)
		want       string
	}{
		{"weights too large", "tiny", func(g *ir.Graph) { g.Projs[1].Weights[0] = 1e4 },
			"layer out: weight range [0, 10000] does not fit 8-bit weights: at the largest scale that fits (0.0127 LSB per unit) threshold 1 and reset 0 are 0 and 0 LSB, want threshold above reset; a chip with >= 15-bit weights, or smaller weights, would fit"},
		{"bias out of range", "tiny", func(g *ir.Graph) { g.Pop("h").Bias = []float32{0, 300} },
			"layer h: bias 300 of channel 1 is 153595 LSB at scale 511.98438, want it within the 16-bit membrane range [-32768, 32767]; the bias is 300 thresholds, more than the 64-threshold membrane headroom"},
		{"bias out of range, weight-limited", "tiny", func(g *ir.Graph) { g.Pop("out").Bias = []float32{0, 500} },
			"layer out: bias 500 of channel 1 is 42333 LSB at scale 84.666664, want it within the 16-bit membrane range [-32768, 32767]; a chip with >= 17-bit membrane would fit"},
		{"no decay register", "speck", func(g *ir.Graph) { g.Pop("h").Neuron = ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1} },
			"layer h: lif neurons leak with k = 0.5 but the chip has no multiplicative decay (decay_bits 0)"},
		{"not lowered", "tiny", func(g *ir.Graph) { g.Pop("h").Neuron = ir.Neuron{Model: ir.Relay} },
			"layer h: relay population has no integer form"},
		{"non-finite weight", "tiny", func(g *ir.Graph) { g.Projs[1].Weights[3] = float32(math.Inf(-1)) },
			"layer out: projection out.dense weight 3 is -Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := knownNet(t)
			tc.mod(g)
			err := quantizePass(newUnit(t, g, tc.chip, nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

// TestQuantizeHandsSpikesToProfile checks that the profile pass, taking
// the integer network's spikes quantize counted on the samples, sets the
// same rates as running the samples itself, and consumes the counts.
func TestQuantizeHandsSpikesToProfile(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		g := randGraph(t, seed)
		train(g, seed)
		u := newUnit(t, g, "tiny", samples(g, 3, seed))
		runPasses(t, u, "fold-bn", "lower-ops", "quantize")
		if u.intSpikes == nil {
			t.Fatalf("seed %d: quantize with samples left no spike counts", seed)
		}
		runPasses(t, u, "profile")
		if u.intSpikes != nil {
			t.Fatalf("seed %d: profile left the spike counts behind", seed)
		}
		var got [][]float32
		for _, p := range g.Pops {
			got = append(got, p.Rates)
			p.Rates = nil
		}
		runPasses(t, u, "profile") // no counts now: runs the samples
		var want [][]float32
		for _, p := range g.Pops {
			want = append(want, p.Rates)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("seed %d: rates from quantize's counts differ from the profile run (-want +got):\n%s", seed, d)
		}
	}
}
