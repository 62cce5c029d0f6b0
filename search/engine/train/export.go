package train

import (
	"fmt"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// cloneGraph returns a deep copy of g (through the IR's own serialisation,
// which is exact).
func cloneGraph(g *ir.Graph) (*ir.Graph, error) {
	doc, blob, err := ir.Encode(g)
	if err != nil {
		return nil, err
	}
	return ir.Decode(doc, blob)
}

// Export returns a new graph with the net's architecture and its current
// trained values: every Conv2D and Dense weight, every batch-norm's gamma,
// beta, running mean and running variance, and every PLIF W. It is the
// compiler's input and runs on ir.Executor.
func (n *Net) Export() (*ir.Graph, error) {
	g, err := cloneGraph(n.g)
	if err != nil {
		return nil, fmt.Errorf("train: export %s: %w", n.g.Name, err)
	}
	for _, st := range n.seg.stages {
		p := g.Pops[n.g.Index(st.pop)]
		if st.neuron != nil && p.Neuron.Model == ir.PLIF {
			p.Neuron.W = st.neuron.W.Data[0]
		}
		for _, m := range st.projs {
			e := g.Proj(m.e.Name)
			switch {
			case m.conv != nil:
				e.Weights = append([]float32(nil), m.conv.Weight.Data...)
			case m.lin != nil:
				e.Weights = append([]float32(nil), m.lin.Weight.Data...)
			}
			if m.bn != nil {
				e.BN = &ir.BatchNorm{Eps: float32(m.bn.Eps),
					Gamma: append([]float32(nil), m.bn.Weight.Data...),
					Beta:  append([]float32(nil), m.bn.Bias.Data...),
					Mean:  append([]float32(nil), m.bn.RunningMean.Data...),
					Var:   append([]float32(nil), m.bn.RunningVar.Data...)}
			}
		}
	}
	if err := ir.Verify(g); err != nil {
		return nil, fmt.Errorf("train: export %s: %w", n.g.Name, err)
	}
	return g, nil
}

// Load copies the trained values g holds (weights, batch-norm vectors, PLIF
// W, population biases) into the net. g must have the net's architecture;
// values g does not hold (an untrained projection or batch-norm) are left as
// they are.
func (n *Net) Load(g *ir.Graph) error {
	if d := frontend.ArchDiff(n.g, g); d != "" {
		return fmt.Errorf("train: load %s into net %s: different architecture (%s)", g.Name, n.g.Name, d)
	}
	for _, st := range n.seg.stages {
		p := g.Pops[n.g.Index(st.pop)]
		if st.neuron != nil && p.Neuron.Model == ir.PLIF {
			st.neuron.W.Data[0] = p.Neuron.W
		}
		if p.Bias != nil {
			st.bias = append(st.bias[:0], p.Bias...)
		}
		for _, m := range st.projs {
			e := g.Proj(m.e.Name)
			if e.Weights != nil {
				var dst []float32
				switch {
				case m.conv != nil:
					dst = m.conv.Weight.Data
				case m.lin != nil:
					dst = m.lin.Weight.Data
				}
				if len(dst) != len(e.Weights) {
					return fmt.Errorf("train: load %s: projection %s has %d weights, want %d", g.Name, e.Name, len(e.Weights), len(dst))
				}
				copy(dst, e.Weights)
			}
			if m.bn != nil && e.BN != nil && e.BN.Gamma != nil {
				bn := m.bn
				for _, v := range [][2][]float32{{bn.Weight.Data, e.BN.Gamma}, {bn.Bias.Data, e.BN.Beta}, {bn.RunningMean.Data, e.BN.Mean}, {bn.RunningVar.Data, e.BN.Var}} {
					if len(v[0]) != len(v[1]) {
						return fmt.Errorf("train: load %s: batch-norm of %s has %d channels, want %d", g.Name, e.Name, len(v[1]), len(v[0]))
					}
					copy(v[0], v[1])
				}
				if e.BN.Eps > 0 && float32(bn.Eps) != e.BN.Eps {
					bn.Eps = float64(e.BN.Eps)
				}
			}
		}
	}
	return nil
}
