package train

import (
	"github.com/autosnn/autosnn/search/engine/nn"
)

// spikePenalty is the spike regulariser of a training run, in one of two
// normalisations (Hyper.SpikeReg, Hyper.SpikeRegBeta; at most one is on):
//
//	paper (Table 10):  L_reg = lambda_reg / (K T) * sum_t sum_k phi_k[t]
//	per image:         L_reg = beta * S / N
//
// K is the number of spiking neurons of one image (every neuron layer's
// positions per image and step), T the timesteps, phi_k[t] neuron k's spike
// at step t, S the spikes of the whole batch and N the batch size; both are
// averaged over the batch, so the paper's form is lambda_reg times the mean
// firing rate (spikes per neuron per step, in [0, 1]) and takes the paper's
// values (1, 0.1, 0.01) as they are. The paper's form is the per-image form
// with beta = lambda_reg / (K T); K T is read from the net after its first
// forward (the neurons' output sizes), so it follows the input size.
type spikePenalty struct {
	rate float64 // lambda_reg of the paper's form (0: per-image form)
	beta float64 // beta of the per-image form, or lambda_reg / (K T) once known
	reg  nn.SpikeRegularizer
}

// newSpikePenalty returns the regulariser of h, or nil when it is off.
func newSpikePenalty(h Hyper) *spikePenalty {
	switch {
	case h.SpikeReg > 0:
		return &spikePenalty{rate: h.SpikeReg}
	case h.SpikeRegBeta > 0:
		return &spikePenalty{beta: h.SpikeRegBeta}
	}
	return nil
}

// neuronSteps returns K T: the neuron positions of one image over all steps
// of the last forward of a batch of n images.
func neuronSteps(neurons []*nn.Neuron, n int) float64 {
	var p int64
	for _, nr := range neurons {
		p += nr.Positions()
	}
	return float64(p) / float64(n)
}

// value sets the neurons' gradient coefficient for the backward pass of
// the last forward (a batch of n images) and returns the penalty's value.
func (p *spikePenalty) value(neurons []*nn.Neuron, n int) float64 {
	if p.rate > 0 {
		if kt := neuronSteps(neurons, n); kt > 0 {
			p.beta = p.rate / kt
		}
	}
	p.reg.Beta = p.beta
	p.reg.Apply(neurons)
	return p.reg.Value(neurons, n)
}
