package ir

// Synapse geometry: which neurons a projection connects. SynapsesFrom and
// SynapsesInto enumerate the explicit synapses of a projection (one per
// source/target pair inside the unpadded input, as a chip without weight
// sharing stores them), from a source neuron or into a target neuron;
// Window is the one-axis geometry of convolutions and pools that they, the
// executors, the synapse counts and the compiler's fragment sizing share.

import "slices"

// Window is the geometry of a convolution or pooling window along one
// spatial axis: output index o reads input index o*Stride - Pad + k
// through tap k in [0, Kernel); a tap whose input lies outside [0, In) is
// padding, not a synapse. Out is the output size.
type Window struct {
	In, Out, Kernel, Stride, Pad int
}

// Rows returns the window of e along the height (H) axis. It is meaningful
// for Conv2D and the pools.
func (e *Projection) Rows() Window {
	return Window{In: e.Src.Shape.H, Out: e.Dst.Shape.H, Kernel: e.Kernel, Stride: e.Stride, Pad: e.Pad}
}

// Cols returns the window of e along the width (W) axis. It is meaningful
// for Conv2D and the pools.
func (e *Projection) Cols() Window {
	return Window{In: e.Src.Shape.W, Out: e.Dst.Shape.W, Kernel: e.Kernel, Stride: e.Stride, Pad: e.Pad}
}

// OutAt returns the output index that reads input index i through tap k,
// and false when there is none (i + Pad - k is negative or not a multiple
// of Stride, or the output is >= Out).
func (w Window) OutAt(i, k int) (int, bool) {
	num := i + w.Pad - k
	if num < 0 || num%w.Stride != 0 {
		return 0, false
	}
	o := num / w.Stride
	return o, o < w.Out
}

// InAt returns the input index that output o reads through tap k, and
// false when the tap is padding.
func (w Window) InAt(o, k int) (int, bool) {
	i := o*w.Stride - w.Pad + k
	return i, i >= 0 && i < w.In
}

// Taps returns the number of (output, tap) pairs with the output in
// [o0, o1) whose input is inside [0, In): the synapses per channel pair of
// those outputs along this axis.
func (w Window) Taps(o0, o1 int) int64 {
	var n int64
	for o := o0; o < o1; o++ {
		for k := 0; k < w.Kernel; k++ {
			if _, ok := w.InAt(o, k); ok {
				n++
			}
		}
	}
	return n
}

// Sources returns, sorted, the distinct input indices that outputs
// [o0, o1) read (padding excluded).
func (w Window) Sources(o0, o1 int) []int {
	var out []int
	last := -1
	for o := o0; o < o1; o++ {
		for k := 0; k < w.Kernel; k++ {
			i, ok := w.InAt(o, k)
			if !ok {
				continue
			}
			if i > last {
				out = append(out, i)
				last = i
				continue
			}
			if p, found := slices.BinarySearch(out, i); !found { // stride > kernel leaves gaps; keep sorted
				out = slices.Insert(out, p, i)
			}
		}
	}
	return out
}

// SynapsesFrom calls fn(dst, wi) for every synapse of e leaving source
// neuron src (a C,H,W index into e.Src): dst is the target neuron (a C,H,W
// index into e.Dst) and wi the index of the synapse's weight in the
// projection's weights as stored (Weights and Q.Weights: [Cout][Cin][K][K]
// for Conv2D, [Out][In] for Dense; 0, the one shared weight, for the pools
// and Identity). The order is fixed: for Conv2D output channel, then kernel
// row, then kernel column; for the pools kernel row, then column; for
// Dense ascending dst. Padding taps are not synapses. SynapsesFrom
// allocates nothing; fn is called synchronously and may be a closure on
// the caller's stack. It panics on an operator without synapses.
func SynapsesFrom(e *Projection, src int, fn func(dst, wi int)) {
	s, d := e.Src.Shape, e.Dst.Shape
	switch e.Op {
	case Conv2D, AvgPool, SumPool, MaxPool:
		k := e.Kernel
		hw := s.H * s.W
		ci, ih, iw := src/hw, src%hw/s.W, src%s.W
		rows, cols := e.Rows(), e.Cols()
		c0, c1 := ci, ci+1 // a pool keeps the channel
		if e.Op == Conv2D {
			c0, c1 = 0, d.C
		}
		for co := c0; co < c1; co++ {
			wi := 0
			if e.Op == Conv2D {
				wi = (co*s.C + ci) * k * k
			}
			for kh := 0; kh < k; kh++ {
				oh, ok := rows.OutAt(ih, kh)
				if !ok {
					continue
				}
				for kw := 0; kw < k; kw++ {
					ow, ok := cols.OutAt(iw, kw)
					if !ok {
						continue
					}
					if e.Op == Conv2D {
						fn((co*d.H+oh)*d.W+ow, wi+kh*k+kw)
					} else {
						fn((co*d.H+oh)*d.W+ow, 0)
					}
				}
			}
		}
	case Dense:
		in := s.Len()
		for o := 0; o < d.Len(); o++ {
			fn(o, o*in+src)
		}
	case Identity:
		fn(src, 0)
	default:
		panic("ir: SynapsesFrom: projection " + e.Name + " has operator " + e.Op.String())
	}
}

// SynapsesInto calls fn(src, wi) for every synapse of e into target neuron
// dst (a C,H,W index into e.Dst): src is the source neuron (a C,H,W index
// into e.Src) and wi the index of its weight as for SynapsesFrom. The order
// is fixed: for Conv2D kernel row, then kernel column, then input channel;
// for the pools kernel row, then column; for Dense ascending src. Padding
// taps are not synapses. It allocates nothing and panics on an operator
// without synapses.
func SynapsesInto(e *Projection, dst int, fn func(src, wi int)) {
	s, d := e.Src.Shape, e.Dst.Shape
	switch e.Op {
	case Conv2D, AvgPool, SumPool, MaxPool:
		k := e.Kernel
		hw := d.H * d.W
		co, oh, ow := dst/hw, dst%hw/d.W, dst%d.W
		rows, cols := e.Rows(), e.Cols()
		c0, c1 := co, co+1 // a pool keeps the channel
		if e.Op == Conv2D {
			c0, c1 = 0, s.C
		}
		for kh := 0; kh < k; kh++ {
			ih, ok := rows.InAt(oh, kh)
			if !ok {
				continue
			}
			for kw := 0; kw < k; kw++ {
				iw, ok := cols.InAt(ow, kw)
				if !ok {
					continue
				}
				for ci := c0; ci < c1; ci++ {
					if e.Op == Conv2D {
						fn((ci*s.H+ih)*s.W+iw, ((co*s.C+ci)*k+kh)*k+kw)
					} else {
						fn((ci*s.H+ih)*s.W+iw, 0)
					}
				}
			}
		}
	case Dense:
		in := s.Len()
		for j := 0; j < in; j++ {
			fn(j, dst*in+j)
		}
	case Identity:
		fn(dst, 0)
	default:
		panic("ir: SynapsesInto: projection " + e.Name + " has operator " + e.Op.String())
	}
}
