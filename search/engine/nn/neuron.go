package nn

import (
	"fmt"
	"math"
)

// NeuronKind selects the membrane dynamics of a Neuron.
type NeuronKind int

const (
	// PLIF is the parametric LIF neuron: H = V + k(X - V), k = sigmoid(w),
	// with one learnable w per layer (w0 = -ln(tau0 - 1), 0 for tau0 = 2).
	PLIF NeuronKind = iota
	// LIF has a fixed time constant: H = V + (X - V)/tau.
	LIF
	// IF integrates without leak: H = V + X.
	IF
)

func (k NeuronKind) String() string {
	switch k {
	case PLIF:
		return "PLIF"
	case LIF:
		return "LIF"
	case IF:
		return "IF"
	}
	return fmt.Sprintf("NeuronKind(%d)", int(k))
}

// Neuron is a layer of spiking neurons with a fused multi-step forward and a
// fused BPTT backward over all T steps of its input [T, ...].
//
// For each neuron, with V[-1] = 0, V_th = 1 and V_reset = 0:
//
//	H[t] = V[t-1] + k (X[t] - V[t-1])      (IF: H[t] = V[t-1] + X[t])
//	S[t] = 1 if H[t] >= V_th else 0
//	V[t] = H[t] (1 - S[t])                 (S detached: dV/dH = 1 - S)
//
// The step's gradient is the ATan surrogate dS/dH = (alpha/2) /
// (1 + (pi/2 alpha (H - V_th))^2), alpha = 2. For PLIF, dL/dw =
// k(1-k) sum dL/dH[t] (X[t] - V[t-1]) over neurons and steps.
//
// SpikeRegBeta, when nonzero, adds the gradient of the spike-regularisation
// term beta * (spikes of this layer) / N (N = batch, dimension 1) to every
// output, i.e. beta/N per output element; see SpikeRegularizer for the value.
type Neuron struct {
	name  string
	Kind  NeuronKind
	Tau   float64 // LIF time constant (> 1); also PLIF's initial tau
	VTh   float32 // firing threshold, 1
	Alpha float32 // ATan surrogate sharpness, 2
	W     *Param  // PLIF only: the scalar w named Name()+".w"

	// SpikeRegBeta is the coefficient beta of the spike regulariser (0: off).
	SpikeRegBeta float32

	// NoInputGrad makes Backward return nil instead of dL/dx (dL/dw is
	// still accumulated).
	NoInputGrad bool

	// smooth replaces the Heaviside output by the ATan antiderivative
	// atan(pi/2 alpha (H - V_th))/pi + 1/2 (the reset still uses the step).
	// Only the finite-difference tests use it: the backward is then the exact
	// gradient of the forward.
	smooth bool

	// Workers splits the neurons across goroutines (nil: serial).
	Workers *Workers

	// Events, when set, receives the positions of the spikes of every
	// training-mode Forward (see EventList).
	Events *EventList

	// In, when set to a BatchNorm with Defer, makes the input of Forward
	// that layer's input (what Forward returned) and the neuron applies its
	// affine map on the fly, chunk by chunk in cache, in Forward and in
	// Backward (which needs the normalised values for dL/dk).
	In *BatchNorm

	eval   bool // evaluation mode: H is not saved, Backward is refused
	saved  bool // the last Forward saved H for Backward
	x      *Tensor
	dy     *Tensor   // during Backward only
	dy2    *Tensor   // during Backward only: nil, or a second output gradient added to dy
	h      []float32 // [T*len] saved membrane potentials H
	v, dv  []float32 // per-neuron state (forward) and dL/dV (backward)
	y, dx  Tensor
	spikes int64
	counts []int64   // spikes per chunk
	dks    []float64 // dL/dk per chunk
	zeros  []float32 // read-only zeros standing for H[-1]
	job    neuronJob
	fwd    neuronFwd
	bwd    neuronBwd
	bnSums bool // this Backward records In's block sums
	// bwdSteps are the steps [0] down to [1] the backward job runs.
	bwdSteps [2]int
}

// NewNeuron returns a neuron layer of the given kind. tau is the (initial)
// time constant for PLIF and LIF and must be > 1; it is ignored for IF. It
// panics on an invalid kind or tau.
func NewNeuron(name string, kind NeuronKind, tau float64) *Neuron {
	if kind < PLIF || kind > IF || (kind != IF && !(tau > 1)) {
		panic(fmt.Sprintf("nn: NewNeuron %s: invalid kind %v or tau %v", name, kind, tau))
	}
	n := &Neuron{name: name, Kind: kind, Tau: tau, VTh: 1, Alpha: 2}
	n.fwd.j, n.bwd.j = &n.job, &n.job
	if kind == PLIF {
		n.W = newParam(name+".w", true, 1)
		n.W.Data[0] = float32(-math.Log(tau - 1))
	}
	return n
}

