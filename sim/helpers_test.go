package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Test networks are compiled by hand: random float weights on host
// projections, random integer weights elsewhere, a fixed PopQuant, and a
// placement strategy. When the passes exist, compileNet is the one place to
// switch to passes.Compile.

// netSpec builds an uncompiled graph.
type netSpec func(enc ir.Encoding) (*ir.Graph, error)

// residualNet: input 2x6x6 -> stem conv3x3 (host) -> conv3x3 LIF -> conv3x3
// IF + identity shortcut -> sum-pool 2 (OR neurons) -> dense -> PLIF head
// with 2 classes x 2 votes. 472 neurons.
func residualNet(enc ir.Encoding) (*ir.Graph, error) {
	b := ir.NewBuilder("residual", ir.Header{T: 5, Encoding: enc, Classes: 2, Vote: 2})
	x := b.Input("x", ir.Shape{C: 2, H: 6, W: 6})
	conv := func(src *ir.Population, out int) ir.Edge {
		return ir.Edge{Src: src, Op: ir.Conv2D, Out: out, Kernel: 3, Stride: 1, Pad: 1}
	}
	stem := b.Layer("stem", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, conv(x, 4))
	c1 := b.Layer("c1", ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, conv(stem, 4))
	r1 := b.Layer("r1", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 2}, conv(c1, 4), ir.Skip(stem))
	p1 := b.Layer("p1", ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: 1}, ir.Role{Kind: ir.RolePool, Block: 1}, ir.Pool(ir.SumPool, r1, 2))
	b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(p1, 4))
	return b.Graph()
}

// pairNet: one host-driven neuron projecting densely onto one neuron, for
// single-message latency tests.
func pairNet(enc ir.Encoding) (*ir.Graph, error) {
	b := ir.NewBuilder("pair", ir.Header{T: 1, Encoding: enc, Classes: 1, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 1, W: 1})
	a := b.Layer("a", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Full(x, 1))
	b.Layer("b", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(a, 1))
	return b.Graph()
}

// placement assigns a core to every neuron of every non-input population
// of g (one slice per population, nil for the input).
type placement func(t *backends.Target, g *ir.Graph, rng *rand.Rand) [][]int32

func neurons(g *ir.Graph) int {
	n := 0
	for _, p := range g.Pops[1:] {
		n += p.Shape.Len()
	}
	return n
}

// split cuts a flat list of cores (neurons in graph order) per population.
func split(g *ir.Graph, flat []int32) [][]int32 {
	out := make([][]int32, len(g.Pops))
	off := 0
	for i, p := range g.Pops[1:] {
		out[i+1] = flat[off : off+p.Shape.Len()]
		off += p.Shape.Len()
	}
	return out
}

// fill puts neurons on cores 0, 1, ... in graph order, filling each to
// capacity (a layer's channels go to different cores).
func fill(t *backends.Target, g *ir.Graph, _ *rand.Rand) [][]int32 {
	out := make([]int32, neurons(g))
	c, used := 0, 0
	for i := range out {
		if used == t.NeuronCapacity(c) {
			c, used = c+1, 0
		}
		out[i] = int32(c)
		used++
	}
	return split(g, out)
}

// reversed fills from the last core down.
func reversed(t *backends.Target, g *ir.Graph, rng *rand.Rand) [][]int32 {
	out := fill(t, g, rng)
	for _, cs := range out {
		for i := range cs {
			cs[i] = int32(t.NumCores-1) - cs[i]
		}
	}
	return out
}

// scattered is a random permutation of all neuron slots of the chip, so
// most neighbours live on different cores.
func scattered(t *backends.Target, g *ir.Graph, rng *rand.Rand) [][]int32 {
	var slots []int32
	for c := 0; c < t.NumCores; c++ {
		for range t.NeuronCapacity(c) {
			slots = append(slots, int32(c))
		}
	}
	rng.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	return split(g, slots[:neurons(g)])
}

