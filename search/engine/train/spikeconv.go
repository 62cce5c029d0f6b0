package train

import (
	"fmt"

	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// spikeConv is a stride-1 convolution whose input is a spike map (the
// output of spiking neurons, or of a max-pool over them): binary and sparse
// (firing rates of a few percent). Its forward pass is event-driven: for
// every nonzero input at (ci, h, w) and every kernel row kh it adds the
// reversed filter row w[:, ci, kh, K-1..0] (all output channels, laid out
// contiguously) to the K output pixels it reaches, which are contiguous in
// an HWC scratch image, with one AXPY of up to K*Cout floats; zeros cost
// nothing. After a sparse forward the filter gradient is event-driven too
// (backwardFilterSparse), and where the shape allows (canFuse) both
// gradients are computed in one pass over the images (backwardFused); the
// input gradient otherwise uses the dense kernel of package tensor. When
// the input is denser than maxDensity both passes use the dense kernels of
// package tensor. The paths compute the same sums in different orders
// (float tolerance); each is deterministic for any number of workers.
type spikeConv struct {
	*nn.Conv2d // configuration and Weight; its Forward/Backward are not used

	ws      *tensor.Workspace
	workers int
	pool    *nn.Workers // sums the filter-gradient chunks (nil: serially)

	shape     tensor.ConvShape
	x         *nn.Tensor
	y, dx     nn.Tensor
	wrev      []float32    // [Cin][K][K (kw reversed)][Cout]: by the sparse Forward, or forwardGroup
	scratch   [][]float32  // per worker: one output image in HWC order
	pix       []pixBufs    // per worker: buffers of the pixel-grouped forward
	ptab      []pixEntry   // pixTable of the last sparse or fused forward's input shape (event and pixel-grouped loops)
	sparse    bool         // the last forward took the event-driven path
	partial   []float32    // per image chunk: reversed filter gradient
	chunkSums [][]float32  // the chunks of partial, for pool.Add
	fbufs     []filterBufs // per worker: buffers of filterImagesReg
	ftabs     filterTabs   // tables of filterImageReg for the last sparse Forward (setFilterTabs)

	// idx and counts list the nonzero inputs of the last sparse forward
	// in units of unit values (see indexSpikes): views of ownIdx and
	// ownCounts, or of the source neurons' event list (fromSource). The
	// filter gradient reuses them.
	idx        []int32
	counts     []int
	nnz        int // sum of counts
	unit       int
	fromSource bool
	ownIdx     []int32
	ownCounts  []int
	src        *nn.EventList // event list of the neurons feeding this convolution, if any
	training   bool          // SetTraining; src is used in training only
}

// filterChunk is the number of images whose filter gradients one task sums;
// chunk partial sums are added in chunk order, so the result does not depend
// on the number of workers.
const filterChunk = 8

// maxDensity is the input density above which the dense forward is used.
// Measured on the AutoSNN shapes, the event-driven forward wins below
// roughly this density.
const maxDensity = 0.3

func newSpikeConv(c *nn.Conv2d, ws *tensor.Workspace) *spikeConv {
	nw := ws.Workers()
	return &spikeConv{Conv2d: c, ws: ws, workers: nw, training: true,
		scratch: make([][]float32, nw), pix: make([]pixBufs, nw), fbufs: make([]filterBufs, nw)}
}

// Forward implements nn.Layer.
func (c *spikeConv) Forward(x *nn.Tensor) (*nn.Tensor, error) {
	if len(x.Shape) != 5 || x.Shape[2] != c.Cin {
		return nil, fmt.Errorf("nn: %s: input has shape %v, want [T N %d H W]", c.Name(), x.Shape, c.Cin)
	}
	s := tensor.ConvShape{N: x.Shape[0] * x.Shape[1], Cin: c.Cin, H: x.Shape[3], W: x.Shape[4],
		Cout: c.Cout, KH: c.K, KW: c.K, Stride: c.Stride, Pad: c.Pad}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("nn: %s: %w", c.Name(), err)
	}
	if len(x.Data) != s.XLen() {
		return nil, fmt.Errorf("nn: %s: input has %d elements, want %d for shape %v", c.Name(), len(x.Data), s.XLen(), x.Shape)
	}
	c.shape, c.x = s, x
	c.y.Shape = append(c.y.Shape[:0], x.Shape[0], x.Shape[1], c.Cout, s.OutH(), s.OutW())
	c.y.Data = grow(c.y.Data, s.YLen())
	c.sparse = s.Stride == 1 && c.indexSpikes()
	if !c.sparse {
		tensor.Conv2DForward(s, x.Data, c.Weight.Data, c.y.Data, c.ws)
		return &c.y, nil
	}
	// The reversed filters (wrev[ci][kh][K-1-kw][co] = W[co][ci][kh][kw]),
	// input channels split among the workers.
	c.wrev = grow(c.wrev, len(c.Weight.Data))
	rt := min(c.Cin, 4*c.workers)
	c.ws.Run(rt, tensor.TaskFunc(func(_, t int) { reverseInto(c.Conv2d, c.wrev, t*c.Cin/rt, (t+1)*c.Cin/rt) }))
	// Images are independent: tasks of forwardChunk images, claimed by the
	// workers as they go (the event count of a timestep's images varies up
	// to 5x between timesteps, so fixed ranges could leave a worker idle);
	// each output image is written by exactly one task.
	oimg := s.Cout * s.OutH() * s.OutW()
	c.ptab = c.pixTable(s, c.ptab)
	c.ws.Run((s.N+forwardChunk-1)/forwardChunk, tensor.TaskFunc(func(w, t int) {
		c.scratch[w] = grow(c.scratch[w], oimg)
		c.forwardImages(t*forwardChunk, min((t+1)*forwardChunk, s.N), c.scratch[w], &c.pix[w])
	}))
	return &c.y, nil
}

