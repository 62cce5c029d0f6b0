package train

import "github.com/autosnn/autosnn/search/engine/nn"

// axpyGo is the portable y[i] += a*x[i].
func axpyGo(a float32, x, y []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}

// axpyRowsGo is the portable axpyRows.
func axpyRowsGo(a float32, x []float32, xoff, xstride int, y []float32, yoff, ystride, n, rows int) {
	for r := range rows {
		axpyGo(a, x[xoff+r*xstride:xoff+r*xstride+n], y[yoff+r*ystride:yoff+r*ystride+n])
	}
}

// transposeGo is the portable transpose: dst[c*rows+r] = src[r*cols+c],
// written sequentially.
func transposeGo(src, dst []float32, rows, cols int) {
	for c := range cols {
		d := dst[c*rows : (c+1)*rows]
		for r := range d {
			d[r] = src[r*cols+c]
		}
	}
}

// nonzero writes the indices of the nonzero values of x (x[i] != 0, so NaN
// counts and -0 does not) to idx in increasing order and returns their
// number; idx must be at least as long as x (nn.NonzeroIndices).
func nonzero(x []float32, idx []int32) int { return nn.NonzeroIndices(x, idx, 0) }