// tiled gives each core a spatial patch of a layer with all its channels,
// halving the patch (height, then width) until it fits a core, as a
// locality-aware partitioner would: a convolution's spike then reaches one
// or a few cores. Each population starts on a fresh core.
func tiled(t *backends.Target, g *ir.Graph, _ *rand.Rand) [][]int32 {
	out := make([][]int32, len(g.Pops))
	next := 0
	for i, p := range g.Pops[1:] {
		sh := p.Shape
		capN := t.NeuronCapacity(next)
		ph, pw := sh.H, sh.W
		for sh.C*ph*pw > capN && (ph > 1 || pw > 1) {
			if ph >= pw {
				ph = (ph + 1) / 2
			} else {
				pw = (pw + 1) / 2
			}
		}
		cs := make([]int32, sh.Len())
		if sh.C*ph*pw > capN { // channels alone overflow: fill
			for j := range cs {
				cs[j] = int32(next + j/capN)
			}
			next += (len(cs) + capN - 1) / capN
		} else {
			nw := (sh.W + pw - 1) / pw
			nh := (sh.H + ph - 1) / ph
			for c := 0; c < sh.C; c++ {
				for y := 0; y < sh.H; y++ {
					for x := 0; x < sh.W; x++ {
						cs[(c*sh.H+y)*sh.W+x] = int32(next + (y/ph)*nw + x/pw)
					}
				}
			}
			next += nh * nw
		}
		out[i+1] = cs
	}
	return out
}

// compileNet quantizes and places g by hand, deterministically from seed.
// Weights are drawn so that every layer spikes at a moderate rate.
func compileNet(tb testing.TB, g *ir.Graph, t *backends.Target, place placement, seed uint64) *ir.Graph {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	total := 0
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		total += p.Shape.Len()
		q := &ir.PopQuant{Scale: 64, Threshold: 64, Reset: 0, VMin: -1 << 15, VMax: 1<<15 - 1}
		if p.Neuron.Model != ir.IF {
			q.Decay, q.DecayBits = int32(4096*p.Neuron.K()), 12
		}
		if p.Role.Kind == ir.RolePool {
			q.Threshold = 1
		}
		if i%2 == 0 {
			q.Bias = make([]int32, p.Shape.C)
			for c := range q.Bias {
				q.Bias[c] = int32(rng.IntN(9)) - 2
			}
		}
		p.Q = q
	}
	for _, e := range g.Projs {
		if e.Src == g.Input() {
			e.Q = &ir.ProjQuant{Host: true}
			e.Weights = make([]float32, e.WeightLen())
			for i := range e.Weights {
				e.Weights[i] = rng.Float32()*0.9 - 0.3
			}
			continue
		}
		if !e.Op.HasWeights() {
			w := int32(40)
			if e.Op == ir.SumPool {
				w = 1
			}
			e.Q = &ir.ProjQuant{Weights: []int32{w}}
			continue
		}
		w := make([]int32, e.WeightLen())
		fan := e.Src.Shape.Len()
		if e.Op == ir.Conv2D {
			fan = e.Src.Shape.C * e.Kernel * e.Kernel
		}
		hi := max(8, 640/fan)
		for i := range w {
			w[i] = int32(rng.IntN(hi+hi/2)) - int32(hi/2) + 2
		}
		e.Q = &ir.ProjQuant{Weights: w}
	}
	_ = total
	cores := place(t, g, rng)
	for i, p := range g.Pops {
		if i > 0 {
			p.Core = cores[i]
		}
	}
	if err := ir.Verify(g); err != nil {
		tb.Fatalf("hand-compiled graph does not verify: %v", err)
	}
	return g
}

func mustTarget(tb testing.TB, name string) *backends.Target {
	tb.Helper()
	t, err := backends.Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// randomInput returns an input for g in [0, 1).
func randomInput(g *ir.Graph, rng *rand.Rand) []float32 {
	n := g.Input().Shape.Len()
	if g.Encoding == ir.Frames {
		n *= g.T
	}
	in := make([]float32, n)
	for i := range in {
		in[i] = rng.Float32()
		if g.Encoding == ir.Frames && rng.IntN(3) > 0 {
			in[i] = 0 // sparse event frames
		}
	}
	return in
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

// rastersEqual reports whether two rasters are identical.
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
