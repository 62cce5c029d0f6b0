package tensor

import (
	"errors"
	"fmt"
)

// ConvShape describes a 2-D convolution over a batch in NCHW layout with no
// bias, no dilation and groups=1: N images of Cin x H x W are convolved with
// Cout filters of Cin x KH x KW, moving Stride pixels at a time over the
// input padded with Pad zero pixels on every side.
type ConvShape struct {
	N, Cin, H, W, Cout, KH, KW, Stride, Pad int
}

// maxImage is the largest padded image (in floats) a convolution accepts:
// the kernels address it with int32 offsets.
const maxImage = 1<<31 - 1

// OutH returns the output height (H+2*Pad-KH)/Stride+1. OutH, OutW and
// YLen need Stride > 0 (see Validate).
func (s ConvShape) OutH() int { return (s.H+2*s.Pad-s.KH)/s.Stride + 1 }

// OutW returns the output width (W+2*Pad-KW)/Stride+1.
func (s ConvShape) OutW() int { return (s.W+2*s.Pad-s.KW)/s.Stride + 1 }

// XLen returns the number of elements of the input tensor, N*Cin*H*W.
func (s ConvShape) XLen() int { return s.N * s.Cin * s.H * s.W }

// WLen returns the number of elements of the filter tensor, Cout*Cin*KH*KW.
func (s ConvShape) WLen() int { return s.Cout * s.Cin * s.KH * s.KW }

// YLen returns the number of elements of the output tensor, N*Cout*OutH*OutW.
func (s ConvShape) YLen() int { return s.N * s.Cout * s.OutH() * s.OutW() }

// Validate reports whether the shape describes a computable convolution: all
// sizes positive (Pad non-negative), the kernel fitting into the padded
// input, and one padded image (split into Stride*Stride phases) small
// enough for the kernels' 32-bit offsets.
func (s ConvShape) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{{"N", s.N}, {"Cin", s.Cin}, {"H", s.H}, {"W", s.W}, {"Cout", s.Cout}, {"KH", s.KH}, {"KW", s.KW}, {"Stride", s.Stride}} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s = %d, want > 0", f.name, f.v))
		}
	}
	if s.Pad < 0 {
		errs = append(errs, fmt.Errorf("Pad = %d, want >= 0", s.Pad))
	}
	if len(errs) == 0 {
		if s.H+2*s.Pad < s.KH || s.W+2*s.Pad < s.KW {
			errs = append(errs, fmt.Errorf("kernel %dx%d larger than padded input %dx%d", s.KH, s.KW, s.H+2*s.Pad, s.W+2*s.Pad))
		}
		st := int64(s.Stride)
		hph, wph := (int64(s.H)+2*int64(s.Pad)+st-1)/st, (int64(s.W)+2*int64(s.Pad)+st-1)/st
		if size := st * st * int64(s.Cin) * hph * wph; size > maxImage {
			errs = append(errs, fmt.Errorf("padded image of %d floats, want <= %d", size, maxImage))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("tensor: conv shape %v: %w", s, errors.Join(errs...))
	}
	return nil
}

// String formats the shape as N x Cin x H x W * Cout x KH x KW /Stride +Pad.
func (s ConvShape) String() string {
	return fmt.Sprintf("%dx%dx%dx%d*%dx%dx%d/s%d+p%d", s.N, s.Cin, s.H, s.W, s.Cout, s.KH, s.KW, s.Stride, s.Pad)
}

// lenCheck is one slice length requirement of mustCheck.
type lenCheck struct {
	name      string
	got, want int
}

// mustValidate panics if the shape is invalid. It must run before anything
// that computes output sizes (OutH divides by Stride).
func (s ConvShape) mustValidate(fn string) {
	if err := s.Validate(); err != nil {
		panic(fmt.Sprintf("tensor: %s: %v", fn, err))
	}
}

// mustCheck panics if a slice is too short.
func (s ConvShape) mustCheck(fn string, checks ...lenCheck) {
	for _, c := range checks {
		if c.got < c.want {
			panic(fmt.Sprintf("tensor: %s %v: len(%s) = %d, want >= %d", fn, s, c.name, c.got, c.want))
		}
	}
}

