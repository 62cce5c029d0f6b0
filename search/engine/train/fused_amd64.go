//go:build amd64 && !purego

package train

import (
	"github.com/autosnn/autosnn/search/engine/tensor"
)

//go:noescape
func fusedStepAVX2(a, b, v, y *float32, n int, fc *fusedConsts) int64

// hasFusedAVX2 reports whether the fused evaluation kernels run (AVX2/FMA).
var hasFusedAVX2 = hasAVX2FMA

// fusedStep is fusedStepGo with an AVX2 kernel for the multiple-of-8 head
// of the row (outputs bit-identical to the Go loop's). b may be nil.
func fusedStep(a, b, v, y []float32, fc *fusedConsts) int64 {
	m := len(a) &^ 7
	if !hasFusedAVX2 || m == 0 {
		return fusedStepGo(a, b, v, y, fc)
	}
	_, _ = v[len(a)-1], y[len(a)-1]
	var bp *float32
	if b != nil {
		_ = b[len(a)-1]
		bp = &b[0]
	}
	count := fusedStepAVX2(&a[0], bp, &v[0], &y[0], m, fc)
	if m == len(a) {
		return count
	}
	var bt []float32
	if b != nil {
		bt = b[m:]
	}
	return count + fusedStepGo(a[m:], bt, v[m:], y[m:], fc)
}

//go:noescape
func maxPool2x2AVX2(in, out *float32, q, w int) int64

// maxPool2x2 pools q row pairs of width w (even) of a spike map 2x2 with
// stride 2 into out (q*w/2 values) and returns the number of nonzero
// outputs; AVX2 for the widths the kernel takes, the Go loop otherwise.
func maxPool2x2(in, out []float32, q, w int) int64 {
	if q == 0 {
		return 0
	}
	_, _ = in[2*q*w-1], out[q*w/2-1]
	var count int64
	switch {
	case !hasFusedAVX2:
	case w%16 == 0:
		return maxPool2x2AVX2(&in[0], &out[0], q, w)
	case w == 8 && q >= 2:
		e := q &^ 1
		count = maxPool2x2AVX2(&in[0], &out[0], e, w)
		in, out, q = in[2*e*w:], out[e*w/2:], q-e
	}
	return count + maxPool2x2Go(in, out, q, w)
}

//go:noescape
func fusedHWCAVX2(hwc, tmp, b, v, y *float32, plane, cout, vstride int, fc *fusedConsts) int64

// fusedHWC runs the fused step on every channel of one image-step whose
// term a is the HWC image hwc (plane pixels x cout channels): b (CHW, may be
// nil) and y are CHW, v holds channel rows of hwcStride(plane) floats; fc
// has one entry per channel. It clears hwc. It reports false, doing
// nothing, unless the AVX2 kernel applies (see hwcStride); tmp holds at
// least 524 floats.
func fusedHWC(hwc, tmp, b, v, y []float32, plane, cout int, fc []fusedConsts, spikes *int64) bool {
	vs := hwcStride(plane, cout)
	n := plane * cout
	if vs == 0 {
		return false
	}
	_, _, _, _, _ = hwc[n-1], tmp[523], v[(cout-1)*vs+plane-1], y[n-1], fc[cout-1]
	var bp *float32
	if b != nil {
		_ = b[n-1]
		bp = &b[0]
	}
	*spikes += fusedHWCAVX2(&hwc[0], &tmp[0], bp, &v[0], &y[0], plane, cout, vs, &fc[0])
	return true
}

// hwcStride returns the row stride (floats) of the membrane state that
// fusedHWC uses for images of plane pixels and cout channels (plane plus
// 16 floats, so rows are not 4 KB apart), or 0 when fusedHWC does not apply
// (no AVX2, plane not a multiple of 64 or cout not of 8): the state is then
// plain CHW.
func hwcStride(plane, cout int) int {
	if !hasFusedAVX2 || plane%64 != 0 || cout%8 != 0 || plane*cout == 0 {
		return 0
	}
	return plane + 16
}

// eventParams are the constants of convEventsTabAVX2 and pixEventsAVX2
// (layout known to both).
type eventParams struct {
	mPlane, plane   int64 // multiply-shift divider of i / plane, and plane
	kcout4, owcout4 int64 // bytes of K*Cout and of OW*Cout floats
	cinStride       int64 // K*K*Cout*4: bytes of one input channel in wrev
}

// eventImageFast computes one output image of the convolution (shape s,
// stride 1) into hwc (HWC order, all zero on entry) from the input image xn
// and the indices of its nonzero values, with the reversed filter wrev
// (reverseInto). When tab is pixTable's table for s, the channel divider
// is a multiply-shift one and Cout is a multiple of 8, the whole event loop
// is one AVX2 call that reads the per-pixel decoding and clipping from tab;
// otherwise it is spikeConv.events. Both add the same events in the same
// order with the same FMA, so the output is bit-identical.
func (c *spikeConv) eventImageFast(s tensor.ConvShape, xn []float32, idx []int32, hwc, wrev []float32, tab []pixEntry) {
	plane := s.H * s.W
	divPlane := newDivider(plane, s.Cin*plane)
	if !hasFusedAVX2 || divPlane.m == 0 || c.Cout%8 != 0 || len(idx) == 0 || len(tab) != plane {
		c.events(s, eventForward, xn, idx, wrev, hwc)
		return
	}
	_, _ = xn[s.Cin*plane-1], hwc[s.OutH()*s.OutW()*c.Cout-1]
	_ = wrev[c.Cin*c.K*c.K*c.Cout-1]
	p := c.eventParams(s, divPlane)
	convEventsTabAVX2(&idx[0], len(idx), &xn[0], &wrev[0], &hwc[0], &tab[0], &p)
}

// eventParams returns the constants of the table-driven event kernels
// (convEventsTabAVX2, pixEventsAVX2) for input images of shape s, with
// divPlane the divider by s.H*s.W.
func (c *spikeConv) eventParams(s tensor.ConvShape, divPlane divider) eventParams {
	k, cout := int64(c.K), int64(c.Cout)
	return eventParams{mPlane: int64(divPlane.m), plane: int64(s.H * s.W),
		kcout4: 4 * k * cout, owcout4: 4 * int64(s.OutW()) * cout, cinStride: 4 * k * k * cout}
}

//go:noescape
func convEventsTabAVX2(idx *int32, nidx int, xn, wrev, hwc *float32, tab *pixEntry, p *eventParams)
