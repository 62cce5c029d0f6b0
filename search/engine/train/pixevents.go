package train

import (
	"math/bits"

	"github.com/autosnn/autosnn/search/engine/tensor"
)

// The training forward of a spike convolution groups its events by input
// pixel: every output row segment that a firing pixel reaches is loaded
// once, gains the reversed filter rows of all the channels that fire there,
// and is stored once, instead of once per channel as in events. At the
// firing rates of training (a mean of about two of 16 channels at a firing
// pixel) that halves the loads and stores of the output image, which is the
// bound of the event loop. The sums are those of events in another order
// (pixel by pixel, channels in increasing order), so evaluation, whose
// fused path must match the layered one bit for bit, keeps events.

// maxPixelChannels is the largest input channel count of the pixel-grouped
// loop (one 64-bit mask per pixel).
const maxPixelChannels = 64

// pixBufs are one worker's buffers of the pixel-grouped forward (the
// per-pixel geometry is the convolution's pixTable, built once per
// Forward).
type pixBufs struct {
	masks []uint64  // per input pixel: the channels that fire there
	list  [64]int64 // scratch of pixEventsAVX2
}

// usePixels reports whether the forward of the current input takes the
// pixel-grouped loop: in training, with at most maxPixelChannels input
// channels.
func (c *spikeConv) usePixels() bool {
	return c.training && c.Cin <= maxPixelChannels
}

// pixelMasks sets masks[p] to the set of input channels firing at pixel p
// of image n, from its event lists, and reports whether every event has
// the value 1; inputs that are not binary (the masks are then incomplete)
// must take events.
func (c *spikeConv) pixelMasks(n int, masks []uint64, divPlane divider) bool {
	clear(masks)
	s := c.shape
	plane := s.H * s.W
	img := s.Cin * plane
	xn := c.x.Data[n*img : (n+1)*img]
	u0, u1 := c.imageUnits(n)
	for u := u0; u < u1; u++ {
		ev := c.unitEvents(u)
		if len(ev) > 0 && (ev[0] < 0 || int(ev[len(ev)-1]) >= img) { // lists are in increasing order
			panic("train: spike events outside the image")
		}
		if !c.fromSource { // the neurons' lists hold spikes only
			for _, e := range ev {
				if xn[e] != 1 {
					return false
				}
			}
		}
		for _, e := range ev {
			i := int(e)
			ci := divPlane.div(i)
			masks[i-ci*plane] |= 1 << uint(ci)
		}
	}
	return true
}

// pixEvents adds, for every input pixel p of one image (row-major) and
// every channel ci set in masks[p] (increasing), the reversed filter rows
// of ci (in a) to the output pixels (in b, HWC) they reach, as tab[p]
// (pixTable's table for s) says: the contributions of events for binary
// inputs, summed pixel by pixel. The images have shape s (its N is not
// used). The AVX2 loop and the Go loop do the same additions in the same
// order.
func (c *spikeConv) pixEvents(s tensor.ConvShape, masks []uint64, tab []pixEntry, a, b []float32, list *[64]int64) {
	if pixEventsAsm(c, s, masks, tab, a, b, list) {
		return
	}
	c.pixEventsGo(s, masks, tab, a, b)
}

// pixEventsGo is the loop of pixEvents in Go.
func (c *spikeConv) pixEventsGo(s tensor.ConvShape, masks []uint64, tab []pixEntry, a, b []float32) {
	k, cout := c.K, c.Cout
	ow := s.OutW()
	for px, m := range masks {
		e := tab[px]
		if m == 0 || e.rows == 0 {
			continue
		}
		boff, aoff, n := int(e.yoff)/4, int(e.xoff)/4, int(e.nb)/4
		for r := range int(e.rows) {
			out := b[boff-r*ow*cout:][:n]
			for mm := m; mm != 0; mm &= mm - 1 {
				ci := bits.TrailingZeros64(mm)
				f := a[ci*k*k*cout+aoff+r*k*cout:][:n]
				for j := range out {
					out[j] += f[j]
				}
			}
		}
	}
}