// unpadded reports whether the padded, phase-split image of padImage is the
// image itself (stride 1, no padding), so the kernels can read x directly.
func (s ConvShape) unpadded() bool { return s.Stride == 1 && s.Pad == 0 }

// isPointwise reports whether the im2col matrix of one image equals the
// image itself (1x1 kernel, stride 1, no padding).
func (s ConvShape) isPointwise() bool {
	return s.KH == 1 && s.KW == 1 && s.Stride == 1 && s.Pad == 0
}

// im2col writes the (Cin*KH*KW) x (OH*OW) patch matrix of one image x
// (Cin x H x W) into col with row stride ld. Row (c*KH+kh)*KW+kw, column
// oh*OW+ow holds x[c, oh*Stride-Pad+kh, ow*Stride-Pad+kw], or 0 outside the
// image.
func im2col(s ConvShape, x, col []float32, ld int) {
	p := s.OutH() * s.OutW()
	row := 0
	for c := 0; c < s.Cin; c++ {
		xc := x[c*s.H*s.W : (c+1)*s.H*s.W]
		for kh := 0; kh < s.KH; kh++ {
			for kw := 0; kw < s.KW; kw++ {
				im2colRow(s, xc, kh, kw, col[row*ld:row*ld+p])
				row++
			}
		}
	}
}

// im2colRow writes the patch-matrix row of kernel offset (kh, kw) for one
// channel xc (H x W) into dst (OH*OW values).
func im2colRow(s ConvShape, xc []float32, kh, kw int, dst []float32) {
	oh, ow := s.OutH(), s.OutW()
	lo, hi := validRange(ow, s.W, s.Stride, s.Pad, kw)
	for y := 0; y < oh; y++ {
		d := dst[y*ow : (y+1)*ow]
		iy := y*s.Stride - s.Pad + kh
		if iy < 0 || iy >= s.H {
			clear(d)
			continue
		}
		src := xc[iy*s.W : (iy+1)*s.W]
		clear(d[:lo])
		clear(d[hi:])
		if s.Stride == 1 {
			if lo < hi {
				copy(d[lo:hi], src[lo-s.Pad+kw:])
			}
			continue
		}
		ix := lo*s.Stride - s.Pad + kw
		for i := lo; i < hi; i++ {
			d[i] = src[ix]
			ix += s.Stride
		}
	}
}

// validRange returns the output columns [lo, hi) whose input column
// o*stride-pad+k lies inside [0, w).
func validRange(ow, w, stride, pad, k int) (lo, hi int) {
	// o*stride >= pad-k
	if pad-k > 0 {
		lo = (pad - k + stride - 1) / stride
	}
	// o*stride-pad+k <= w-1  =>  o <= (w-1+pad-k)/stride, none if negative
	if t := w - 1 + pad - k; t >= 0 {
		hi = min(t/stride+1, ow)
	}
	lo = min(lo, hi)
	return lo, hi
}

// Conv2DForward computes y = conv(x, w) for the whole batch. x holds
// N*Cin*H*W elements, w Cout*Cin*KH*KW and y N*Cout*OutH*OutW; y is
// overwritten. Images are spread over the workers of ws. It panics if the
// shape is invalid or a slice is too short. (The forward pass keeps the
// direct sums: Winograd's algorithm, used for the input gradient, was
// tried here and moved an ill-conditioned PLIF time-constant gradient of
// the parity fixtures from 5e-5 to 4.5e-4 relative error.)
func Conv2DForward(s ConvShape, x, w, y []float32, ws *Workspace) {
	s.mustValidate("Conv2DForward")
	s.mustCheck("Conv2DForward", lenCheck{"x", len(x), s.XLen()}, lenCheck{"w", len(w), s.WLen()}, lenCheck{"y", len(y), s.YLen()})
	ws.s.conv(convForward, s, x, w, y, 0, false)
}

