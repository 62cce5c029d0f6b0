package tensor

// This file holds the unpacked "NT" GEMM path, C += alpha*A*B^T with the
// rows of A and B both running along the reduction. It is used when one of
// m, n is small (then the packing of the other operand, which the packed
// path needs, would cost as much as the multiply-adds it feeds) and for the
// convolution filter gradient, where both operands are pixel-contiguous.

// Tile and blocking of the dot path. kcDot, the reduction block, is the only
// parameter that affects results (besides the tile shape, which decides
// where the edge code runs: tiles always start at multiples of dr and dc
// from the matrix origin, so every element is computed by the same code for
// any split).
const (
	dr    = 4    // rows of A per dot tile
	dc    = 3    // rows of B per dot tile
	kcDot = 1024 // reduction block, a multiple of 8; 7 rows of it take 28 KiB of L1
)

// dotFunc computes C[i, j] += alpha * sum_{p < 8*k8} A[i, p]*B[j, p] for
// i < dr, j < dc; A, B and C are row-major with strides lda, ldb, ldc. The
// sum of each element is formed in 8 lanes, lane l summing p = l mod 8 in
// increasing p, then reduced as ((s0+s4)+(s1+s5)) + ((s2+s6)+(s3+s7)).
type dotFunc func(k8 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha float32)

// dotGo is the portable dotFunc.
func dotGo(k8 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha float32) {
	dotTileGo(dr, dc, k8, a, lda, b, ldb, c, ldc, alpha)
}

// dotTileGo is dotFunc for a rows x cols tile (rows <= dr, cols <= dc).
func dotTileGo(rows, cols, k8 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha float32) {
	n := 8 * k8
	for i := 0; i < rows; i++ {
		ai := a[i*lda : i*lda+n]
		for j := 0; j < cols; j++ {
			bj := b[j*ldb : j*ldb+n]
			var s [8]float32
			for p := 0; p < n; p += 8 {
				av := (*[8]float32)(ai[p:])
				bv := (*[8]float32)(bj[p:])
				for l := range s {
					s[l] += av[l] * bv[l]
				}
			}
			sum := ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
			c[i*ldc+j] += alpha * sum
		}
	}
}

// gemmNT computes rows [i0, i1) and columns [j0, j1) of C for
// C = alpha*A*B^T + beta*C (A m x k and B n x k, both stored row-major).
// i0 must be a multiple of dr and j0 of dc.
func gemmNT(dot dotFunc, scratch *[dr * dc]float32, g *gemmArgs, i0, i1, j0, j1 int) {
	scaleTile(g, i0, i1, j0, j1)
	if g.k == 0 || g.alpha == 0 {
		return
	}
	// The operand with more rows streams through once per reduction block
	// (outer loop); the smaller one is reread from cache (inner loop).
	jOuter := j1-j0 >= i1-i0
	for pc := 0; pc < g.k; pc += kcDot {
		kb := min(kcDot, g.k-pc)
		if jOuter {
			for j := j0; j < j1; j += dc {
				for i := i0; i < i1; i += dr {
					dotBlock(dot, scratch, g, i, min(dr, i1-i), j, min(dc, j1-j), pc, kb)
				}
			}
			continue
		}
		for i := i0; i < i1; i += dr {
			for j := j0; j < j1; j += dc {
				dotBlock(dot, scratch, g, i, min(dr, i1-i), j, min(dc, j1-j), pc, kb)
			}
		}
	}
}

// dotBlock adds alpha times the dot products of rows [i, i+rows) of A and
// [j, j+cols) of B over the reduction block [pc, pc+kb) to C. A ragged tile
// (only at the bottom or right edge of C) is computed as the full tile that
// ends at the same place, into scratch, of which only the new elements are
// added to C: every element is thus computed by the same kernel, whatever
// the tiling.
func dotBlock(dot dotFunc, scratch *[dr * dc]float32, g *gemmArgs, i, rows, j, cols, pc, kb int) {
	a, b, c := g.a, g.b, g.c
	lda, ldb, ldc := g.lda, g.ldb, g.ldc
	k8 := kb / 8
	if k8 > 0 {
		switch {
		case rows == dr && cols == dc:
			dot(k8, a[i*lda+pc:], lda, b[j*ldb+pc:], ldb, c[i*ldc+j:], ldc, g.alpha)
		case g.m >= dr && g.n >= dc:
			si, sj := i+rows-dr, j+cols-dc
			clear(scratch[:])
			dot(k8, a[si*lda+pc:], lda, b[sj*ldb+pc:], ldb, scratch[:], dc, g.alpha)
			addScratch(scratch, rows, cols, c[i*ldc+j:], ldc)
		default:
			dotTileGo(rows, cols, k8, a[i*lda+pc:], lda, b[j*ldb+pc:], ldb, c[i*ldc+j:], ldc, g.alpha)
		}
	}
	if 8*k8 == kb {
		return
	}
	for ii := 0; ii < rows; ii++ {
		at := a[(i+ii)*lda+pc+8*k8 : (i+ii)*lda+pc+kb]
		for jj := 0; jj < cols; jj++ {
			bt := b[(j+jj)*ldb+pc+8*k8 : (j+jj)*ldb+pc+kb]
			var s float32
			for p, v := range at {
				s += v * bt[p]
			}
			c[(i+ii)*ldc+j+jj] += g.alpha * s
		}
	}
}