// NewPLIF returns the AutoSNN neuron: PLIF with tau0 = 2 (w = 0).
func NewPLIF(name string) *Neuron { return NewNeuron(name, PLIF, 2) }

// Name implements Layer.
func (n *Neuron) Name() string { return n.name }

// Params implements Layer.
func (n *Neuron) Params() []*Param {
	if n.W == nil {
		return nil
	}
	return []*Param{n.W}
}

// SetTraining implements Layer. The dynamics are the same in both modes; in
// evaluation Forward does not save the membrane potentials, so Backward
// after an evaluation Forward returns an error.
func (n *Neuron) SetTraining(training bool) { n.eval = !training }

// Spikes implements SpikeCounter.
func (n *Neuron) Spikes() int64 { return n.spikes }

// Positions implements SpikeCounter.
func (n *Neuron) Positions() int64 { return int64(len(n.y.Data)) }

// K returns the leak factor k = 1/tau in use: sigmoid(w) for PLIF, 1/Tau for
// LIF and 1 for IF (where H = V + X is not of the k form).
func (n *Neuron) K() float32 {
	switch n.Kind {
	case PLIF:
		return float32(1 / (1 + math.Exp(-float64(n.W.Data[0]))))
	case LIF:
		return float32(1 / n.Tau)
	}
	return 1
}

// Forward implements Layer.
func (n *Neuron) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) < 2 || len(x.Data) != x.Len() || x.Len() == 0 {
		return nil, shapeError(n.name, "input", x.Shape, "[T N ...] with data")
	}
	steps := x.Shape[0]
	size := len(x.Data) / steps
	if n.In != nil && n.In.Defer && (n.In.x != x || len(n.In.afc) < steps*n.In.C) {
		return nil, fmt.Errorf("nn: %s: input is not the last input of the deferred batch-norm %s", n.name, n.In.name)
	}
	n.y.resize(x.Shape...)
	if n.eval && !n.smooth {
		n.h = growF32(n.h, size) // scratch for one step
	} else {
		n.h = growF32(n.h, len(x.Data))
	}
	n.v = growF32(n.v, size)
	chunks := numChunks(size)
	n.counts = growI64(n.counts, chunks)
	n.x = x
	n.saved = !n.eval || n.smooth
	n.job = neuronJob{n: n, steps: steps, size: size, k: n.K(), save: n.saved, ev: n.Events.begin(x, n.eval || n.smooth)}
	n.Workers.run(chunks, &n.fwd)
	n.job.ev.end(n.y.Data)
	var count int64
	for _, c := range n.counts {
		count += c
	}
	n.spikes = count
	return &n.y, nil
}

// neuronJob holds the arguments of one fused pass; neuronFwd and neuronBwd
// run it over chunks of neurons.
type neuronJob struct {
	n           *Neuron
	steps, size int
	k           float32
	save        bool       // write H[t] to n.h (training)
	ev          *EventList // fill the event list (training, image units fit the chunks)
}

type neuronFwd struct{ j *neuronJob }
type neuronBwd struct{ j *neuronJob }