// Conv2DBackwardData computes dx = dL/dx from the output gradient dy and the
// filters w; dx is overwritten. Lengths are as in Conv2DForward. Stride-1
// square kernels with a padding of at most KH-1 are computed as the forward
// convolution of dy with the transposed, flipped filters: for 3x3 and 5x5
// kernels with channel counts that are multiples of 8, on CPUs with
// AVX2/FMA, by Winograd's algorithm (error up to ~1e-6 (3x3) and ~5e-6
// (5x5) of the largest output instead of ~1e-7; see winograd.go),
// otherwise by the direct
// kernels.
func Conv2DBackwardData(s ConvShape, dy, w, dx []float32, ws *Workspace) {
	s.mustValidate("Conv2DBackwardData")
	s.mustCheck("Conv2DBackwardData", lenCheck{"dy", len(dy), s.YLen()}, lenCheck{"w", len(w), s.WLen()}, lenCheck{"dx", len(dx), s.XLen()})
	if t, ok := s.transposed(); ok {
		// Stride 1 and a square kernel: dx is the forward convolution of dy
		// with the transposed, flipped filters.
		st := ws.s
		if a, ok := st.winoFor(t); ok {
			// 3x3 and 5x5 kernels, channels in multiples of 8: Winograd
			// F(3x3, r x r), float tolerance against the direct sums.
			st.winoConv(t, a, st.kern.wino, dy, w, dx, true)
			return
		}
		st.wflip = grow(st.wflip, s.WLen())
		flipFilters(s, w, st.wflip)
		st.conv(convForward, t, dy, st.wflip, dx, 0, false)
		return
	}
	ws.s.conv(convBackwardData, s, dy, w, dx, 0, false)
}

// transposed returns the shape of the convolution that maps dy to dx, when
// that is an ordinary convolution: stride 1, KH-1-Pad = KW-1-Pad >= 0.
func (s ConvShape) transposed() (ConvShape, bool) {
	if s.Stride != 1 || s.KH != s.KW || s.Pad > s.KH-1 {
		return ConvShape{}, false
	}
	t := ConvShape{N: s.N, Cin: s.Cout, H: s.OutH(), W: s.OutW(), Cout: s.Cin, KH: s.KH, KW: s.KW, Stride: 1, Pad: s.KH - 1 - s.Pad}
	return t, t.Validate() == nil // its padded dy image must fit int32 offsets too
}

// flipFilters writes the filters of the transposed convolution:
// dst[ci, co, kh, kw] = w[co, ci, KH-1-kh, KW-1-kw].
func flipFilters(s ConvShape, w, dst []float32) {
	kk := s.KH * s.KW
	for co := 0; co < s.Cout; co++ {
		for ci := 0; ci < s.Cin; ci++ {
			src := w[(co*s.Cin+ci)*kk : (co*s.Cin+ci+1)*kk]
			d := dst[(ci*s.Cout+co)*kk : (ci*s.Cout+co+1)*kk]
			for i, v := range src {
				d[kk-1-i] = v
			}
		}
	}
}

// Conv2DBackwardFilter adds dL/dw, computed from the input x and the output
// gradient dy, to dw, so callers can sum filter gradients over timesteps by
// calling it once per step. The batch is cut into chunks whose size depends
// only on the shape; each chunk's gradient is one GEMM over all its pixels,
// and the chunk gradients are added to dw in chunk order, so the result does
// not depend on the number of workers.
func Conv2DBackwardFilter(s ConvShape, x, dy, dw []float32, ws *Workspace) {
	s.mustValidate("Conv2DBackwardFilter")
	s.mustCheck("Conv2DBackwardFilter", lenCheck{"x", len(x), s.XLen()}, lenCheck{"dy", len(dy), s.YLen()}, lenCheck{"dw", len(dw), s.WLen()})
	ws.s.backwardFilter(s, x, dy, dw, s.filterIndirect())
}

