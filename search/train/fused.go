package train

import (
	"sync"
	"sync/atomic"

	"github.com/autosnn/autosnn/search/nn"
	"github.com/autosnn/autosnn/search/tensor"
)

// fusedStage is the evaluation-mode (inference) forward of one stage of the
// common shape "event-driven convolution -> batch-norm (running
// statistics) [+ a second such projection or an identity shortcut] ->
// spiking neuron", computed image by image and step by step instead of
// layer by layer.
//
// The layered path streams the whole batch (T x N images) through memory
// once per layer: convolution output, HWC->CHW transpose, batch-norm affine
// pass, sum, neuron step, each a full pass over tensors far larger than the
// caches. The fused path keeps one image in cache: for image n and step
// t = 0..T-1 it lists the nonzero inputs of x[t, n], adds the event-driven
// convolution into an HWC scratch image, transposes it into a CHW scratch
// (both a few tens of KB), and one kernel applies the batch-norm affine
// maps, sums the terms, advances the neurons (whose membrane state of image
// n stays in cache over the T steps) and writes the spikes to the output
// tensor. Only the input spikes are read from memory and only the output
// spikes written to it. Images are shared out to the workers one at a time.
//
// Every output value is bit-identical to the layered path's: the same
// events are added in the same order by the same AXPY kernel, the
// batch-norm constants are the layer's own (nn.BatchNorm.EvalAffine), and
// the per-element operations (x - c) sc + sh, the sum in projection order
// (two terms, so the order cannot matter: IEEE addition is commutative)
// and the neuron update are done with the same roundings (separate
// multiply and add, no FMA). The layered spike convolution switches to the
// dense kernel when its input is denser than maxDensity over the whole
// batch; the fused path counts the nonzero inputs as it goes and, when a
// term's count passes that limit, abandons the pass and lets the layered
// path run, so the choice (and with it every sum) stays the layered path's.
type fusedStage struct {
	checked, ok bool // the structure was checked; it qualifies
	terms       []fusedTerm
	k, vth      float32
	isIF        bool
	consts      []fusedConsts // per output channel
	scratch     []*fusedScratch
	nnz         [2]atomic.Int64 // per term: nonzero inputs counted so far in this call
	last        bool            // the stage's last forward took the fused path

	// A relay stage whose only projection is a 2x2 stride-2 max-pool of a
	// spike map (pool set) runs as one pass without the window indices
	// the layer saves for its backward pass, into its own output y.
	pool bool
	y    nn.Tensor
}

