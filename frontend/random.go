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
