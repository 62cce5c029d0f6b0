package train

import (
	"sync/atomic"

	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// fusedStage is the evaluation-mode (inference) forward of one stage of the
// common shape "event-driven convolution -> batch-norm (running
// statistics) [+ a second such projection or an identity shortcut] ->
// spiking neuron", computed image by image and step by step instead of
// layer by layer, together with the qualifying stages that follow it (a
// group: the two stages of an SCB or SRB block, say). Max-pool relays of
// spike maps (forwardPool) and the stem's static-input stage
// (forwardStatic) have fused forms of their own.
//
// The layered path streams the whole batch (T x N images) through memory
// once per layer: convolution output, HWC->CHW transpose, batch-norm affine
// pass, sum, neuron step, each a full pass over tensors far larger than the
// caches. The fused path keeps one image in cache: for image n and step
// t = 0..T-1, for each stage of the group in order, it takes the nonzero
// inputs of the stage's input at (t, n) (recorded by the producer, or a
// scan), adds the event-driven convolution into an HWC scratch image (one
// assembly call for the whole event list), and one kernel transposes the
// image in registers, applies the batch-norm affine maps, sums the terms,
// advances the neurons (whose membrane state of image n stays in cache over
// the T steps) and writes the spikes. A stage whose output only later
// stages of the group read never writes it to memory (its output tensor is
// nil after the forward), nor does a last stage whose output only a 2x2
// max-pool reads (the pool is fed from cache: poolSink, LinkPool); the
// others write theirs to the neuron layer's output tensor and record its
// nonzero lists for the convolutions that read it (eventStore, LinkInput).
// Images are shared out to the workers one at a time, one parallel region
// per group.
//
// Every output value is bit-identical to the layered path's: the same
// events are added in the same order with the same fused multiply-add as
// the layered spike convolution, the batch-norm constants are the layer's
// own (nn.BatchNorm.EvalAffine), and the per-element operations
// (x - c) sc + sh, the sum in projection order (two terms, so the order
// cannot matter: IEEE addition is commutative) and the neuron update are
// done with the same roundings (separate multiply and add, no FMA). The
// layered spike convolution switches to the dense kernel when its input is
// denser than maxDensity over the whole batch; the fused path counts the
// nonzero inputs as it goes and, when a term's count passes that limit,
// abandons the pass and lets the layered path run the stage (the next stage
// then tries the fused path again), so the choice (and with it every sum)
// stays the layered path's.
type fusedStage struct {
	checked, ok bool // the structure was checked; it qualifies
	pool        bool // a max-pool relay (forwardPool), not a neuron stage
	static      bool // neurons fed only by the static input's projections (forwardStatic)
	index       int  // position in the segment's stages
	lastReader  int  // index of the last stage reading this one's output (-1: none)
	terms       []fusedTerm
	isIF        bool
	consts      []fusedConsts // per output channel
	scratch     []*fusedScratch
	nnz         [2]atomic.Int64 // per term: nonzero inputs counted so far in this call
	last        bool            // the stage's last forward took the fused path
	done        bool            // computed by its group's pass; the stage's own forward only consumes the flag

	// Per call: output shape, the output tensor (nil when not written to
	// memory).
	steps, batch, cout, oh, ow int
	y                          *nn.Tensor

	// Max-pool relays write their own output.
	py nn.Tensor

	// A group's last stage may feed a max-pool relay directly (its sink):
	// the pool of the next stage of the segment when only that stage reads
	// this one, or (link, set by LinkPool for one Block.Forward) the first
	// stage of the Part after a block. The stage's own output then never
	// goes to memory: each step is pooled from cache into the pool's
	// output.
	link    *stage
	linkSeg *segment
	sink    *stage // per call

	convs []*fusedTerm // per call, in a group's first stage: the group's convolution terms

	// ev lists the nonzero values of the stage's output (py for a pool)
	// per image-step when its last forward was fused; consumers' spike
	// convolutions take their event lists from it instead of scanning the
	// output again (an output is typically read by several candidate
	// blocks). entry, in a segment's first stage, is the store of the
	// segment's entry population (LinkInput).
	ev    eventStore
	entry *eventStore
}

// eventStore holds the indices of the nonzero values of one output tensor,
// image-step by image-step (the image-step at = t*batch + n), as nonzero
// lists them; the workers that wrote the output each append to their own
// buffer.
type eventStore struct {
	valid bool
	out   *nn.Tensor // the tensor described
	img   int        // values per image-step
	bufs  [][]int32  // per worker
	where []evRef    // per image-step
}

type evRef struct{ w, off, n int32 }

// reset prepares the store for an output of steps*batch image-steps of img
// values written by nw workers.
func (e *eventStore) reset(out *nn.Tensor, img, images, nw int) {
	e.valid, e.out, e.img = false, out, img
	for len(e.bufs) < nw {
		e.bufs = append(e.bufs, nil)
	}
	for w := range e.bufs {
		e.bufs[w] = e.bufs[w][:0]
	}
	e.where = grow(e.where, images)
}

// record lists the nonzero values of image-step at (x, img values) as
// worker w, using idx (at least img long) as scratch.
func (e *eventStore) record(w, at int, x []float32, idx []int32) {
	n := nonzero(x, idx)
	off := len(e.bufs[w])
	e.bufs[w] = append(e.bufs[w], idx[:n]...)
	e.where[at] = evRef{w: int32(w), off: int32(off), n: int32(n)}
}

// list returns the indices of image-step at.
func (e *eventStore) list(at int) []int32 {
	r := e.where[at]
	return e.bufs[r.w][r.off : r.off+r.n]
}

// describes reports whether the store is valid for tensor x read as
// image-steps of img values.
func (e *eventStore) describes(x *nn.Tensor, img int) bool {
	return e != nil && e.valid && e.out == x && e.img == img && len(e.where)*img == len(x.Data)
}

// fusedTerm is one incoming projection of a fused stage: a spike
// convolution followed by a batch-norm, or (conv nil) an identity shortcut
// from a spike map.
type fusedTerm struct {
	m    *projMod
	conv *spikeConv
	bn   *nn.BatchNorm

	// Per call: the source is a stage of the group (src) or a tensor in
	// memory (x).
	src   *fusedStage
	x     *nn.Tensor
	ev    *eventStore      // the nonzero lists of x, when its producer kept them
	shape tensor.ConvShape // input shape (conv terms; N = T*batch)
	limit int              // most nonzero inputs the layered path keeps event-driven
}

// fusedConsts are the per-channel constants of the fused kernel: the
// batch-norm affine maps of terms a and b (the identity map c = 0, sc = 1,
// sh = 0 for an identity shortcut, exact on spike values) and the neuron's
// leak and threshold. The layout is known to the assembly kernel.
type fusedConsts struct {
	ca, sca, sha float32
	cb, scb, shb float32
	k, vth       float32
	isIF         uint32 // 1: H = V + X (IF) instead of V + (X - V) k
	_            uint32
}

// fusedScratch is one worker's buffers for one stage: the membrane state
// of the current image, the current step's output when it is not written
// to memory, and (in a group's first stage) the temporaries every stage of
// the group uses.
type fusedScratch struct {
	v, step []float32
	cur     []float32 // where the current (t, n) output was written
	spk     int64
	pooled  int64 // nonzero outputs of the sink pool
	idx     []int32
	hwc     []float32    // term a's convolution output, HWC
	hwc2    []float32    // term b's convolution output, HWC
	chw     [2][]float32 // the two, CHW (where the kernel needs that)
	tmp     []float32    // fusedHWC's block buffer
	bsc     []float32    // an identity term rebuilt from its nonzero list (all zero between uses)
}

// fusedOf returns st's fused plan, checking the segment's stages the first
// time, or nil when st never qualifies.
func (s *segment) fusedOf(st *stage) *fusedStage {
	if st.fz == nil {
		for i, o := range s.stages {
			if o.fz == nil {
				o.fz = &fusedStage{index: i, lastReader: -1}
			}
		}
		for i, o := range s.stages {
			for _, m := range o.projs {
				if src := s.byPop[m.e.Src]; src != nil {
					src.fz.lastReader = max(src.fz.lastReader, i)
				}
			}
		}
	}
	fz := st.fz
	if !fz.checked {
		fz.checked = true
		fz.ok = s.checkFused(st)
	}
	if !fz.ok {
		return nil
	}
	return fz
}

// checkFused reports whether st has a fused shape; it is called once per
// stage.
func (s *segment) checkFused(st *stage) bool {
	if st.neuron == nil && st.relu == nil && len(st.projs) == 1 && len(st.static) == 0 && st.bias == nil {
		m := st.projs[0]
		if p := m.maxp; p != nil && len(m.layers) == 1 && p.K == 2 && p.Stride == 2 && spikeSource(s.g, m.e.Src) {
			st.fz.pool = true
			return true
		}
		return false
	}
	if st.neuron != nil && len(st.static) == 1 && len(st.dynamic) == 0 && st.bias == nil && st.repeat != nil {
		isIF, ok := fusedNeuron(st.neuron.Kind)
		if !ok {
			return false
		}
		st.fz.isIF, st.fz.static = isIF, true
		return true
	}
	if st.neuron == nil || len(st.static) > 0 || st.bias != nil || len(st.dynamic) == 0 || len(st.dynamic) > 2 {
		return false
	}
	convs := 0
	for _, m := range st.dynamic {
		switch {
		case len(m.layers) == 0: // identity shortcut
			if !spikeSource(s.g, m.e.Src) {
				return false
			}
			st.fz.terms = append(st.fz.terms, fusedTerm{m: m})
		case m.bn != nil:
			sc := m.spikeConvBN()
			if sc == nil || sc.Stride != 1 {
				return false
			}
			st.fz.terms = append(st.fz.terms, fusedTerm{m: m, conv: sc, bn: m.bn})
			convs++
		default:
			return false
		}
	}
	if convs == 0 {
		return false
	}
	// The first term is a convolution (the kernel's term a); with two
	// terms the sum is commutative, so swapping them changes nothing.
	if st.fz.terms[0].conv == nil {
		st.fz.terms[0], st.fz.terms[1] = st.fz.terms[1], st.fz.terms[0]
	}
	isIF, ok := fusedNeuron(st.neuron.Kind)
	st.fz.isIF = isIF
	return ok
}

// fusedNeuron reports whether the fused kernels implement neurons of kind
// k (PLIF, LIF or IF), and whether k is IF (H = V + X).
func fusedNeuron(k nn.NeuronKind) (isIF, ok bool) {
	switch k {
	case nn.PLIF, nn.LIF:
		return false, true
	case nn.IF:
		return true, true
	}
	return false, false
}

// neuronConsts returns the neuron part of a channel's fusedConsts (leak,
// threshold, IF flag) with the identity affine maps (sca = scb = 1).
func neuronConsts(n *nn.Neuron, isIF bool) fusedConsts {
	fc := fusedConsts{sca: 1, scb: 1, k: n.K(), vth: n.VTh}
	if isIF {
		fc.isIF = 1
	}
	return fc
}

// forwardFused runs st's evaluation forward on a fused path when the stage
// qualifies and its layers are in evaluation mode. It reports false
// (having changed nothing the layered path depends on) when the layered
// path must run instead.
func (s *segment) forwardFused(st *stage) bool {
	if st.fz != nil {
		if st.fz.done { // computed by its group earlier in this forward
			st.fz.done, st.fz.last = false, true
			return true
		}
		st.fz.last = false
		st.fz.ev.valid = false // the output is about to change
	}
	if s.env.CheckFinite || s.env.DenseConv {
		return false
	}
	fz := s.fusedOf(st)
	switch {
	case fz == nil:
		return false
	case fz.pool:
		return s.forwardPool(st)
	case fz.static:
		return s.forwardStatic(st)
	}
	return s.forwardGroup(st)
}

// ready reports whether the neuron stage st may run fused now, reading
// projections projs: evaluation mode for its neurons and the projections'
// batch-norms.
func ready(st *stage, projs []*projMod) bool {
	if !st.neuron.Evaluating() {
		return false
	}
	for _, m := range projs {
		if m.bn != nil && m.bn.Training() {
			return false
		}
	}
	return true
}

// plan fills the per-call fields of stage st (whose group starts at stage
// first) from its inputs, and reports false when a shape does not fit (the
// layered path then reports the error).
func (s *segment) plan(st *stage, first int) bool {
	fz := st.fz
	fz.steps = 0
	for i := range fz.terms {
		tm := &fz.terms[i]
		tm.src, tm.x, tm.ev = nil, nil, nil
		var shape []int
		if src := s.byPop[tm.m.e.Src]; src != nil && src.fz.index >= first && src.fz.index < fz.index {
			tm.src = src.fz
			shape = []int{src.fz.steps, src.fz.batch, src.fz.cout, src.fz.oh, src.fz.ow}
		} else {
			x := s.output(tm.m.e.Src)
			if x == nil || len(x.Shape) != 5 || len(x.Data) != x.Len() {
				return false
			}
			tm.x, shape = x, x.Shape
			var ev *eventStore
			if src != nil && src.fz != nil {
				ev = &src.fz.ev
			} else if tm.m.e.Src == s.entry {
				ev = s.stages[0].fz.entry
			}
			if x.Shape[0]*x.Shape[1] > 0 && ev.describes(x, len(x.Data)/(x.Shape[0]*x.Shape[1])) {
				tm.ev = ev
			}
		}
		if tm.conv == nil {
			// An identity term (never the first: checkFused) must match
			// the convolution's output.
			if shape[0] != fz.steps || shape[1] != fz.batch || shape[2] != fz.cout || shape[3] != fz.oh || shape[4] != fz.ow {
				return false
			}
			continue
		}
		c := tm.conv
		if shape[2] != c.Cin {
			return false
		}
		sh := tensor.ConvShape{N: shape[0] * shape[1], Cin: c.Cin, H: shape[3], W: shape[4],
			Cout: c.Cout, KH: c.K, KW: c.K, Stride: c.Stride, Pad: c.Pad}
		if sh.Validate() != nil || sh.OutH() < 1 || sh.OutW() < 1 {
			return false
		}
		if fz.steps == 0 {
			fz.steps, fz.batch, fz.cout, fz.oh, fz.ow = shape[0], shape[1], c.Cout, sh.OutH(), sh.OutW()
		} else if shape[0] != fz.steps || shape[1] != fz.batch || c.Cout != fz.cout || sh.OutH() != fz.oh || sh.OutW() != fz.ow {
			return false
		}
		tm.shape = sh
		c.ptab = c.pixTable(sh, c.ptab)
		tm.limit = int(maxDensity * float64(sh.XLen()))
		fz.nnz[i].Store(0)
	}
	if fz.steps*fz.batch == 0 || fz.cout != st.pop.Shape.C {
		return false
	}
	// Per-channel constants, exactly as the layers compute them.
	fz.consts = fz.consts[:0]
	nc := neuronConsts(st.neuron, fz.isIF)
	for ch := range fz.cout {
		fc := nc
		fc.ca, fc.sca, fc.sha = fz.terms[0].bn.EvalAffine(ch)
		if len(fz.terms) == 2 && fz.terms[1].bn != nil {
			fc.cb, fc.scb, fc.shb = fz.terms[1].bn.EvalAffine(ch)
		}
		fz.consts = append(fz.consts, fc)
	}
	return true
}

// forwardGroup runs st and the qualifying stages after it as one fused
// pass; it reports false when st must take the layered path.
func (s *segment) forwardGroup(st *stage) bool {
	first := st.fz.index
	var group []*stage
	for _, o := range s.stages[first:] {
		if len(group) == maxGroup {
			break // the next stage starts a group of its own
		}
		fz := s.fusedOf(o)
		if fz == nil || fz.pool || fz.static || !ready(o, o.dynamic) || !s.plan(o, first) {
			break
		}
		group = append(group, o)
	}
	if len(group) == 0 {
		return false
	}
	end := first + len(group)
	nw := min(s.env.WS.Workers(), group[0].fz.batch)
	lastFz := group[len(group)-1].fz
	lastFz.sink = s.poolSink(group[len(group)-1], end)
	maxIn, maxOut, convB := 0, 0, false
	convs := group[0].fz.convs[:0]
	for k, o := range group {
		fz := o.fz
		oimg := fz.cout * fz.oh * fz.ow
		maxOut = max(maxOut, oimg)
		fz.y = nil
		if fz.sink != nil {
			o.neuron.BeginEvalOutput()
			pz := fz.sink.fz
			pz.py.Shape = append(pz.py.Shape[:0], fz.steps, fz.batch, fz.cout, fz.oh/2, fz.ow/2)
			pz.py.Data = grow(pz.py.Data, fz.steps*fz.batch*oimg/4)
		} else if k == len(group)-1 || fz.lastReader >= end || fz.index == len(s.stages)-1 {
			fz.y = o.neuron.BeginEvalOutput(fz.steps, fz.batch, fz.cout, fz.oh, fz.ow)
		} else {
			o.neuron.BeginEvalOutput()
		}
		for i := range fz.terms {
			if tm := &fz.terms[i]; tm.conv != nil {
				maxIn = max(maxIn, tm.shape.Cin*tm.shape.H*tm.shape.W)
				tm.conv.wrev = grow(tm.conv.wrev, len(tm.conv.Weight.Data))
				convs = append(convs, tm)
				if i == 1 {
					convB = true
				}
			}
		}
		for len(fz.scratch) < nw {
			fz.scratch = append(fz.scratch, &fusedScratch{})
		}
		vlen := oimg
		if vs := hwcStride(fz.oh*fz.ow, fz.cout); vs != 0 {
			vlen = fz.cout * vs
		}
		for _, sc := range fz.scratch[:nw] {
			sc.v = grow(sc.v, vlen)
			if fz.y == nil {
				sc.step = grow(sc.step, oimg)
			}
			sc.spk, sc.pooled = 0, 0
		}
	}
	maxIn = max(maxIn, maxOut) // idx also lists outputs (eventStore.record)
	for _, o := range group {
		fz := o.fz
		if p := fz.sink; p != nil {
			p.fz.ev.reset(&p.fz.py, fz.cout*fz.oh*fz.ow/4, fz.steps*fz.batch, nw)
		} else if fz.y != nil {
			fz.ev.reset(fz.y, fz.cout*fz.oh*fz.ow, fz.steps*fz.batch, nw)
		}
	}
	for _, sc := range group[0].fz.scratch[:nw] {
		sc.idx = grow(sc.idx, maxIn)
		// The HWC images are all zero between images (each user clears
		// what it wrote).
		sc.hwc = grow(sc.hwc, maxOut)
		clear(sc.hwc)
		sc.chw[0] = grow(sc.chw[0], maxOut)
		if convB {
			sc.hwc2 = grow(sc.hwc2, maxOut)
			clear(sc.hwc2)
			sc.chw[1] = grow(sc.chw[1], maxOut)
		}
		sc.tmp = grow(sc.tmp, 524)
		if len(sc.bsc) < maxOut {
			sc.bsc = make([]float32, maxOut) // all zero; users restore that
		}
	}
	batch := group[0].fz.batch
	group[0].fz.convs = convs
	var next atomic.Int64
	var abort atomic.Bool
	// The workers share out the weight reversal (by input channel:
	// disjoint runs of each convolution's wrev), then the images.
	runWorkers(s.env.WS, nw, func(w int) {
		for _, tm := range convs {
			c := tm.conv
			reverseInto(c.Conv2d, c.wrev, w*c.Cin/nw, (w+1)*c.Cin/nw)
		}
	})
	runWorkers(s.env.WS, nw, func(w int) {
		for !abort.Load() {
			n := int(next.Add(1) - 1)
			if n >= batch {
				return
			}
			if !groupImage(group, w, n) {
				abort.Store(true)
				return
			}
		}
	})
	if abort.Load() {
		lastFz.sink = nil
		return false // a convolution input is too dense for the event-driven path
	}
	if p := lastFz.sink; p != nil {
		var n int64
		for _, sc := range lastFz.scratch[:nw] {
			n += sc.pooled
		}
		p.spikes, p.cur, p.out = n, nil, &p.fz.py
		p.fz.done = true
		p.fz.ev.valid = true
		lastFz.sink = nil
	}
	for _, o := range group {
		if o.fz.y != nil {
			o.fz.ev.valid = true
		}
	}
	for k, o := range group {
		fz := o.fz
		var spikes int64
		for _, sc := range fz.scratch[:nw] {
			spikes += sc.spk
		}
		o.neuron.EndEvalOutput(spikes)
		o.cur = nil
		o.out = fz.y
		if k > 0 {
			fz.done = true
		}
	}
	st.fz.last = true
	return true
}

// maxGroup is the most stages one fused group runs (longer runs of
// qualifying stages are split; a split costs one output written to memory).
const maxGroup = 8

// groupImage computes all T steps of image n of every stage of group with
// worker w's buffers. It returns false when a convolution input has passed
// its density limit.
func groupImage(group []*stage, w, n int) bool {
	tmp := group[0].fz.scratch[w]
	var counts [maxGroup][2]int64 // forwardGroup caps the group's length
	for _, o := range group {
		clear(o.fz.scratch[w].v)
	}
	steps, batch := group[0].fz.steps, group[0].fz.batch
	for t := range steps {
		at := t*batch + n
		for k, o := range group {
			fz := o.fz
			sc := fz.scratch[w]
			plane := fz.oh * fz.ow
			oimg := fz.cout * plane
			// Term a's convolution into tmp.hwc; term b into b (a CHW
			// image: an identity source, or the transposed convolution).
			var b []float32
			var blist []int32 // nonzero positions of b when b is tmp.bsc
			for i := range fz.terms {
				tm := &fz.terms[i]
				var xin []float32
				if tm.src != nil {
					xin = tm.src.scratch[w].cur
				} else {
					img := len(tm.x.Data) / (steps * batch)
					xin = tm.x.Data[at*img : (at+1)*img]
				}
				if tm.conv == nil {
					b = xin
					if tm.ev != nil {
						// A spike map in memory with its nonzero list:
						// rebuild it in cache from the list (only the
						// listed values are read) instead of streaming
						// all of it; zeros stay zeros (a -0 becomes +0,
						// which the kernel's identity map does anyway).
						blist = tm.ev.list(at)
						b = tmp.bsc[:len(xin)]
						for _, i := range blist {
							b[i] = xin[i]
						}
					}
					continue
				}
				var idx []int32
				switch src := tm.src; {
				case tm.ev != nil:
					idx = tm.ev.list(at)
				case src != nil && src.y != nil && src.sink == nil:
					// A group stage whose output also goes to memory
					// has just listed this image-step (record, below).
					idx = src.ev.list(at)
				default:
					idx = tmp.idx[:nonzero(xin, tmp.idx)]
				}
				counts[k][i] += int64(len(idx))
				if i == 0 {
					tm.conv.eventImageFast(tm.shape, xin, idx, tmp.hwc[:oimg], tm.conv.wrev, tm.conv.ptab)
					continue
				}
				tm.conv.eventImageFast(tm.shape, xin, idx, tmp.hwc2[:oimg], tm.conv.wrev, tm.conv.ptab)
				transpose(tmp.hwc2[:oimg], tmp.chw[1][:oimg], plane, fz.cout)
				clear(tmp.hwc2[:oimg])
				b = tmp.chw[1][:oimg]
			}
			var out []float32
			if fz.y != nil {
				out = fz.y.Data[at*oimg : (at+1)*oimg]
			} else {
				out = sc.step[:oimg]
			}
			sc.cur = out
			if !fusedHWC(tmp.hwc[:oimg], tmp.tmp, b, sc.v, out, plane, fz.cout, fz.consts, &sc.spk) {
				a := tmp.chw[0][:oimg]
				transpose(tmp.hwc[:oimg], a, plane, fz.cout)
				clear(tmp.hwc[:oimg])
				for ch := range fz.cout {
					r := ch * plane
					var br []float32
					if b != nil {
						br = b[r : r+plane]
					}
					sc.spk += fusedStep(a[r:r+plane], br, sc.v[r:r+plane], out[r:r+plane], &fz.consts[ch])
				}
			}
			for _, i := range blist {
				b[i] = 0 // tmp.bsc is all zero between uses
			}
			if p := fz.sink; p != nil {
				pimg := oimg / 4
				po := p.fz.py.Data[at*pimg : (at+1)*pimg]
				sc.pooled += maxPool2x2(out, po, fz.cout*fz.oh/2, fz.ow)
				p.fz.ev.record(w, at, po, tmp.idx)
			} else if fz.y != nil {
				fz.ev.record(w, at, out, tmp.idx)
			}
		}
	}
	ok := true
	for k, o := range group {
		for i := range o.fz.terms {
			if o.fz.terms[i].conv != nil && o.fz.nnz[i].Add(counts[k][i]) > int64(o.fz.terms[i].limit) {
				ok = false
			}
		}
	}
	return ok
}

// fusedStepGo is the portable fused kernel for one channel row: with
// X = (a - ca) sca + sha [+ (b - cb) scb + shb], it advances the neurons v
// by one step (H = V + (X - V) k, or V + X for IF), writes the spikes
// (H >= vth) to y, resets the fired neurons to 0 and returns the number of
// spikes. The explicit float32 conversions keep every operation rounded on
// its own (no fused multiply-add), as in the layers' loops.
func fusedStepGo(a, b, v, y []float32, fc *fusedConsts) int64 {
	v, y = v[:len(a)], y[:len(a)]
	if b != nil {
		b = b[:len(a)]
	}
	var count int64
	for i, ai := range a {
		x := float32(float32(ai-fc.ca)*fc.sca) + fc.sha
		if b != nil {
			x += float32(float32(b[i]-fc.cb)*fc.scb) + fc.shb
		}
		vi := v[i]
		var h float32
		if fc.isIF != 0 {
			h = vi + x
		} else {
			h = vi + float32((x-vi)*fc.k)
		}
		if h >= fc.vth {
			y[i], v[i] = 1, 0
			count++
		} else {
			y[i], v[i] = 0, h
		}
	}
	return count
}

// maxPool2x2Go pools q row pairs of width w (even) 2x2 with stride 2 into
// out with nn.MaxPool2d's rule (first maximum in the window order (0,0),
// (0,1), (1,0), (1,1)) and returns the number of nonzero outputs.
func maxPool2x2Go(in, out []float32, q, w int) int64 {
	var count int64
	ow := w / 2
	for r := range q {
		r0, r1 := in[2*r*w:(2*r+1)*w], in[(2*r+1)*w:(2*r+2)*w]
		o := out[r*ow : (r+1)*ow]
		for j := range o {
			best := r0[2*j]
			if v := r0[2*j+1]; v > best {
				best = v
			}
			if v := r1[2*j]; v > best {
				best = v
			}
			if v := r1[2*j+1]; v > best {
				best = v
			}
			o[j] = best
			if best != 0 {
				count++
			}
		}
	}
	return count
}

// forwardPool runs a max-pool relay stage in evaluation mode (the
// segment's layers are, so nothing will ask the max-pool layer for a
// backward pass): planes are pooled in chunks shared out to the workers,
// the output is bit-identical to the layer's and so is the count of
// nonzero outputs the stage reports.
func (s *segment) forwardPool(st *stage) bool {
	fz := st.fz
	x := s.output(st.projs[0].e.Src)
	if !s.eval || x == nil || len(x.Shape) != 5 || len(x.Data) != x.Len() {
		return false
	}
	h, w := x.Shape[3], x.Shape[4]
	if h < 2 || w < 2 || h%2 != 0 || w%2 != 0 {
		return false
	}
	planes := x.Shape[0] * x.Shape[1] * x.Shape[2]
	fz.py.Shape = append(fz.py.Shape[:0], x.Shape[0], x.Shape[1], x.Shape[2], h/2, w/2)
	fz.py.Data = grow(fz.py.Data, planes*h*w/4)
	c := x.Shape[2]
	per := c * max(1, 16384/(c*h*w)) // planes per task: whole image-steps
	tasks := (planes + per - 1) / per
	nw := min(s.env.WS.Workers(), tasks)
	counts := make([]int64, nw)
	pimg := c * h * w / 4
	fz.ev.reset(&fz.py, pimg, planes/c, nw)
	for len(fz.scratch) < nw {
		fz.scratch = append(fz.scratch, &fusedScratch{})
	}
	for _, sc := range fz.scratch[:nw] {
		sc.idx = grow(sc.idx, pimg)
	}
	var next atomic.Int64
	runWorkers(s.env.WS, nw, func(wk int) {
		var n int64
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				break
			}
			lo, hi := t*per, min((t+1)*per, planes)
			n += maxPool2x2(x.Data[lo*h*w:hi*h*w], fz.py.Data[lo*h*w/4:hi*h*w/4], (hi-lo)*h/2, w)
			for at := lo / c; at < hi/c; at++ {
				fz.ev.record(wk, at, fz.py.Data[at*pimg:(at+1)*pimg], fz.scratch[wk].idx)
			}
		}
		counts[wk] = n
	})
	var spikes int64
	for _, c := range counts {
		spikes += c
	}
	st.spikes = spikes
	st.cur = nil
	st.out = &fz.py
	fz.ev.valid = true
	fz.last = true
	return true
}

// poolSink returns the max-pool relay stage that the group ending with
// stage last (the group is stages[..end)) may feed directly, or nil: the
// next stage of the segment when it is a fused max-pool reading only last
// and nothing else reads last, or the stage LinkPool attached to the
// segment's last stage. Either way the pool must be in evaluation mode and
// last's output maps even-sized.
func (s *segment) poolSink(last *stage, end int) *stage {
	fz := last.fz
	if fz.oh%2 != 0 || fz.ow%2 != 0 || fz.oh < 2 || fz.ow < 2 {
		return nil
	}
	if fz.link != nil {
		if fz.index == len(s.stages)-1 && fz.linkSeg.eval && !fz.linkSeg.env.CheckFinite {
			return fz.link
		}
		return nil
	}
	if end >= len(s.stages) || fz.lastReader != end || !s.eval {
		return nil
	}
	p := s.stages[end]
	if pz := s.fusedOf(p); pz == nil || !pz.pool || p.projs[0].e.Src != last.pop {
		return nil
	}
	return p
}

// LinkPool lets the next Forward of block b hand its output to the first
// stage of part p (which reads it) without writing it to memory, when that
// stage is a 2x2 max-pool of b's output, nothing else in p reads b's
// output, and both run fused (evaluation mode, Env.CheckFinite off): each
// image-step of b's last population is pooled from cache into the pool's
// output. b's Forward then returns nil (its output was not written) and
// p's Forward must follow with that nil; p's other populations see the
// pool's output as usual. The returned function removes the link; call it
// after p's Forward. Without the conditions (or on the layered path)
// nothing changes.
func LinkPool(b *Block, p *Part) (unlink func()) {
	nop := func() {}
	if b == nil || b.identity || p == nil || len(b.seg.stages) == 0 || len(p.seg.stages) == 0 {
		return nop
	}
	last := b.seg.stages[len(b.seg.stages)-1]
	first := p.seg.stages[0]
	if p.seg.entry.Name != last.pop.Name || p.seg.entry.Shape != last.pop.Shape {
		return nop
	}
	for _, st := range p.seg.stages {
		for _, m := range st.projs {
			if m.e.Src == p.seg.entry && st != first {
				return nop
			}
		}
	}
	pz := p.seg.fusedOf(first)
	if pz == nil || !pz.pool || b.seg.fusedOf(last) == nil || last.fz.pool {
		return nop
	}
	last.fz.link, last.fz.linkSeg = first, p.seg
	return func() {
		last.fz.link, last.fz.linkSeg = nil, nil
		first.fz.done = false // consumed by p's Forward unless it never ran
	}
}

// reverseInto fills the part of dst for input channels lo..hi-1 of c's
// reversed filter, dst[ci][kh][K-1-kw][co] = W[co][ci][kh][kw] (the layout
// of the fused convolution kernels: one kernel row of all output channels
// is contiguous); dst has the weights' length.
func reverseInto(c *nn.Conv2d, dst []float32, lo, hi int) {
	k, cin, cout := c.K, c.Cin, c.Cout
	w := c.Weight.Data
	for ci := lo; ci < hi; ci++ {
		for kh := range k {
			for kw := range k {
				d := dst[((ci*k+kh)*k+(k-1-kw))*cout : ((ci*k+kh)*k+(k-kw))*cout]
				src := (ci*k+kh)*k + kw
				for co := range d {
					d[co] = w[co*cin*k*k+src]
				}
			}
		}
	}
}

// forwardStatic runs, in evaluation mode, a stage whose neurons are fed
// only by one projection of the static input under direct encoding (the
// stem): the projection runs as layers on the one static image per sample
// ([1, N, ...]), and instead of repeating its output T times in memory and
// running the neuron layer over the repeated tensor, each image's neurons
// are stepped T times on its static current while it is in cache. The
// kernel's affine map is the identity (c = 0, sc = 1, sh = 0), exact except
// that it turns a -0 current into +0, which leaves every membrane value
// and spike unchanged (V starts at +0 and never becomes -0, and
// V + (X - V) k and V + X do not depend on the sign of a zero X).
func (s *segment) forwardStatic(st *stage) bool {
	if !ready(st, st.static) {
		return false
	}
	x, err := st.static[0].forward(s.output(st.static[0].e.Src))
	if err != nil {
		return false // the layered path reports it
	}
	steps := s.g.T
	if len(x.Shape) != 5 || x.Shape[0] != 1 || x.Shape[2] != st.pop.Shape.C || steps < 1 || len(x.Data) != x.Len() {
		return false
	}
	batch, cout, plane := x.Shape[1], x.Shape[2], x.Shape[3]*x.Shape[4]
	oimg := cout * plane
	if batch*oimg == 0 {
		return false
	}
	fz := st.fz
	fc := neuronConsts(st.neuron, fz.isIF)
	y := st.neuron.BeginEvalOutput(steps, batch, cout, x.Shape[3], x.Shape[4])
	nw := min(s.env.WS.Workers(), batch)
	for len(fz.scratch) < nw {
		fz.scratch = append(fz.scratch, &fusedScratch{})
	}
	fz.ev.reset(y, oimg, steps*batch, nw)
	var next atomic.Int64
	runWorkers(s.env.WS, nw, func(w int) {
		sc := fz.scratch[w]
		sc.v = grow(sc.v, oimg)
		sc.spk = 0
		sc.idx = grow(sc.idx, oimg)
		for {
			n := int(next.Add(1) - 1)
			if n >= batch {
				return
			}
			clear(sc.v)
			a := x.Data[n*oimg : (n+1)*oimg]
			for t := range steps {
				out := y.Data[(t*batch+n)*oimg : (t*batch+n+1)*oimg]
				for ch := range cout {
					r := ch * plane
					sc.spk += fusedStep(a[r:r+plane], nil, sc.v[r:r+plane], out[r:r+plane], &fc)
				}
				fz.ev.record(w, t*batch+n, out, sc.idx)
			}
		}
	})
	var spikes int64
	for _, sc := range fz.scratch[:nw] {
		spikes += sc.spk
	}
	st.neuron.EndEvalOutput(spikes)
	st.cur = nil
	st.out = y
	fz.ev.valid = true
	fz.last = true
	return true
}