func (f *neuronFwd) run(c int) {
	j := f.j
	n := j.n
	lo, hi := c*chunk, min((c+1)*chunk, j.size)
	v := n.v[lo:hi]
	clear(v)
	k, vth := j.k, n.VTh
	isIF := n.Kind == IF
	var count int64
	var zbuf [chunk]float32 // normalised input of one step (deferred batch-norm)
	aff := n.deferred()
	// Saved membrane potentials bypass the caches; the evaluation scratch
	// and the smooth mode's (read back at once) do not.
	nt := j.save && !n.smooth
	for t := range j.steps {
		off := t*j.size + lo
		m := len(v)
		xs := n.x.Data[off : off+m]
		hs := n.h[lo : lo+m] // evaluation: one step's worth of scratch, reused
		if j.save {
			hs = n.h[off : off+m]
		}
		ys := n.y.Data[off : off+m]
		recorded := false
		switch {
		case aff != nil && !isIF && aff.fusable(m):
			// Normalise inside the LIF kernel, channel run by channel run,
			// and list the spikes there too when the runs fit the event
			// list's units.
			ev := j.ev
			if ev != nil && ev.Unit%aff.inner != 0 {
				ev = nil
			}
			for i := 0; i < m; {
				run, c, sc, sh := aff.run(t, lo+i, m-i)
				if ev == nil {
					count += lifFwdAffAVX2(&xs[i], &hs[i], &ys[i], &v[i], run, k, vth, c, sc, sh, nt)
				} else {
					start := off + i
					u := start / ev.Unit
					if start%ev.Unit == 0 {
						ev.Counts[u] = 0
					}
					pos := u*ev.Unit + ev.Counts[u]
					_ = ev.Idx[pos+run-1]
					nsp := lifFwdAffIdxAVX2(&xs[i], &hs[i], &ys[i], &v[i], run, k, vth, c, sc, sh, &ev.Idx[pos], int32(start%ev.Img), nt)
					ev.Counts[u] += int(nsp)
					count += nsp
				}
				i += run
			}
			if ev != nil {
				recorded = true
			}
		case aff != nil:
			aff.affineRun(t, lo, xs, zbuf[:m])
			xs = zbuf[:m]
			fallthrough
		default:
			switch ev := j.ev; {
			case isIF:
				count += ifForwardStep(xs, hs, ys, v, vth)
			case ev != nil && hasAVX2 && ev.Unit%8 == 0 && off%ev.Unit == 0 && m%ev.Unit == 0:
				// List the spikes inside the kernel, unit by unit.
				for i := 0; i < m; i += ev.Unit {
					start := off + i
					u := start / ev.Unit
					_ = ev.Idx[u*ev.Unit+ev.Unit-1]
					nsp := lifFwdIdxAVX2(&xs[i], &hs[i], &ys[i], &v[i], ev.Unit, k, vth, &ev.Idx[u*ev.Unit], int32(start%ev.Img), nt)
					ev.Counts[u] = int(nsp)
					count += nsp
				}
				recorded = true
			default:
				count += lifForwardStep(xs, hs, ys, v, k, vth, nt)
			}
		}
		if j.ev != nil && !recorded {
			j.ev.record(off, ys)
		}
		if n.smooth {
			a := float64(n.Alpha) * math.Pi / 2
			for i, h := range hs {
				ys[i] = float32(math.Atan(a*float64(h-vth))/math.Pi + 0.5)
			}
		}
	}
	n.counts[c] = count
}

// deferred returns the batch-norm whose affine map the input still needs
// (see In), or nil.
func (n *Neuron) deferred() *BatchNorm {
	if n.In != nil && n.In.Defer {
		return n.In
	}
	return nil
}

// lifForwardStep advances a run of leaky neurons by one step: it charges
// H = V + (X - V) k, fires, resets V in place, saves H and returns the
// number of spikes. All slices have the length of xs.
func lifForwardStep(xs, hs, ys, v []float32, k, vth float32, nt bool) int64 {
	var count int64
	if m := len(xs) &^ 7; hasAVX2 && m > 0 {
		_, _, _ = hs[m-1], ys[m-1], v[m-1]
		count = lifFwdAVX2(&xs[0], &hs[0], &ys[0], &v[0], m, k, vth, nt)
		xs, hs, ys, v = xs[m:], hs[m:], ys[m:], v[m:]
	}
	return count + lifForwardStepGo(xs, hs, ys, v, k, vth)
}

// lifForwardStepGo is the portable loop of lifForwardStep.
func lifForwardStepGo(xs, hs, ys, v []float32, k, vth float32) int64 {
	hs = hs[:len(xs)]
	ys = ys[:len(xs)]
	v = v[:len(xs)]
	var count int64
	for i, xi := range xs {
		vi := v[i]
		h := vi + (xi-vi)*k
		hs[i] = h
		if h >= vth {
			ys[i] = 1
			v[i] = 0
			count++
		} else {
			ys[i] = 0
			v[i] = h
		}
	}
	return count
}

// ifForwardStep is lifForwardStep for IF neurons (H = V + X).
func ifForwardStep(xs, hs, ys, v []float32, vth float32) int64 {
	hs = hs[:len(xs)]
	ys = ys[:len(xs)]
	v = v[:len(xs)]
	var count int64
	for i, xi := range xs {
		h := v[i] + xi
		hs[i] = h
		if h >= vth {
			ys[i] = 1
			v[i] = 0
			count++
		} else {
			ys[i] = 0
			v[i] = h
		}
	}
	return count
}

