package frontend

import (
	"github.com/autosnn/autosnn/frontend/internal/hdf5"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/autosnn/autosnn/ir"
)

// nirStepper runs a NIR graph from its equations, independently of the
// importer: forward Euler with dt, float64, every node's output per step.
// Neurons fire when v >= threshold (the IR's convention) and reset to
// v_reset; CubaLIF's membrane reads the synaptic current of the same step.
type nirStepper struct {
	t     *testing.T
	ng    *nirGraph
	order []string
	in    map[string][]string
	shape map[string]ir.Shape
	dt    float64
	v, i  map[string][]float64 // membrane and synaptic current
}

func newNIRStepper(t *testing.T, ng *nirGraph, dt float64) *nirStepper {
	im := &importer{ng: ng, opt: NIROptions{DT: dt, T: 1}, shape: map[string]ir.Shape{}, pop: map[string]*ir.Population{}}
	im.in, im.out = map[string][]string{}, map[string][]string{}
	for _, e := range ng.edges {
		im.out[e[0]] = append(im.out[e[0]], e[1])
		im.in[e[1]] = append(im.in[e[1]], e[0])
	}
	input, _, err := im.ends()
	if err != nil {
		t.Fatal(err)
	}
	im.topo(input)
	for _, n := range im.order {
		if err := im.inferShape(ng.nodes[n]); err != nil {
			t.Fatal(err)
		}
	}
	return &nirStepper{t: t, ng: ng, order: im.order, in: im.in, shape: im.shape, dt: dt, v: map[string][]float64{}, i: map[string][]float64{}}
}

func (s *nirStepper) param(n *nirNode, p string, def float64, size int) []float64 {
	v, _, err := n.floats(p)
	if err != nil {
		v = []float64{def}
	}
	if len(v) == 1 {
		out := make([]float64, size)
		for j := range out {
			out[j] = v[0]
		}
		return out
	}
	return v
}

// step computes every node's output for one timestep of input x.
func (s *nirStepper) step(x []float64) map[string][]float64 {
	out := map[string][]float64{}
	for _, name := range s.order {
		n := s.ng.nodes[name]
		sh := s.shape[name]
		var cur []float64
		if len(s.in[name]) > 0 {
			cur = make([]float64, s.shape[s.in[name][0]].Len())
			for _, src := range s.in[name] {
				for j, v := range out[src] {
					cur[j] += v
				}
			}
		}
		size := sh.Len()
		switch n.typ {
		case "Input":
			out[name] = x
		case "Output", "Flatten":
			out[name] = cur
		case "Affine", "Linear":
			w, _, _ := n.floats("weight")
			b := s.param(n, "bias", 0, size)
			y := make([]float64, size)
			for j := range y {
				y[j] = b[j]
				for k, c := range cur {
					y[j] += w[j*len(cur)+k] * c
				}
			}
			out[name] = y
		case "Scale":
			k := s.param(n, "scale", 1, size)
			y := make([]float64, size)
			for j, c := range cur {
				y[j] = k[j] * c
			}
			out[name] = y
		case "Conv2d", "SumPool2d", "AvgPool2d":
			out[name] = s.window(n, s.shape[s.in[name][0]], sh, cur)
		case "LIF", "LI", "IF", "CubaLIF":
			if s.v[name] == nil {
				s.v[name], s.i[name] = make([]float64, size), make([]float64, size)
			}
			v, syn := s.v[name], s.i[name]
			r := s.param(n, "r", 1, size)
			leak := s.param(n, "v_leak", 0, size)
			th := s.param(n, "v_threshold", math.Inf(1), size)
			reset := s.param(n, "v_reset", 0, size)
			y := make([]float64, size)
			for j := range v {
				switch n.typ {
				case "IF":
					v[j] += s.dt * r[j] * cur[j]
				case "LIF", "LI":
					tau := s.param(n, "tau", 1, size)
					v[j] += s.dt / tau[j] * (leak[j] - v[j] + r[j]*cur[j])
				case "CubaLIF":
					ts, tm := s.param(n, "tau_syn", 1, size), s.param(n, "tau_mem", 1, size)
					win := s.param(n, "w_in", 1, size)
					syn[j] += s.dt / ts[j] * (-syn[j] + win[j]*cur[j])
					v[j] += s.dt / tm[j] * (leak[j] - v[j] + r[j]*syn[j])
				}
				if n.typ == "LI" {
					y[j] = v[j]
				} else if v[j] >= th[j] {
					y[j], v[j] = 1, reset[j]
				}
			}
			out[name] = y
		default:
			s.t.Fatalf("stepper: node type %s", n.typ)
		}
	}
	return out
}

