//go:build !amd64 || purego

package tensor

// defaultKernel returns the micro-kernel used by NewWorkspace: the portable
// one on this build.
func defaultKernel() kernelFunc { return kernelGo }

// asmKernel returns the assembly micro-kernel and whether this build and CPU
// have one.
func asmKernel() (kernelFunc, bool) { return nil, false }
