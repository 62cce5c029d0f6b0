package e2e

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/sim"
)

// These tests run the real pipeline: zoo network -> seeded random
// parameters -> passes.Compile (fold-bn .. verify) -> simulator, and
// compare with the integer reference executor.

// zooGraph lowers zoo network name with c channels on h x h inputs and
// gives it seeded random trained parameters.
func zooGraph(tb testing.TB, name string, c, h int, seed uint64) *ir.Graph {
	tb.Helper()
	e, ok := frontend.LookupZoo(name)
	if !ok {
		tb.Fatalf("zoo has no %s", name)
	}
	e.Spec.Channels = c
	e.Spec.Input[1], e.Spec.Input[2] = h, h
	g, err := frontend.Lower(e.Spec)
	if err != nil {
		tb.Fatal(err)
	}
	randomParams(g, seed)
	return g
}

// randomParams sets He-scaled normal weights, batch-norms with random
// statistics and a positive shift (so that every layer is active) and
// random PLIF decays.
func randomParams(g *ir.Graph, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 3))
	for _, e := range g.Projs {
		if e.Op.HasWeights() {
			fan := e.Src.Shape.Len()
			if e.Op == ir.Conv2D {
				fan = e.Src.Shape.C * e.Kernel * e.Kernel
			}
			sd := 2 * math.Sqrt(2/float64(fan))
			e.Weights = make([]float32, e.WeightLen())
			for i := range e.Weights {
				e.Weights[i] = float32(r.NormFloat64() * sd)
			}
		}
		if bn := e.BN; bn != nil {
			n := e.Dst.Shape.C
			if e.Op == ir.Dense {
				n = e.Dst.Shape.Len()
			}
			bn.Gamma, bn.Beta, bn.Mean, bn.Var = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for c := range n {
				bn.Gamma[c] = float32(0.6 + r.Float64())
				bn.Beta[c] = float32(-0.1 + 0.6*r.Float64())
				bn.Mean[c] = float32(-0.3 + 0.6*r.Float64())
				bn.Var[c] = float32(0.4 + 1.6*r.Float64())
			}
		}
	}
	for _, p := range g.Pops {
		if p.Neuron.Model == ir.PLIF {
			p.Neuron.W = float32(2*r.Float64() - 1)
		}
	}
}

// normalisedInputs returns n inputs of g: pixels in [-1, 1] (Direct) or
// sparse event counts (Frames).
func normalisedInputs(g *ir.Graph, n int, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 5))
	size := g.Input().Shape.Len()
	if g.Encoding == ir.Frames {
		size *= g.T
	}
	out := make([][]float32, n)
	for k := range out {
		out[k] = make([]float32, size)
		for i := range out[k] {
			if g.Encoding == ir.Frames {
				out[k][i] = float32(r.IntN(3) * r.IntN(2))
			} else {
				out[k][i] = float32(2*r.Float64() - 1)
			}
		}
	}
	return out
}

// compileReal runs the whole compile pipeline for t.
func compileReal(tb testing.TB, g *ir.Graph, t *backends.Target, samples [][]float32, seed uint64) *ir.Graph {
	tb.Helper()
	u := &passes.Unit{G: g, Target: t, Samples: samples, Seed: seed}
	t0 := time.Now()
	if err := passes.Compile(context.Background(), u, passes.Config{Verify: true}); err != nil {
		tb.Fatalf("compile %s for %s: %v", g.Name, t.Name(), err)
	}
	tb.Logf("compiled %s for %s in %v", g.Name, t.Name(), time.Since(t0))
	return u.G
}

// TestEquivalenceCompiled is the differential test on compiler output:
// the AutoSNN network (C = 4, 16x16 inputs) compiled for loihi1, simulated
// with the profile's NoC and with starved variants, against the reference.
func TestEquivalenceCompiled(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a zoo network")
	}
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	g := zooGraph(t, "autosnn", 4, 16, 1)
	in := normalisedInputs(g, 3, 1)
	g = compileReal(t, g, tg, in[:1], 1)
	for _, o := range []sim.NoCOverride{{}, {LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.05}} {
		st, err := sim.WithNoC(tg, o)
		if err != nil {
			t.Fatal(err)
		}
		spikes := 0
		for i, x := range in {
			wantRes, want := reference(t, g, x)
			gotRes, got := simulate(t, g, st, x)
			if !rastersEqual(want, got) {
				t.Fatalf("%+v image %d: raster differs from the reference", o, i)
			}
			for p, n := range wantRes.Spikes {
				if gotRes.Result.Spikes[p] != n {
					t.Fatalf("%+v image %d: population %s: %d spikes, want %d", o, i, g.Pops[p].Name, gotRes.Result.Spikes[p], n)
				}
				spikes += n
			}
			if gotRes.Total.Messages != gotRes.Total.Delivered {
				t.Errorf("%+v image %d: %d messages, %d delivered", o, i, gotRes.Total.Messages, gotRes.Total.Delivered)
			}
		}
		if spikes == 0 {
			t.Fatal("compiled network never spiked: vacuous")
		}
	}
}

// raster records every population's 0/1 output at every step.
type raster [][][]float32 // [t][pop][neuron]

func (r *raster) observe(t, p int, out []float32) {
	for len(*r) <= t {
		*r = append(*r, nil)
	}
	for len((*r)[t]) <= p {
		(*r)[t] = append((*r)[t], nil)
	}
	(*r)[t][p] = append([]float32(nil), out...)
}

func reference(t *testing.T, g *ir.Graph, input []float32) (ir.Result, raster) {
	t.Helper()
	x, err := ir.NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	var r raster
	res, err := x.Run(input, r.observe)
	if err != nil {
		t.Fatal(err)
	}
	return res, r
}

func simulate(t *testing.T, g *ir.Graph, tg *backends.Target, input []float32) (sim.ImageResult, raster) {
	t.Helper()
	s, err := sim.New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	var r raster
	res, err := s.Run(input, r.observe)
	if err != nil {
		t.Fatal(err)
	}
	return res, r
}

func rastersEqual(a, b raster) bool {
	if len(a) != len(b) {
		return false
	}
	for t := range a {
		if len(a[t]) != len(b[t]) {
			return false
		}
		for p := range a[t] {
			if len(a[t][p]) != len(b[t][p]) {
				return false
			}
			for j := range a[t][p] {
				if a[t][p][j] != b[t][p][j] {
					return false
				}
			}
		}
	}
	return true
}
