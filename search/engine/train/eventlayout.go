// The data layouts the event kernels read: the reversed filter
// (reverseInto) and the per-pixel table of event offsets (pixTable).

package train

import (
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// reverseInto fills the part of dst for input channels lo..hi-1 of c's
// reversed filter, dst[ci][kh][K-1-kw][co] = W[co][ci][kh][kw] (the layout
// of the fused convolution kernels: one kernel row of all output channels
// is contiguous); dst has the weights' length.
func reverseInto(c *nn.Conv2d, dst []float32, lo, hi int) {
	k, cin, cout := c.K, c.Cin, c.Cout
	w := c.Weight.Data
	for ci := lo; ci < hi; ci++ {
		for kh := range k {
			for kw := range k {
				d := dst[((ci*k+kh)*k+(k-1-kw))*cout : ((ci*k+kh)*k+(k-kw))*cout]
				src := (ci*k+kh)*k + kw
				for co := range d {
					d[co] = w[co*cin*k*k+src]
				}
			}
		}
	}
}

// pixEntry is the per-pixel part of an event of the spike convolution: for
// an input spike at pixel (h, w) of any channel, the byte offset of the
// first output (row o = h+p-khLo, column a) in the HWC image, the byte
// offset of the first filter value within the channel's reversed filter
// (row khLo, column a-owLo), the bytes per row ((b-a+1)*Cout*4) and the
// number of kernel rows (0 when the spike reaches no output), as
// spikeConv.reach computes them. The layout is known to convEventsTabAVX2
// and pixEventsAVX2.
type pixEntry struct {
	yoff, xoff, nb, rows int32
}

// pixTable fills tab (reused when long enough) with the entries of every
// input pixel of shape s (stride 1).
func (c *spikeConv) pixTable(s tensor.ConvShape, tab []pixEntry) []pixEntry {
	plane := s.H * s.W
	tab = grow(tab, plane)
	oh, ow := s.OutH(), s.OutW()
	for h := range s.H {
		for w := range s.W {
			e := &tab[h*s.W+w]
			*e = pixEntry{}
			if r, ok := c.reach(h, w, oh, ow); ok {
				*e = pixEntry{yoff: int32(r.boff * 4), xoff: int32(r.aoff * 4), nb: int32(r.n * 4), rows: int32(r.rows)}
			}
		}
	}
	return tab
}