// EventSource is a Block or a Part whose output another block reads
// (LinkInput).
type EventSource interface{ lastStage() *stage }

func (b *Block) lastStage() *stage {
	if b == nil || b.identity || len(b.seg.stages) == 0 {
		return nil
	}
	return b.seg.stages[len(b.seg.stages)-1]
}

func (p *Part) lastStage() *stage {
	if p == nil || len(p.seg.stages) == 0 {
		return nil
	}
	return p.seg.stages[len(p.seg.stages)-1]
}

// LinkInput lets the next Forward of block b take the nonzero lists of its
// input from src, the Block or Part whose last population's output that
// input is, when src's last forward ran fused and recorded them (instead
// of b's spike convolutions scanning the input again: in a search a block's
// output is read by every candidate after it). The lists are used only if
// they describe the very tensor b reads, so a stale or wrong link costs a
// scan, never a wrong result. The returned function removes the link.
func LinkInput(b *Block, src EventSource) (unlink func()) {
	nop := func() {}
	if b == nil || b.identity || len(b.seg.stages) == 0 || src == nil {
		return nop
	}
	last := src.lastStage()
	if last == nil || last.fz == nil {
		return nop
	}
	first := b.seg.stages[0]
	if b.seg.fusedOf(first) == nil && first.fz == nil {
		return nop
	}
	first.fz.entry = &last.fz.ev
	return func() { first.fz.entry = nil }
}

