// Package tensor holds the float32 compute kernels of the AutoSNN training
// engine: a blocked single-precision GEMM (Sgemm) and 2-D convolutions in NCHW
// layout (forward, backward-data and backward-filter), plus bit-packing of
// binary spike tensors.
//
// The layers of package search/engine/nn (convolution and linear layers) call these
// kernels once per timestep batch of the surrogate-gradient BPTT loop, so
// they are written for speed.
//
// # Kernels
//
// On amd64 CPUs with AVX2 and FMA the inner loops are Go assembly generated
// with avo (internal/asmgen, its own module; run go generate): a
// register-blocked 6x16 GEMM micro-kernel (twelve YMM accumulators; variants
// for 1..5 rows serve the ragged last panel of A), an indirect variant of it
// that reads the B panel through a table of row offsets, and a 4x3
// dot-product kernel (and its indirect variant) for products whose operands
// both run along the reduction. Other architectures, CPUs without AVX2/FMA
// and builds with the purego tag use pure-Go kernels with the same loop
// structure and summation order (without fused multiply-add).
//
// The paths built on them:
//
//	Sgemm, general          pack A (mc x kc) and B (kc x nc) panels, 6x16 kernel
//	Sgemm, A*B^T, m or n    unpacked dot kernel (packing would cost as much as
//	  at most 128             the multiply-adds it feeds)
//	Sgemm, m*n small,       split along k into fixed chunks run in parallel,
//	  k long                  partial products summed in chunk order
//	Conv2DForward           filters packed once per call; the indirect 6x16
//	                          kernel reads patches straight from the
//	                          zero-padded image, split into stride phases
//	                          when the stride is > 1 (no im2col matrix);
//	                          output rows are processed virtualW (a multiple
//	                          of 8) wide, the extra pixels dropped
//	Conv2DBackwardData      stride 1, 3x3 or 5x5, channels multiples of 8
//	                          (AVX2/FMA): Winograd F(3x3,3x3) / F(3x3,5x5),
//	                          see below; other stride-1 square kernels:
//	                          forward convolution of dy with transposed,
//	                          flipped filters; otherwise W^T*dy with dy read
//	                          in place and the product scattered by the
//	                          micro-kernel straight into the padded,
//	                          phase-split input gradient
//	Conv2DBackwardFilter    batch cut into chunks of >= kcDot pixels; indirect
//	                          dot kernel on the padded images (virtual rows,
//	                          zero gradient on the extra pixels); im2col + dot
//	                          only when a chunk outgrows int32 offsets
//
// # Winograd input gradient
//
// The input gradient of the AutoSNN cell convolutions (stride 1, 3x3 or 5x5,
// channel counts that are multiples of 8) is computed by Winograd's minimal
// filtering algorithm (winograd.go): F(3x3, 3x3) on 5x5 tiles and
// F(3x3, 5x5) on 7x7 tiles, 3.2x and 4.6x fewer multiplications than the
// direct sums. The transform matrices are built exactly by the Cook-Toom
// construction (internal/cooktoom, K3 and K5); internal/wingen generates
// their AVX2 code (winograd_amd64.s: unrolled 1-D transforms, an 8x8
// transpose and a 6x16 GEMM kernel; go generate,
// TestWinogradAssemblyUpToDate). Channels are the vector lanes: each image
// is transposed to a padded HWC image, transformed tile row by tile row,
// multiplied by the transformed filters with one GEMM per transform-domain
// point, and transformed back. Filters are transformed once per call in
// float64 and rounded once (a float32 G rounds the same way for every
// filter, and that systematic error accumulates). The result differs from
// the direct sums by up to ~1e-6 (3x3) and ~5e-6 (5x5) of the largest
// output (the direct sums: ~1e-7); it does not depend on the number of
// workers. F(4x4, 3x3) and the forward convolution are left out for
// accuracy: their rounding error made an ill-conditioned PLIF gradient of
// the PyTorch parity fixtures exceed its 1e-4 tolerance.
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
// (the assembly uses fused multiply-add).
//
// # Aliasing and allocation
//
// Output slices must not overlap inputs. A Workspace owns all scratch memory
// (packed panels, padded images, offset tables, per-chunk partial sums) and
// a set of persistent worker goroutines, so steady-state calls do not
// allocate. A Workspace must not be used by two goroutines at once (a
// parallel call from a second goroutine, or from inside a task, panics).
// Between calls its helper goroutines spin for up to 200 microseconds
// before they park, since waking a parked goroutine costs tens of
// microseconds and a training step makes hundreds of calls (pool.go);
// Workspace.Run lends the same goroutines to other packages (package nn's
// Workers, package train's event loops).
//
// Shape errors (slices too short, negative sizes, strides smaller than the row
// length) are programming errors and panic with a message naming the
// argument; ConvShape.Validate reports bad convolution shapes as an error so
// layer constructors can check them up front, and PackSpikes reports a
// non-binary value as an error naming its offset.
package tensor
