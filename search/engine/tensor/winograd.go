package tensor

// This file implements stride-1 convolutions by Winograd's minimal
// filtering algorithm F(m x m, r x r) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): F(3x3, 3x3) on 5x5 input tiles for
// 3x3 kernels (25 multiplications per 9 outputs instead of 81) and
// F(3x3, 5x5) on 7x7 tiles for 5x5 kernels (49 per 9 instead of 225). The
// transform matrices come from package internal/cooktoom (K3, K5), which
// documents the points. Larger tiles save more multiplications but lose
// accuracy: with F(4x4, .) (~1e-6 of the output, rms) an ill-conditioned
// PLIF gradient of the PyTorch parity fixtures exceeded its 1e-4 tolerance
// under most 1-ulp perturbations of the transformed filters. The 3x3-output
// algorithms (at most 7.2e-7 (3x3) and 4.7e-6 (5x5) of the largest input
// gradient on the test shapes, against ~3e-7 and 1.8e-6 with F(2x2, .))
// keep the fixtures within 4.3e-5; a study over 80 other seeds of the
// fixture networks is in docs/performance.md ("Winograd input gradient").
//
// Channels are the vector lanes: each image is converted to a zero-padded
// HWC image (8x8 register transposes), so that every 1-D transform works on
// 8 channels at a time with unit-stride loads:
//
//	hwc      Hp x Wp x C              padded input, HWC
//	tt       alpha x Wp x C           one tile row transformed along y (BT)
//	v        alpha^2 x Tp x C         tiles transformed along x too: V[point][tile][c]
//	m        alpha^2 x Tp x Cp        V[point] * U[point]: one GEMM per point over c
//	z        m x alpha x TW x Cp      one tile row inverse-transformed along y (AT)
//	o        m*TH x m*TW x Cout       output tiles inverse-transformed along x, HWC
//
// then transposed back to CHW. U[point] = (G w G^T)[point] is the
// transformed filter bank, Cin x Cp (output channels padded to a multiple of
// 16 with zeros), computed once per call in float64. Tp is the number of
// tiles of one pass (all tiles of a small image group, or winoBlockTiles of
// a large image) rounded up to a multiple of 6 (the GEMM kernel's row block;
// the extra rows hold stale values that only reach dropped outputs). Each
// image or small group of images (see newWinoDims) is one task with its own
// buffers, so results do not depend on the number of workers.

import (
	"math/big"

	"github.com/autosnn/autosnn/search/engine/tensor/internal/cooktoom"
)

// xformID names one generated 1-D transform.
type xformID int

const (
	xfInK3  xformID = iota // BT of the 3x3 algorithm
	xfOutK3                // AT of the 3x3 algorithm
	xfInK5                 // BT of the 5x5 algorithm
	xfOutK5                // AT of the 5x5 algorithm
	numXforms
)

// winoAlgo is one algorithm F(m x m, r x r).
type winoAlgo struct {
	m, r, alpha int
	in, out     xformID
	g           []float64 // alpha x r filter transform
}

// winoTables holds the algorithms and the float32 matrices of the
// transforms (rows of outputs, columns of inputs). It is built once at
// package initialisation and never modified.
var winoTables = newWinoTables()

type winoTableSet struct {
	k3, k5 winoAlgo
	mats   [numXforms][][]float32
}

func newWinoTables() *winoTableSet {
	t3, err := cooktoom.K3()
	if err != nil {
		panic(err)
	}
	t5, err := cooktoom.K5()
	if err != nil {
		panic(err)
	}
	ts := &winoTableSet{
		k3: winoAlgo{m: t3.M, r: 3, alpha: t3.Alpha, in: xfInK3, out: xfOutK3, g: flat64(cooktoom.Float64(t3.G))},
		k5: winoAlgo{m: t5.M, r: 5, alpha: t5.Alpha, in: xfInK5, out: xfOutK5, g: flat64(cooktoom.Float64(t5.G))},
	}
	ts.mats[xfInK3] = mat32(t3.BT)
	ts.mats[xfOutK3] = mat32(t3.AT)
	ts.mats[xfInK5] = mat32(t5.BT)
	ts.mats[xfOutK5] = mat32(t5.AT)
	return ts
}