// Backward implements Layer with one fused reverse pass over T.
func (n *Neuron) Backward(dy *Tensor) (*Tensor, error) {
	return n.BackwardSum(dy, nil)
}

// BackwardSum is Backward for the output gradient dy + dy2 (dy2 nil: dy),
// two tensors of the output's shape that the reverse pass adds as it
// reads them, chunk by chunk, instead of a separate pass writing the sum
// to memory first; the result is bit for bit that of Backward on the sum
// (dy[i] + dy2[i], in that order).
func (n *Neuron) BackwardSum(dy, dy2 *Tensor) (*Tensor, error) {
	if _, err := n.BackwardBeginSum(dy, dy2); err != nil {
		return nil, err
	}
	n.bwdSteps = [2]int{n.job.steps - 1, 0}
	n.Workers.run(numChunks(n.job.size), &n.bwd)
	return n.BackwardEnd()
}

// BackwardBegin starts a backward pass taken step by step:
// BackwardStep(t) for t = T-1 down to 0, then BackwardEnd. It returns the
// input gradient tensor, whose step t (and, for a deferred batch-norm, that
// step's block sums) is complete when BackwardStep(t) returns, so a
// consumer can use step t while it is in cache; the results are
// Backward's, bit for bit.
func (n *Neuron) BackwardBegin(dy *Tensor) (*Tensor, error) {
	return n.BackwardBeginSum(dy, nil)
}

// BackwardBeginSum is BackwardBegin for the output gradient dy + dy2 (see
// BackwardSum).
func (n *Neuron) BackwardBeginSum(dy, dy2 *Tensor) (*Tensor, error) {
	if n.x == nil {
		return nil, errNoForward(n.name)
	}
	if !n.saved {
		return nil, fmt.Errorf("nn: %s: Backward after a Forward in evaluation mode", n.name)
	}
	if !sameShape(dy.Shape, n.y.Shape) || len(dy.Data) != len(n.y.Data) {
		return nil, shapeError(n.name, "output gradient", dy.Shape, fmt.Sprint(n.y.Shape))
	}
	if dy2 != nil && (!sameShape(dy2.Shape, n.y.Shape) || len(dy2.Data) != len(n.y.Data)) {
		return nil, shapeError(n.name, "second output gradient", dy2.Shape, fmt.Sprint(n.y.Shape))
	}
	n.dx.resize(n.x.Shape...) // computed even with NoInputGrad: keeps the loop branch-free
	size := n.job.size
	if len(n.zeros) < min(size, chunk) {
		n.zeros = make([]float32, min(size, chunk))
	}
	chunks := numChunks(size)
	n.dv = growF32(n.dv, size)
	n.dks = growF64(n.dks, chunks)
	n.dy, n.dy2 = dy, dy2
	n.bnSums = false
	if aff := n.deferred(); aff != nil {
		n.bnSums = aff.blockSums(n.job.steps, size)
	}
	if n.bnSums {
		n.In.blkFor = &n.dx.Data[0] // the sums belong to this gradient
	}
	return &n.dx, nil
}

// BackwardStep runs step t of a pass started by BackwardBegin (steps in
// decreasing order, each once).
func (n *Neuron) BackwardStep(t int) {
	n.bwdSteps = [2]int{t, t}
	n.Workers.run(numChunks(n.job.size), &n.bwd)
}

// BackwardEnd finishes a pass started by BackwardBegin and returns the
// input gradient (nil with NoInputGrad).
func (n *Neuron) BackwardEnd() (*Tensor, error) {
	n.dy, n.dy2 = nil, nil
	if n.Kind == PLIF {
		var dk float64
		for _, d := range n.dks {
			dk += d
		}
		k := float64(n.job.k)
		n.W.Grad[0] += float32(dk * k * (1 - k))
	}
	if n.NoInputGrad {
		return nil, nil
	}
	return &n.dx, nil
}

