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
//   - AvgPool projections, global average pools included, stay weighted
//     projections (weight 1/K², quantized like any weight) into their
//     neuron populations;
//   - residual adds already are synapse merges (several projections into
//     one population), and there is no flatten: a dense projection reads
//     its source in C,H,W order;
//   - the voting layer stays on the host, which reads the output
//     population's spikes (ir.Result.Counter).
//
// A network that is not a spiking network (ReLU neurons, a relay that is
// not a max-pool over spikes) is an error naming the layer, as is a neuron
// model the target's cores do not implement.
func lowerOpsPass(u *Unit) error {
	g := u.G
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
			return fmt.Errorf("layer %s: %v population cannot run on a chip", p.Name, m)
		}
		if err := supported(u.Target, p); err != nil {
			return err
		}
	}
	u.logf("lower-ops: %d max-pools became OR neurons; voting stays on the host", ors)
	return nil
}

// supported checks that the target's cores implement p's neuron model.
// PLIF and LIF need a multiplicative-leak neuron (lif, or cuba_lif with an
// instantaneous synaptic current); IF needs if, or either leaky model with
// no leak. OR neurons (Tau 1) reduce to H = X, which any of them computes.
func supported(t *backends.Target, p *ir.Population) error {
	if t == nil {
		return nil
	}
	models := t.Profile.Core.NeuronModels
	want := []string{backends.NeuronLIF, backends.NeuronCUBALIF}
	if p.Neuron.Model == ir.IF || (p.Neuron.Model == ir.LIF && p.Neuron.Tau == 1) {
		want = []string{backends.NeuronIF, backends.NeuronLIF, backends.NeuronCUBALIF}
	}
	for _, m := range want {
		if slices.Contains(models, m) {
			return nil
		}
	}
	return fmt.Errorf("layer %s: %v neurons need one of the core models %v, but chip %s implements only %v; want another chip", p.Name, p.Neuron.Model, want, t.Profile.Name, models)
}