func flat64(m [][]float64) []float64 {
	var out []float64
	for _, row := range m {
		out = append(out, row...)
	}
	return out
}

func mat32(m [][]*big.Rat) [][]float32 {
	f := cooktoom.Float64(m)
	out := make([][]float32, len(f))
	for i, row := range f {
		out[i] = make([]float32, len(row))
		for j, v := range row {
			out[i][j] = float32(v)
		}
	}
	return out
}

// winoKernels are the inner loops of the Winograd path (see winoKernelsGo
// for their contracts).
type winoKernels struct {
	xform     func(id xformID, src []float32, sstride int, dst []float32, dstride, n1, n2, s2src, s2dst int)
	xform64   func(a *winoAlgo, src []float64, sstride int, dst []float64, dstride, n1, n2, s2src, s2dst int)
	gemm      func(groups, k int, a []float32, lda int, b, c []float32, ldc int)
	transpose func(src []float32, sstride int, dst []float32, dstride, bi, bj int)
}

// winoKernelsGo are the portable Winograd kernels.
var winoKernelsGo = &winoKernels{xform: xformGo, xform64: xform64Go, gemm: winoGemmGo, transpose: transpose8Go}

// xform64Go applies the filter transform G of algorithm a (r = a.r) in
// float64, with vectors of 4 values: for o2 < n2, o1 < n1 and lane l < 4,
// with s = o2*s2src + o1*4 + l and d = o2*s2dst + o1*4 + l, it sets
// dst[d + j*dstride] = sum_k G[j][k] * src[s + k*sstride].
func xform64Go(a *winoAlgo, src []float64, sstride int, dst []float64, dstride, n1, n2, s2src, s2dst int) {
	r := a.r
	for o2 := 0; o2 < n2; o2++ {
		for o1 := 0; o1 < n1; o1++ {
			for l := 0; l < 4; l++ {
				s, d := o2*s2src+o1*4+l, o2*s2dst+o1*4+l
				for jj := 0; jj < a.alpha; jj++ {
					var acc float64
					for k, g := range a.g[jj*r : jj*r+r] {
						acc += g * src[s+k*sstride]
					}
					dst[d+jj*dstride] = acc
				}
			}
		}
	}
}

// xformGo applies transform id: for o2 < n2 and o1 < n1 and lane l < 8, with
// s = o2*s2src + o1*8 + l and d = o2*s2dst + o1*8 + l, it sets dst[d +
// j*dstride] = sum_i mat[j][i] * src[s + i*sstride]. Strides are in floats.
func xformGo(id xformID, src []float32, sstride int, dst []float32, dstride, n1, n2, s2src, s2dst int) {
	mat := winoTables.mats[id]
	var in [8]float32
	for o2 := 0; o2 < n2; o2++ {
		for o1 := 0; o1 < n1; o1++ {
			for l := 0; l < 8; l++ {
				s, d := o2*s2src+o1*8+l, o2*s2dst+o1*8+l
				for i := range mat[0] {
					in[i] = src[s+i*sstride]
				}
				for j, row := range mat {
					var acc float32
					for i, c := range row {
						acc += c * in[i]
					}
					dst[d+j*dstride] = acc
				}
			}
		}
	}
}

// winoGemmGo sets C[6g+i][0:16] = sum_{p<k} A[6g+i][p] * B[p][0:16] for g <
// groups and i < 6; A and C are row-major with row strides lda and ldc, B is
// k x 16 contiguous.
func winoGemmGo(groups, k int, a []float32, lda int, b, c []float32, ldc int) {
	for row := 0; row < 6*groups; row++ {
		var acc [16]float32
		for p := 0; p < k; p++ {
			av := a[row*lda+p]
			for j, bv := range b[p*16 : p*16+16] {
				acc[j] += av * bv
			}
		}
		copy(c[row*ldc:row*ldc+16], acc[:])
	}
}

// transpose8Go sets dst[j*dstride+i] = src[i*sstride+j] for i < 8*bi, j <
// 8*bj (strides in floats).
func transpose8Go(src []float32, sstride int, dst []float32, dstride, bi, bj int) {
	for i := 0; i < 8*bi; i++ {
		for j := 0; j < 8*bj; j++ {
			dst[j*dstride+i] = src[i*sstride+j]
		}
	}
}

