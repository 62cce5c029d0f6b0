//go:build !amd64 || purego

package train

// axpy computes y[i] += a*x[i] for i < len(y); x must be at least as long.
func axpy(a float32, x, y []float32) { axpyGo(a, x, y) }
