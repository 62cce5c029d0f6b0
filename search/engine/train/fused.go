// The fused evaluation path: which stages qualify, the plan of each, and
// the dispatch between the fused kernels and the layered path.

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
