//go:build amd64 && !purego

package train

import "golang.org/x/sys/cpu"

//go:noescape
func axpyAVX2(a float32, x, y *float32, n int)

// axpy computes y[i] += a*x[i] for i < len(y); x must be at least as long.
// It uses an AVX2/FMA kernel when the CPU has one (fused multiply-add: the
// result may differ from axpyGo in the last bit).
func axpy(a float32, x, y []float32) {
	if len(y) == 0 {
		return
	}
	_ = x[len(y)-1]
	if hasAVX2FMA {
		axpyAVX2(a, &x[0], &y[0], len(y))
		return
	}
	axpyGo(a, x, y)
}

//go:noescape
func axpyRowsAVX2(a float32, x, y *float32, n, rows, xstride, ystride int)

// axpyRows computes, for r < rows, y[yoff+r*ystride+i] += a*x[xoff+r*xstride+i]
// for i < n: the rows of one spike's contribution. Strides (in floats) may
// be negative; every row must lie inside x and y. Rows and elements are
// added in the same order as axpyRowsGo.
func axpyRows(a float32, x []float32, xoff, xstride int, y []float32, yoff, ystride, n, rows int) {
	if rows <= 0 || n <= 0 {
		return
	}
	// Bounds of the first and last rows.
	xl, yl := xoff+(rows-1)*xstride, yoff+(rows-1)*ystride
	_, _ = x[min(xoff, xl)], x[max(xoff, xl)+n-1]
	_, _ = y[min(yoff, yl)], y[max(yoff, yl)+n-1]
	if hasAVX2FMA {
		axpyRowsAVX2(a, &x[xoff], &y[yoff], n, rows, xstride, ystride)
		return
	}
	axpyRowsGo(a, x, xoff, xstride, y, yoff, ystride, n, rows)
}

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
