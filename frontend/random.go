package frontend

import (
	"math"
	"math/rand/v2"

	"github.com/autosnn/autosnn/ir"
)

// RandomWeights gives g seeded stand-in trained parameters, for exercising
// the compiler and simulator without a training run: He-initialised
// weights scaled up by 2.2 so that every layer spikes, batch-norms with
// random running statistics (gamma in [0.6, 1.6), beta in [-0.1, 0.5),
// mean in [-0.3, 0.3), var in [0.4, 2)) and PLIF W in [-1, 1). The same seed
// gives the same parameters. It is not an initialisation for training
// (search/engine/train uses PyTorch's defaults for that).
func RandomWeights(g *ir.Graph, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	uni := func(lo, hi float64) float32 { return float32(lo + (hi-lo)*r.Float64()) }
	for _, e := range g.Projs {
		if e.Op.HasWeights() {
			fanIn := e.WeightLen() / e.Dst.Shape.C
			if e.Op == ir.Dense {
				fanIn = e.Src.Shape.Len()
			}
			std := 2.2 * math.Sqrt(2/float64(fanIn))
			e.Weights = make([]float32, e.WeightLen())
			for i := range e.Weights {
				e.Weights[i] = float32(r.NormFloat64() * std)
			}
		}
		if bn := e.BN; bn != nil {
			n := e.Dst.Shape.C
			if e.Op == ir.Dense {
				n = e.Dst.Shape.Len()
			}
			bn.Gamma, bn.Beta, bn.Mean, bn.Var = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for c := 0; c < n; c++ {
				bn.Gamma[c], bn.Beta[c], bn.Mean[c], bn.Var[c] = uni(0.6, 1.6), uni(-0.1, 0.5), uni(-0.3, 0.3), uni(0.4, 2)
			}
		}
	}
	for _, p := range g.Pops {
		if p.Neuron.Model == ir.PLIF {
			p.Neuron.W = uni(-1, 1)
		}
	}
}

// RandomInputs returns n seeded random inputs of g in the range a trained
// network of its encoding sees: a direct-encoded graph takes normalised
// images (zero mean and unit deviation per channel over the training set),
// so each value is uniform in [-1, 1); a frame-encoded graph takes event
// counts, T frames each, so each value is 0, 1 or 2 (0 with probability
// 2/3). The same seed gives the same inputs everywhere: compile profiling,
// simulation and the compiler's tests and benchmarks all draw from here.
func RandomInputs(g *ir.Graph, n int, seed uint64) [][]float32 {
	size := g.Input().Shape.Len()
	if g.Encoding == ir.Frames {
		size *= g.T
	}
	r := rand.New(rand.NewPCG(seed, 0xda7a))
	out := make([][]float32, n)
	for i := range out {
		x := make([]float32, size)
		for j := range x {
			if g.Encoding == ir.Frames {
				x[j] = float32(r.IntN(3) * r.IntN(2))
			} else {
				x[j] = float32(2*r.Float64() - 1)
			}
		}
		out[i] = x
	}
	return out
}