// winoAlgoFor returns the Winograd algorithm for a convolution shape and
// whether there is one: stride 1, a square 3x3 or 5x5 kernel, and input and
// output channels multiples of 8 (the vector lanes).
func winoAlgoFor(s ConvShape) (*winoAlgo, bool) {
	if s.Stride != 1 || s.KH != s.KW || s.Cin%8 != 0 || s.Cout%8 != 0 {
		return nil, false
	}
	switch s.KH {
	case 3:
		return &winoTables.k3, true
	case 5:
		return &winoTables.k5, true
	}
	return nil, false
}

// winoFor returns the Winograd algorithm st uses for shape s, and whether
// it uses one: winoAlgoFor's, when st has Winograd kernels and they are not
// turned off.
func (st *state) winoFor(s ConvShape) (*winoAlgo, bool) {
	a, ok := winoAlgoFor(s)
	if !ok || st.kern.wino == nil || st.noWinograd {
		return nil, false
	}
	return a, true
}

// winoDims are the sizes of one task's Winograd buffers (see the file
// comment).
type winoDims struct {
	oh, ow, th, tw, tiles, hp, wp, cp, panels int
	group                                     int // images per task
	block                                     int // tile rows per pass through V and M (images of one task: all)
	tp                                        int // rows of V and M, a multiple of 6
	groups                                    int // tasks
}

// winoBlockTiles bounds the tiles of one pass through the transform-domain
// buffers V and M of a large image (64 tiles x 49 points x 16 channels x
// 4 bytes = 200 KB each for 5x5 kernels), so that they stay in the L2 cache
// between the transforms and the GEMMs.
const winoBlockTiles = 64

// winoMinTiles is the number of tiles from which one image fills the GEMM
// well enough on its own; smaller images are taken a few at a time.
const winoMinTiles = 32

func newWinoDims(s ConvShape, a *winoAlgo) winoDims {
	var d winoDims
	d.oh, d.ow = s.OutH(), s.OutW()
	d.th, d.tw = (d.oh+a.m-1)/a.m, (d.ow+a.m-1)/a.m
	d.tiles = d.th * d.tw
	d.hp, d.wp = d.th*a.m+a.r-1, d.tw*a.m+a.r-1
	d.cp = roundUp(s.Cout, 16)
	d.panels = d.cp / 16
	// Small images: group enough of them that the GEMM rows (tiles of the
	// whole group) come in whole blocks of 6 (at most 6 images, since
	// 6*tiles is a multiple of 6). The grouping depends on the shape only.
	d.group = 1
	if d.tiles < winoMinTiles {
		for d.group < 6 && d.group*d.tiles%6 != 0 {
			d.group++
		}
	}
	d.group = min(d.group, s.N)
	d.block = d.th
	if d.group == 1 && d.tiles > winoBlockTiles {
		d.block = max(1, winoBlockTiles/d.tw)
	}
	// (With group > 1, block == th, so this is group*tiles.)
	d.tp = roundUp(d.group*d.block*d.tw, 6)
	d.groups = (s.N + d.group - 1) / d.group
	return d
}

// winoJob is one Winograd convolution: one task per group of images, or
// with fill set, per perTask images (taken d.group at a time).
type winoJob struct {
	s    ConvShape
	a    *winoAlgo
	d    winoDims
	k    *winoKernels
	x, y []float32
	u    []float32 // transformed filters, alpha^2 x panels x Cin x 16

	fill       func(worker, n int, dst []float32) // writes image n padded (see Conv2DBackwardDataImages); nil: pad x
	perTask    int
	first, end int // fill: the images [first, end), tasks of perTask from first
}

