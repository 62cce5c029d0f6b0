package tensor

// This file implements the fused convolution path: the filters are packed
// once per call into the GEMM's A-panel layout, and each image's patch
// matrix is written by im2col straight into the B-panel layout, so the
// micro-kernel runs on it without a separate packing pass.
//
// Full-depth packed layouts. A k-deep operand is cut into kc-deep blocks;
// block b starts at row pc = b*kc and has depth kb = min(kc, k-pc).
//   - packed A (m x k, mpad = m rounded up to mr): block b starts at
//     pc*mpad; its mr-row panel r starts at pc*mpad + r*mr*kb and holds
//     A[r*mr+i, pc+p] at p*mr+i.
//   - packed B (k x n, npad = n rounded up to nr): block b starts at
//     pc*npad; its nr-column panel r starts at pc*npad + r*nr*kb and holds
//     B[pc+p, r*nr+j] at p*nr+j.
// Padding rows and columns are zero.

// packAFull packs all of alpha*op(A) (m x k) into dst (k*roundUp(m, mr)).
func packAFull(dst []float32, trans bool, a []float32, lda, m, k int, alpha float32) {
	mpad := roundUp(m, mr)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		packA(dst[pc*mpad:pc*mpad+kb*mpad], trans, a, lda, 0, m, pc, kb, alpha)
	}
}

// im2colPacked writes the patch matrix of one image x (Cin x H x W) into
// dst in the packed-B layout (k = Cin*KH*KW rows, n = OH*OW columns).
// row is scratch of OH*OW values.
func im2colPacked(s ConvShape, x, dst, row []float32) {
	k := s.Cin * s.KH * s.KW
	n := s.OutH() * s.OutW()
	npad := roundUp(n, nr)
	full := n / nr * nr
	r := 0
	for c := 0; c < s.Cin; c++ {
		xc := x[c*s.H*s.W : (c+1)*s.H*s.W]
		for kh := 0; kh < s.KH; kh++ {
			for kw := 0; kw < s.KW; kw++ {
				pc := r / kc * kc
				kb := min(kc, k-pc)
				stride := kb * nr // distance between consecutive panels
				d := dst[pc*npad+(r-pc)*nr:]
				im2colRow(s, xc, kh, kw, row)
				off := 0
				for j := 0; j < full; j += nr {
					*(*[nr]float32)(d[off:]) = *(*[nr]float32)(row[j:])
					off += stride
				}
				if full < n {
					t := d[off : off+nr]
					copy(t, row[full:n])
					clear(t[n-full:])
				}
				r++
			}
		}
	}
}

// packBFull packs all of op(B) (k x n, not transposed) into dst
// (k*roundUp(n, nr)).
func packBFull(dst []float32, b []float32, ldb, k, n int) {
	npad := roundUp(n, nr)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		packB(dst[pc*npad:pc*npad+kb*npad], false, b, ldb, pc, kb, 0, n)
	}
}

// gemmPacked sets C (m x n, row stride ldc) to A*B from full-depth packed
// operands. The summation order is that of gemmTile with alpha = 1 and
// beta = 0, so both paths give bit-identical results.
func gemmPacked(kern kernelFunc, tmp *[mr * nr]float32, ap, bp []float32, m, n, k int, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		clear(c[i*ldc : i*ldc+n])
	}
	mpad, npad := roundUp(m, mr), roundUp(n, nr)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		ab := ap[pc*mpad : pc*mpad+kb*mpad]
		bb := bp[pc*npad : pc*npad+kb*npad]
		for jr := 0; jr < n; jr += nr {
			cols := min(nr, n-jr)
			bpan := bb[jr*kb : jr*kb+kb*nr]
			for ir := 0; ir < m; ir += mr {
				rows := min(mr, m-ir)
				apan := ab[ir*kb : ir*kb+kb*mr]
				off := ir*ldc + jr
				if rows == mr && cols == nr {
					kern(kb, apan, bpan, c[off:], ldc)
					continue
				}
				clear(tmp[:])
				kern(kb, apan, bpan, tmp[:], nr)
				for i := 0; i < rows; i++ {
					dst := c[off+i*ldc : off+i*ldc+cols]
					for j, v := range tmp[i*nr : i*nr+cols] {
						dst[j] += v
					}
				}
			}
		}
	}
}
