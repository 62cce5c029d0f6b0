//go:build !amd64 || purego

package tensor

// defaultKernels returns the kernels used by NewWorkspace: the portable ones
// on this build.
func defaultKernels() kernels { return goKernels }

// asmKernels returns the assembly kernels and whether this build and CPU
// have them.
func asmKernels() (kernels, bool) { return kernels{}, false }