// winoConv computes y = conv(x, w) for a shape accepted by winoAlgoFor.
// With flip set, w holds the filters of the convolution whose input
// gradient this is (s.Cin x s.Cout x r x r), and the filters used are
// their transposed, flipped copies (see flipFilters).
func (st *state) winoConv(s ConvShape, a *winoAlgo, k *winoKernels, x, w, y []float32, flip bool) {
	j := &st.winoJob
	d := newWinoDims(s, a)
	st.winoFilters(s, a, d, k, w, flip)
	*j = winoJob{s: s, a: a, d: d, k: k, x: x, y: y, u: st.wu}
	st.parallel(d.groups, j)
	*j = winoJob{}
}

// winoFilters computes the transformed filters of w for shape s into
// st.wu (see winoFilterJob), one task per input channel.
func (st *state) winoFilters(s ConvShape, a *winoAlgo, d winoDims, k *winoKernels, w []float32, flip bool) {
	st.wu = grow(st.wu, a.alpha*a.alpha*d.panels*s.Cin*16)
	fj := &st.winoFilterJob
	*fj = winoFilterJob{s: s, a: a, d: d, k: k, w: w, u: st.wu, flip: flip}
	st.parallel(s.Cin, fj)
	*fj = winoFilterJob{}
}

// Conv2DBackwardDataImages computes dx as Conv2DBackwardData does, image by
// image, for a caller that produces each image's output gradient itself
// and uses it for more than this (package train adds its event-driven
// filter gradient from it): instead of reading dy, it calls fill(worker, n,
// dst) to write image n's output gradient (s.Cout channels of OutH x OutW)
// to dst as PadHWC(dst, dy_n, Cout, OutH, OutW, q, cols) does: an HWC image
// of rows x cols pixels (ImagesBackward.Padded; the tiles may overhang the
// output), the gradient at rows and columns q.. (q = KH-1-Pad) and zeros
// everywhere else; len(dst) = rows*cols*Cout. Images go to workers perTask
// at a time, each task's images in increasing order on one worker (0 <=
// worker < ws.Workers()), so fill may accumulate per task without locks.
// The results are those of Conv2DBackwardData, bit for bit. It reports
// whether it ran: only on the Winograd path (see Conv2DBackwardData);
// otherwise it calls nothing and the caller uses Conv2DBackwardData.
func Conv2DBackwardDataImages(s ConvShape, w, dx []float32, ws *Workspace, perTask int, fill func(worker, n int, dst []float32)) bool {
	p := PrepareBackwardDataImages(s, w, ws)
	if p == nil {
		return false
	}
	p.Run(0, s.N, dx, perTask, fill)
	return true
}

// ImagesBackward is Conv2DBackwardDataImages prepared for one shape and
// filter bank (the transformed filters computed once), to run on ranges
// of images: a caller that makes the output gradients of a few images at
// a time (one timestep of a batch, say) can consume each range while it is
// in cache. It holds scratch memory of its Workspace: it is valid until
// the next convolution call on that Workspace.
type ImagesBackward struct {
	st *state
	t  ConvShape
	a  *winoAlgo
	d  winoDims
}

// PrepareBackwardDataImages transforms the filters w of shape s for
// ImagesBackward.Run, or returns nil when Conv2DBackwardDataImages would
// report false.
func PrepareBackwardDataImages(s ConvShape, w []float32, ws *Workspace) *ImagesBackward {
	s.mustValidate("PrepareBackwardDataImages")
	s.mustCheck("PrepareBackwardDataImages", lenCheck{"w", len(w), s.WLen()})
	t, a, d, ok := ws.s.imagesPath(s)
	if !ok {
		return nil
	}
	st := ws.s
	st.winoFilters(t, a, d, st.kern.wino, w, true)
	return &ImagesBackward{st: st, t: t, a: a, d: d}
}

// Padded returns the size in pixels of the padded output-gradient image
// that fill writes (see Conv2DBackwardDataImages): whole tiles, at least
// OutH+2q rows and OutW+2q columns.
func (p *ImagesBackward) Padded() (rows, cols int) { return p.d.hp, p.d.wp }

