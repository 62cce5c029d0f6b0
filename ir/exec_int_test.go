package ir

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// quantizeExact gives g an integer form that computes exactly what the
// float executor computes, for IF-only graphs whose float weights are
// multiples of 1/scale: every weight becomes w*scale (exact), thresholds
// threshold*scale, and the membrane range is wide enough never to saturate.
func quantizeExact(t *testing.T, g *Graph, scale float32) {
	t.Helper()
	for _, p := range g.Pops[1:] {
		q := &PopQuant{Scale: scale, Threshold: int32(p.Neuron.Threshold * scale), Reset: int32(p.Neuron.Reset * scale), VMin: -1 << 30, VMax: 1 << 30}
		if p.Bias != nil {
			for _, b := range p.Bias {
				q.Bias = append(q.Bias, int32(b*scale))
			}
		}
		p.Q = q
	}
	for _, e := range g.Projs {
		if e.Src == g.Pops[0] {
			e.Q = &ProjQuant{Host: true}
			continue
		}
		var w []int32
		switch e.Op {
		case Conv2D, Dense:
			for _, v := range e.Weights {
				w = append(w, int32(v*scale))
			}
		case AvgPool:
			w = []int32{int32(scale / float32(e.Kernel*e.Kernel))}
		default:
			w = []int32{int32(scale)}
		}
		e.Q = &ProjQuant{Weights: w}
	}
	if err := Verify(g); err != nil {
		t.Fatal(err)
	}
}

// ifNet builds an IF network with every op the integer executor supports:
// conv from the input (host), conv, residual identity, sum-pool into an OR
// population, avg-pool, dense head with voting.
func ifNet(t *testing.T, enc Encoding, seed uint64) *Graph {
	t.Helper()
	nr := Neuron{Model: IF, Threshold: 1}
	b := NewBuilder("ifnet", Header{T: 5, Encoding: enc, Classes: 3, Vote: 2})
	x := b.Input("x", Shape{C: 2, H: 6, W: 6})
	s := b.Layer("stem", nr, Role{Kind: RoleStem}, Edge{Src: x, Op: Conv2D, Out: 4, Kernel: 3, Stride: 1, Pad: 1})
	l1 := b.Layer("l1", nr, Role{Kind: RoleBlock}, Edge{Src: s, Op: Conv2D, Out: 4, Kernel: 3, Stride: 1, Pad: 1})
	l2 := b.Layer("l2", nr, Role{Kind: RoleBlock}, Edge{Src: l1, Op: Conv2D, Out: 4, Kernel: 5, Stride: 2, Pad: 2}, Edge{Src: s, Op: Conv2D, Out: 4, Kernel: 1, Stride: 2})
	l3 := b.Layer("l3", nr, Role{Kind: RoleBlock}, Edge{Src: l2, Op: Conv2D, Out: 4, Kernel: 3, Stride: 1, Pad: 1}, Skip(l2))
	or := b.Layer("or", Neuron{Model: IF, Threshold: 1}, Role{Kind: RolePool}, Edge{Src: l3, Op: SumPool, Kernel: 2, Stride: 1})
	a := b.Layer("avg", nr, Role{Kind: RoleGAP}, Pool(AvgPool, or, 2))
	b.Layer("fc", nr, Role{Kind: RoleHead}, Full(a, 6))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 2))
	// Weights are multiples of 1/8 so that scale 8 makes them exact integers.
	for _, e := range g.Projs {
		if e.Op.HasWeights() {
			e.Weights = make([]float32, e.WeightLen())
			for i := range e.Weights {
				e.Weights[i] = float32(r.IntN(13)-6) / 8
			}
		}
	}
	for _, p := range g.Pops[1:] {
		p.Bias = make([]float32, p.Shape.C)
		for c := range p.Bias {
			p.Bias[c] = float32(r.IntN(3)-1) / 8
		}
	}
	return g
}

// TestIntMatchesFloatExact checks the event-driven integer scatter against
// the float executor's gather on graphs where both are exact.
func TestIntMatchesFloatExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  Encoding
		seed uint64
	}{{"direct", Direct, 1}, {"direct2", Direct, 2}, {"frames", Frames, 3}, {"frames2", Frames, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			g := ifNet(t, tc.enc, tc.seed)
			quantizeExact(t, g, 8)
			fx, err := NewExecutor(g)
			if err != nil {
				t.Fatal(err)
			}
			ix, err := NewIntExecutor(g)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(tc.seed, 9))
			n := g.Input().Shape.Len()
			if tc.enc == Frames {
				n *= g.T
			}
			for k := 0; k < 5; k++ {
				in := make([]float32, n)
				for i := range in {
					in[i] = float32(r.IntN(3)) // integers: host currents times 8 are exact integers
				}
				var fr, ir [][]float32
				rec := func(dst *[][]float32) StepFunc {
					return func(_, _ int, out []float32) { *dst = append(*dst, append([]float32(nil), out...)) }
				}
				fres, err := fx.Run(in, rec(&fr))
				if err != nil {
					t.Fatal(err)
				}
				ires, err := ix.Run(in, rec(&ir))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(fr, ir); diff != "" {
					t.Fatalf("input %d: spike rasters differ (-float +int):\n%s\n%s", k, diff, g)
				}
				if diff := cmp.Diff(fres, ires); diff != "" {
					t.Fatalf("input %d: results differ (-float +int):\n%s", k, diff)
				}
				total := 0
				for _, s := range ires.Spikes {
					total += s
				}
				if k == 0 {
					t.Logf("spikes per population: %v", ires.Spikes)
				}
				if total == 0 {
					t.Errorf("input %d: no spikes at all; the test would prove nothing", k)
				}
			}
		})
	}
}

