//go:build !purego

package tensor

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd internal/asmgen && go run . -out ../../kernel_amd64.s -stubs ../../kernel_stub_amd64.go -pkg tensor"

// hasAVX2FMA reports whether the CPU and OS support the AVX2/FMA kernel.
// x/sys/cpu already checks that the OS saves the YMM state.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// defaultKernel returns the micro-kernel used by NewWorkspace: the
// assembly one when the CPU has AVX2 and FMA, the portable one otherwise.
func defaultKernel() kernelFunc {
	if k, ok := asmKernel(); ok {
		return k
	}
	return kernelGo
}

// asmKernel returns the assembly micro-kernel and whether this CPU can run
// it.
func asmKernel() (kernelFunc, bool) {
	if !hasAVX2FMA {
		return nil, false
	}
	return kernelAsm, true
}

// kernelAsm adapts kernel6x16 to kernelFunc, checking the slice bounds the
// assembly relies on.
func kernelAsm(k int, a, b, c []float32, ldc int) {
	if k <= 0 {
		return
	}
	_ = a[k*mr-1]
	_ = b[k*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	kernel6x16(k, &a[0], &b[0], &c[0], ldc)
}