// Run computes the input gradients of images [n0, n1) into dx (the whole
// batch's), as Conv2DBackwardDataImages does: tasks of perTask images from
// n0 on, each on one worker in increasing order, fill called once per
// image.
func (p *ImagesBackward) Run(n0, n1 int, dx []float32, perTask int, fill func(worker, n int, dst []float32)) {
	s, st := p.t, p.st
	if perTask < 1 || n0 < 0 || n1 > s.N || n0 > n1 {
		panic("tensor: ImagesBackward.Run: bad image range or perTask")
	}
	if len(dx) != s.YLen() { // the transposed shape's output is the input gradient
		panic("tensor: ImagesBackward.Run: dx has the wrong length")
	}
	j := &st.winoJob
	*j = winoJob{s: s, a: p.a, d: p.d, k: st.kern.wino, y: dx, u: st.wu, fill: fill, perTask: perTask, first: n0, end: n1}
	st.parallel((n1-n0+perTask-1)/perTask, j)
	*j = winoJob{}
}

// HasBackwardDataImages reports whether Conv2DBackwardDataImages runs for
// shape s on ws.
func HasBackwardDataImages(s ConvShape, ws *Workspace) bool {
	if s.Validate() != nil {
		return false
	}
	_, _, _, ok := ws.s.imagesPath(s)
	return ok
}

// imagesPath returns the transposed shape, the algorithm and the buffer
// sizes of Conv2DBackwardDataImages for s, and whether it applies.
func (st *state) imagesPath(s ConvShape) (ConvShape, *winoAlgo, winoDims, bool) {
	t, ok := s.transposed()
	if !ok {
		return t, nil, winoDims{}, false
	}
	a, ok := st.winoFor(t)
	if !ok {
		return t, nil, winoDims{}, false
	}
	return t, a, newWinoDims(t, a), true
}

// winoFilterJob computes the transformed filters of one input channel ci
// per task: U[point][co/16][ci][co%16] = (G w[co][ci] G^T)[point] for every
// co. The filters of ci are reordered to [ky][kx][co] in float64, so that
// both 1-D transforms run with output channels as vector lanes (four
// float64 lanes: xform64), and the result is rounded to float32 once. (With
// G rounded to float32 its rounding is the same for every filter, and that
// systematic error survived in sums over many outputs, such as a PLIF
// time-constant gradient.) A task owns whole 16-lane rows of U, so tasks
// never write to the same cache line.
type winoFilterJob struct {
	s    ConvShape
	a    *winoAlgo
	d    winoDims
	k    *winoKernels
	w, u []float32
	flip bool // w holds the filters of the transposed convolution
}

func (j *winoFilterJob) run(st *state, worker, ci int) {
	s, a := j.s, j.a
	r, al, co := a.r, a.alpha, s.Cout
	b := st.bufs[worker]
	b.wf64 = grow(b.wf64, (r*r+al*r+al*al)*co)
	wt := b.wf64[:r*r*co]                              // [ky][kx][co]
	tmp := b.wf64[r*r*co : (r*r+al*r)*co]              // [i][kx][co]
	u64 := b.wf64[(r*r+al*r)*co : (r*r+al*r+al*al)*co] // [i][jj][co]
	for c := 0; c < co; c++ {
		if j.flip {
			// w is Cin x Cout (of this shape) x r x r, flipped.
			src := j.w[(ci*s.Cout+c)*r*r : (ci*s.Cout+c+1)*r*r]
			for i, v := range src {
				wt[(r*r-1-i)*co+c] = float64(v)
			}
			continue
		}
		for i, v := range j.w[(c*s.Cin+ci)*r*r : (c*s.Cin+ci+1)*r*r] {
			wt[i*co+c] = float64(v)
		}
	}
	// Along ky, then along kx (row by row).
	j.k.xform64(a, wt, r*co, tmp, r*co, co/4, r, co, co)
	for i := 0; i < al; i++ {
		j.k.xform64(a, tmp[i*r*co:], co, u64[i*al*co:], co, co/4, 1, 0, 0)
	}
	for pt := 0; pt < al*al; pt++ {
		src := u64[pt*co : (pt+1)*co]
		for pn := 0; pn < j.d.panels; pn++ {
			dst := j.u[((pt*j.d.panels+pn)*s.Cin+ci)*16:][:16]
			lanes := min(16, co-pn*16)
			for l, v := range src[pn*16 : pn*16+lanes] {
				dst[l] = float32(v)
			}
			clear(dst[lanes:])
		}
	}
}

