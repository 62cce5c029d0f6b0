package tensor

// This file holds the blocked GEMM driver: packing of A and B panels, the
// macro-kernel that walks micro-tiles, and the split of C into tiles that the
// workers of a Workspace compute in parallel.

// gemmArgs are the operands of one C = alpha*op(A)*op(B) + beta*C call.
type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// gemmBufs is one worker's packing scratch.
type gemmBufs struct {
	a      []float32 // packed A block, mc*kc
	b      []float32 // packed B block, kc*nc
	tmp    [mr * nr]float32
	dotTmp [dr * dc]float32
}

func newGemmBufs() *gemmBufs {
	return &gemmBufs{a: make([]float32, mc*kc), b: make([]float32, kc*nc)}
}

// gemmTile computes rows [i0, i1) and columns [j0, j1) of C. The result of
// every element depends only on the operands and kc, not on the tile bounds.
func gemmTile(kern kernelFunc, bufs *gemmBufs, g *gemmArgs, i0, i1, j0, j1 int) {
	scaleTile(g, i0, i1, j0, j1)
	if g.k == 0 || g.alpha == 0 {
		return
	}
	c, ldc := g.c, g.ldc
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			packB(bufs.b, g.transB, g.b, g.ldb, pc, kb, jc, nb)
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				packA(bufs.a, g.transA, g.a, g.lda, ic, mb, pc, kb, g.alpha)
				macroKernel(kern, bufs.a, bufs.b, &bufs.tmp, kb, mb, nb, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// scaleTile multiplies rows [i0, i1) and columns [j0, j1) of C by beta,
// setting them to zero when beta is 0.
func scaleTile(g *gemmArgs, i0, i1, j0, j1 int) {
	c, ldc := g.c, g.ldc
	switch g.beta {
	case 1:
	case 0:
		for i := i0; i < i1; i++ {
			clear(c[i*ldc+j0 : i*ldc+j1])
		}
	default:
		for i := i0; i < i1; i++ {
			row := c[i*ldc+j0 : i*ldc+j1]
			for j := range row {
				row[j] *= g.beta
			}
		}
	}
}

// macroKernel multiplies the packed mb x kb block of A (apack) with the
// packed kb x nb block of B (bpack) and adds the product to C (c[0] is the top-left
// element of the block). The ragged last panel of A uses the kernel for
// fewer rows; partial tiles at the right edge go through a scratch tile.
func macroKernel(kern kernelFunc, apack, bpack []float32, tmpTile *[mr * nr]float32, kb, mb, nb int, c []float32, ldc int) {
	for jr := 0; jr < nb; jr += nr {
		cols := min(nr, nb-jr)
		bp := bpack[jr*kb : jr*kb+kb*nr]
		for ir := 0; ir < mb; ir += mr {
			rows := min(mr, mb-ir)
			ap := apack[ir*kb : ir*kb+kb*mr]
			off := ir*ldc + jr
			if cols == nr {
				kern(rows, kb, ap, bp, c[off:], ldc)
				continue
			}
			tmp := tmpTile[:]
			clear(tmp)
			kern(rows, kb, ap, bp, tmp, nr)
			for i := 0; i < rows; i++ {
				dst := c[off+i*ldc : off+i*ldc+cols]
				for j, v := range tmp[i*nr : i*nr+cols] {
					dst[j] += v
				}
			}
		}
	}
}

// packA packs rows [i0, i0+mb) and columns [p0, p0+kb) of alpha*op(A) into
// dst as consecutive mr-row panels; panel r starts at r*mr*kb and holds
// dst[p*mr+i] = alpha*op(A)[i0+r*mr+i, p0+p], rows past mb being zero.
func packA(dst []float32, trans bool, a []float32, lda, i0, mb, p0, kb int, alpha float32) {
	for ir := 0; ir < mb; ir += mr {
		rows := min(mr, mb-ir)
		d := dst[ir*kb : ir*kb+kb*mr]
		if trans {
			for p := 0; p < kb; p++ {
				src := a[(p0+p)*lda+i0+ir : (p0+p)*lda+i0+ir+rows]
				dp := d[p*mr : p*mr+mr]
				for i, v := range src {
					dp[i] = alpha * v
				}
				clear(dp[rows:])
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(i0+ir+i)*lda+p0 : (i0+ir+i)*lda+p0+kb]
			for p, v := range src {
				d[p*mr+i] = alpha * v
			}
		}
		for i := rows; i < mr; i++ {
			for p := 0; p < kb; p++ {
				d[p*mr+i] = 0
			}
		}
	}
}

// packB packs rows [p0, p0+kb) and columns [j0, j0+nb) of op(B) into dst as
// consecutive nr-column panels; panel r starts at r*nr*kb and holds
// dst[p*nr+j] = op(B)[p0+p, j0+r*nr+j], columns past nb being zero.
func packB(dst []float32, trans bool, b []float32, ldb, p0, kb, j0, nb int) {
	if trans {
		packBTrans(dst, b, ldb, p0, kb, j0, nb)
		return
	}
	full := nb / nr * nr
	for p := 0; p < kb; p++ {
		src := b[(p0+p)*ldb+j0 : (p0+p)*ldb+j0+nb]
		off := p * nr
		for jr := 0; jr < full; jr += nr {
			copy16(dst[off:off+nr], src[jr:])
			off += kb * nr
		}
		if full < nb {
			t := dst[off : off+nr]
			copy(t, src[full:])
			clear(t[nb-full:])
		}
	}
}

// packBTrans is packB for B stored transposed (n x k): each panel is the
// transpose of nr rows of the stored matrix, built one packed row (nr
// values from nr source rows) at a time so the writes stay sequential.
func packBTrans(dst []float32, b []float32, ldb, p0, kb, j0, nb int) {
	for jr := 0; jr < nb; jr += nr {
		cols := min(nr, nb-jr)
		d := dst[jr*kb : jr*kb+kb*nr]
		var rows [nr][]float32
		for j := 0; j < cols; j++ {
			base := (j0+jr+j)*ldb + p0
			rows[j] = b[base : base+kb]
		}
		if cols == nr {
			for p := 0; p < kb; p++ {
				dp := (*[nr]float32)(d[p*nr:])
				for j := range dp {
					dp[j] = rows[j][p]
				}
			}
			continue
		}
		for p := 0; p < kb; p++ {
			dp := (*[nr]float32)(d[p*nr:])
			for j := 0; j < cols; j++ {
				dp[j] = rows[j][p]
			}
			for j := cols; j < nr; j++ {
				dp[j] = 0
			}
		}
	}
}

// gemmJob splits C into a grid of tiles, one task each.
type gemmJob struct {
	g      gemmArgs
	tm, tn int // tile size, multiples of mr and nr
	nTn    int // tiles per row of the grid
}

func (j *gemmJob) run(s *state, worker, task int) {
	i0 := task / j.nTn * j.tm
	j0 := task % j.nTn * j.tn
	s.tile(worker, &j.g, i0, min(i0+j.tm, j.g.m), j0, min(j0+j.tn, j.g.n))
}

// tile computes rows [i0, i1) and columns [j0, j1) of C on the given worker,
// by the dot path or the packed path as useDot decides.
func (s *state) tile(worker int, g *gemmArgs, i0, i1, j0, j1 int) {
	if useDot(g) {
		gemmNT(s.kern.dot, &s.bufs[worker].gemm.dotTmp, g, i0, i1, j0, j1)
		return
	}
	gemmTile(s.kern.gemm, s.bufs[worker].gemm, g, i0, i1, j0, j1)
}

// parallelFlops is the work (in multiply-adds) below which a GEMM runs on the
// calling goroutine alone.
const parallelFlops = 1 << 17

// sgemm runs the GEMM on the workers of s. Tiling changes only which worker
// computes which elements, never the value of an element.
func (s *state) sgemm(g gemmArgs) {
	if g.m == 0 || g.n == 0 {
		return
	}
	if chunk := splitK(&g); chunk > 0 {
		s.sgemmSplitK(g, chunk)
		return
	}
	if s.workers == 1 || g.m*g.n*max(g.k, 1) < parallelFlops {
		s.tile(0, &g, 0, g.m, 0, g.n)
		return
	}
	dot := useDot(&g)
	if !dot && g.m > mc {
		// Several row blocks: share each packed block of B.
		s.sgemmShared(g)
		return
	}
	// Independent tiles of C, one per task: on the packed path with at most
	// one row block each tile packs its own, disjoint columns of B, so
	// nothing is packed twice and one dispatch suffices. Tiles start at
	// multiples of mc (a multiple of mr and dr) and of unit (a multiple of
	// nr, and of dc on the dot path).
	unit, tnMax := nr, nc
	if dot {
		unit, tnMax = nr*dc, 10*nr*dc
	}
	tm, tn := mc, tnMax
	nTm := (g.m + tm - 1) / tm
	if want := 4 * s.workers; nTm*((g.n+tn-1)/tn) < want {
		split := (want + nTm - 1) / nTm
		tn = max(roundUp((g.n+split-1)/split, unit), 4*unit)
		tn = min(tn, tnMax)
	}
	j := &s.gemmJob
	*j = gemmJob{g: g, tm: tm, tn: tn, nTn: (g.n + tn - 1) / tn}
	s.parallel(nTm*j.nTn, j)
	j.g = gemmArgs{} // drop references to the caller's slices
}

// sharedJob is one parallel phase of a packed GEMM whose workers share the
// packed B block: phase packPhase packs groups of B panels into bpack,
// phase computePhase packs a block of A per task and runs the macro-kernel
// on a range of B panels, phase scalePhase scales rows of C by beta.
type sharedJob struct {
	g       gemmArgs
	phase   int
	jc, nb  int // the B block: columns [jc, jc+nb)
	pc, kb  int // and rows [pc, pc+kb)
	bpack   []float32
	packGrp int // B panels per packing task
	tn, nTn int // columns per compute task (a multiple of nr) and tasks per row block
}

const (
	scalePhase = iota
	packPhase
	computePhase
	scaleRows = 64 // rows of C per scaling task
)

func (j *sharedJob) run(s *state, worker, task int) {
	g := &j.g
	switch j.phase {
	case scalePhase:
		i0 := task * scaleRows
		scaleTile(g, i0, min(i0+scaleRows, g.m), 0, g.n)
	case packPhase:
		jr := task * j.packGrp * nr
		cols := min(j.packGrp*nr, j.nb-jr)
		packB(j.bpack[jr*j.kb:], g.transB, g.b, g.ldb, j.pc, j.kb, j.jc+jr, cols)
	case computePhase:
		bufs := s.bufs[worker].gemm
		ic := task / j.nTn * mc
		jr := task % j.nTn * j.tn
		mb, cols := min(mc, g.m-ic), min(j.tn, j.nb-jr)
		packA(bufs.a, g.transA, g.a, g.lda, ic, mb, j.pc, j.kb, g.alpha)
		macroKernel(s.kern.gemm, bufs.a, j.bpack[jr*j.kb:], &bufs.tmp, j.kb, mb, cols, g.c[ic*g.ldc+j.jc+jr:], g.ldc)
	}
}

// sgemmShared runs a packed GEMM in parallel the way gemmTile runs it
// serially, block by block of B: the workers first pack the kc x nc block
// of B together into a shared buffer, then each computes a row block of C
// (or part of one) against it. Every element goes through the same blocks
// and kernels as in gemmTile, so the result is bit-identical to it.
func (s *state) sgemmShared(g gemmArgs) {
	j := &s.sharedJob
	*j = sharedJob{g: g}
	s.parallel((g.m+scaleRows-1)/scaleRows, j)
	if g.k != 0 && g.alpha != 0 {
		s.bshared = grow(s.bshared, kc*nc)
		j.bpack = s.bshared
		nTm := (g.m + mc - 1) / mc
		for jc := 0; jc < g.n; jc += nc {
			j.jc, j.nb = jc, min(nc, g.n-jc)
			panels := (j.nb + nr - 1) / nr
			j.packGrp = max(1, (panels+2*s.workers-1)/(2*s.workers))
			// Enough compute tasks to keep every worker busy: split the
			// block's columns when there are few row blocks.
			j.tn = roundUp(j.nb, nr)
			if want := 2 * s.workers; nTm < want {
				split := (want + nTm - 1) / nTm
				j.tn = max(roundUp((j.nb+split-1)/split, nr), 2*nr)
			}
			j.nTn = (j.nb + j.tn - 1) / j.tn
			for pc := 0; pc < g.k; pc += kc {
				j.pc, j.kb = pc, min(kc, g.k-pc)
				j.phase = packPhase
				s.parallel((panels+j.packGrp-1)/j.packGrp, j)
				j.phase = computePhase
				s.parallel(nTm*j.nTn, j)
			}
		}
	}
	*j = sharedJob{} // drop references to the caller's slices
}

// Split-K parameters: a GEMM with a small output and a long reduction (the
// filter gradient of a whole batch, say) is cut along k into chunks whose
// length depends only on k, so it can run in parallel and stay
// deterministic.
const (
	splitMaxMN   = 1 << 14 // largest m*n that is split along k
	splitMinK    = 1 << 13 // shortest k that is split
	splitKUnit   = 1 << 12 // chunk length granularity, a multiple of kc and kcDot
	splitMaxPart = 64      // most chunks
)

// splitK returns the chunk length of a split-K GEMM, or 0 if the GEMM is
// not split.
func splitK(g *gemmArgs) int {
	if g.m*g.n > splitMaxMN || g.k < splitMinK || g.alpha == 0 {
		return 0
	}
	return max(splitKUnit, roundUp((g.k+splitMaxPart-1)/splitMaxPart, splitKUnit))
}

// splitKJob computes one k-chunk's product per task into its own partial.
type splitKJob struct {
	g     gemmArgs
	chunk int
	part  []float32
}

func (j *splitKJob) run(s *state, worker, task int) {
	g := j.g
	pc := task * j.chunk
	kb := min(j.chunk, g.k-pc)
	sub := gemmArgs{transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: kb, alpha: 1, beta: 0,
		c: j.part[task*g.m*g.n : (task+1)*g.m*g.n], ldc: g.n, lda: g.lda, ldb: g.ldb}
	if g.transA {
		sub.a = g.a[pc*g.lda:]
	} else {
		sub.a = g.a[pc:]
	}
	if g.transB {
		sub.b = g.b[pc:]
	} else {
		sub.b = g.b[pc*g.ldb:]
	}
	s.tile(worker, &sub, 0, g.m, 0, g.n)
}

// sgemmSplitK runs a split-K GEMM: the chunk products are computed in
// parallel and then added to beta*C in chunk order.
func (s *state) sgemmSplitK(g gemmArgs, chunk int) {
	chunks := (g.k + chunk - 1) / chunk
	mn := g.m * g.n
	s.partK = grow(s.partK, chunks*mn)
	j := &s.splitJob
	*j = splitKJob{g: g, chunk: chunk, part: s.partK}
	s.parallel(chunks, j)
	*j = splitKJob{}
	part := s.partK
	for i := 0; i < g.m; i++ {
		row := g.c[i*g.ldc : i*g.ldc+g.n]
		for jj := range row {
			var sum float32
			if g.beta != 0 {
				sum = g.beta * row[jj]
			}
			for c := 0; c < chunks; c++ {
				sum += g.alpha * part[c*mn+i*g.n+jj]
			}
			row[jj] = sum
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }
