// A segment's backward pass: stage by stage in reverse graph order, the
// gradients of populations read by several stages accumulated (gradAcc).

package train

import "github.com/autosnn/autosnn/search/engine/nn"

// gradAcc accumulates the gradient of one population's output: t, plus
// pend when that is not nil.
type gradAcc struct {
	t    nn.Tensor
	pend *nn.Tensor // the last contribution, not yet added to t
	set  bool
}

// add accumulates src into the gradient. The contributions are aliased,
// not copied: each is an input gradient returned by a layer (or the
// gradient a stage received), which nothing reads after the stage that
// produced it has finished its backward pass, so later contributions may
// be added into the first in place. Stages run their backward passes one
// at a time in reverse graph order, and every read of a stage's incoming
// gradient happens inside its own backward pass. The last contribution is
// kept apart (pend) so that the neurons or max-pool that read the gradient
// can add it as they go (their BackwardSum) instead of a separate pass
// over memory; the sums are the same, ((c1 + c2) + c3) ..., bit for bit.
func (g *gradAcc) add(src *nn.Tensor, w *nn.Workers) {
	switch {
	case !g.set:
		g.t = nn.Tensor{Shape: src.Shape, Data: src.Data}
		g.set = true
	case g.pend != nil:
		w.Add(g.t.Data, g.t.Data, g.pend.Data)
		g.pend = src
	default:
		g.pend = src
	}
}

// sum adds the pending contribution into t and returns the gradient.
func (g *gradAcc) sum(w *nn.Workers) *nn.Tensor {
	if g.pend != nil {
		w.Add(g.t.Data, g.t.Data, g.pend.Data)
		g.pend = nil
	}
	return &g.t
}

// backward propagates dy (the gradient of the last stage's output) through
// the segment and returns the gradient of the entry's output (nil when the
// entry is the network input).
func (s *segment) backward(dy *nn.Tensor) (*nn.Tensor, error) {
	for _, st := range s.stages {
		st.grad.set, st.grad.pend = false, nil
	}
	s.entryGrad.set, s.entryGrad.pend = false, nil
	s.stages[len(s.stages)-1].grad.add(dy, s.env.Workers)
	for i := len(s.stages) - 1; i >= 0; i-- {
		if err := s.backwardStage(s.stages[i]); err != nil {
			return nil, err
		}
	}
	if s.entry == s.g.Pops[0] {
		return nil, nil
	}
	if !s.entryGrad.set {
		s.zero.Shape = append(s.zero.Shape[:0], s.entryOut.Shape...)
		s.zero.Data = grow(s.zero.Data, len(s.entryOut.Data))
		clear(s.zero.Data)
		return &s.zero, nil
	}
	return s.entryGrad.sum(s.env.Workers), nil
}

func (s *segment) backwardStage(st *stage) error {
	if !st.grad.set {
		return nil // nothing downstream depends on this population
	}
	if done, err := s.backwardStageSteps(st); done || err != nil {
		return err
	}
	d, pend := &st.grad.t, st.grad.pend
	var err error
	switch {
	case st.neuron != nil:
		d, err = st.neuron.BackwardSum(d, pend)
		pend = nil
	case st.relu != nil:
		d, err = st.relu.Backward(st.grad.sum(s.env.Workers))
		pend = nil
	}
	if err != nil {
		return err
	}
	if pend != nil && st.relayMaxPool() == nil {
		d, pend = st.grad.sum(s.env.Workers), nil
	}
	for _, m := range st.dynamic {
		var dx *nn.Tensor
		var err error
		if pend != nil {
			dx, err = m.maxp.BackwardSum(d, pend)
		} else {
			dx, err = m.backward(d)
		}
		if err != nil {
			return err
		}
		if dx != nil && m.e.Src != s.g.Pops[0] {
			s.gradOf(m.e.Src).add(dx, s.env.Workers)
		}
	}
	if len(st.static) > 0 {
		d1, err := st.repeat.Backward(d)
		if err != nil {
			return err
		}
		for _, m := range st.static {
			if _, err := m.backward(d1); err != nil {
				return err
			}
		}
	}
	return nil
}

// backwardStageSteps runs the backward pass of a stage of spiking neurons
// fed by one spike convolution and its deferred batch-norm stepGroup
// timesteps at a time, from the last: the neurons' steps
// (Neuron.BackwardStep) and the batch-norm's map of each
// (BackwardMapStep), then the convolution's gradients of those steps'
// images (spikeConv.fusedRun), while the neurons' input gradient of those
// steps is still in cache, instead of writing all T steps of it to memory
// and reading them back. The results are the layer-by-layer pass's, bit
// for bit. It reports whether it ran (Env.NoStepBackward, or another kind
// of stage: false).
func (s *segment) backwardStageSteps(st *stage) (bool, error) {
	n := st.neuron
	if s.env.NoStepBackward || n == nil || n.In == nil || len(st.dynamic) != 1 || len(st.static) != 0 {
		return false, nil
	}
	m := st.dynamic[0]
	sc := m.spikeConvBN()
	if sc == nil || m.bn != n.In {
		return false, nil
	}
	steps, batch := st.grad.t.Shape[0], st.grad.t.Shape[1]
	if !sc.canFuse() || batch%filterChunk != 0 {
		return false, nil
	}
	dz, err := n.BackwardBeginSum(&st.grad.t, st.grad.pend)
	if err != nil {
		return true, err
	}
	if err := m.bn.BackwardMapBegin(dz); err != nil {
		return true, err
	}
	f := sc.fusedBegin(dz.Data, m.bn)
	s.stepRuns++
	for hi := steps - 1; hi >= 0; hi -= stepGroup {
		lo := max(0, hi-stepGroup+1)
		for t := hi; t >= lo; t-- {
			n.BackwardStep(t)
			m.bn.BackwardMapStep(t)
		}
		sc.fusedRun(f, lo*batch, (hi+1)*batch)
	}
	if _, err := n.BackwardEnd(); err != nil {
		return true, err
	}
	m.bn.BackwardMapEnd()
	sc.fusedEnd(f)
	// canFuse excludes NoInputGrad, which is set exactly for projections
	// from the input (g.Pops[0]), so the source takes a gradient.
	s.gradOf(m.e.Src).add(&sc.dx, s.env.Workers)
	return true, nil
}

// relayMaxPool returns the max-pool of a relay stage that is one max-pool
// projection and nothing else (its backward can add a pending gradient
// contribution itself, MaxPool2d.BackwardSum), else nil.
func (st *stage) relayMaxPool() *nn.MaxPool2d {
	if st.neuron != nil || st.relu != nil || len(st.static) != 0 || len(st.dynamic) != 1 || len(st.dynamic[0].layers) != 1 {
		return nil
	}
	return st.dynamic[0].maxp
}

// stepGroup is the number of timesteps backwardStageSteps takes at a time
// (enough images for the workers to balance the convolution's tasks).
const stepGroup = 2
