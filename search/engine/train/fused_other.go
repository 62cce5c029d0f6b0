//go:build !amd64 || purego

package train

import "github.com/autosnn/autosnn/search/engine/tensor"

// fusedStep is the fused neuron kernel for one channel row (portable).
func fusedStep(a, b, v, y []float32, fc *fusedConsts) int64 {
	return fusedStepGo(a, b, v, y, fc)
}

// maxPool2x2 pools q row pairs of width w (even) 2x2 with stride 2
// (portable).
func maxPool2x2(in, out []float32, q, w int) int64 { return maxPool2x2Go(in, out, q, w) }

// fusedHWC reports false: the portable build transposes and runs
// fusedStep per channel row.
func fusedHWC(hwc, tmp, b, v, y []float32, plane, cout int, fc []fusedConsts, spikes *int64) bool {
	return false
}

// hasFusedAVX2 is false in the portable build.
const hasFusedAVX2 = false

// hwcStride is 0: the portable build keeps the membrane state in CHW.
func hwcStride(plane, cout int) int { return 0 }

// eventImageFast computes one output image of the convolution (shape s,
// stride 1) into hwc (HWC order, all zero on entry) from the input image xn
// and the indices of its nonzero values, with the reversed filter wrev
// (reverseInto): spikeConv.events in the portable build.
func (c *spikeConv) eventImageFast(s tensor.ConvShape, xn []float32, idx []int32, hwc, wrev []float32, tab []pixEntry) {
	c.events(s, eventForward, xn, idx, wrev, hwc)
}