// forwardChunk is the number of images a worker of the event-driven
// forward takes at a time.
const forwardChunk = 4

// indexSpikes lists the nonzero inputs of c.x and reports whether there
// are at most maxDensity*len(x) of them. The lists come in units of c.unit
// values (unit u's events, indices within their image, are
// c.idx[u*unit : u*unit+c.counts[u]]; see imageUnits): from the spiking
// neurons that produced x when they recorded them (nn.EventList, training
// mode), otherwise from a scan of each image (unit = image), run in
// parallel, chunks of forwardChunk images at a time.
func (c *spikeConv) indexSpikes() bool {
	s := c.shape
	img := s.Cin * s.H * s.W
	if c.training && c.src.Of(c.x.Data) && c.src.Img == img {
		c.idx, c.counts, c.unit = c.src.Idx, c.src.Counts, c.src.Unit
		c.fromSource = true
	} else {
		c.fromSource = false
		if need := s.N * img; cap(c.ownIdx) < need {
			c.ownIdx = make([]int32, need)
		}
		if cap(c.ownCounts) < s.N {
			c.ownCounts = make([]int, s.N)
		}
		c.idx, c.counts, c.unit = c.ownIdx[:s.N*img], c.ownCounts[:s.N], img
		c.ws.Run((s.N+forwardChunk-1)/forwardChunk, tensor.TaskFunc(func(_, t int) {
			for n := t * forwardChunk; n < min((t+1)*forwardChunk, s.N); n++ {
				c.counts[n] = nonzero(c.x.Data[n*img:(n+1)*img], c.idx[n*img:(n+1)*img])
			}
		}))
	}
	c.nnz = 0
	for _, k := range c.counts {
		c.nnz += k
	}
	return c.nnz <= int(maxDensity*float64(len(c.x.Data)))
}

// imageUnits returns the range [u0, u1) of event-list units of image n
// (see indexSpikes).
func (c *spikeConv) imageUnits(n int) (u0, u1 int) {
	img := c.shape.Cin * c.shape.H * c.shape.W
	return n * img / c.unit, (n + 1) * img / c.unit
}

// unitEvents returns the events of unit u.
func (c *spikeConv) unitEvents(u int) []int32 {
	return c.idx[u*c.unit : u*c.unit+c.counts[u]]
}

// SetTraining implements nn.Layer: the neurons' event lists are used in
// training mode only (evaluation may take paths that do not record them).
func (c *spikeConv) SetTraining(training bool) { c.training = training }

// forwardImages computes output images lo..hi-1 event by event, grouped
// by pixel where usePixels allows and the input is binary.
func (c *spikeConv) forwardImages(lo, hi int, hwc []float32, pb *pixBufs) {
	s := c.shape
	cout := c.Cout
	oh, ow := s.OutH(), s.OutW()
	plane := s.H * s.W
	img := s.Cin * plane
	pixels := c.usePixels()
	var divPlane divider
	if pixels {
		pb.masks = grow(pb.masks, plane)
		divPlane = newDivider(plane, img)
	}
	for n := lo; n < hi; n++ {
		clear(hwc)
		if pixels && c.pixelMasks(n, pb.masks, divPlane) {
			c.pixEvents(s, pb.masks, c.ptab, c.wrev, hwc, &pb.list)
		} else {
			u0, u1 := c.imageUnits(n)
			for u := u0; u < u1; u++ {
				c.eventImageFast(s, c.x.Data[n*img:(n+1)*img], c.unitEvents(u), hwc, c.wrev, c.ptab)
			}
		}
		// HWC -> CHW (8x8 blocks in registers where the sizes allow).
		transpose(hwc, c.y.Data[n*cout*oh*ow:(n+1)*cout*oh*ow], oh*ow, cout)
	}
}