// backwardFilter is Conv2DBackwardFilter, reading patches from the padded
// images when indirect is set (see filterIndirect) and from an im2col matrix
// otherwise.
func (st *state) backwardFilter(s ConvShape, x, dy, dw []float32, indirect bool) {
	chunk := filterChunk(s)
	chunks := (s.N + chunk - 1) / chunk
	ck := s.WLen()
	st.part = grow(st.part, chunks*ck)
	st.conv(convBackwardFilter, s, x, dy, st.part, chunk, indirect)
	j := &st.reduceJob
	*j = reduceJob{dst: dw[:ck], part: st.part, chunks: chunks}
	st.parallel((ck+reduceBlock-1)/reduceBlock, j)
	*j = reduceJob{}
}

// reduceBlock is the number of elements one task of a reduceJob adds up.
const reduceBlock = 4096

// reduceJob adds per-chunk partial sums to dst: dst[i] += part[0*n+i] +
// part[1*n+i] + ..., left to right, so the order does not depend on how
// the elements are split among workers.
type reduceJob struct {
	dst, part []float32
	chunks    int
}

func (j *reduceJob) run(_ *state, _, task int) {
	n := len(j.dst)
	lo, hi := task*reduceBlock, min((task+1)*reduceBlock, n)
	dst := j.dst[lo:hi]
	for c := 0; c < j.chunks; c++ {
		p := j.part[c*n+lo : c*n+hi]
		for i, v := range p {
			dst[i] += v
		}
	}
}

// maxFilterChunks bounds the number of chunks of the filter gradient, and
// so the memory of their partial sums (maxFilterChunks*Cout*Cin*KH*KW
// floats), whatever the batch.
const maxFilterChunks = 64

// filterChunk returns how many images form one chunk of the filter gradient:
// enough that a chunk has at least kcDot output pixels, so the dot kernel's
// reduction is long enough to run near peak, and that there are at most
// maxFilterChunks chunks. It depends on the shape only.
func filterChunk(s ConvShape) int {
	p := s.OutH() * s.OutW()
	c := max(1, (kcDot+p-1)/p, (s.N+maxFilterChunks-1)/maxFilterChunks)
	return min(s.N, c)
}

// filterIndirect reports whether the filter gradient reads patches straight
// from the padded, phase-split images (a chunk of images addressable with
// int32 offsets) instead of from an im2col matrix.
func (s ConvShape) filterIndirect() bool {
	_, _, size := s.phaseDims()
	return int64(filterChunk(s))*int64(size)+padSlack <= maxImage
}

// virtualW is the output row width rounded up to a multiple of 8. The
// indirect kernels work on virtual output rows of this width, so that every
// group of 8 output pixels lies in one row and reads consecutive inputs; the
// extra pixels are computed and dropped (forward) or given a zero gradient
// (backward).
func (s ConvShape) virtualW() int { return roundUp(s.OutW(), 8) }

// groupOffsets fills qoff (chunk*OH*virtualW/8 values, increasing) with the
// offset, in a buffer of chunk padded phase-split images stored one after
// the other, of the top-left input pixel of each 8-pixel group of virtual
// output pixels, within its phase.
func groupOffsets(s ConvShape, chunk int, qoff []int32) {
	_, wph, size := s.phaseDims()
	oh, ow := s.OutH(), s.virtualW()
	g := 0
	for i := 0; i < chunk; i++ {
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x += 8 {
				qoff[g] = int32(i*size + y*wph + x)
				g++
			}
		}
	}
}

type convMode int

const (
	convForward convMode = iota
	convBackwardData
	convBackwardFilter
)

// convJob is one convolution call: one task per image (forward, backward
// data) or per chunk of images (backward filter).
type convJob struct {
	mode     convMode
	s        ConvShape
	in, w    []float32 // forward: x, w; backward data: dy, w; backward filter: x, dy
	out      []float32 // y, dx, or the per-chunk partials
	chunk    int
	k, p     int  // rows of the im2col matrix, output pixels per image
	pv       int  // virtual output pixels per image, OutH*virtualW
	indirect bool // backward filter: read patches from the padded images
	imgSize  int  // Cin*H*W
}

