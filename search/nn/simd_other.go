//go:build !amd64 || purego

package nn

const hasAVX2 = false

func lifFwdAVX2(xs, hs, ys, v *float32, n int, k, vth float32) int64 {
	panic("nn: lifFwdAVX2 without AVX2")
}

func lifBwdAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32) float32 {
	panic("nn: lifBwdAVX2 without AVX2")
}
