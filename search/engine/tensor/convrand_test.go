package tensor

import (
	"math/rand/v2"
	"testing"
)

// convBackward64 computes dx = dL/dx and dw = dL/dw for L = sum(g .* conv(x, w))
// by direct loops in float64, the reference for the backward kernels.
func convBackward64(s ConvShape, x, w, g []float32) (dx, dw []float64) {
	oh, ow := s.OutH(), s.OutW()
	dx, dw = make([]float64, s.XLen()), make([]float64, s.WLen())
	for n := 0; n < s.N; n++ {
		for co := 0; co < s.Cout; co++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					gv := float64(g[((n*s.Cout+co)*oh+i)*ow+j])
					for ci := 0; ci < s.Cin; ci++ {
						for kh := 0; kh < s.KH; kh++ {
							for kw := 0; kw < s.KW; kw++ {
								iy, ix := i*s.Stride-s.Pad+kh, j*s.Stride-s.Pad+kw
								if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
									continue
								}
								xi := ((n*s.Cin+ci)*s.H+iy)*s.W + ix
								wi := ((co*s.Cin+ci)*s.KH+kh)*s.KW + kw
								dx[xi] += gv * float64(w[wi])
								dw[wi] += gv * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

// randomConvShape draws a small valid shape, covering strides 1..3, padding,
// non-square kernels and output widths that are and are not multiples of 8.
func randomConvShape(r *rand.Rand) ConvShape {
	for {
		s := ConvShape{
			N: 1 + r.IntN(4), Cin: 1 + r.IntN(5), H: 1 + r.IntN(12), W: 1 + r.IntN(20),
			Cout: 1 + r.IntN(9), KH: 1 + r.IntN(5), KW: 1 + r.IntN(5), Stride: 1 + r.IntN(3),
		}
		s.Pad = r.IntN(min(s.KH, s.KW) + 2) // occasionally wider than the kernel
		if s.Validate() == nil {
			return s
		}
	}
}

// TestConvRandomShapes compares all three convolution kernels with direct
// float64 loops on random shapes, for every kernel set and two worker counts.
func TestConvRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	n := 60
	if testing.Short() {
		n = 15
	}
	for name, ks := range kernelSets() {
		for _, workers := range []int{1, 2} {
			ws := newWorkspace(workers, ks)
			for range n {
				s := randomConvShape(r)
				x, w, g := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
				y := randSlice(r, s.YLen())
				Conv2DForward(s, x, w, y, ws)
				dx := randSlice(r, s.XLen())
				Conv2DBackwardData(s, g, w, dx, ws)
				dw := make([]float32, s.WLen())
				Conv2DBackwardFilter(s, x, g, dw, ws)
				wantDX, wantDW := convBackward64(s, x, w, g)
				t.Run(name+"/"+s.String(), func(t *testing.T) {
					checkClose64(t, "y", y, convDirect64(s, x, w), s.Cin*s.KH*s.KW)
					checkClose64(t, "dx", dx, wantDX, s.Cout*s.KH*s.KW)
					checkClose64(t, "dw", dw, wantDW, s.N*s.OutH()*s.OutW())
				})
			}
			ws.Close()
		}
	}
}

// TestSgemmRandomShapes compares Sgemm with float64 loops on random shapes,
// transposes, strides and scalars, for every kernel set and two worker
// counts.
func TestSgemmRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	n := 30
	if testing.Short() {
		n = 10
	}
	scalars := []float32{0, 1, -1, 0.5, 2}
	for name, ks := range kernelSets() {
		for _, workers := range []int{1, 2} {
			ws := newWorkspace(workers, ks)
			for range n {
				c := gemmCase{
					transA: r.IntN(2) == 0, transB: r.IntN(2) == 0,
					m: 1 + r.IntN(100), n: 1 + r.IntN(200), k: 1 + r.IntN(400),
					alpha: scalars[r.IntN(len(scalars))], beta: scalars[r.IntN(len(scalars))], pad: r.IntN(3),
				}
				a, lda, b, ldb, cm, ldc := c.operands(r)
				want := gemm64(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
				ws.Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
				t.Run(name+"/"+c.String(), func(t *testing.T) {
					checkClose(t, cm, ldc, want, c.m, c.n, c.k)
				})
			}
			ws.Close()
		}
	}
}

// TestConvBackwardFilterIm2col checks the im2col fallback of the filter
// gradient (taken only when a chunk of padded images is too large for int32
// offsets) on random shapes.
func TestConvBackwardFilterIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for name, ks := range kernelSets() {
		ws := newWorkspace(2, ks)
		for range 30 {
			s := randomConvShape(r)
			x, g := randSlice(r, s.XLen()), randSlice(r, s.YLen())
			dw := make([]float32, s.WLen())
			ws.s.backwardFilter(s, x, g, dw, false)
			_, want := convBackward64(s, x, make([]float32, s.WLen()), g)
			t.Run(name+"/"+s.String(), func(t *testing.T) {
				checkClose64(t, "dw", dw, want, s.N*s.OutH()*s.OutW())
			})
		}
		ws.Close()
	}
}