// window applies a Conv2d, SumPool2d or AvgPool2d node (square geometry).
func (s *nirStepper) window(n *nirNode, in, o ir.Shape, x []float64) []float64 {
	im := &importer{}
	g, _, err := im.window(n, in)
	if err != nil {
		s.t.Fatal(err)
	}
	k := g.Kernel
	w, _, _ := n.floats("weight")
	b := s.param(n, "bias", 0, o.C)
	y := make([]float64, o.Len())
	for c := 0; c < o.C; c++ {
		for oy := 0; oy < o.H; oy++ {
			for ox := 0; ox < o.W; ox++ {
				var acc float64
				for ci := 0; ci < in.C; ci++ {
					if n.typ != "Conv2d" && ci != c {
						continue
					}
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							iy, ix := oy*g.Stride+ky-g.Pad, ox*g.Stride+kx-g.Pad
							if iy < 0 || ix < 0 || iy >= in.H || ix >= in.W {
								continue
							}
							v := x[(ci*in.H+iy)*in.W+ix]
							switch n.typ {
							case "Conv2d":
								acc += w[((c*in.C+ci)*k+ky)*k+kx] * v
							case "SumPool2d":
								acc += v
							default:
								acc += v / float64(k*k)
							}
						}
					}
				}
				if n.typ == "Conv2d" {
					acc += b[c]
				}
				y[(c*o.H+oy)*o.W+ox] = acc
			}
		}
	}
	return y
}

// TestNIRFixtureSemantics runs each importable fixture in the reference
// executor and in the NIR-equation stepper on a seeded input and compares
// every spiking node spike for spike and every LI membrane to 1e-4.
func TestNIRFixtureSemantics(t *testing.T) {
	for _, c := range []struct {
		file string
		gain float64 // input scale that makes the layers fire
	}{{"snntorch_mlp", 2}, {"conv_net", 4}, {"residual", 4}, {"cuba", 40}} {
		t.Run(c.file, func(t *testing.T) {
			const T = 12
			g, err := importFixture(t, c.file, NIROptions{T: T})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(nirDir, c.file+".nir"))
			ng, err := readNIRGraph(b)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(3))
			in32 := make([]float32, g.Input().Shape.Len())
			for j := range in32 {
				in32[j] = float32(rng.Float64() * c.gain)
			}
			compareStepper(t, g, ng, in32, T)
		})
	}
}

// compareStepper runs g in the reference executor and ng in the NIR
// stepper for T steps of input in and compares every spiking node spike
// for spike and every LI membrane to 1e-4; it fails when nothing spikes.
func compareStepper(t *testing.T, g *ir.Graph, ng *nirGraph, in32 []float32, T int) {
	t.Helper()
	in := make([]float64, len(in32))
	for j, v := range in32 {
		in[j] = float64(v)
	}
	x, err := ir.NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int][]float32{}
	if _, err := x.Run(in32, func(step, p int, out []float32) { got[p] = append(got[p], out...) }); err != nil {
		t.Fatal(err)
	}
	st := newNIRStepper(t, ng, DefaultNIRDT)
	spikes := map[string]int{}
	for step := 0; step < T; step++ {
		out := st.step(in)
		for name, y := range out {
			typ := ng.nodes[name].typ
			if typ != "LIF" && typ != "IF" && typ != "CubaLIF" && typ != "LI" {
				continue
			}
			p := g.Index(g.Pop(name))
			for j, want := range y {
				have := float64(got[p][step*len(y)+j])
				if typ == "LI" {
					if math.Abs(have-want) > 1e-4*math.Max(1, math.Abs(want)) {
						t.Fatalf("%s step %d neuron %d: executor membrane %g, stepper %g", name, step, j, have, want)
					}
					continue
				}
				if have != want {
					t.Fatalf("%s step %d neuron %d: executor %g, stepper %g", name, step, j, have, want)
				}
				spikes[name] += int(want)
			}
		}
	}
	t.Logf("spikes per node over %d steps: %v", T, spikes)
	total := 0
	for _, n := range spikes {
		total += n
	}
	if total == 0 {
		t.Errorf("no spikes: the input does not exercise %s", g.Name)
	}
}

