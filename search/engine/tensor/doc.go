// Package tensor holds the float32 compute kernels of the training engine
// (search/engine): a blocked single-precision GEMM (Sgemm), 2-D convolutions
// in NCHW layout (forward, backward-data and backward-filter; the input
// gradient of the AutoSNN cell convolutions by Winograd's algorithm), the
// bit-packing of binary spike tensors, and the Workspace whose scratch memory
// and worker goroutines every parallel call of a network runs on. The layers
// of package search/engine/nn call these kernels once per timestep batch of
// the surrogate-gradient BPTT loop.
//
// On amd64 with AVX2 and FMA the inner loops are generated assembly
// (internal/asmgen and internal/wingen; go generate, checked by
// TestGeneratedAssemblyUpToDate and TestWinogradAssemblyUpToDate); other
// architectures, CPUs without AVX2/FMA and builds with the purego tag run
// pure-Go kernels (kernel_generic.go, kernel_noasm.go) with the same loop
// structure and summation order. How the kernels are built and how fast
// they are: docs/performance.md, sections "Training engine: how the kernels
// are built" and "GEMM and convolution kernels".
//
// # Layout and units
//
// All matrices are row-major float32 with explicit row strides (lda, ldb,
// ldc, counted in elements, not bytes). Convolution tensors are NCHW:
// element (n, c, h, w) of an N x C x H x W tensor is at index
// ((n*C+c)*H+h)*W+w; filters are Cout x Cin x KH x KW.
//
// # Determinism
//
// Every result is bit-identical for a given input regardless of the number of
// workers in the Workspace and of GOMAXPROCS: work is split in chunks whose
// boundaries depend only on the problem shape, edge tiles sit at positions
// fixed by the shape, and the summation order of every output element (the
// K blocking of the GEMM, the chunks of a split-K GEMM or of the filter
// gradient and the order in which they are added) depends only on the shape.
// Results of the assembly and pure-Go kernels agree only to float tolerance
// (the assembly uses fused multiply-add). The Winograd input gradient
// differs from the direct sums by up to ~1e-6 (3x3) and ~5e-6 (5x5) of the
// largest output (the direct sums: ~1e-7); it does not depend on the number
// of workers.
//
// # Aliasing and allocation
//
// Output slices must not overlap inputs. A Workspace owns all scratch memory
// (packed panels, padded images, offset tables, per-chunk partial sums) and
// a set of persistent worker goroutines, so steady-state calls do not
// allocate. A Workspace must not be used by two goroutines at once (a
// parallel call from a second goroutine, or from inside a task, panics).
// Workspace.Run lends its goroutines to other packages (package nn's
// Workers, package train's event loops).
//
// Shape errors (slices too short, negative sizes, strides smaller than the row
// length) are programming errors and panic with a message naming the
// argument; ConvShape.Validate reports bad convolution shapes as an error so
// layer constructors can check them up front, and PackSpikes reports a
// non-binary value as an error naming its offset.
package tensor
