package tensor

// This file implements the convolutions on the indirect micro-kernels: the
// filters are packed once per call into the GEMM's A-panel layout, and the
// kernels read each image's patches straight out of the zero-padded (and,
// for strides > 1, phase-split) image through tables of row and pixel
// offsets, or scatter the input gradient straight into such an image, so no
// im2col matrix is ever written.
//
// Full-depth packed A (m x k, mpad = m rounded up to mr): the k columns are
// cut into kc-deep blocks; block b starts at column pc = b*kc, has depth
// kb = min(kc, k-pc) and is stored from pc*mpad on; its mr-row panel r
// starts at pc*mpad + r*mr*kb and holds A[r*mr+i, pc+p] at p*mr+i, rows
// past m being zero.

// packAFull packs all of alpha*op(A) (m x k) into dst (k*roundUp(m, mr)).
func packAFull(dst []float32, trans bool, a []float32, lda, m, k int, alpha float32) {
	mpad := roundUp(m, mr)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		packA(dst[pc*mpad:pc*mpad+kb*mpad], trans, a, lda, 0, m, pc, kb, alpha)
	}
}

// phaseDims returns the size of one stride phase of a padded image: with
// stride S the zero-padded Hp x Wp image (Hp = H+2*Pad, Wp = W+2*Pad) is
// split into S*S phases, phase (py, px) holding the pixels (y*S+py, x*S+px)
// in a ceil(Hp/S) x ceil(Wp/S) image, so that a strided patch row becomes a
// run of consecutive pixels of one phase. With stride 1 the single phase is
// the padded image. size is the number of floats of all phases of all
// channels of one image.
func (s ConvShape) phaseDims() (hph, wph, size int) {
	hp, wp := s.H+2*s.Pad, s.W+2*s.Pad
	hph, wph = (hp+s.Stride-1)/s.Stride, (wp+s.Stride-1)/s.Stride
	return hph, wph, s.Stride * s.Stride * s.Cin * hph * wph
}

// padImage writes one image x (Cin x H x W) zero-padded and split into
// stride phases (see phaseDims) into dst: phase (py, px) of channel c is
// at ((py*S+px)*Cin+c)*hph*wph.
func padImage(s ConvShape, x, dst []float32) {
	hp, wp := s.H+2*s.Pad, s.W+2*s.Pad
	if s.Stride == 1 {
		if s.Pad == 0 {
			copy(dst, x[:s.Cin*s.H*s.W])
			return
		}
		for c := 0; c < s.Cin; c++ {
			dc := dst[c*hp*wp : (c+1)*hp*wp]
			clear(dc[:s.Pad*wp])
			clear(dc[(s.Pad+s.H)*wp:])
			for y := 0; y < s.H; y++ {
				row := dc[(s.Pad+y)*wp : (s.Pad+y+1)*wp]
				clear(row[:s.Pad])
				copy(row[s.Pad:], x[(c*s.H+y)*s.W:(c*s.H+y+1)*s.W])
				clear(row[s.Pad+s.W:])
			}
		}
		return
	}
	hph, wph, size := s.phaseDims()
	st := s.Stride
	if st == 2 {
		// Deinterleave each input row into the two column phases of its row
		// phase: sequential reads; the padding is the cleared background.
		clear(dst[:size])
		for c := 0; c < s.Cin; c++ {
			for y := 0; y < s.H; y++ {
				p := y + s.Pad
				ra := dst[((p&1*2+0)*s.Cin+c)*hph*wph+(p>>1)*wph:][:wph]
				rb := dst[((p&1*2+1)*s.Cin+c)*hph*wph+(p>>1)*wph:][:wph]
				src := x[(c*s.H+y)*s.W : (c*s.H+y+1)*s.W]
				xx := 0
				if s.Pad&1 == 1 { // xx+Pad odd: phase 1
					rb[s.Pad>>1] = src[0]
					xx = 1
				}
				for ; xx+1 < len(src); xx += 2 {
					i := (xx + s.Pad) >> 1
					ra[i], rb[i] = src[xx], src[xx+1]
				}
				if xx < len(src) {
					ra[(xx+s.Pad)>>1] = src[xx]
				}
			}
		}
		return
	}
	for py := 0; py < st; py++ {
		for px := 0; px < st; px++ {
			// Phase columns [lo, hi) fall inside the image.
			lo, hi := validRange(wph, s.W, st, s.Pad, px)
			for c := 0; c < s.Cin; c++ {
				d := dst[((py*st+px)*s.Cin+c)*hph*wph : ((py*st+px)*s.Cin+c+1)*hph*wph]
				xc := x[c*s.H*s.W : (c+1)*s.H*s.W]
				for y := 0; y < hph; y++ {
					row := d[y*wph : (y+1)*wph]
					iy := y*st + py - s.Pad
					if iy < 0 || iy >= s.H {
						clear(row)
						continue
					}
					src := xc[iy*s.W : (iy+1)*s.W]
					clear(row[:lo])
					clear(row[hi:])
					ix := lo*st + px - s.Pad
					for xx := lo; xx < hi; xx++ {
						row[xx] = src[ix]
						ix += st
					}
				}
			}
		}
	}
}