// eventMode says which way events move data: eventForward adds v times a
// reversed filter row (of a) to the output pixels it reaches (in b, HWC);
// eventFilter adds v times the output gradient of those pixels (b, HWC) to
// the reversed filter-row gradient (a).
type eventMode int

const (
	eventForward eventMode = iota
	eventFilter
)

// events runs the event loop of one image: for every event index i in
// events (Cin*H*W order) with value v = xn[i] at (ci, h, w), and every
// kernel row kh whose output row o = h+Pad-kh lies in the output, the K*Cout
// (or fewer, at the borders) values of reversed filter row (ci, kh) in a
// and of output pixels (o, ow0..ow1) in b are combined by one AXPY whose
// direction mode gives. The images have shape s (its N is not used). The
// filter direction runs in assembly (spikeEventsAVX2) where it can, the
// forward direction in Go here (on amd64 the forward normally takes the
// table-driven convEventsTabAVX2 through eventImageFast); all do the same
// fused multiply-adds in the same order.
func (c *spikeConv) events(s tensor.ConvShape, mode eventMode, xn []float32, events []int32, a, b []float32) {
	if len(events) == 0 {
		return
	}
	plane := s.H * s.W
	divPlane, divW := newDivider(plane, s.Cin*plane), newDivider(s.W, plane)
	if eventsAsm(c, s, mode, xn, events, a, b, divPlane, divW) {
		return
	}
	c.eventsGo(s, mode, xn, events, a, b, divPlane, divW)
}

// pixelReach says where the events of one input pixel of a stride-1
// spike convolution land (offsets and lengths in floats): rows kernel rows
// from khLo on reach output rows o = h+Pad-khLo down to o-rows+1; in each,
// n = (c1-c0+1)*Cout values of output pixels c0..c1 (HWC, from boff on
// row o, OW*Cout floats less per further row) take the reversed filter row
// of input channel ci from ci*K*K*Cout + aoff on (K*Cout floats more per
// further row).
type pixelReach struct {
	aoff, boff, n, rows int
}

// reach returns the pixelReach of input pixel (h, w) for output size oh x
// ow, and false when the pixel reaches no output.
func (c *spikeConv) reach(h, w, oh, ow int) (pixelReach, bool) {
	k, p, cout := c.K, c.Pad, c.Cout
	// Output column ow = w + p - kw for kw = K-1..0 is the contiguous
	// range owLo..owLo+K-1 (reversed filter row).
	owLo := w + p - (k - 1)
	c0, c1 := max(owLo, 0), min(w+p, ow-1)
	// Kernel rows kh with output row o = h + p - kh inside [0, oh), in
	// increasing kh (decreasing o).
	khLo, khHi := max(0, h+p-oh+1), min(k-1, h+p)
	if c0 > c1 || khLo > khHi {
		return pixelReach{}, false
	}
	o := h + p - khLo
	return pixelReach{aoff: (khLo*k + (c0 - owLo)) * cout, boff: (o*ow + c0) * cout,
		n: (c1 - c0 + 1) * cout, rows: khHi - khLo + 1}, true
}

// eventsGo is the event loop of events in Go (one axpyRows call per event)
// for input images of shape s (its N is not used).
func (c *spikeConv) eventsGo(s tensor.ConvShape, mode eventMode, xn []float32, events []int32, a, b []float32, divPlane, divW divider) {
	plane := s.H * s.W
	k, cout := c.K, c.Cout
	oh, ow := s.OutH(), s.OutW()
	for _, e := range events {
		i := int(e)
		v := xn[i]
		ci := divPlane.div(i)
		i -= ci * plane
		h := divW.div(i)
		r, ok := c.reach(h, i-h*s.W, oh, ow)
		if !ok {
			continue
		}
		aoff, boff := ci*k*k*cout+r.aoff, r.boff
		n, rows := r.n, r.rows
		if mode == eventForward {
			axpyRows(v, a, aoff, k*cout, b, boff, -ow*cout, n, rows)
		} else {
			axpyRows(v, b, boff, -ow*cout, a, aoff, k*cout, n, rows)
		}
	}
}