func (j *winoJob) run(st *state, worker, task int) {
	if j.fill == nil {
		n0 := task * j.d.group
		j.runGroup(st, worker, n0, min(n0+j.d.group, j.s.N))
		return
	}
	end := min(j.first+(task+1)*j.perTask, j.end) // the task's images end here
	for n0 := j.first + task*j.perTask; n0 < end; n0 += j.d.group {
		j.runGroup(st, worker, n0, min(n0+j.d.group, end))
	}
}

// runGroup computes the images n0 .. n1-1 (at most d.group of them).
func (j *winoJob) runGroup(st *state, worker, n0, n1 int) {
	s, a, d := j.s, j.a, j.d
	b := st.bufs[worker]
	al, c := a.alpha, s.Cin
	cnt := n1 - n0
	rowLen := d.wp * c
	b.whwc = grow(b.whwc, d.hp*rowLen)
	b.wt = grow(b.wt, al*rowLen)
	b.wv = grow(b.wv, al*al*d.tp*c)
	b.wm = grow(b.wm, al*al*d.tp*d.cp)
	ow := d.tw * a.m
	b.wo = grow(b.wo, d.th*a.m*ow*s.Cout)
	if cnt > 1 {
		// Small images: all tiles of the group in one pass.
		for i := 0; i < cnt; i++ {
			j.padImage(b, worker, n0+i)
			j.inputRows(b, 0, d.th, i*d.tiles)
		}
		j.gemms(b, cnt*d.tiles)
		for i := 0; i < cnt; i++ {
			j.outputRows(b, 0, d.th, i*d.tiles)
			j.unpadImage(b, n0+i)
		}
		return
	}
	// One image, d.block tile rows per pass.
	j.padImage(b, worker, n0)
	for ty0 := 0; ty0 < d.th; ty0 += d.block {
		ty1 := min(ty0+d.block, d.th)
		j.inputRows(b, ty0, ty1, 0)
		j.gemms(b, (ty1-ty0)*d.tw)
		j.outputRows(b, ty0, ty1, 0)
	}
	j.unpadImage(b, n0)
}

// gemms multiplies the first rows rows of V by the transformed filters,
// one GEMM per transform-domain point, into M.
func (j *winoJob) gemms(b *workerBufs, rows int) {
	d, k, c, al := j.d, j.k, j.s.Cin, j.a.alpha
	rows = roundUp(rows, 6)
	for pt := 0; pt < al*al; pt++ {
		for pn := 0; pn < d.panels; pn++ {
			k.gemm(rows/6, c, b.wv[pt*d.tp*c:], c, j.u[(pt*d.panels+pn)*c*16:], b.wm[pt*d.tp*d.cp+pn*16:], d.cp)
		}
	}
}

// padImage writes image n zero-padded in HWC order to b.whwc.
func (j *winoJob) padImage(b *workerBufs, worker, n int) {
	s := j.s
	if j.fill != nil {
		j.fill(worker, n, b.whwc[:j.d.hp*j.d.wp*s.Cin])
		return
	}
	img := s.Cin * s.H * s.W
	padHWC(j.k, b.whwc, j.x[n*img:(n+1)*img], s.Cin, s.H, s.W, s.Pad, j.d.wp)
}

// PadHWC writes the CHW image x (c channels of h x w values) to dst as an
// HWC image of rows of wp >= w+2*pad pixels with pad rows and columns of
// zeros before the image: dst[((y+pad)*wp + xx+pad)*c + ch] = x[(ch*h+y)*w
// + xx], and every other value of dst is 0 (dst holds len(dst)/(wp*c) >=
// h+2*pad whole rows). Pure data movement: the same result on every path
// (8x8 register transposes when c is a multiple of 8 and the CPU has AVX2).
func PadHWC(dst, x []float32, c, h, w, pad, wp int) {
	if c <= 0 || h <= 0 || w <= 0 || pad < 0 || wp < w+2*pad || len(x) != c*h*w ||
		len(dst)%(wp*c) != 0 || len(dst) < (h+2*pad)*wp*c {
		panic("tensor: PadHWC: bad shape")
	}
	padHWC(padKernels, dst, x, c, h, w, pad, wp)
}

