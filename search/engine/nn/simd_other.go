//go:build !amd64 || purego

package nn

const hasAVX2 = false

func lifFwdAVX2(xs, hs, ys, v *float32, n int, k, vth float32, nt bool) int64 {
	panic("nn: lifFwdAVX2 without AVX2")
}

func lifBwdAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32) float32 {
	panic("nn: lifBwdAVX2 without AVX2")
}

func sumF32AVX2(v *float32, nblk int) float64 { panic("nn: no AVX2") }

func sumSqDevAVX2(v *float32, nblk int, c float32) float64 { panic("nn: no AVX2") }

func dotDevAVX2(gs, x *float32, nblk int, c float32) (sg, sgx float64) { panic("nn: no AVX2") }

func bnAffineAVX2(x, y *float32, n int, c, sc, sh float32) { panic("nn: no AVX2") }

func bnBwdAVX2(gs, x, dx *float32, n int, k, p, c, q float32) { panic("nn: no AVX2") }

func nonFiniteAVX2(x *float32, n int) bool { panic("nn: no AVX2") }

func max2x2AVX2(r0, r1, out *float32, arg *uint8, n int) int64 { panic("nn: no AVX2") }

func spikeIdxAVX2(x *float32, n int, idx *int32, base int32) int {
	panic("nn: no AVX2")
}

func addAVX2(a, b, d *float32, n int) { panic("nn: no AVX2") }

func lifFwdAffAVX2(xs, hs, ys, v *float32, n int, k, vth, c, sc, sh float32, nt bool) int64 {
	panic("nn: no AVX2")
}

func lifBwdAffAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32, r *affRuns) float32 {
	panic("nn: no AVX2")
}

func lifFwdAffIdxAVX2(xs, hs, ys, v *float32, n int, k, vth, c, sc, sh float32, idx *int32, base int32, nt bool) int64 {
	panic("nn: no AVX2")
}

func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, step, bc2s, eps float32) {
	panic("nn: no AVX2")
}

func bnAffineAddAVX2(x, a, y *float32, n int, c, sc, sh float32) { panic("nn: no AVX2") }

func lifFwdIdxAVX2(xs, hs, ys, v *float32, n int, k, vth float32, idx *int32, base int32, nt bool) int64 {
	panic("nn: no AVX2")
}

func maxBwd2x2AVX(gy, gy2 *float32, arg *uint8, dx *float32, rows, ow int) { panic("nn: no AVX2") }
