// Package tensor holds the float32 compute kernels of the AutoSNN training
// engine: a blocked single-precision GEMM (Sgemm) and 2-D convolutions in NCHW
// layout (forward, backward-data and backward-filter) built on it via im2col.
//
// The layers of package search/nn (PLIF neurons, batch norm, pooling, linear
// and convolution layers) call these kernels once per timestep of the
// surrogate-gradient BPTT loop, so the kernels are written for speed: on amd64
// CPUs with AVX2 and FMA the GEMM inner loop is a register-blocked 6x16
// micro-kernel in Go assembly (generated with avo, see internal/asmgen), fed
// by packed A and B panels under MC/KC/NC cache blocking. Other architectures,
// CPUs without AVX2/FMA and builds with the purego tag use a pure-Go
// micro-kernel with the same packing and blocking.
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
// workers in the Workspace and of GOMAXPROCS: work is split in fixed chunks
// whose boundaries depend only on the problem shape, and the summation order
// of every output element (the K blocking of GEMM, the order in which
// per-image filter gradients are added) depends only on the shape. Results
// of the assembly and pure-Go paths agree only to float tolerance (the
// assembly kernel uses fused multiply-add).
//
// # Aliasing and allocation
//
// Output slices must not overlap inputs. A Workspace owns all scratch memory
// (im2col buffers, packed panels, per-chunk partial sums) and a set of
// persistent worker goroutines, so steady-state calls do not allocate. A
// Workspace must not be used by two goroutines at once.
//
// Shape errors (slices too short, negative sizes, strides smaller than the row
// length) are programming errors and panic with a message naming the
// argument; ConvShape.Validate reports bad convolution shapes as an error so
// layer constructors can check them up front.
package tensor