// patchOffsets fills offs (OH*virtualW values) with the offset, within a
// phase of a padded image, of the top-left input pixel of each virtual
// output pixel's patch (oy*wph + ox), and contig (one per nr-wide chunk of output pixels) with
// whether each half of the chunk's nr pixels reads consecutive inputs (the
// half within one output row).
func patchOffsets(s ConvShape, offs []int32, contig []bool) {
	ow := s.virtualW()
	_, wph, _ := s.phaseDims()
	for q := range offs {
		oy, ox := q/ow, q%ow
		offs[q] = int32(oy*wph + ox)
	}
	for ch := range contig {
		q0 := ch * nr
		const h = nr / 2
		contig[ch] = q0+nr <= len(offs) && offs[q0+h-1]-offs[q0] == h-1 && offs[q0+nr-1]-offs[q0+h] == h-1
	}
}

// rowOffset returns the offset, in a padded phase-split image (see
// padImage), of patch row (c, kh, kw) relative to the patch's top-left
// pixel: the start of phase (kh mod S, kw mod S) of channel c plus
// (kh/S)*wph + kw/S.
func (s ConvShape) rowOffset(c, kh, kw int) int32 {
	hph, wph, _ := s.phaseDims()
	st := s.Stride
	phase := (kh%st)*st + kw%st
	return int32(((phase*s.Cin+c)*hph+kh/st)*wph + kw/st)
}

// rowOffsets fills roff (Cin*KH*KW values) with the offset of every patch
// row r = (c*KH+kh)*KW+kw, in row order.
func rowOffsets(s ConvShape, roff []int32) {
	r := 0
	for c := 0; c < s.Cin; c++ {
		for kh := 0; kh < s.KH; kh++ {
			for kw := 0; kw < s.KW; kw++ {
				roff[r] = s.rowOffset(c, kh, kw)
				r++
			}
		}
	}
}

// sortedRowOffsets fills roff with the patch row offsets in increasing
// order and perm with the patch row of each (roff[i] is the offset of row
// perm[i]): phase by phase, then channel, then kernel position. With
// stride 1 perm is the identity. The forward convolution reduces over the
// rows in this order, which keeps the indirect kernel's offsets sorted.
func sortedRowOffsets(s ConvShape, roff, perm []int32) {
	st := s.Stride
	i := 0
	for py := 0; py < st; py++ {
		for px := 0; px < st; px++ {
			for c := 0; c < s.Cin; c++ {
				for kh := py; kh < s.KH; kh += st {
					for kw := px; kw < s.KW; kw += st {
						roff[i] = s.rowOffset(c, kh, kw)
						perm[i] = int32((c*s.KH+kh)*s.KW + kw)
						i++
					}
				}
			}
		}
	}
}