func (b *neuronBwd) run(c int) {
	j := b.j
	n := j.n
	lo, hi := c*chunk, min((c+1)*chunk, j.size)
	dv := n.dv[lo:hi]
	tHi, tLo := n.bwdSteps[0], n.bwdSteps[1]
	if tHi == j.steps-1 {
		clear(dv)
		n.dks[c] = 0
	}
	k, vth := j.k, n.VTh
	a := n.Alpha * math.Pi / 2
	half := n.Alpha / 2
	var reg float32
	if n.SpikeRegBeta != 0 {
		reg = n.SpikeRegBeta / float32(n.x.Shape[1])
	}
	dk := n.dks[c]          // the sum of the steps after tHi
	var zbuf [chunk]float32 // normalised input of one step (deferred batch-norm)
	var sbuf [chunk]float32 // output gradient of one step (BackwardSum)
	aff := n.deferred()
	for t := tHi; t >= tLo; t-- {
		off := t*j.size + lo
		m := len(dv)
		hs := n.h[off : off+m]
		ds := n.dy.Data[off : off+m]
		if n.dy2 != nil {
			add(ds, n.dy2.Data[off:off+m], sbuf[:m])
			ds = sbuf[:m]
		}
		xraw := n.x.Data[off : off+m]
		xs := xraw
		dxs := n.dx.Data[off : off+m]
		hprev := n.zeros[:m] // V[-1] = 0
		if t > 0 {
			hprev = n.h[off-j.size : off-j.size+m]
		}
		switch {
		case n.Kind == IF:
			ifBackwardStep(hs, ds, dv, dxs, vth, a, half, reg)
		case aff != nil && aff.fusable(m):
			// Normalise inside the LIF kernel, channel run by channel
			// run: the same sums as one lifBackwardStep over the chunk.
			r := aff.runs(t, lo)
			dk += float64(lifBwdAffAVX2(&hs[0], &ds[0], &xs[0], &hprev[0], &dv[0], &dxs[0], m, k, vth, a, half, reg, &r))
		default:
			if aff != nil {
				aff.affineRun(t, lo, xs, zbuf[:m])
				xs = zbuf[:m]
			}
			dk += float64(lifBackwardStep(hs, ds, xs, hprev, dv, dxs, k, vth, a, half, reg))
		}
		if n.bnSums {
			// The batch-norm's backward sums of these blocks, while
			// dxs and x are in cache.
			aff.recordBlocks(t, lo, dxs, xraw, j.size)
		}
	}
	n.dks[c] = dk
}

// lifBackwardStep is one reverse step of the leaky neuron for a run of
// neurons: it turns dL/dS[t] (ds) and dL/dV[t] (dv) into dL/dX[t] (dxs) and
// dL/dV[t-1] (dv, in place) and returns this step's sum dL/dH (X - V[t-1]).
// All slices have the length of hs.
func lifBackwardStep(hs, ds, xs, hprev, dv, dxs []float32, k, vth, a, half, reg float32) float32 {
	var dk float32
	if m := len(hs) &^ 7; hasAVX2 && m > 0 {
		_, _, _, _, _ = ds[m-1], xs[m-1], hprev[m-1], dv[m-1], dxs[m-1]
		dk = lifBwdAVX2(&hs[0], &ds[0], &xs[0], &hprev[0], &dv[0], &dxs[0], m, k, vth, a, half, reg)
		hs, ds, xs, hprev, dv, dxs = hs[m:], ds[m:], xs[m:], hprev[m:], dv[m:], dxs[m:]
	}
	return dk + lifBackwardStepGo(hs, ds, xs, hprev, dv, dxs, k, vth, a, half, reg)
}

// lifBackwardStepGo is the portable loop of lifBackwardStep.
func lifBackwardStepGo(hs, ds, xs, hprev, dv, dxs []float32, k, vth, a, half, reg float32) float32 {
	ds = ds[:len(hs)]
	xs = xs[:len(hs)]
	hprev = hprev[:len(hs)]
	dv = dv[:len(hs)]
	dxs = dxs[:len(hs)]
	var dk float32
	for i, h := range hs {
		u := h - vth
		z := a * u
		dh := (ds[i] + reg) * (half / (1 + z*z))
		if u < 0 { // no spike: V[t] = H[t] carries the future gradient
			dh += dv[i]
		}
		vp := hprev[i]
		if vp >= vth { // V[t-1] = H[t-1] (1 - S[t-1])
			vp = 0
		}
		dk += dh * (xs[i] - vp)
		dv[i] = dh * (1 - k)
		dxs[i] = dh * k
	}
	return dk
}

// ifBackwardStep is lifBackwardStep for IF neurons (H = V + X).
func ifBackwardStep(hs, ds, dv, dxs []float32, vth, a, half, reg float32) {
	ds = ds[:len(hs)]
	dv = dv[:len(hs)]
	dxs = dxs[:len(hs)]
	for i, h := range hs {
		u := h - vth
		z := a * u
		dh := (ds[i] + reg) * (half / (1 + z*z))
		if u < 0 {
			dh += dv[i]
		}
		dv[i] = dh
		dxs[i] = dh
	}
}

func growI64(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n)
	}
	return s[:n]
}

func growF32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
