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

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
