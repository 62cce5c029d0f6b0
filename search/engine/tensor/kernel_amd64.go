//go:build !purego

package tensor

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd internal/asmgen && go run . -out ../../kernel_amd64.s -stubs ../../kernel_stub_amd64.go -pkg tensor"

// hasAVX2FMA reports whether the CPU and OS support the AVX2/FMA kernel.
// x/sys/cpu already checks that the OS saves the YMM state.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// defaultKernels returns the kernels used by NewWorkspace: the assembly
// ones when the CPU has AVX2 and FMA, the portable ones otherwise.
func defaultKernels() kernels {
	if k, ok := asmKernels(); ok {
		return k
	}
	return goKernels
}

// asmKernels returns the assembly kernels and whether this CPU can run them.
func asmKernels() (kernels, bool) {
	if !hasAVX2FMA {
		return kernels{}, false
	}
	return kernels{gemm: kernelAsm, ind: kernelIndAsm, io: kernelIOAsm, dot: dotAsm, dotInd: dotIndAsm, wino: winoKernelsAsm}, true
}

// kernelAsm adapts kernel1x16 .. kernel6x16 to kernelFunc, checking the slice bounds the
// assembly relies on.
func kernelAsm(rows, k int, a, b, c []float32, ldc int) {
	if k <= 0 {
		return
	}
	_ = a[k*mr-1]
	_ = b[k*nr-1]
	_ = c[(rows-1)*ldc+nr-1]
	pa, pb, pc := &a[0], &b[0], &c[0]
	switch rows {
	case 6:
		kernel6x16(k, pa, pb, pc, ldc)
	case 5:
		kernel5x16(k, pa, pb, pc, ldc)
	case 4:
		kernel4x16(k, pa, pb, pc, ldc)
	case 3:
		kernel3x16(k, pa, pb, pc, ldc)
	case 2:
		kernel2x16(k, pa, pb, pc, ldc)
	case 1:
		kernel1x16(k, pa, pb, pc, ldc)
	default:
		panic("tensor: micro-kernel rows out of range")
	}
}

// dotAsm adapts dot4x3 to dotFunc, checking the slice bounds the assembly
// relies on.
func dotAsm(k8 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha float32) {
	if k8 <= 0 {
		return
	}
	_ = a[(dr-1)*lda+8*k8-1]
	_ = b[(dc-1)*ldb+8*k8-1]
	_ = c[(dr-1)*ldc+dc-1]
	dot4x3(k8, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha)
}

// kernelIndAsm adapts kernel1x16ind .. kernel6x16ind to kernelIndFunc, checking the slice
// bounds the assembly relies on (boff is non-decreasing, so its first and
// last entries bound every row read).
func kernelIndAsm(rows, k int, a, b, b2 []float32, boff []int32, c []float32, ldc int) {
	if k <= 0 {
		return
	}
	_ = a[k*mr-1]
	boff = boff[:k]
	if boff[0] < 0 {
		panic("tensor: negative indirect offset")
	}
	_ = b[int(boff[k-1])+nr/2-1]
	_ = b2[int(boff[k-1])+nr/2-1]
	_ = c[(rows-1)*ldc+nr-1]
	pa, pb, pb2, po, pc := &a[0], &b[0], &b2[0], &boff[0], &c[0]
	switch rows {
	case 6:
		kernel6x16ind(k, pa, pb, pb2, po, pc, ldc)
	case 5:
		kernel5x16ind(k, pa, pb, pb2, po, pc, ldc)
	case 4:
		kernel4x16ind(k, pa, pb, pb2, po, pc, ldc)
	case 3:
		kernel3x16ind(k, pa, pb, pb2, po, pc, ldc)
	case 2:
		kernel2x16ind(k, pa, pb, pb2, po, pc, ldc)
	case 1:
		kernel1x16ind(k, pa, pb, pb2, po, pc, ldc)
	default:
		panic("tensor: micro-kernel rows out of range")
	}
}

// dotIndAsm adapts dot4x3ind to dotIndFunc, checking the slice bounds the
// assembly relies on (qoff is non-decreasing, so its first and last entries
// bound every group; the three row offsets are checked one by one).
func dotIndAsm(k8 int, a []float32, lda int, b []float32, boff, qoff []int32, c []float32, ldc int, alpha float32) {
	if k8 <= 0 {
		return
	}
	_ = a[(dr-1)*lda+8*k8-1]
	boff, qoff = boff[:dc], qoff[:k8]
	lo, hi := min(boff[0], boff[1], boff[2]), max(boff[0], boff[1], boff[2])
	if lo < 0 || qoff[0] < 0 {
		panic("tensor: negative indirect offset")
	}
	_ = b[int(hi)+int(qoff[k8-1])+7]
	_ = c[(dr-1)*ldc+dc-1]
	dot4x3ind(k8, &a[0], lda, &b[0], &boff[0], &qoff[0], &c[0], ldc, alpha)
}

// kernelIOAsm adapts kernel1x16io .. kernel6x16io to kernelIOFunc, checking
// the slice bounds the assembly relies on.
func kernelIOAsm(rows, k int, a, b, b2 []float32, boff []int32, c, c2 []float32, coff []int32) {
	if k <= 0 {
		return
	}
	_ = a[k*mr-1]
	boff, coff = boff[:k], coff[:rows]
	if boff[0] < 0 {
		panic("tensor: negative indirect offset")
	}
	_ = b[int(boff[k-1])+nr/2-1]
	_ = b2[int(boff[k-1])+nr/2-1]
	lo, hi := coff[0], coff[0]
	for _, o := range coff[1:] {
		lo, hi = min(lo, o), max(hi, o)
	}
	if lo < 0 {
		panic("tensor: negative indirect offset")
	}
	_ = c[int(hi)+nr/2-1]
	_ = c2[int(hi)+nr/2-1]
	pa, pb, pb2, po, pc, pc2, pco := &a[0], &b[0], &b2[0], &boff[0], &c[0], &c2[0], &coff[0]
	switch rows {
	case 6:
		kernel6x16io(k, pa, pb, pb2, po, pc, pc2, pco)
	case 5:
		kernel5x16io(k, pa, pb, pb2, po, pc, pc2, pco)
	case 4:
		kernel4x16io(k, pa, pb, pb2, po, pc, pc2, pco)
	case 3:
		kernel3x16io(k, pa, pb, pb2, po, pc, pc2, pco)
	case 2:
		kernel2x16io(k, pa, pb, pb2, po, pc, pc2, pco)
	case 1:
		kernel1x16io(k, pa, pb, pb2, po, pc, pc2, pco)
	default:
		panic("tensor: micro-kernel rows out of range")
	}
}