// TestIntLeakyByHand checks the leaky update, rounding, saturation and
// bias against values computed by hand.
func TestIntLeakyByHand(t *testing.T) {
	b := NewBuilder("hand", Header{T: 4, Classes: 1, Vote: 1})
	x := b.Input("x", Shape{C: 2, H: 1, W: 1})
	b.Layer("y", Neuron{Model: LIF, Tau: 2, Threshold: 1}, Role{Kind: RoleHead}, Full(x, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	y := g.Pops[1]
	g.Projs[0].Weights = []float32{0.5, -0.25}
	g.Projs[0].Q = &ProjQuant{Host: true}
	// Scale 10: input (1, 1) gives float current 0.25, times 10 = 2.5,
	// rounded half away from zero = 3; input (0, 1) gives -2.5 -> -3.
	y.Q = &PopQuant{Scale: 10, Threshold: 10, Reset: 1, Decay: 2048, DecayBits: 12, VMin: -4, VMax: 12, Bias: []int32{5}}
	ix, err := NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		in    []float32
		wantV []int32
		wantS []float32
	}{
		// X = 3 + 5 = 8. H = V + ((8 - (V - 1)) * 2048) >> 12:
		// V=0: 0 + 9>>1 = 4; V=4: 4 + 5>>1 = 6; V=6: 6 + 3>>1 = 7; V=7: 7 + 2>>1 = 8.
		{"positive", []float32{1, 1}, []int32{4, 6, 7, 8}, []float32{0, 0, 0, 0}},
		// X = -3 + 5 = 2. V=0: 0 + (3>>1) = 1; V=1: 1 + 2>>1 = 2; V=2: 2 + 1>>1 = 2 ...
		{"small", []float32{0, 1}, []int32{1, 2, 2, 2}, []float32{0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotV []int32
			var gotS []float32
			_, err := ix.Run(tc.in, func(_, p int, out []float32) {
				if p == 1 {
					gotV = append(gotV, ix.Membrane(1)[0])
					gotS = append(gotS, out[0])
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantV, gotV); diff != "" {
				t.Errorf("membrane (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantS, gotS); diff != "" {
				t.Errorf("spikes (-want +got):\n%s", diff)
			}
		})
	}

	// Floor of negative values and saturation: bias -20 saturates X at
	// VMin = -4; V=0: 0 + ((-4 - (0 - 1)) * 2048) >> 12 = -3 >> 1 = -2 (floor);
	// V=-2: -2 + ((-4+3)*2048)>>12 = -2 + (-1>>1) = -3; V=-3: -3 + 0 = -3.
	y.Q.Bias = []int32{-20}
	var gotV []int32
	if _, err := ix.Run([]float32{0, 0}, func(_, p int, _ []float32) {
		if p == 1 {
			gotV = append(gotV, ix.Membrane(1)[0])
		}
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int32{-2, -3, -3, -3}, gotV); diff != "" {
		t.Errorf("negative membrane (-want +got):\n%s", diff)
	}

	// Firing and reset: bias 40 saturates X at VMax = 12; V=0: (13*2048)>>12 = 6;
	// V=6: 6 + (7>>1) = 9; V=9: 9 + (4>>1) = 11 >= 10 fires, V = reset 1;
	// V=1: 1 + (12>>1) = 7.
	y.Q.Bias = []int32{40}
	gotV = nil
	var gotS []float32
	res, err := ix.Run([]float32{0, 0}, func(_, p int, out []float32) {
		if p == 1 {
			gotV = append(gotV, ix.Membrane(1)[0])
			gotS = append(gotS, out[0])
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int32{6, 9, 1, 7}, gotV); diff != "" {
		t.Errorf("firing membrane (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float32{0, 0, 1, 0}, gotS); diff != "" {
		t.Errorf("firing spikes (-want +got):\n%s", diff)
	}
	if res.Spikes[1] != 1 || res.Counter[0] != 1 {
		t.Errorf("result %+v, want 1 spike and counter 1", res)
	}

	hc := make([]int32, 1)
	if err := ix.HostCurrent(1, []float32{0, 1}, hc); err != nil || hc[0] != -3 {
		t.Errorf("HostCurrent(0, 1) = %v, %v; want -3 (round half away from zero of -2.5)", hc, err)
	}
	if err := ix.HostCurrent(1, []float32{float32(math.NaN()), 1}, hc); err == nil {
		t.Errorf("HostCurrent(NaN) succeeded, want an error")
	}
}

func TestIntExecutorErrors(t *testing.T) {
	build := func(t *testing.T, mod func(g *Graph)) error {
		g := ifNet(t, Direct, 1)
		quantizeExact(t, g, 8)
		mod(g)
		_, err := NewIntExecutor(g)
		return err
	}
	for _, tc := range []struct {
		name string
		mod  func(g *Graph)
		want string
	}{
		{"pop not quantized", func(g *Graph) { g.Pop("l1").Q = nil }, "population l1 is not quantized"},
		{"proj not quantized", func(g *Graph) { g.Proj("l3.identity").Q = nil }, "projection l3.identity is not quantized"},
		{"batch-norm", func(g *Graph) {
			e := g.Proj("l1.conv2d")
			e.BN = &BatchNorm{Eps: 1e-5, Gamma: make([]float32, 4), Beta: make([]float32, 4), Mean: make([]float32, 4), Var: make([]float32, 4)}
		}, "projection l1.conv2d carries a batch-norm (run fold-bn)"},
		{"relu", func(g *Graph) { g.Pop("l1").Neuron = Neuron{Model: ReLU} }, "population l1 is relu, want a spiking population"},
		{"host without weights", func(g *Graph) { g.Proj("stem.conv2d").Weights = nil }, "host projection stem.conv2d has no float weights"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := build(t, tc.mod)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	g := ifNet(t, Direct, 1)
	quantizeExact(t, g, 8)
	ix, err := NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Run(make([]float32, 3), nil); err == nil || !strings.Contains(err.Error(), "input has 3 values, want 72") {
		t.Errorf("short input: got %v, want a length error", err)
	}
}

// TestIntAllocFree checks that Run allocates only its Result, however many
// timesteps it runs.
func TestIntAllocFree(t *testing.T) {
	allocs := func(T int) float64 {
		g := ifNet(t, Frames, 5)
		g.T = T
		quantizeExact(t, g, 8)
		ix, err := NewIntExecutor(g)
		if err != nil {
			t.Fatal(err)
		}
		in := make([]float32, T*g.Input().Shape.Len())
		for i := range in {
			in[i] = float32(i%5) / 2
		}
		return testing.AllocsPerRun(5, func() {
			if _, err := ix.Run(in, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a2, a20 := allocs(2), allocs(20); a2 != a20 || a2 > 2 {
		t.Errorf("allocations per Run: %v with T=2, %v with T=20; want the same and <= 2 (the Result)", a2, a20)
	}
}

// TestIntDenseToMap checks a dense projection into a population with
// H, W > 1 (legal IR the builder does not make), whose outputs the
// integer executor reorders internally.
func TestIntDenseToMap(t *testing.T) {
	nr := Neuron{Model: IF, Threshold: 1}
	x := &Population{Name: "x", Shape: Shape{C: 3, H: 1, W: 1}, Neuron: Neuron{Model: Input}, Role: Role{Kind: RoleInput}}
	a := &Population{Name: "a", Shape: Shape{C: 2, H: 2, W: 3}, Neuron: nr}
	b := &Population{Name: "b", Shape: Shape{C: 2, H: 2, W: 3}, Neuron: nr}
	o := &Population{Name: "o", Shape: Shape{C: 2, H: 1, W: 1}, Neuron: nr}
	g := &Graph{Name: "map", T: 6, Classes: 2, Vote: 1, Pops: []*Population{x, a, b, o}, Projs: []*Projection{
		{Name: "xa", Src: x, Dst: a, Op: Dense},
		{Name: "ab", Src: a, Dst: b, Op: Dense},
		{Name: "ab2", Src: a, Dst: b, Op: Identity},
		{Name: "bo", Src: b, Dst: o, Op: Dense},
	}}
	r := rand.New(rand.NewPCG(3, 3))
	for _, e := range g.Projs {
		if e.Op == Dense {
			e.Weights = make([]float32, e.WeightLen())
			for i := range e.Weights {
				e.Weights[i] = float32(r.IntN(17)-7) / 8
			}
		}
	}
	quantizeExact(t, g, 8)
	fx, err := NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	spikes := 0
	for k := 0; k < 4; k++ {
		in := []float32{float32(r.IntN(3)), float32(r.IntN(3)), float32(r.IntN(3))}
		var fr, ir [][]float32
		fres, _ := fx.Run(in, func(_, _ int, out []float32) { fr = append(fr, append([]float32(nil), out...)) })
		ires, _ := ix.Run(in, func(_, _ int, out []float32) { ir = append(ir, append([]float32(nil), out...)) })
		if diff := cmp.Diff(fr, ir); diff != "" {
			t.Fatalf("input %v: rasters differ (-float +int):\n%s", in, diff)
		}
		spikes += ires.Spikes[2]
		if diff := cmp.Diff(fres, ires); diff != "" {
			t.Fatalf("results differ (-float +int):\n%s", diff)
		}
	}
	if spikes == 0 {
		t.Fatal("population b never fired; the test proves nothing")
	}
}
