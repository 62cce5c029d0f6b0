//go:build !amd64 || purego

package train

import "github.com/autosnn/autosnn/search/engine/tensor"

// axpy computes y[i] += a*x[i] for i < len(y); x must be at least as long.
func axpy(a float32, x, y []float32) { axpyGo(a, x, y) }

// axpyRows computes, for r < rows, y[yoff+r*ystride+i] += a*x[xoff+r*xstride+i]
// for i < n.
func axpyRows(a float32, x []float32, xoff, xstride int, y []float32, yoff, ystride, n, rows int) {
	axpyRowsGo(a, x, xoff, xstride, y, yoff, ystride, n, rows)
}

// transpose sets dst[c*rows+r] = src[r*cols+c] for r < rows, c < cols.
func transpose(src, dst []float32, rows, cols int) { transposeGo(src, dst, rows, cols) }

// eventsAsm reports that this build has no assembly event loop.
func eventsAsm(*spikeConv, tensor.ConvShape, eventMode, []float32, []int32, []float32, []float32, divider, divider) bool {
	return false
}

// filterRegionsAsm reports that this build has no register filter kernels.
func filterRegionsAsm(int, int, []float32, []float32, []int32, []float32, []int32, int, int, int) bool {
	return false
}

// pixEventsAsm reports that this build has no assembly pixel event loop.
func pixEventsAsm(*spikeConv, tensor.ConvShape, []uint64, []pixEntry, []float32, []float32, *[64]int64) bool {
	return false
}