// packAPerm packs the m x k matrix A (row stride lda) into dst in the
// full-depth packed-A layout with its columns reordered: packed column p is
// column perm[p] of A.
func packAPerm(dst, a []float32, lda, m, k int, perm []int32) {
	mpad := roundUp(m, mr)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		d := dst[pc*mpad : pc*mpad+kb*mpad]
		for ir := 0; ir < m; ir += mr {
			rows := min(mr, m-ir)
			pd := d[ir*kb : ir*kb+kb*mr]
			for p, col := range perm[pc : pc+kb] {
				t := pd[p*mr : p*mr+mr]
				for i := 0; i < rows; i++ {
					t[i] = a[(ir+i)*lda+int(col)]
				}
				clear(t[rows:])
			}
		}
	}
}

// convForwardImage computes y (Cout x OH*OW) for one zero-padded image xpad
// from the filters packed as A panels (wpack). Output pixels are taken nr
// at a time; a chunk whose pixels read consecutive inputs (see
// patchOffsets) is fed to the indirect micro-kernel straight from xpad,
// any other chunk is gathered into a packed panel first. Both give the
// sums the packed micro-kernel gives on the im2col matrix with filter
// columns in the same order.
func convForwardImage(kern kernels, bufs *workerBufs, s ConvShape, wpack, xpad, y []float32, offs, roff []int32, contig []bool) {
	m, n, k := s.Cout, len(offs), len(roff)
	mpad := roundUp(m, mr)
	clear(y[:m*n])
	panel := bufs.gemm.b[:kc*nr]
	tmp := &bufs.gemm.tmp
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		ab := wpack[pc*mpad : pc*mpad+kb*mpad]
		ro := roff[pc : pc+kb]
		for ch, fast := range contig {
			q0 := ch * nr
			cols := min(nr, n-q0)
			if !fast {
				for p, o := range ro {
					t := (*[nr]float32)(panel[p*nr:])
					for i := range t {
						if i < cols {
							t[i] = xpad[int(o)+int(offs[q0+i])]
						} else {
							t[i] = 0
						}
					}
				}
			}
			var xb, xb2 []float32
			if fast {
				xb, xb2 = xpad[offs[q0]:], xpad[offs[q0+nr/2]:]
			}
			for ir := 0; ir < m; ir += mr {
				rows := min(mr, m-ir)
				apan := ab[ir*kb : ir*kb+kb*mr]
				c, ldc := y[ir*n+q0:], n
				if cols < nr {
					clear(tmp[:])
					c, ldc = tmp[:], nr
				}
				if fast {
					kern.ind(rows, kb, apan, xb, xb2, ro, c, ldc)
				} else {
					kern.gemm(rows, kb, apan, panel[:kb*nr], c, ldc)
				}
				if cols < nr {
					for i := 0; i < rows; i++ {
						dst := y[(ir+i)*n+q0 : (ir+i)*n+q0+cols]
						for j, v := range tmp[i*nr : i*nr+cols] {
							dst[j] += v
						}
					}
				}
			}
		}
	}
}

// copy16 copies 16 floats from src to dst as four 16-byte moves; a single
// 64-byte array assignment would compile to a call of memmove.
func copy16(dst, src []float32) {
	d := (*[16]float32)(dst)
	s := (*[16]float32)(src)
	*(*[4]float32)(d[0:]) = *(*[4]float32)(s[0:])
	*(*[4]float32)(d[4:]) = *(*[4]float32)(s[4:])
	*(*[4]float32)(d[8:]) = *(*[4]float32)(s[8:])
	*(*[4]float32)(d[12:]) = *(*[4]float32)(s[12:])
}