// fusedTerm is one incoming projection of a fused stage: a spike
// convolution followed by a batch-norm, or (conv nil) an identity shortcut
// from a spike map.
type fusedTerm struct {
	m    *projMod
	conv *spikeConv
	bn   *nn.BatchNorm

	// Per call.
	x     *nn.Tensor
	shape tensor.ConvShape
	limit int // most nonzero inputs the layered path keeps event-driven
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

// fusedScratch is one worker's per-image buffers.
type fusedScratch struct {
	idx  []int32
	hwc  []float32
	chw  [2][]float32
	v    []float32
	spk  int64
	stop bool
}

// checkFused reports whether st has the fused shape; it is called once per
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
		case len(m.layers) == 2 && m.bn != nil && m.layers[1] == nn.Layer(m.bn):
			sc, ok := m.layers[0].(*spikeConv)
			if !ok || sc.Stride != 1 {
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
	switch st.neuron.Kind {
	case nn.PLIF, nn.LIF:
	case nn.IF:
		st.fz.isIF = true
	default:
		return false
	}
	return true
}

// forwardFused runs st's evaluation forward on the fused path when the
// stage qualifies and its layers are in evaluation mode. It reports false
// (having changed nothing the layered path depends on) when the layered
// path must run instead.
func (s *segment) forwardFused(st *stage) bool {
	if st.fz != nil {
		st.fz.last = false
	}
	if s.env.CheckFinite || s.env.DenseConv {
		return false
	}
	fz := st.fz
	if fz == nil {
		fz = &fusedStage{}
		st.fz = fz
	}
	if !fz.checked {
		fz.checked = true
		fz.ok = s.checkFused(st)
	}
	if !fz.ok {
		return false
	}
	if fz.pool {
		return s.forwardPool(st)
	}
	if !st.neuron.Evaluating() {
		return false
	}
	for i := range fz.terms {
		if tm := &fz.terms[i]; tm.bn != nil && tm.bn.Training() {
			return false
		}
	}
	// Shapes: every conv input [T N Cin H W] with the same T and N, and
	// every term of the output's shape. Anything else goes to the layered
	// path, which reports the error.
	var steps, batch, cout, oh, ow int
	for i := range fz.terms {
		tm := &fz.terms[i]
		x := s.output(tm.m.e.Src)
		if x == nil || len(x.Shape) != 5 || len(x.Data) != x.Len() {
			return false
		}
		tm.x = x
		if tm.conv == nil {
			continue
		}
		c := tm.conv
		if x.Shape[2] != c.Cin {
			return false
		}
		sh := tensor.ConvShape{N: x.Shape[0] * x.Shape[1], Cin: c.Cin, H: x.Shape[3], W: x.Shape[4],
			Cout: c.Cout, KH: c.K, KW: c.K, Stride: c.Stride, Pad: c.Pad}
		if sh.Validate() != nil || sh.OutH() < 1 || sh.OutW() < 1 {
			return false
		}
		if steps == 0 {
			steps, batch, cout, oh, ow = x.Shape[0], x.Shape[1], c.Cout, sh.OutH(), sh.OutW()
		} else if x.Shape[0] != steps || x.Shape[1] != batch || c.Cout != cout || sh.OutH() != oh || sh.OutW() != ow {
			return false
		}
		tm.shape = sh
		tm.limit = int(maxDensity * float64(len(x.Data)))
		fz.nnz[i].Store(0)
	}
	for i := range fz.terms {
		if tm := &fz.terms[i]; tm.conv == nil {
			if x := tm.x.Shape; x[0] != steps || x[1] != batch || x[2] != cout || x[3] != oh || x[4] != ow {
				return false
			}
		}
	}
	if steps*batch == 0 || cout != st.pop.Shape.C {
		return false
	}
	// Per-channel constants, exactly as the layers compute them.
	fz.consts = fz.consts[:0]
	fz.k, fz.vth = st.neuron.K(), st.neuron.VTh
	for ch := range cout {
		fc := fusedConsts{sca: 1, scb: 1, k: fz.k, vth: fz.vth}
		if fz.isIF {
			fc.isIF = 1
		}
		fc.ca, fc.sca, fc.sha = fz.terms[0].bn.EvalAffine(ch)
		if len(fz.terms) == 2 && fz.terms[1].bn != nil {
			fc.cb, fc.scb, fc.shb = fz.terms[1].bn.EvalAffine(ch)
		}
		fz.consts = append(fz.consts, fc)
	}
	for i := range fz.terms {
		if c := fz.terms[i].conv; c != nil {
			c.reverseWeights()
		}
	}
	y := st.neuron.BeginEvalOutput(steps, batch, cout, oh, ow)

	nw := min(s.env.WS.Workers(), batch)
	for len(fz.scratch) < nw {
		fz.scratch = append(fz.scratch, &fusedScratch{})
	}
	oimg := cout * oh * ow
	maxIn := 0
	for i := range fz.terms {
		if tm := &fz.terms[i]; tm.conv != nil {
			maxIn = max(maxIn, tm.shape.Cin*tm.shape.H*tm.shape.W)
		}
	}
	var next atomic.Int64
	var abort atomic.Bool
	var wg sync.WaitGroup
	for w := range nw {
		sc := fz.scratch[w]
		if cap(sc.idx) < maxIn {
			sc.idx = make([]int32, maxIn)
		}
		sc.idx = sc.idx[:maxIn]
		sc.hwc = growF32(sc.hwc, oimg)
		sc.chw[0] = growF32(sc.chw[0], oimg)
		if len(fz.terms) == 2 && fz.terms[1].conv != nil {
			sc.chw[1] = growF32(sc.chw[1], oimg)
		}
		sc.v = growF32(sc.v, oimg)
		sc.spk, sc.stop = 0, false
		work := func() {
			for !abort.Load() {
				n := int(next.Add(1) - 1)
				if n >= batch {
					return
				}
				if !fz.image(n, steps, batch, oh*ow, y, sc) {
					abort.Store(true)
					return
				}
			}
		}
		if w == nw-1 {
			work()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); work() }()
	}
	wg.Wait()
	if abort.Load() {
		return false // a convolution input is too dense for the event-driven path
	}
	var spikes int64
	for _, sc := range fz.scratch[:nw] {
		spikes += sc.spk
	}
	st.neuron.EndEvalOutput(spikes)
	st.cur = nil
	st.out = y
	fz.last = true
	return true
}