// conv runs one convolution pass over the batch; chunk and indirect matter
// for the filter gradient only.
func (st *state) conv(mode convMode, s ConvShape, in, w, out []float32, chunk int, indirect bool) {
	j := &st.convJob
	*j = convJob{mode: mode, s: s, in: in, w: w, out: out, chunk: chunk, indirect: indirect,
		k: s.Cin * s.KH * s.KW, p: s.OutH() * s.OutW(), pv: s.OutH() * s.virtualW(), imgSize: s.Cin * s.H * s.W}
	switch mode {
	case convForward:
		st.roff = grow(st.roff, j.k)
		st.perm = grow(st.perm, j.k)
		sortedRowOffsets(s, st.roff, st.perm)
		st.wpack = grow(st.wpack, j.k*roundUp(s.Cout, mr))
		packAPerm(st.wpack, w, j.k, s.Cout, j.k, st.perm)
		st.pixelOffsets(s, j.pv)
	case convBackwardData:
		st.wpack = grow(st.wpack, s.Cout*roundUp(j.k, mr))
		packAFull(st.wpack, true, w, j.k, j.k, s.Cout, 1)
		st.roff = grow(st.roff, j.k)
		rowOffsets(s, st.roff)
		st.pixelOffsets(s, j.pv)
		st.qoff = grow(st.qoff, s.Cout)
		for co := range st.qoff {
			st.qoff[co] = int32(co * j.pv)
		}
	case convBackwardFilter:
		if j.indirect {
			st.roff = grow(st.roff, j.k)
			rowOffsets(s, st.roff)
			st.qoff = grow(st.qoff, chunk*j.pv/8)
			groupOffsets(s, chunk, st.qoff)
		}
	}
	tasks := s.N
	if mode == convBackwardFilter {
		tasks = (s.N + chunk - 1) / chunk
	}
	st.parallel(tasks, j)
	*j = convJob{} // drop references to the caller's slices
}

// pixelOffsets sets st.offs and st.contig for the pv virtual output pixels
// (see patchOffsets).
func (st *state) pixelOffsets(s ConvShape, pv int) {
	st.offs = grow(st.offs, pv)
	nch := (pv + nr - 1) / nr
	if cap(st.contig) < nch {
		st.contig = make([]bool, nch)
	}
	st.contig = st.contig[:nch]
	patchOffsets(s, st.offs, st.contig)
}

// padSlack is the number of floats kept after a padded image (or a chunk
// of them) in the workers' buffers: the kernels read up to virtualW-OutW
// (< 8) floats past the last real patch pixel.
const padSlack = nr

// padded returns x's padded, phase-split image (see padImage) in buf,
// followed by padSlack zeros, or x itself when that is the same thing (stride
// 1, no padding, output rows a multiple of 8 wide, so nothing is read past
// the image). buf is the worker's buffer, grown as needed.
func (s ConvShape) padded(x []float32, buf *[]float32) []float32 {
	if s.unpadded() && s.virtualW() == s.OutW() {
		return x
	}
	_, _, size := s.phaseDims()
	*buf = grow(*buf, size+padSlack)
	padImage(s, x, (*buf)[:size])
	clear((*buf)[size:])
	return *buf
}

// virtualize copies rows Cout x OH x OW of g (row stride OW) to dst laid out
// with virtual rows of virtualW pixels, the extra pixels zero.
func (s ConvShape) virtualize(g, dst []float32, rows int) {
	ow, owv := s.OutW(), s.virtualW()
	if ow == owv {
		copy(dst[:rows*ow], g[:rows*ow])
		return
	}
	for r := 0; r < rows; r++ {
		d := dst[r*owv : (r+1)*owv]
		copy(d, g[r*ow:(r+1)*ow])
		clear(d[ow:])
	}
}

