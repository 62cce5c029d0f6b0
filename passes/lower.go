// This file implements the lower-ops pass.

package passes

import (
	"fmt"
	"slices"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// OR neurons: a max-pool over binary spikes is 1 exactly when some spike
// in its window is 1, so it becomes a SumPool (weight 1) into a memoryless
// LIF population with Tau 1 and threshold 1. With k = 1/Tau = 1 the charge
// equation gives H = X (the window's spike count), which fires when X >= 1
// and leaves V = 0 otherwise, so nothing carries over between timesteps.
var orNeuron = ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: 1, Reset: 0}

// lowerOpsPass rewrites the graph into operations a neuromorphic core
// implements and checks that every population is one:
//
//   - a Relay population fed by a MaxPool over a spiking population becomes
//     OR neurons (orNeuron) fed by a SumPool with the same window;
//   - a Relay fed by a SumPool or AvgPool (a NIR import's pooling node read
//     by an operator) is folded into the projections it feeds
//     (foldPoolRelays);
//   - AvgPool projections, global average pools included, stay weighted
//     projections (weight 1/K², quantized like any weight) into their
//     neuron populations;
//   - residual adds already are synapse merges (several projections into
//     one population), and there is no flatten: a dense projection reads
//     its source in C,H,W order;
//   - the voting layer stays on the host, which reads the output
//     population's spikes (ir.Result.Counter);
//   - a leaky population (PLIF: a LIF whose decay k = sigmoid(W) is fixed
//     after training; LIF with Tau > 1) runs as what the chip implements
//     (leakOn): on a chip with a multiplicative decay (lif or cuba_lif and
//     decay_bits > 0: Loihi's 12-bit decays, Loihi 2, SpiNNaker's
//     software neurons) it stays a LIF and quantize rounds k to the decay
//     bits; on a chip that only leaks linearly (TrueNorth, Speck) it
//     becomes an IF neuron with a constant leak (linearLeak), an
//     approximation whose effect lower-ops measures on the samples
//     (Report.Lower).
//
// A network that is not a spiking network (ReLU neurons, a relay that is
// not a max-pool over spikes) is an error naming the layer, as is a neuron
// model the target's cores do not implement.
func lowerOpsPass(u *Unit) error {
	g := u.G
	folds, err := foldPoolRelays(g)
	if err != nil {
		return err
	}
	ors := 0
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		switch m := p.Neuron.Model; {
		case m == ir.ReLU:
			return fmt.Errorf("layer %s: cannot compile ANN-mode network %s: ReLU neurons have no spiking form, want plif, lif or if neurons", p.Name, g.Name)
		case m == ir.Relay:
			in := g.In(p)
			e := in[0]
			if e.Op != ir.MaxPool {
				return fmt.Errorf("layer %s: relay fed by %v projection %s (an ANN-mode output?): cannot compile ANN-mode network %s, want relays only behind max-pools", p.Name, e.Op, e.Name, g.Name)
			}
			if !e.Src.Neuron.Model.Spiking() {
				return fmt.Errorf("layer %s: max-pool %s over %v population %s is not an OR of spikes, want a spiking source", p.Name, e.Name, e.Src.Neuron.Model, e.Src.Name)
			}
			e.Op = ir.SumPool
			p.Neuron = orNeuron
			ors++
		case m.Spiking():
		default:
			if err := chipReadout(g, p); err != nil {
				return err
			}
		}
		if err := supported(u.Target, p); err != nil {
			return err
		}
	}
	u.logf("lower-ops: %d max-pools became OR neurons, %d sum- or average-pools behind relays folded into the projections after them; voting stays on the host", ors, folds)
	if u.Target != nil && leakOn(u.Target) == leakLinear {
		return linearLeakPass(u)
	}
	return nil
}

// leakForm is how a chip runs a leaky (multiplicative-decay) neuron.
type leakForm int

const (
	// leakUnsupported: the chip has neither a decaying nor an IF neuron.
	leakUnsupported leakForm = iota
	// leakDecay: a LIF whose decay k is rounded to the chip's decay bits
	// (the quantize pass; ir/quant.go's leaky rule).
	leakDecay
	// leakLinear: an IF neuron with a constant leak (linearLeak).
	leakLinear
)

// leakOn returns how t runs leaky neurons: with a multiplicative decay
// when a core model has one (lif, cuba_lif with an instantaneous synaptic
// current) and the chip states decay bits, else with a linear leak when it
// has if or lif_linear neurons.
func leakOn(t *backends.Target) leakForm {
	models := t.Profile.Core.NeuronModels
	if t.Profile.Precision.DecayBits > 0 && (slices.Contains(models, backends.NeuronLIF) || slices.Contains(models, backends.NeuronCUBALIF)) {
		return leakDecay
	}
	if slices.Contains(models, backends.NeuronIF) || slices.Contains(models, backends.NeuronLIFLinear) {
		return leakLinear
	}
	return leakUnsupported
}

// leaky reports whether p's neuron decays multiplicatively (k < 1). OR
// neurons (LIF, Tau 1) are memoryless, not leaky.
func leaky(p *ir.Population) bool {
	m := p.Neuron.Model
	return m == ir.PLIF || (m == ir.LIF && p.Neuron.Tau != 1)
}

// ifModels are the core models that compute IF (a lif_linear neuron with
// leak 0, a lif or cuba_lif neuron with decay 0).
var ifModels = []string{backends.NeuronIF, backends.NeuronLIF, backends.NeuronCUBALIF, backends.NeuronLIFLinear}

// supported checks that the target's cores run p's neuron model: leaky
// neurons need leakOn(t) to be leakDecay or leakLinear; IF neurons and OR
// neurons (Tau 1: H = X, and X is a non-negative spike count, so V stays
// 0 without a spike as with IF) need one of ifModels.
func supported(t *backends.Target, p *ir.Population) error {
	if t == nil {
		return nil
	}
	switch p.Neuron.Model {
	case ir.CubaLIF:
		return cubaSupported(t, p)
	case ir.LI:
		return liSupported(t, p)
	}
	if leaky(p) {
		if leakOn(t) != leakUnsupported {
			return nil
		}
	} else if slices.ContainsFunc(ifModels, func(m string) bool { return slices.Contains(t.Profile.Core.NeuronModels, m) }) {
		return nil
	}
	models := t.Profile.Core.NeuronModels
	want := ifModels
	if leaky(p) {
		want = []string{backends.NeuronLIF + " or " + backends.NeuronCUBALIF + " with decay_bits > 0", backends.NeuronIF, backends.NeuronLIFLinear}
	}
	return fmt.Errorf("layer %s: %v neurons need one of the core models %v, but chip %s implements only %v; want another chip", p.Name, p.Neuron.Model, want, t.Profile.Name, models)
}

// acceptsNeurons reports whether t's cores run every neuron of g (the
// check lower-ops makes), so that fit hints name only chips that would
// take the network.
func acceptsNeurons(t *backends.Target, g *ir.Graph) bool {
	for i, p := range g.Pops {
		if i == 0 || p.Neuron.Model == ir.Relay {
			continue
		}
		if supported(t, p) != nil {
			return false
		}
	}
	return true
}