// addScratch adds the last rows x cols corner of a full dot tile computed
// into scratch to C (c[0] is the corner's top-left element).
func addScratch(scratch *[dr * dc]float32, rows, cols int, c []float32, ldc int) {
	for ii := 0; ii < rows; ii++ {
		src := scratch[(dr-rows+ii)*dc+dc-cols : (dr-rows+ii+1)*dc]
		dst := c[ii*ldc : ii*ldc+cols]
		for jj, v := range src {
			dst[jj] += v
		}
	}
}

// dotMaxMN is the largest min(m, n) for which an A*B^T product takes the
// dot path: the smaller operand's kcDot-deep block (dotMaxMN*kcDot floats,
// 512 KiB) then stays in L2 while the larger one streams past it.
const dotMaxMN = 128

// useDot reports whether the GEMM takes the unpacked dot path: A not
// transposed, B transposed, and one output dimension small enough that
// packing would dominate.
func useDot(g *gemmArgs) bool {
	return !g.transA && g.transB && g.k >= 8 && min(g.m, g.n) <= dotMaxMN
}

// dotIndFunc is dotFunc with an indirect B: 8-value group s of row j of B is
// the 8 floats at b[boff[j]+qoff[s]:]. qoff (k8 entries) must be
// non-decreasing, so that its first and last entries bound every read.
type dotIndFunc func(k8 int, a []float32, lda int, b []float32, boff, qoff []int32, c []float32, ldc int, alpha float32)

// dotIndGo is the portable dotIndFunc.
func dotIndGo(k8 int, a []float32, lda int, b []float32, boff, qoff []int32, c []float32, ldc int, alpha float32) {
	dotIndTileGo(dr, dc, k8, a, lda, b, boff, qoff, c, ldc, alpha)
}

// dotIndTileGo is dotIndFunc for a rows x cols tile (rows <= dr, cols <= dc),
// summing in the order of dotTileGo.
func dotIndTileGo(rows, cols, k8 int, a []float32, lda int, b []float32, boff, qoff []int32, c []float32, ldc int, alpha float32) {
	qoff = qoff[:k8]
	for i := 0; i < rows; i++ {
		ai := a[i*lda : i*lda+8*k8]
		for j := 0; j < cols; j++ {
			bj := b[boff[j]:]
			var s [8]float32
			for g, q := range qoff {
				av := (*[8]float32)(ai[8*g:])
				bv := (*[8]float32)(bj[q:])
				for l := range s {
					s[l] += av[l] * bv[l]
				}
			}
			sum := ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
			c[i*ldc+j] += alpha * sum
		}
	}
}

// gemmNTInd sets C (m x n, row stride ldc) to A*B^T where A is m x k with
// row stride lda and B is the indirect n x k matrix of dotIndFunc (row
// offsets boff, n entries; group offsets qoff, k/8 entries; k a multiple of
// 8). Its sums are those gemmNT gives on the explicit B.
func gemmNTInd(kern kernels, scratch *[dr * dc]float32, m, n, k int, a []float32, lda int, b []float32, boff, qoff []int32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		clear(c[i*ldc : i*ldc+n])
	}
	block := func(i, j, pc, kb int) {
		rows, cols := min(dr, m-i), min(dc, n-j)
		q := qoff[pc/8 : (pc+kb)/8]
		switch {
		case rows == dr && cols == dc:
			kern.dotInd(kb/8, a[i*lda+pc:], lda, b, boff[j:j+dc], q, c[i*ldc+j:], ldc, 1)
		case m >= dr && n >= dc: // ragged edge: see dotBlock
			si, sj := i+rows-dr, j+cols-dc
			clear(scratch[:])
			kern.dotInd(kb/8, a[si*lda+pc:], lda, b, boff[sj:sj+dc], q, scratch[:], dc, 1)
			addScratch(scratch, rows, cols, c[i*ldc+j:], ldc)
		default:
			dotIndTileGo(rows, cols, kb/8, a[i*lda+pc:], lda, b, boff[j:j+cols], q, c[i*ldc+j:], ldc, 1)
		}
	}
	for pc := 0; pc < k; pc += kcDot {
		kb := min(kcDot, k-pc)
		if n >= m {
			for j := 0; j < n; j += dc {
				for i := 0; i < m; i += dr {
					block(i, j, pc, kb)
				}
			}
			continue
		}
		for i := 0; i < m; i += dr {
			for j := 0; j < n; j += dc {
				block(i, j, pc, kb)
			}
		}
	}
}
