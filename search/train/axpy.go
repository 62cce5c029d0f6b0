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

// nonzeroGo writes base+i for every i with x[i] != 0 to idx and returns
// their number.
func nonzeroGo(x []float32, idx []int32, base int32) int {
	n := 0
	for i, v := range x {
		if v != 0 {
			idx[n] = base + int32(i)
			n++
		}
	}
	return n
}
