package backends

// This file writes the projections of a SANA-FE export as SANA-FE's compact
// hyperedges (dense, conv2d, sparse).

import (
	"bufio"
	"strconv"

	"github.com/autosnn/autosnn/ir"
)

// writeProjection writes projection e from group src to group dst: a dense
// block for Dense, one conv2d edge for a convolution SANA-FE's conv2d
// reproduces synapse for synapse (sanafeConv2D), and one sparse edge
// otherwise. Weights are scaled by the destination's input scale k (see
// WriteSANAFENetwork).
func writeProjection(bw *bufio.Writer, e *ir.Projection, src, dst string) {
	k, _ := sanafeLeak(e.Dst)
	if e.Op == ir.Dense {
		in, out := e.Src.Shape.Len(), e.Dst.Shape.Len()
		bw.WriteString("    - " + src + " -> " + dst + ": {type: dense, weight: [")
		for s := 0; s < in; s++ {
			for d := 0; d < out; d++ {
				if s > 0 || d > 0 {
					bw.WriteString(", ")
				}
				bw.WriteString(si(k*float64(e.Q.Weights[d*in+s]), ""))
			}
		}
		bw.WriteString("]}\n")
		return
	}
	if filt, ok := sanafeConv2D(e); ok {
		s, d := e.Src.Shape, e.Dst.Shape
		bw.WriteString("    - " + src + " -> " + dst + ": {type: conv2d")
		for _, kv := range []struct {
			k string
			v int
		}{{"input_height", s.H}, {"input_width", s.W}, {"input_channels", s.C}, {"kernel_count", d.C},
			{"kernel_height", e.Kernel}, {"kernel_width", e.Kernel}, {"stride_height", e.Stride}, {"stride_width", e.Stride}} {
			bw.WriteString(", " + kv.k + ": " + strconv.Itoa(kv.v))
		}
		bw.WriteString(", weight: [")
		for i, wi := range filt {
			if i > 0 {
				bw.WriteString(", ")
			}
			bw.WriteString(si(k*float64(e.Q.Weights[wi]), ""))
		}
		bw.WriteString("]}\n")
		return
	}
	if ir.ProjCounts(e).Synapses == 0 {
		return
	}
	writeSparseEdge(bw, src, dst, func(yield func(s, d int, w float64)) {
		for s := 0; s < e.Src.Shape.Len(); s++ {
			ir.SynapsesFrom(e, s, func(d, wi int) { yield(s, d, k*float64(e.Q.Weights[wi])) })
		}
	})
}

// writeSparseEdge writes the synapses each walks as one sparse hyperedge
// "src -> dst: {type: sparse, source_target_pairs: [[s, d], ...], weight:
// [...]}"; each must walk them in the same order every call.
func writeSparseEdge(bw *bufio.Writer, src, dst string, each func(yield func(s, d int, w float64))) {
	var buf []byte
	bw.WriteString("    - " + src + " -> " + dst + ": {type: sparse, source_target_pairs: [")
	first := true
	each(func(s, d int, _ float64) {
		buf = buf[:0]
		if !first {
			buf = append(buf, ", "...)
		}
		first = false
		buf = append(buf, '[')
		buf = strconv.AppendInt(buf, int64(s), 10)
		buf = append(buf, ", "...)
		buf = strconv.AppendInt(buf, int64(d), 10)
		buf = append(buf, ']')
		bw.Write(buf)
	})
	bw.WriteString("], weight: [")
	first = true
	each(func(_, _ int, w float64) {
		if !first {
			bw.WriteString(", ")
		}
		first = false
		bw.WriteString(si(w, ""))
	})
	bw.WriteString("]}\n")
}

// sanafeConv2D returns, for a convolution that SANA-FE's conv2d hyperedge
// reproduces exactly (no padding, every input channel to every kernel),
// the index into e.Q.Weights of every entry of SANA-FE's filter array
// (laid out [y][x][input channel][kernel]); ok is false otherwise.
// SANA-FE's conv2d connects output (c, y, x) to input (ci, y*s+ky, x*s+kx)
// with neurons numbered channel-major, as autosnn does, so the synapse
// sets agree exactly when the padding is 0.
func sanafeConv2D(e *ir.Projection) (filt []int, ok bool) {
	if e.Op != ir.Conv2D || e.Pad != 0 {
		return nil, false
	}
	s, d, k := e.Src.Shape, e.Dst.Shape, e.Kernel
	if (s.H-k)/e.Stride+1 != d.H || (s.W-k)/e.Stride+1 != d.W || len(e.Q.Weights) != d.C*s.C*k*k {
		return nil, false
	}
	filt = make([]int, k*k*s.C*d.C)
	for ky := range k {
		for kx := range k {
			for ci := range s.C {
				for co := range d.C {
					// autosnn's conv weights are [out][in][ky][kx].
					filt[((ky*k+kx)*s.C+ci)*d.C+co] = ((co*s.C+ci)*k+ky)*k + kx
				}
			}
		}
	}
	return filt, true
}
