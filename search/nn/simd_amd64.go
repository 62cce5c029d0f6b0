//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the AVX2 kernels of simd_amd64.s may run
// (x/sys/cpu checks that the OS saves the YMM state).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// lifFwdAVX2 is lifForwardStepGo for n elements, n a multiple of 8, eight
// neurons per instruction; every output is bit-identical to the Go loop's.
//
//go:noescape
func lifFwdAVX2(xs, hs, ys, v *float32, n int, k, vth float32) int64

// lifBwdAVX2 is lifBackwardStepGo for n elements, n a multiple of 8. dv and
// dxs are bit-identical to the Go loop's; the returned sum dL/dH (X -
// V[t-1]) is accumulated in eight lanes (fixed order, so deterministic, but
// rounded differently from the sequential Go sum).
//
//go:noescape
func lifBwdAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32) float32