// padKernels are the kernels PadHWC uses: the assembly ones where this
// build and CPU have them, resolved once.
var padKernels = func() *winoKernels {
	if k := defaultKernels().wino; k != nil {
		return k
	}
	return winoKernelsGo
}()

// padHWC is PadHWC with kernel set k and rows of wp >= w+2*pad pixels: the
// image goes to rows and columns pad.., every other value of dst (including
// whole rows after the image) is set to 0.
func padHWC(k *winoKernels, dst, x []float32, c, h, w, pad, wp int) {
	rowLen := wp * c
	clear(dst[:pad*rowLen])
	clear(dst[(pad+h)*rowLen:])
	w8 := 0 // pixels per row the 8x8 transposes move
	if c%8 == 0 {
		w8 = w &^ 7
	}
	for yy := 0; yy < h; yy++ {
		row := dst[(yy+pad)*rowLen : (yy+pad+1)*rowLen]
		clear(row[:pad*c])
		clear(row[(pad+w)*c:])
		if w8 > 0 {
			k.transpose(x[yy*w:], h*w, row[pad*c:], c, c/8, w8/8)
		}
		for xx := w8; xx < w; xx++ {
			for ch := 0; ch < c; ch++ {
				row[(pad+xx)*c+ch] = x[(ch*h+yy)*w+xx]
			}
		}
	}
}

// inputRows writes the transformed tiles of tile rows [ty0, ty1) of the
// padded image in b.whwc to the rows of V from t0 on.
func (j *winoJob) inputRows(b *workerBufs, ty0, ty1, t0 int) {
	a, d, k := j.a, j.d, j.k
	al, c := a.alpha, j.s.Cin
	rowLen := d.wp * c
	for ty := ty0; ty < ty1; ty++ {
		k.xform(a.in, b.whwc[ty*a.m*rowLen:], rowLen, b.wt, rowLen, rowLen/8, 1, 0, 0)
		for kk := 0; kk < al; kk++ {
			k.xform(a.in, b.wt[kk*rowLen:], c, b.wv[(kk*al*d.tp+t0+(ty-ty0)*d.tw)*c:], d.tp*c, c/8, d.tw, a.m*c, c)
		}
	}
}

// outputRows inverse-transforms the rows of M from t0 on, tile rows
// [ty0, ty1), into the HWC output image b.wo.
func (j *winoJob) outputRows(b *workerBufs, ty0, ty1, t0 int) {
	a, d, k := j.a, j.d, j.k
	al, co := a.alpha, j.s.Cout
	zRow := d.tw * d.cp
	b.wz = grow(b.wz, a.m*al*zRow)
	ow := d.tw * a.m
	for ty := ty0; ty < ty1; ty++ {
		k.xform(a.out, b.wm[(t0+(ty-ty0)*d.tw)*d.cp:], al*d.tp*d.cp, b.wz, al*zRow, zRow/8, al, d.tp*d.cp, zRow)
		for rr := 0; rr < a.m; rr++ {
			k.xform(a.out, b.wz[rr*al*zRow:], zRow, b.wo[(ty*a.m+rr)*ow*co:], co, co/8, d.tw, d.cp, a.m*co)
		}
	}
}

// unpadImage writes the HWC output image b.wo to output image n (CHW),
// dropping the pixels of incomplete tiles.
func (j *winoJob) unpadImage(b *workerBufs, n int) {
	d, k, co := j.d, j.k, j.s.Cout
	ow := d.tw * j.a.m
	y := j.y[n*co*d.oh*d.ow : (n+1)*co*d.oh*d.ow]
	o8 := d.ow &^ 7
	for oy := 0; oy < d.oh; oy++ {
		src := b.wo[oy*ow*co:]
		if o8 > 0 {
			k.transpose(src, co, y[oy*d.ow:], d.oh*d.ow, o8/8, co/8)
		}
		for ox := o8; ox < d.ow; ox++ {
			for ch := 0; ch < co; ch++ {
				y[(ch*d.oh+oy)*d.ow+ox] = src[ox*co+ch]
			}
		}
	}
}
