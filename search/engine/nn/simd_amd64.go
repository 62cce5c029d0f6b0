//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the AVX2 kernels of simd_amd64.s may run
// (x/sys/cpu checks that the OS saves the YMM state).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// lifFwdAVX2 is lifForwardStepGo for n elements, n a multiple of 8, eight
// neurons per instruction; every output is bit-identical to the Go loop's.
// With nt the membrane potentials hs, when 32-byte aligned, are stored
// non-temporally (for hs saved for the backward pass, not for a scratch
// read again soon); so in the three variants below.
//
//go:noescape
func lifFwdAVX2(xs, hs, ys, v *float32, n int, k, vth float32, nt bool) int64

// lifBwdAVX2 is lifBackwardStepGo for n elements, n a multiple of 8. dv and
// dxs are bit-identical to the Go loop's; the returned sum dL/dH (X -
// V[t-1]) is accumulated in eight lanes (fixed order, so deterministic, but
// rounded differently from the sequential Go sum).
//
//go:noescape
func lifBwdAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32) float32

// sumF32AVX2 is sumF32 of nblk*64 values, bit-identical (same lanes, same
// order of additions).
//
//go:noescape
func sumF32AVX2(v *float32, nblk int) float64

// sumSqDevAVX2 is sumSqDevF32 of nblk*64 values, bit-identical.
//
//go:noescape
func sumSqDevAVX2(v *float32, nblk int, c float32) float64

// dotDevAVX2 is dotDevF32 of nblk*64 values, bit-identical.
//
//go:noescape
func dotDevAVX2(gs, x *float32, nblk int, c float32) (sg, sgx float64)

// bnAffineAVX2 sets y[i] = (x[i] - c) sc + sh for i < n, n a multiple of 8.
//
//go:noescape
func bnAffineAVX2(x, y *float32, n int, c, sc, sh float32)

// bnBwdAVX2 sets dx[i] = (k g[i] + p (x[i] - c)) + q for i < n, n a
// multiple of 8.
//
//go:noescape
func bnBwdAVX2(gs, x, dx *float32, n int, k, p, c, q float32)

// nonFiniteAVX2 reports whether any of the n values at x (n a multiple of
// 32) is an infinity or NaN.
//
//go:noescape
func nonFiniteAVX2(x *float32, n int) bool

// max2x2AVX2 is max2x2 for one output row of n outputs (n a multiple of 8)
// from input rows r0 and r1 (2n values each); outputs and window indices
// are the Go loop's.
//
//go:noescape
func max2x2AVX2(r0, r1, out *float32, arg *uint8, n int) int64

// maxBwd2x2AVX is the 2x2 stride-2 max-pool backward of rows output rows
// of ow values (ow a multiple of 4) whose input rows (2*ow values each,
// two per output row) follow one another: it writes every input gradient,
// (gy + gy2 at the window's argmax, else 0) + 0, with the bits of clearing
// and scattering (gy2 may be nil).
//
//go:noescape
func maxBwd2x2AVX(gy, gy2 *float32, arg *uint8, dx *float32, rows, ow int)

// spikeIdxAVX2 writes base+i for every i < n (n a multiple of 8) with
// x[i] != 0 to idx, in increasing order, and returns their number, through
// compressTable. It stores whole blocks of 8, so idx must have room for n
// entries.
//
//go:noescape
func spikeIdxAVX2(x *float32, n int, idx *int32, base int32) int

// compressTable[m] lists the set bits of the 8-bit mask m in increasing
// order (the rest of the row is 0); read-only after package initialisation.
// The listing kernels load it themselves (IDX_INIT in simd_amd64.s).
var compressTable = func() *[256][8]int32 {
	var t [256][8]int32
	for m := range 256 {
		j := 0
		for b := range 8 {
			if m&(1<<b) != 0 {
				t[m][j] = int32(b)
				j++
			}
		}
	}
	return &t
}()

// addAVX2 sets d[i] = a[i] + b[i] for i < n (n a multiple of 8); d may be a
// or b. Each sum is the Go loop's (one rounding).
//
//go:noescape
func addAVX2(a, b, d *float32, n int)

// lifFwdAffAVX2 is lifFwdAVX2 on the normalised input z = ((x - c) sc) + sh
// (bnAffine's operations and rounding), for n elements, n a multiple of 8.
//
//go:noescape
func lifFwdAffAVX2(xs, hs, ys, v *float32, n int, k, vth, c, sc, sh float32, nt bool) int64

// lifBwdAffAVX2 is lifBwdAVX2 on the normalised input z = ((x - c) sc) + sh
// for n elements, n a multiple of 8, in the channel runs r describes, each
// with its channel's c, sc, sh; it returns the dL/dk sum as lifBwdAVX2 over
// those inputs would (same lanes, same final order).
//
//go:noescape
func lifBwdAffAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32, r *affRuns) float32

// lifFwdAffIdxAVX2 is lifFwdAffAVX2 that also writes base+i for every
// spiking element i, in increasing order, to idx (as many as it returns),
// through compressTable without branching on the data; it stores whole
// blocks of 8, so idx must have room for n entries.
//
//go:noescape
func lifFwdAffIdxAVX2(xs, hs, ys, v *float32, n int, k, vth, c, sc, sh float32, idx *int32, base int32, nt bool) int64

// adamAVX2 is adamStepGo for n elements, n a multiple of 8, bit-identical.
//
//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, step, bc2s, eps float32)

// bnAffineAddAVX2 is bnAffineAdd for n elements, n a multiple of 8,
// bit-identical.
//
//go:noescape
func bnAffineAddAVX2(x, a, y *float32, n int, c, sc, sh float32)

// lifFwdIdxAVX2 is lifFwdAVX2 that also writes base+i for every spiking
// element i (in increasing order) to idx; the number written is the
// returned count. Like lifFwdAffIdxAVX2 it lists through compressTable,
// and idx must have room for n entries.
//
//go:noescape
func lifFwdIdxAVX2(xs, hs, ys, v *float32, n int, k, vth float32, idx *int32, base int32, nt bool) int64