// Backward implements nn.Layer: backwardFused where canFuse holds, else
// the filter gradient event by event after a sparse forward
// (backwardFilterSparse) or by the dense kernel, and the input gradient by
// the dense kernel.
func (c *spikeConv) Backward(dy *nn.Tensor) (*nn.Tensor, error) {
	if c.x == nil {
		return nil, fmt.Errorf("nn: %s: Backward called without a Forward", c.Name())
	}
	if len(dy.Data) != len(c.y.Data) {
		return nil, fmt.Errorf("nn: %s: output gradient has shape %v, want %v", c.Name(), dy.Shape, c.y.Shape)
	}
	if c.backwardFused(dy.Data, nil) {
		return &c.dx, nil
	}
	if c.sparse {
		c.backwardFilterSparse(dy.Data)
	} else {
		tensor.Conv2DBackwardFilter(c.shape, c.x.Data, dy.Data, c.Weight.Grad, c.ws)
	}
	if c.NoInputGrad {
		return nil, nil
	}
	c.dx.Shape = append(c.dx.Shape[:0], c.x.Shape...)
	c.dx.Data = grow(c.dx.Data, len(c.x.Data))
	tensor.Conv2DBackwardData(c.shape, dy.Data, c.Weight.Data, c.dx.Data, c.ws)
	return &c.dx, nil
}

// backwardFilterSparse adds dL/dW to Weight.Grad event by event: for every
// nonzero input v at (ci, h, w) and kernel row kh, the reversed filter-row
// gradient dWrev[ci][kh][:] gains v times the K*Cout output-gradient values
// (HWC order) of the output pixels that input reached.
func (c *spikeConv) backwardFilterSparse(dy []float32) {
	s := c.shape
	k, cout := c.K, c.Cout
	wl := len(c.Weight.Data)
	chunks := (s.N + filterChunk - 1) / filterChunk
	c.partial = grow(c.partial, chunks*wl)
	oimg := cout * s.OutH() * s.OutW()
	regN, regChunks, reg := filterPlan(k, c.Pad, cout)
	if reg {
		c.setFilterTabs(s.W + 2*c.Pad)
	}
	c.ws.Run(chunks, tensor.TaskFunc(func(w, t int) {
		lo, hi := t*filterChunk, min((t+1)*filterChunk, s.N)
		part := c.partial[t*wl : (t+1)*wl]
		clear(part) // by its task, in parallel
		if reg {
			c.filterImagesReg(lo, hi, dy, &c.fbufs[w], part, regN, regChunks)
			return
		}
		c.scratch[w] = grow(c.scratch[w], oimg)
		c.filterImages(lo, hi, dy, c.scratch[w], part)
	}))
	c.addFilterChunks(chunks)
}

// addFilterChunks adds the reversed filter gradients of the first chunks
// chunks of c.partial, in chunk order, to Weight.Grad (un-reversed).
func (c *spikeConv) addFilterChunks(chunks int) {
	k, cout := c.K, c.Cout
	wl := len(c.Weight.Data)
	// Sum the chunks in order into chunk 0, then un-reverse into Grad.
	total := c.partial[:wl]
	c.chunkSums = c.chunkSums[:0]
	for t := range chunks {
		c.chunkSums = append(c.chunkSums, c.partial[t*wl:(t+1)*wl])
	}
	c.pool.Add(total, c.chunkSums...)
	clear(c.chunkSums)
	g := c.Weight.Grad
	for co := range cout {
		for ci := range c.Cin {
			for kh := range k {
				for kw := range k {
					g[((co*c.Cin+ci)*k+kh)*k+kw] += total[((ci*k+kh)*k+(k-1-kw))*cout+co]
				}
			}
		}
	}
}

// filterImages accumulates the reversed filter gradient of images lo..hi-1
// into dw.
func (c *spikeConv) filterImages(lo, hi int, dy, hwc, dw []float32) {
	s := c.shape
	cout := c.Cout
	oh, ow := s.OutH(), s.OutW()
	img := s.Cin * s.H * s.W
	for n := lo; n < hi; n++ {
		// CHW -> HWC.
		transpose(dy[n*cout*oh*ow:(n+1)*cout*oh*ow], hwc, cout, oh*ow)
		u0, u1 := c.imageUnits(n)
		for u := u0; u < u1; u++ {
			c.events(s, eventFilter, c.x.Data[n*img:(n+1)*img], c.unitEvents(u), dw, hwc)
		}
	}
}

// divider computes i / d for 0 <= i < limit by a multiply and a shift
// (exact when d < 2^16 and limit <= 2^24: with m = floor(2^40/d)+1 the
// error of i*m/2^40 against i/d is below 2^-16 < 1/d), falling back to a
// hardware division otherwise. The spike loops divide every event's index.
type divider struct {
	d int
	m uint64 // 0: use d
}

func newDivider(d, limit int) divider {
	if d > 0 && d < 1<<16 && limit <= 1<<24 {
		return divider{d: d, m: (1<<40)/uint64(d) + 1}
	}
	return divider{d: d}
}

func (v divider) div(i int) int {
	if v.m != 0 {
		return int(uint64(i) * v.m >> 40)
	}
	return i / v.d
}
