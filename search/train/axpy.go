package train

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
