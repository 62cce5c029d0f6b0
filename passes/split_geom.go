package passes

// Geometry of fragments: which source neurons a rectangular tile of a
// population reads through each projection, how many synapses it holds and
// how much synaptic memory they need, in closed form over the tile's rows
// and columns with the window geometry of ir.Window (the synapses
// ir.SynapsesInto enumerates one by one; split_test checks the two agree).
// Used by split (sizing), partition (connectivity) and verify (recounting).

import (
	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Fragment is a rectangular tile of one population: channels [C0, C1),
// rows [H0, H1) and columns [W0, W1). Fragments of a population are
// disjoint and cover it. Split makes them; partition gives each a part
// (Part) and place maps parts onto cores.
type Fragment struct {
	// Pop is the index of the population in Graph.Pops (never 0, the input).
	Pop int
	// C0, C1, H0, H1, W0, W1 bound the tile (half-open ranges).
	C0, C1, H0, H1, W0, W1 int
	// Neurons is (C1-C0)*(H1-H0)*(W1-W0).
	Neurons int
	// Synapses counts the explicit synapses into the fragment's neurons
	// from chip-side (non-host) projections; padding taps excluded.
	Synapses int64
	// Weights counts the synaptic weights the fragment stores on its own:
	// Synapses without native weight sharing; with it, one conv kernel
	// slice per output channel and one value per pool or shortcut.
	Weights int64
	// FanIn is the number of distinct chip-side source neurons.
	FanIn int
}

// Len returns the number of neurons of the fragment.
func (f *Fragment) Len() int { return (f.C1 - f.C0) * (f.H1 - f.H0) * (f.W1 - f.W0) }

// Contains reports whether local neuron (c, h, w) lies in the fragment.
func (f *Fragment) Contains(c, h, w int) bool {
	return c >= f.C0 && c < f.C1 && h >= f.H0 && h < f.H1 && w >= f.W0 && w < f.W1
}

// hostProj reports whether e is evaluated by the host (it reads the input
// population) and so occupies neither synaptic memory nor input axons.
func hostProj(e *ir.Projection) bool {
	return e.Src.Neuron.Model == ir.Input || (e.Q != nil && e.Q.Host)
}

// srcBox is a product set of source neurons: every (c, h, w) with c in
// Chans, h in Rows and w in Cols.
type srcBox struct {
	Chans, Rows, Cols []int
}

func iota0(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func span(a, b int) []int {
	s := make([]int, b-a)
	for i := range s {
		s[i] = a + i
	}
	return s
}

// sources returns the source neurons that the tile f of e.Dst reads
// through e.
func sources(e *ir.Projection, f *Fragment) srcBox {
	s := e.Src.Shape
	switch e.Op {
	case ir.Dense:
		return srcBox{iota0(s.C), iota0(s.H), iota0(s.W)}
	case ir.Identity:
		return srcBox{span(f.C0, f.C1), span(f.H0, f.H1), span(f.W0, f.W1)}
	}
	rows := e.Rows().Sources(f.H0, f.H1)
	cols := e.Cols().Sources(f.W0, f.W1)
	if e.Op == ir.Conv2D {
		return srcBox{iota0(s.C), rows, cols}
	}
	return srcBox{span(f.C0, f.C1), rows, cols}
}

// fragSynapses returns the explicit synapses of e into tile f.
func fragSynapses(e *ir.Projection, f *Fragment) int64 {
	s := e.Src.Shape
	nc := int64(f.C1 - f.C0)
	switch e.Op {
	case ir.Dense:
		return int64(s.Len()) * int64(f.Len())
	case ir.Identity:
		return int64(f.Len())
	}
	taps := e.Rows().Taps(f.H0, f.H1) * e.Cols().Taps(f.W0, f.W1)
	if e.Op == ir.Conv2D {
		return taps * int64(s.C) * nc
	}
	return taps * nc
}

// fragWeights returns the weights tile f stores for e: its synapses, or
// with native weight sharing the kernel slices of its output channels (conv)
// or one shared value (pools, shortcuts).
func fragWeights(e *ir.Projection, f *Fragment, sharing bool) int64 {
	if !sharing {
		return fragSynapses(e, f)
	}
	switch e.Op {
	case ir.Conv2D:
		return int64(f.C1-f.C0) * int64(e.Src.Shape.C) * int64(e.Kernel*e.Kernel)
	case ir.Dense:
		return fragSynapses(e, f)
	}
	return 1
}

// memBytes converts a weight count into bytes of synaptic memory at the
// target's weight precision (bits packed, rounded up to whole bytes).
func memBytes(t *backends.Target, weights int64) int64 {
	return (weights*int64(t.Profile.Precision.WeightBits) + 7) / 8
}

// measure fills the Synapses, Weights and FanIn fields of f, the tile of
// g.Pops[f.Pop] read through in (the chip-side projections into it).
// mark is scratch space indexed by source-neuron local index (grown as
// needed) for counting distinct sources of projections sharing a source.
func measure(in []*ir.Projection, f *Fragment, sharing bool, mark *[]bool) {
	f.Neurons = f.Len()
	f.Synapses, f.Weights, f.FanIn = 0, 0, 0
	bySrc := map[*ir.Population][]*ir.Projection{}
	var order []*ir.Population
	for _, e := range in {
		f.Synapses += fragSynapses(e, f)
		f.Weights += fragWeights(e, f, sharing)
		if _, ok := bySrc[e.Src]; !ok {
			order = append(order, e.Src)
		}
		bySrc[e.Src] = append(bySrc[e.Src], e)
	}
	for _, src := range order {
		es := bySrc[src]
		if len(es) == 1 {
			b := sources(es[0], f)
			f.FanIn += len(b.Chans) * len(b.Rows) * len(b.Cols)
			continue
		}
		n := src.Shape.Len()
		if cap(*mark) < n {
			*mark = make([]bool, n)
		}
		m := (*mark)[:n]
		clear(m)
		for _, e := range es {
			b := sources(e, f)
			for _, c := range b.Chans {
				for _, h := range b.Rows {
					for _, w := range b.Cols {
						if i := (c*src.Shape.H+h)*src.Shape.W + w; !m[i] {
							m[i] = true
							f.FanIn++
						}
					}
				}
			}
		}
	}
}

// chipInputs returns the chip-side projections into population p.
func chipInputs(g *ir.Graph, p *ir.Population) []*ir.Projection {
	var in []*ir.Projection
	for _, e := range g.In(p) {
		if !hostProj(e) {
			in = append(in, e)
		}
	}
	return in
}