func (j *convJob) run(st *state, worker, task int) {
	s := j.s
	bufs := st.bufs[worker]
	k, p, pv := j.k, j.p, j.pv
	oh, ow, owv := s.OutH(), s.OutW(), s.virtualW()
	switch j.mode {
	case convForward:
		xp := s.padded(j.in[task*j.imgSize:(task+1)*j.imgSize], &bufs.row)
		y := j.out[task*s.Cout*p : (task+1)*s.Cout*p]
		if pv == p {
			convForwardImage(st.kern, bufs, s, st.wpack, xp, y, st.offs, st.roff, st.contig)
			return
		}
		// Compute the virtual rows, then drop their extra pixels.
		bufs.yv = grow(bufs.yv, s.Cout*pv)
		convForwardImage(st.kern, bufs, s, st.wpack, xp, bufs.yv, st.offs, st.roff, st.contig)
		for r := 0; r < s.Cout*oh; r++ {
			copy(y[r*ow:(r+1)*ow], bufs.yv[r*owv:])
		}
	case convBackwardData:
		dx := j.out[task*j.imgSize : (task+1)*j.imgSize]
		dy := j.in[task*s.Cout*p : (task+1)*s.Cout*p]
		if pv != p {
			bufs.dy = grow(bufs.dy, s.Cout*pv)
			s.virtualize(dy, bufs.dy, s.Cout*oh)
			dy = bufs.dy
		}
		_, _, size := s.phaseDims()
		bufs.row = grow(bufs.row, size+padSlack)
		convBackwardDataImage(st.kern, bufs, s, st.wpack, dy, bufs.row, st.offs, st.roff, st.qoff, st.contig)
		unpadImage(s, bufs.row, dx)
	case convBackwardFilter:
		n0 := task * j.chunk
		cnt := min(j.chunk, s.N-n0)
		x, dy := j.in, j.w
		ck := s.Cout * k
		part := j.out[task*ck : (task+1)*ck]
		if j.indirect {
			// dy of the chunk as Cout rows of cnt*pv virtual pixels (extra
			// pixels zero, so the patches they read contribute nothing);
			// patches read straight from the chunk's padded images, stored
			// one after the other.
			ld := cnt * pv
			var dyc []float32
			if cnt == 1 && pv == p {
				dyc = dy[n0*s.Cout*p : (n0+1)*s.Cout*p]
			} else {
				bufs.dy = grow(bufs.dy, s.Cout*ld)
				dyc = bufs.dy
				for co := 0; co < s.Cout; co++ {
					for i := 0; i < cnt; i++ {
						s.virtualize(dy[((n0+i)*s.Cout+co)*p:], dyc[co*ld+i*pv:], oh)
					}
				}
			}
			xp := x[n0*j.imgSize : (n0+cnt)*j.imgSize]
			if !s.unpadded() || pv != p {
				_, _, img := s.phaseDims()
				bufs.row = grow(bufs.row, cnt*img+padSlack)
				for i := 0; i < cnt; i++ {
					padImage(s, x[(n0+i)*j.imgSize:(n0+i+1)*j.imgSize], bufs.row[i*img:(i+1)*img])
				}
				clear(bufs.row[cnt*img:])
				xp = bufs.row
			}
			gemmNTInd(st.kern, &bufs.gemm.dotTmp, s.Cout, k, ld, dyc, ld, xp, st.roff, st.qoff[:ld/8], part, k)
			return
		}
		ld := cnt * p
		var dyc []float32
		if cnt == 1 {
			dyc = dy[n0*s.Cout*p : (n0+1)*s.Cout*p]
		} else {
			bufs.dy = grow(bufs.dy, s.Cout*ld)
			dyc = bufs.dy
			for co := 0; co < s.Cout; co++ {
				for i := 0; i < cnt; i++ {
					copy(dyc[co*ld+i*p:co*ld+(i+1)*p], dy[((n0+i)*s.Cout+co)*p:])
				}
			}
		}
		var col []float32
		if cnt == 1 && s.isPointwise() {
			col = x[n0*j.imgSize : (n0+1)*j.imgSize]
		} else {
			bufs.col = grow(bufs.col, k*ld)
			col = bufs.col
			for i := 0; i < cnt; i++ {
				im2col(s, x[(n0+i)*j.imgSize:(n0+i+1)*j.imgSize], col[i*p:], ld)
			}
		}
		g := gemmArgs{transB: true, m: s.Cout, n: k, k: ld, alpha: 1, a: dyc, lda: ld, b: col, ldb: ld, c: part, ldc: k}
		st.tile(worker, &g, 0, g.m, 0, g.n)
	}
}