// pixEntry is the per-pixel part of an event of the spike convolution: for
// an input spike at pixel (h, w) of any channel, the byte offset of the
// first output (row o = h+p-khLo, column a) in the HWC image, the byte
// offset of the first filter value within the channel's reversed filter
// (row khLo, column a-owLo), the bytes per row ((b-a+1)*Cout*4) and the
// number of kernel rows (0 when the spike reaches no output), as
// spikeConv.reach computes them. The layout is known to convEventsTabAVX2
// and pixEventsAVX2.
type pixEntry struct {
	yoff, xoff, nb, rows int32
}

// pixTable fills tab (reused when long enough) with the entries of every
// input pixel of shape s (stride 1).
func (c *spikeConv) pixTable(s tensor.ConvShape, tab []pixEntry) []pixEntry {
	plane := s.H * s.W
	tab = grow(tab, plane)
	oh, ow := s.OutH(), s.OutW()
	for h := range s.H {
		for w := range s.W {
			e := &tab[h*s.W+w]
			*e = pixEntry{}
			if r, ok := c.reach(h, w, oh, ow); ok {
				*e = pixEntry{yoff: int32(r.boff * 4), xoff: int32(r.aoff * 4), nb: int32(r.n * 4), rows: int32(r.rows)}
			}
		}
	}
	return tab
}

// runWorkers runs fn(0), ..., fn(n-1) as the tasks of one parallel call on
// the workers of ws (n <= ws.Workers(): each fn(i) is one worker's share,
// typically a loop claiming work from a shared counter) and returns when
// all have returned. The fn(i) must not wait for each other: they need not
// run at the same time.
func runWorkers(ws *tensor.Workspace, n int, fn func(w int)) {
	ws.Run(n, tensor.TaskFunc(func(_, t int) { fn(t) }))
}
