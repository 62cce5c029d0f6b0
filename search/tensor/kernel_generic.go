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

// kernelGo is the portable micro-kernel. It keeps the tile in a local array
// and walks each row of it as a 16-wide vector so the compiler can keep the
// loop tight.
func kernelGo(rows, k int, a, b, c []float32, ldc int) {
	var acc [mr * nr]float32
	a = a[:k*mr]
	b = b[:k*nr]
	for p := 0; p < k; p++ {
		bp := (*[nr]float32)(b[p*nr:])
		ap := (*[mr]float32)(a[p*mr:])
		for i := 0; i < rows; i++ {
			av := ap[i]
			row := (*[nr]float32)(acc[i*nr:])
			for j := 0; j < nr; j++ {
				row[j] += av * bp[j]
			}
		}
	}
	for i := 0; i < rows; i++ {
		crow := (*[nr]float32)(c[i*ldc:])
		row := (*[nr]float32)(acc[i*nr:])
		for j := 0; j < nr; j++ {
			crow[j] += row[j]
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
	var acc [mr * nr]float32
	a = a[:k*mr]
	var bp [nr]float32
	for p, o := range boff[:k] {
		copy(bp[:nr/2], b[o:o+nr/2])
		copy(bp[nr/2:], b2[o:o+nr/2])
		ap := (*[mr]float32)(a[p*mr:])
		for i := 0; i < rows; i++ {
			av := ap[i]
			row := (*[nr]float32)(acc[i*nr:])
			for j := 0; j < nr; j++ {
				row[j] += av * bp[j]
			}
		}
	}
	for i := 0; i < rows; i++ {
		crow := (*[nr]float32)(c[i*ldc:])
		row := (*[nr]float32)(acc[i*nr:])
		for j := 0; j < nr; j++ {
			crow[j] += row[j]
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