// convBackwardDataImage accumulates the input gradient of one image into
// dxp, laid out like padImage's padded, phase-split image, which it first
// clears: dxp[roff[r]+offs[q]] += (W^T dy)[r, q] for every patch row r and
// output pixel q, the adjoint of the forward convolution's reads. wpack holds
// W^T (Cin*KH*KW x Cout) as full-depth packed A panels, dy is Cout x OH*OW
// and dyoff[co] = co*OH*OW. Output pixels are taken nr at a time; the
// scatter micro-kernel adds a chunk whose halves are consecutive in dxp
// straight into it, other chunks go through the scratch tile.
func convBackwardDataImage(kern kernels, bufs *workerBufs, s ConvShape, wpack, dy, dxp []float32, offs, roff, dyoff []int32, contig []bool) {
	m, n, k := len(roff), len(offs), s.Cout
	mpad := roundUp(m, mr)
	clear(dxp)
	panel := bufs.gemm.b[:kc*nr]
	tmp := &bufs.gemm.tmp
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		ab := wpack[pc*mpad : pc*mpad+kb*mpad]
		bo := dyoff[pc : pc+kb]
		for ch, fast := range contig {
			q0 := ch * nr
			cols := min(nr, n-q0)
			if cols < nr {
				for p := 0; p < kb; p++ {
					t := panel[p*nr : p*nr+nr]
					copy(t, dy[(pc+p)*n+q0:(pc+p)*n+n])
					clear(t[cols:])
				}
			}
			for ir := 0; ir < m; ir += mr {
				rows := min(mr, m-ir)
				apan := ab[ir*kb : ir*kb+kb*mr]
				co := roff[ir : ir+rows]
				switch {
				case fast:
					kern.io(rows, kb, apan, dy[q0:], dy[q0+nr/2:], bo, dxp[offs[q0]:], dxp[offs[q0+nr/2]:], co)
					continue
				case cols == nr:
					clear(tmp[:])
					kern.ind(rows, kb, apan, dy[q0:], dy[q0+nr/2:], bo, tmp[:], nr)
				default:
					clear(tmp[:])
					kern.gemm(rows, kb, apan, panel[:kb*nr], tmp[:], nr)
				}
				for i, o := range co {
					for j, v := range tmp[i*nr : i*nr+cols] {
						dxp[int(o)+int(offs[q0+j])] += v
					}
				}
			}
		}
	}
}

// unpadImage writes the image part of a padded, phase-split image (see
// padImage) to dx (Cin x H x W), dropping the padding.
func unpadImage(s ConvShape, xp, dx []float32) {
	hph, wph, _ := s.phaseDims()
	st := s.Stride
	if st == 1 {
		for c := 0; c < s.Cin; c++ {
			for y := 0; y < s.H; y++ {
				copy(dx[(c*s.H+y)*s.W:(c*s.H+y+1)*s.W], xp[(c*hph+y+s.Pad)*wph+s.Pad:])
			}
		}
		return
	}
	if st == 2 {
		// Interleave the two column phases of each row: sequential writes.
		for c := 0; c < s.Cin; c++ {
			for y := 0; y < s.H; y++ {
				p := y + s.Pad
				ra := xp[((p&1*2+0)*s.Cin+c)*hph*wph+(p>>1)*wph:][:wph]
				rb := xp[((p&1*2+1)*s.Cin+c)*hph*wph+(p>>1)*wph:][:wph]
				drow := dx[(c*s.H+y)*s.W : (c*s.H+y+1)*s.W]
				x := 0
				if s.Pad&1 == 1 { // x+Pad odd: phase 1
					drow[0] = rb[s.Pad>>1]
					x = 1
				}
				for ; x+1 < len(drow); x += 2 {
					i := (x + s.Pad) >> 1
					drow[x], drow[x+1] = ra[i], rb[i]
				}
				if x < len(drow) {
					drow[x] = ra[(x+s.Pad)>>1]
				}
			}
		}
		return
	}
	for py := 0; py < st; py++ {
		ylo, yhi := validRange(hph, s.H, st, s.Pad, py)
		for px := 0; px < st; px++ {
			xlo, xhi := validRange(wph, s.W, st, s.Pad, px)
			for c := 0; c < s.Cin; c++ {
				ph := xp[((py*st+px)*s.Cin+c)*hph*wph : ((py*st+px)*s.Cin+c+1)*hph*wph]
				dc := dx[c*s.H*s.W : (c+1)*s.H*s.W]
				for yy := ylo; yy < yhi; yy++ {
					src := ph[yy*wph : (yy+1)*wph]
					drow := dc[(yy*st+py-s.Pad)*s.W : (yy*st+py-s.Pad+1)*s.W]
					x := xlo*st + px - s.Pad
					for _, v := range src[xlo:xhi] {
						drow[x] = v
						x += st
					}
				}
			}
		}
	}
}
