package train

import (
	"github.com/autosnn/autosnn/search/engine/nn"
)

// spikePenalty is the paper's spike regulariser (Table 10; Hyper.SpikeReg):
//
//	L_reg = lambda_reg / (K T) * sum_t sum_k phi_k[t]
//
// K is the number of spiking neurons of one image (every neuron layer's
// positions per image and step), T the timesteps and phi_k[t] neuron k's
// spike at step t, averaged over the batch: lambda_reg times the mean
// firing rate (spikes per neuron per step, in [0, 1]), so it takes the
// paper's values (1, 0.1, 0.01) as they are. It is the per-image penalty
// beta * S / N of nn.SpikeRegularizer (S the batch's spikes, N the batch
// size) with beta = lambda_reg / (K T); K T is read from the net after each
// forward (the neurons' output sizes), so it follows the input size.
type spikePenalty struct {
	rate float64 // lambda_reg
	reg  nn.SpikeRegularizer
}

// newSpikePenalty returns the regulariser of h, or nil when it is off.
func newSpikePenalty(h Hyper) *spikePenalty {
	if h.SpikeReg > 0 {
		return &spikePenalty{rate: h.SpikeReg}
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
	if kt := neuronSteps(neurons, n); kt > 0 {
		p.reg.Beta = p.rate / kt
	}
	p.reg.Apply(neurons)
	return p.reg.Value(neurons, n)
}
