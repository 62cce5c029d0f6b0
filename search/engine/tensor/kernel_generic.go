package tensor

// Register-blocking and cache-blocking parameters of the GEMM. The
// micro-kernel computes an mr x nr tile of C from an mr x kc panel of packed
// A and a kc x nr panel of packed B. kc is the only parameter that affects
// the result: each element of C is accumulated one kc-block at a time, in
// order, so kc must not depend on the number of workers.
const (
	mr = 6   // rows of the micro-tile; 6 rows x 2 YMM vectors = 12 accumulators
	nr = 16  // columns of the micro-tile, two 8-wide YMM vectors
	kc = 256 // depth of a packed panel: A block mc*kc*4 = 96 KiB fits L2, B panel kc*nr*4 = 16 KiB fits L1
	mc = 96  // rows of a packed A block (multiple of mr)
	nc = 512 // columns of a packed B block (multiple of nr)
)

// kernelFunc computes C[0:rows, 0:nr] += A*B (1 <= rows <= mr) where a
// holds k packed columns of mr values (a[p*mr+i] = A[i,p]; values of rows
// past rows are ignored), b holds k packed rows of nr values
// (b[p*nr+j] = B[p,j]) and C starts at c[0] with row stride ldc. The
// accumulation over p starts from zero and runs in increasing p; the sum is
// then added to C. Only the rows rows of C are touched.
type kernelFunc func(rows, k int, a, b, c []float32, ldc int)

// kernelGo is the portable micro-kernel. It walks the tile in 3x4 blocks
// whose twelve sums stay in registers (the compiler fuses the multiply-adds
// on architectures that have FMA, such as arm64).
func kernelGo(rows, k int, a, b, c []float32, ldc int) {
	a = a[:k*mr]
	b = b[:k*nr]
	for i0 := 0; i0 < rows; i0 += 3 {
		for j0 := 0; j0 < nr; j0 += 4 {
			var s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23 float32
			for p := 0; p < k; p++ {
				ap := (*[3]float32)(a[p*mr+i0:])
				bp := (*[4]float32)(b[p*nr+j0:])
				a0, a1, a2 := ap[0], ap[1], ap[2]
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				s00 += a0 * b0
				s01 += a0 * b1
				s02 += a0 * b2
				s03 += a0 * b3
				s10 += a1 * b0
				s11 += a1 * b1
				s12 += a1 * b2
				s13 += a1 * b3
				s20 += a2 * b0
				s21 += a2 * b1
				s22 += a2 * b2
				s23 += a2 * b3
			}
			addBlock(&[3][4]float32{{s00, s01, s02, s03}, {s10, s11, s12, s13}, {s20, s21, s22, s23}}, rows-i0, c[i0*ldc+j0:], ldc)
		}
	}
}

// addBlock adds the first rows (at most 3) rows of s to C.
func addBlock(s *[3][4]float32, rows int, c []float32, ldc int) {
	for i := 0; i < min(rows, 3); i++ {
		crow := (*[4]float32)(c[i*ldc:])
		for j := range crow {
			crow[j] += s[i][j]
		}
	}
}

// kernelIndFunc is kernelFunc with an indirect B panel: row p of B is the
// nr/2 floats at b[boff[p]:] followed by the nr/2 floats at b2[boff[p]:].
// boff must be non-decreasing (so that checking its first and last entries
// bounds every read).
type kernelIndFunc func(rows, k int, a, b, b2 []float32, boff []int32, c []float32, ldc int)

// kernelIndGo is the portable indirect micro-kernel; it sums in the same
// order as kernelGo.
func kernelIndGo(rows, k int, a, b, b2 []float32, boff []int32, c []float32, ldc int) {
	a = a[:k*mr]
	boff = boff[:k]
	for i0 := 0; i0 < rows; i0 += 3 {
		for j0 := 0; j0 < nr; j0 += 4 {
			src, j := b, j0
			if j0 >= nr/2 {
				src, j = b2, j0-nr/2
			}
			var s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23 float32
			for p, o := range boff {
				ap := (*[3]float32)(a[p*mr+i0:])
				bp := (*[4]float32)(src[int(o)+j:])
				a0, a1, a2 := ap[0], ap[1], ap[2]
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				s00 += a0 * b0
				s01 += a0 * b1
				s02 += a0 * b2
				s03 += a0 * b3
				s10 += a1 * b0
				s11 += a1 * b1
				s12 += a1 * b2
				s13 += a1 * b3
				s20 += a2 * b0
				s21 += a2 * b1
				s22 += a2 * b2
				s23 += a2 * b3
			}
			addBlock(&[3][4]float32{{s00, s01, s02, s03}, {s10, s11, s12, s13}, {s20, s21, s22, s23}}, rows-i0, c[i0*ldc+j0:], ldc)
		}
	}
}

// kernelIOFunc is kernelIndFunc with a scattered C: row i of the tile is
// the nr/2 floats at c[coff[i]:] followed by the nr/2 floats at
// c2[coff[i]:] (coff has rows entries, in any order).
type kernelIOFunc func(rows, k int, a, b, b2 []float32, boff []int32, c, c2 []float32, coff []int32)

// kernelIOGo is the portable kernelIOFunc; it sums in the order of kernelGo.
func kernelIOGo(rows, k int, a, b, b2 []float32, boff []int32, c, c2 []float32, coff []int32) {
	var tile [mr * nr]float32
	kernelIndGo(rows, k, a, b, b2, boff, tile[:], nr)
	for i, o := range coff[:rows] {
		d, d2 := c[o:o+nr/2], c2[o:o+nr/2]
		for j := range d {
			d[j] += tile[i*nr+j]
			d2[j] += tile[i*nr+nr/2+j]
		}
	}
}