// TestNIRSyntheticSemantics covers what the fixtures leave silent: an IF
// layer that fires (r = 1/dt), a Scale node, an AvgPool2d into a
// materialised relay, a LIF with v_leak and v_reset != 0, and a
// non-trivial LI readout membrane, against the stepper.
func TestNIRSyntheticSemantics(t *testing.T) {
	const T = 16
	rng := rand.New(rand.NewSource(5))
	rnd := func(n int, scale float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(float32((rng.Float64()*2 - 0.5) * scale))
		}
		return v
	}
	p := func(kv ...any) map[string]*hdf5.Value {
		m := map[string]*hdf5.Value{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(*hdf5.Value)
		}
		return m
	}
	ng := nirOf([]*nirNode{
		{name: "in", typ: "Input", params: p("shape", ivals(2, 6, 6))},
		{name: "conv", typ: "Conv2d", params: p("weight", vals([]int{3, 2, 3, 3}, rnd(54, 1)...), "bias", vals([]int{3}, rnd(3, 0.1)...),
			"stride", ivals(1, 1), "padding", ivals(1, 1), "dilation", ivals(1, 1), "groups", ivals(1))},
		{name: "if", typ: "IF", params: p("r", vals([]int{3, 6, 6}, 1/DefaultNIRDT), "v_threshold", vals([]int{3, 6, 6}, 1), "v_reset", vals([]int{3, 6, 6}, 0))},
		{name: "pool", typ: "AvgPool2d", params: p("kernel_size", ivals(2, 2), "stride", ivals(2, 2), "padding", ivals(0, 0))},
		{name: "scale", typ: "Scale", params: p("scale", vals([]int{3, 3, 3}, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1))},
		{name: "lif", typ: "LIF", params: p("tau", vals([]int{3, 3, 3}, 4e-4), "r", vals([]int{3, 3, 3}, 4), "v_leak", vals([]int{3, 3, 3}, 0.25),
			"v_threshold", vals([]int{3, 3, 3}, 1), "v_reset", vals([]int{3, 3, 3}, -0.125))},
		{name: "flat", typ: "Flatten", params: p("start_dim", ivals(0), "end_dim", ivals(-1))},
		{name: "fc", typ: "Affine", params: p("weight", vals([]int{4, 27}, rnd(108, 1)...), "bias", vals([]int{4}, rnd(4, 0.2)...))},
		{name: "li", typ: "LI", params: p("tau", vals([]int{4}, 5e-4), "r", vals([]int{4}, 3), "v_leak", vals([]int{4}, 0.1))},
		{name: "out", typ: "Output"},
	}, [2]string{"in", "conv"}, [2]string{"conv", "if"}, [2]string{"if", "pool"}, [2]string{"pool", "scale"},
		[2]string{"scale", "lif"}, [2]string{"lif", "flat"}, [2]string{"flat", "fc"}, [2]string{"fc", "li"}, [2]string{"li", "out"})
	g, err := importGraph(ng, NIROptions{T: T})
	if err != nil {
		t.Fatal(err)
	}
	g.Name = "synthetic"
	in := make([]float32, g.Input().Shape.Len())
	for j := range in {
		in[j] = float32(rng.Float64())
	}
	compareStepper(t, g, ng, in, T)
	if li := g.Pop("li"); li.Neuron.Model != ir.LI || li.Neuron.Tau != 5 {
		t.Errorf("li: %v, want li(tau=5)", li.Neuron)
	}
}

// TestNIRCubaLIFForms: a CubaLIF with v_leak = v_reset (w_in and r folded
// into its input weights) imports as one cuba_lif population; one with
// v_leak != v_reset as an li current "<name>.syn" and a lif membrane with
// the leak as bias. Both step as the NIR equations, spike for spike.
func TestNIRCubaLIFForms(t *testing.T) {
	const T = 20
	rng := rand.New(rand.NewSource(7))
	w := make([]float64, 5*4)
	for i := range w {
		w[i] = float64(float32(rng.Float64()*2 - 0.4))
	}
	cuba := func(name string, leak float64) *nirNode {
		return &nirNode{name: name, typ: "CubaLIF", params: map[string]*hdf5.Value{
			"tau_syn": vals([]int{5}, 3e-4), "tau_mem": vals([]int{5}, 6e-4), "r": vals([]int{5}, 1.5), "w_in": vals([]int{5}, 2),
			"v_leak": vals([]int{5}, leak), "v_threshold": vals([]int{5}, 1), "v_reset": vals([]int{5}, 0)}}
	}
	for _, tc := range []struct {
		name string
		leak float64
		pops []string // populations after the input
	}{{"cuba_lif", 0, []string{"cuba"}}, {"leaky", 0.2, []string{"cuba.syn", "cuba"}}} {
		t.Run(tc.name, func(t *testing.T) {
			ng := nirOf([]*nirNode{
				{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(4)}},
				{name: "fc", typ: "Linear", params: map[string]*hdf5.Value{"weight": vals([]int{5, 4}, w...)}},
				cuba("cuba", tc.leak),
				{name: "out", typ: "Output"},
			}, [2]string{"in", "fc"}, [2]string{"fc", "cuba"}, [2]string{"cuba", "out"})
			g, err := importGraph(ng, NIROptions{T: T})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range g.Pops[1:] {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, tc.pops) {
				t.Fatalf("populations %v, want %v\n%v", names, tc.pops, g)
			}
			if tc.leak == 0 && g.Pop("cuba").Neuron != (ir.Neuron{Model: ir.CubaLIF, Tau: 6, SynTau: 3, Threshold: 1}) {
				t.Errorf("cuba: %v, want cuba_lif(tau=6 syn_tau=3 th=1 reset=0)", g.Pop("cuba").Neuron)
			}
			in := make([]float32, 4)
			for j := range in {
				in[j] = float32(rng.Float64())
			}
			compareStepper(t, g, ng, in, T)
		})
	}
}