// image computes all T steps of output image n (plane = OH*OW pixels per
// channel). It returns false when a convolution input has passed its
// density limit.
func (fz *fusedStage) image(n, steps, batch, plane int, y *nn.Tensor, sc *fusedScratch) bool {
	cout := len(fz.consts)
	oimg := cout * plane
	clear(sc.v[:oimg])
	var counts [2]int64
	for t := range steps {
		j := 0
		for i := range fz.terms {
			tm := &fz.terms[i]
			if tm.conv == nil {
				continue
			}
			img := tm.shape.Cin * tm.shape.H * tm.shape.W
			xn := tm.x.Data[(t*batch+n)*img : (t*batch+n+1)*img]
			nnz := nonzero(xn, sc.idx)
			counts[i] += int64(nnz)
			tm.conv.eventImage(tm.shape, xn, sc.idx[:nnz], sc.hwc[:oimg])
			transpose(sc.hwc[:oimg], sc.chw[j][:oimg], plane, cout)
			j++
		}
		a := sc.chw[0][:oimg]
		var b []float32
		if len(fz.terms) == 2 {
			if tb := &fz.terms[1]; tb.conv != nil {
				b = sc.chw[1][:oimg]
			} else {
				b = tb.x.Data[(t*batch+n)*oimg : (t*batch+n+1)*oimg]
			}
		}
		out := y.Data[(t*batch+n)*oimg : (t*batch+n+1)*oimg]
		for ch := range cout {
			r := ch * plane
			var br []float32
			if b != nil {
				br = b[r : r+plane]
			}
			sc.spk += fusedStep(a[r:r+plane], br, sc.v[r:r+plane], out[r:r+plane], &fz.consts[ch])
		}
	}
	for i := range fz.terms {
		tm := &fz.terms[i]
		if tm.conv != nil && fz.nnz[i].Add(counts[i]) > int64(tm.limit) {
			return false
		}
	}
	return true
}

// eventImage computes one output image of the convolution (shape s, stride
// 1) into hwc (HWC order) from the input image xn and the indices of its
// nonzero values, exactly as forwardImages does (same events, same order,
// same kernel); reverseWeights must have run.
func (c *spikeConv) eventImage(s tensor.ConvShape, xn []float32, idx []int32, hwc []float32) {
	k, p, cout := c.K, c.Pad, c.Cout
	oh, ow := s.OutH(), s.OutW()
	plane := s.H * s.W
	divPlane, divW := newDivider(plane, s.Cin*plane), newDivider(s.W, plane)
	clear(hwc)
	for _, e := range idx {
		i := int(e)
		v := xn[i]
		ci := divPlane.div(i)
		i -= ci * plane
		h := divW.div(i)
		w := i - h*s.W
		owLo := w + p - (k - 1)
		a, b := max(owLo, 0), min(w+p, ow-1)
		if a > b {
			continue
		}
		khLo, khHi := max(0, h+p-oh+1), min(k-1, h+p)
		if khLo > khHi {
			continue
		}
		o := h + p - khLo
		axpyRows(v, c.wrev, ((ci*k+khLo)*k+(a-owLo))*cout, k*cout,
			hwc, (o*ow+a)*cout, -ow*cout, (b-a+1)*cout, khHi-khLo+1)
	}
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
	fz.y.Shape = append(fz.y.Shape[:0], x.Shape[0], x.Shape[1], x.Shape[2], h/2, w/2)
	fz.y.Data = growF32(fz.y.Data, planes*h*w/4)
	per := max(1, 16384/(h*w)) // planes per task
	tasks := (planes + per - 1) / per
	nw := min(s.env.WS.Workers(), tasks)
	counts := make([]int64, nw)
	var next atomic.Int64
	var wg sync.WaitGroup
	for wk := range nw {
		work := func() {
			var c int64
			for {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					break
				}
				lo, hi := t*per, min((t+1)*per, planes)
				c += maxPool2x2(x.Data[lo*h*w:hi*h*w], fz.y.Data[lo*h*w/4:hi*h*w/4], (hi-lo)*h/2, w)
			}
			counts[wk] = c
		}
		if wk == nw-1 {
			work()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); work() }()
	}
	wg.Wait()
	var spikes int64
	for _, c := range counts {
		spikes += c
	}
	st.spikes = spikes
	st.cur = nil
	st.out = &fz.y
	fz.last = true
	return true
}
