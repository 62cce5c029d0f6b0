package train

import (
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// The register-stationary filter gradient. The event loop of
// filterImages adds, for every event and kernel row, K*Cout output-gradient
// values to a row of the filter gradient in memory: one load, one
// multiply-add and one store per value, and the stores bound its speed.
// Every event of input channel ci adds only to the rows dW[ci][kh][:], and
// the events of one image come in channel order, so filterRegions instead
// keeps a chunk of one such row in registers while it runs over the events
// of that channel in one band of rows (a run; see setFilterTabs), and
// stores it once per run. For this every event must
// reach a whole row: the output gradient is copied to an HWC image with a
// zero border of Pad pixels (tensor.PadHWC), so that kernel rows and
// columns outside the output read zeros (adding 0 leaves a sum unchanged;
// only a -0 sum can become +0). Every gradient value receives its terms in
// the same order as from filterImages' event loop.

// maxFilterAcc is the largest number of 8-float accumulators of one chunk
// (the kernels filterReg1 .. filterReg12 of filtergrad_amd64.s).
const maxFilterAcc = 12

// filterPlan returns the chunk size n (in 8-float vectors) and the number
// of chunks of a reversed filter row of K*Cout floats for the register
// kernels, and whether they apply: an odd kernel with same padding (2*Pad
// = K-1, so the output has the input's size), Cout a multiple of 8, and a
// row that splits into chunks of 4 to 12 vectors (or is shorter).
func filterPlan(k, pad, cout int) (n, chunks int, ok bool) {
	if k%2 == 0 || 2*pad != k-1 || cout%8 != 0 || cout == 0 {
		return 0, 0, false
	}
	r := k * cout / 8
	for n = min(r, maxFilterAcc); r%n != 0; n-- {
	}
	if n < 4 && n < r {
		return 0, 0, false
	}
	return n, r / n, true
}

// oneValue is the value of every event of a binary input.
var oneValue = [1]float32{1}

// filterBufs are one worker's buffers for filterImagesReg.
type filterBufs struct {
	pad    []float32 // the output gradient of one image, padded HWC
	offs   []int32   // per event: offset in pad of its kernel-row-0 values
	vals   []float32 // per event: the input value
	bounds []int32   // per input channel and band: first event of that band or later
	runs   []int32   // per band and input channel with events: ci, first event, end
	dy     []float32 // backwardFused with a batch-norm: one image's output gradient (CHW)
}

// Tuning of filterImagesReg, measured with BenchmarkFilterGradient.
const (
	// filterL1Bytes bounds the output-gradient rows one band reads:
	// most of a 32 KiB L1 data cache.
	filterL1Bytes = 24 << 10
	// filterRunEvents is the least average number of events per channel
	// and band (a run loads and stores its gradient rows once, which
	// costs about as much as two events); bands grow past filterL1Bytes
	// to reach it.
	filterRunEvents = 24
)

// filterImagesReg is filterImages by filterRegions: it accumulates the
// reversed filter gradient of images lo..hi-1 into dw, padding each image's
// output gradient (dy, CHW) into fb.pad first (rows of c.ftabs.wp pixels).
func (c *spikeConv) filterImagesReg(lo, hi int, dy []float32, fb *filterBufs, dw []float32, n, chunks int) {
	s := c.shape
	oimg := c.Cout * s.H * s.W
	wp := c.ftabs.wp
	fb.pad = grow(fb.pad, (s.H+2*c.Pad)*wp*c.Cout)
	for im := lo; im < hi; im++ {
		tensor.PadHWC(fb.pad, dy[im*oimg:(im+1)*oimg], c.Cout, s.H, s.W, c.Pad, wp)
		c.filterImageReg(im, fb.pad, fb, dw, n, chunks)
	}
}

// filterTabs are the per-call tables of filterImageReg, shared by the
// workers: the row width of the padded output gradient, the band height
// and count, and per input pixel r of a plane (h = r/W, w = r%W) its band
// and the offset of its kernel-row-0 values in the padded output gradient.
type filterTabs struct {
	wp       int // pixels per row of the padded output gradient, >= W+2*Pad
	band, nb int
	off      []int32
	bandOf   []int32
}

// setFilterTabs fills c.ftabs for the last Forward (a sparse one) and a
// padded output gradient of rows of wp pixels (tensor.PadHWC; W+2*Pad, or
// wider where the Winograd tiles overhang the image); the backward passes
// that use filterImageReg call it once before their workers start. The
// rows of an image
// go in bands, so that the output-gradient rows one band reads stay in the
// L1 cache while every channel's events of the band are added, unless
// that would leave fewer than filterRunEvents events per channel and band
// on average over the batch. (The band height changes which rows go
// together, never the order of any gradient value's terms.)
func (c *spikeConv) setFilterTabs(wp int) {
	s := c.shape
	cout, k, p := c.Cout, c.K, c.Pad
	plane := s.H * s.W
	ne := c.nnz
	t := &c.ftabs
	t.wp = wp
	t.band = max(1, filterL1Bytes/(4*wp*cout)-(k-1))
	if perRow := float64(ne) / float64(s.N*s.Cin*s.H); perRow*float64(t.band) < filterRunEvents {
		t.band = int(filterRunEvents/max(perRow, 1e-9)) + 1
	}
	t.band = min(t.band, s.H)
	t.nb = (s.H + t.band - 1) / t.band
	t.off, t.bandOf = grow(t.off, plane), grow(t.bandOf, plane)
	for h := range s.H {
		for w := range s.W {
			t.off[h*s.W+w] = int32(((h+2*p)*wp + w) * cout)
			t.bandOf[h*s.W+w] = int32(h / t.band)
		}
	}
}

// filterImageReg adds the reversed filter gradient of image im to dw by
// filterRegions, from its output gradient pad (HWC with a zero border of
// Pad pixels and rows of c.ftabs.wp pixels, as tensor.PadHWC writes it),
// band by band (c.ftabs, set by setFilterTabs) and channel by channel. A
// channel's events keep their row order, so every gradient value receives
// its terms in the order of filterImages.
func (c *spikeConv) filterImageReg(im int, pad []float32, fb *filterBufs, dw []float32, n, chunks int) {
	s := c.shape
	cout, k := c.Cout, c.K
	wp := c.ftabs.wp
	img, plane := s.Cin*s.H*s.W, s.H*s.W
	ne := 0
	u0, u1 := c.imageUnits(im)
	for u := u0; u < u1; u++ {
		ne += c.counts[u]
	}
	if ne == 0 {
		return
	}
	fb.offs, fb.vals = grow(fb.offs, img), grow(fb.vals, img)
	// Events listed by spiking neurons are spikes of value 1: their
	// values need not be read (a fused multiply-add by 1 is an addition).
	binary := c.fromSource
	t := &c.ftabs
	nb := t.nb
	fb.bounds, fb.runs = grow(fb.bounds, s.Cin*nb+1), grow(fb.runs, 3*s.Cin*nb)
	// bounds[ci*nb+b] is the first event of channel ci in band b or later
	// (events come in channel and row order); bounds[Cin*nb] = ne.
	bounds := fb.bounds
	xn := c.x.Data[im*img : (im+1)*img]
	offs, vals := fb.offs[:ne], fb.vals[:ne]
	off, bandOf := t.off[:plane], t.bandOf[:plane]
	j, key := 0, 0
	base, chKey := 0, 0 // first index and first key of the current channel
	for u := u0; u < u1; u++ {
		for _, e := range c.unitEvents(u) {
			i := int(e)
			for i >= base+plane {
				base += plane
				chKey += nb
			}
			r := i - base
			for kk := chKey + int(bandOf[r]); key <= kk; key++ {
				bounds[key] = int32(j)
			}
			offs[j] = off[r]
			if !binary {
				vals[j] = xn[i]
			}
			j++
		}
	}
	for ; key <= s.Cin*nb; key++ {
		bounds[key] = int32(ne)
	}
	runs := fb.runs[:0]
	for b := range nb {
		for ch := range s.Cin {
			if e0, e1 := bounds[ch*nb+b], bounds[ch*nb+b+1]; e1 > e0 {
				runs = append(runs, int32(ch), e0, e1)
			}
		}
	}
	if binary {
		vals = oneValue[:]
	}
	filterRegions(n, chunks, dw, pad, offs, vals, runs, k, wp*cout, k*cout)
}

// canFuse reports whether backwardFused runs after the last Forward.
func (c *spikeConv) canFuse() bool {
	_, _, ok := filterPlan(c.K, c.Pad, c.Cout)
	return ok && c.sparse && !c.NoInputGrad && tensor.HasBackwardDataImages(c.shape, c.ws)
}

// backwardFused computes both gradients of a sparse forward in one pass
// over the images (tensor.Conv2DBackwardDataImages): each image's output
// gradient is padded to HWC once, in cache, and serves the register
// filter gradient (filterImageReg, per chunk of filterChunk images, as
// backwardFilterSparse sums them) and the Winograd input gradient. With bn
// set, dy is the gradient of bn's output and each image's gradient is made
// by bn's map (BatchNorm.BackwardMap, GradRow) in cache, instead of being
// read from a tensor. It reports false, having done nothing, unless
// canFuse.
func (c *spikeConv) backwardFused(dy []float32, bn *nn.BatchNorm) bool {
	f := c.fusedBegin(dy, bn)
	if f == nil {
		return false
	}
	c.fusedRun(f, 0, c.shape.N)
	c.fusedEnd(f)
	return true
}

// fusedPass is one backwardFused pass taken by ranges of images (see
// fusedBegin).
type fusedPass struct {
	p                 *tensor.ImagesBackward
	dy                []float32
	bn                *nn.BatchNorm
	regN, regChunks   int
	chunks, wl, batch int
}

// fusedBegin starts backwardFused as fusedRun calls on ranges of images
// (each starting at a multiple of filterChunk), then fusedEnd; it returns
// nil, having done nothing, unless canFuse. With bn, image n's map must be
// ready (BatchNorm.BackwardMapStep of its step) when its range runs. The
// results are backwardFused's, bit for bit.
func (c *spikeConv) fusedBegin(dy []float32, bn *nn.BatchNorm) *fusedPass {
	if !c.canFuse() {
		return nil
	}
	p := tensor.PrepareBackwardDataImages(c.shape, c.Weight.Data, c.ws)
	if p == nil {
		panic("train: fused backward refused after canFuse")
	}
	f := &fusedPass{p: p, dy: dy, bn: bn, wl: len(c.Weight.Data), batch: c.x.Shape[1]}
	f.regN, f.regChunks, _ = filterPlan(c.K, c.Pad, c.Cout)
	_, wp := p.Padded() // rows of whole Winograd tiles
	c.setFilterTabs(wp)
	f.chunks = (c.shape.N + filterChunk - 1) / filterChunk
	c.partial = grow(c.partial, f.chunks*f.wl)
	c.dx.Shape = append(c.dx.Shape[:0], c.x.Shape...)
	c.dx.Data = grow(c.dx.Data, len(c.x.Data))
	return f
}

// fusedRun computes both gradients of images [n0, n1).
func (c *spikeConv) fusedRun(f *fusedPass, n0, n1 int) {
	if n0%filterChunk != 0 {
		panic("train: fused backward range not on a filter chunk")
	}
	s := c.shape
	plane := s.H * s.W
	oimg := c.Cout * plane
	f.p.Run(n0, n1, c.dx.Data, filterChunk, func(worker, n int, pad []float32) {
		fb := &c.fbufs[worker]
		t := n / filterChunk
		part := c.partial[t*f.wl : (t+1)*f.wl]
		if n%filterChunk == 0 {
			clear(part)
		}
		g := f.dy[n*oimg : (n+1)*oimg]
		if f.bn != nil {
			fb.dy = grow(fb.dy, oimg)
			y := c.y.Data[n*oimg : (n+1)*oimg]
			for ch := range c.Cout {
				r := ch * plane
				f.bn.GradRow(n/f.batch, ch, g[r:r+plane], y[r:r+plane], fb.dy[r:r+plane])
			}
			g = fb.dy
		}
		tensor.PadHWC(pad, g, c.Cout, s.H, s.W, c.Pad, c.ftabs.wp)
		c.filterImageReg(n, pad, fb, part, f.regN, f.regChunks)
	})
}

// fusedEnd adds the filter gradient of a pass whose every image has run.
func (c *spikeConv) fusedEnd(f *fusedPass) { c.addFilterChunks(f.chunks) }

// filterRegions adds, for every run (ci, e0, e1) of runs, the reversed
// filter-gradient rows of its events (see filterRegionsGo, whose sums it
// computes); with the register kernels (filterRegionsAsm) rows go in chunks
// of n 8-float vectors, rowLen = n*8*chunks.
func filterRegions(n, chunks int, dw, dy []float32, offs []int32, vals []float32, runs []int32, k, rowStride, rowLen int) {
	if len(runs) == 0 {
		return
	}
	checkFilterRegions(dw, dy, offs, vals, runs, k, rowStride, rowLen)
	if !filterRegionsAsm(n, chunks, dw, dy, offs, vals, runs, k, rowStride, rowLen) {
		filterRegionsGo(dw, dy, offs, vals, runs, k, rowStride, rowLen)
	}
}

// filterRegionsGo is the portable filterRegions: for every run (ci, e0,
// e1) of runs, kernel row kh < k and j < rowLen, dw[(ci*k+kh)*rowLen + j] +=
// v[e]*dy[offs[e] - kh*rowStride + j] for e0 <= e < e1 in order, where v[e]
// = vals[e], or vals[0] for every event when vals holds one value (binary
// inputs).
func filterRegionsGo(dw, dy []float32, offs []int32, vals []float32, runs []int32, k, rowStride, rowLen int) {
	vs := 1
	if len(vals) == 1 {
		vs = 0
	}
	for r := 0; r+2 < len(runs); r += 3 {
		ci, e0, e1 := int(runs[r]), int(runs[r+1]), int(runs[r+2])
		for kh := range k {
			row := dw[(ci*k+kh)*rowLen : (ci*k+kh+1)*rowLen]
			for e := e0; e < e1; e++ {
				v := vals[e*vs]
				o := int(offs[e]) - kh*rowStride
				src := dy[o : o+rowLen]
				for j := range row {
					row[j] += v * src[j]
				}
			}
		}
	}
}

// checkFilterRegions panics unless every row filterRegions reads or
// writes lies inside dw and dy (offsets increase within a run, so the
// first and last event of each run bound it).
func checkFilterRegions(dw, dy []float32, offs []int32, vals []float32, runs []int32, k, rowStride, rowLen int) {
	if len(runs)%3 != 0 || (len(vals) < len(offs) && len(vals) != 1) {
		panic("train: filter regions: bad run list")
	}
	for r := 0; r < len(runs); r += 3 {
		ci, e0, e1 := int(runs[r]), int(runs[r+1]), int(runs[r+2])
		if ci < 0 || (ci+1)*k*rowLen > len(dw) || e0 < 0 || e1 <= e0 || e1 > len(offs) ||
			int(offs[e0])-(k-1)*rowStride < 0 || int(offs[e1-1])+rowLen > len(dy) || offs[e1-1] < offs[e0] {
			panic("train: filter regions outside their buffers")
		}
	}
}
