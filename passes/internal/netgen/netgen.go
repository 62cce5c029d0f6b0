package netgen

import (
	"fmt"
	"math/rand/v2"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// Train gives g seeded random trained parameters (frontend.RandomWeights).
func Train(g *ir.Graph, seed uint64) { frontend.RandomWeights(g, seed) }

// Samples returns n seeded inputs for g (frontend.RandomInputs).
func Samples(g *ir.Graph, n int, seed uint64) [][]float32 {
	return frontend.RandomInputs(g, n, seed)
}

// Rates gives every non-input population of g seeded random spike rates
// in [0, maxRate) (spikes per neuron per timestep), standing in for the
// profile pass.
func Rates(g *ir.Graph, seed uint64, maxRate float64) {
	r := rand.New(rand.NewPCG(seed, 0x4a7e))
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		p.Rates = make([]float32, p.Shape.Len())
		for j := range p.Rates {
			p.Rates[j] = float32(maxRate * r.Float64())
		}
	}
}

// Graph returns a random small spiking network: a 1..3-channel input of
// side 4..8, a conv stem, 1..4 further layers drawn from conv (k 1/3/5,
// stride 1/2), OR-pooling (relay over max-pool), average pooling,
// residual conv blocks and dense, and a dense head. It is untrained; call
// Train for weights.
func Graph(seed uint64) (*ir.Graph, error) {
	r := rand.New(rand.NewPCG(seed, 0x9a7))
	classes := 2 + r.IntN(3)
	b := ir.NewBuilder(fmt.Sprintf("rand%d", seed), ir.Header{T: 2 + r.IntN(3), Classes: classes, Vote: 1})
	side := 4 + r.IntN(5)
	x := b.Input("x", ir.Shape{C: 1 + r.IntN(3), H: side, W: side})
	blk := ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1, Choice: "rand"}
	cur := b.Layer("stem", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 2+r.IntN(4), 3, 1))
	layers := 1 + r.IntN(4)
	for i := 0; i < layers; i++ {
		name := fmt.Sprintf("l%d", i+1)
		s := cur.Shape
		switch k := r.IntN(5); {
		case k == 0 && s.H >= 2:
			cur = b.Layer(name, ir.Neuron{Model: ir.Relay}, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.MaxPool, cur, 2))
		case k == 1 && s.H >= 2:
			cur = b.Layer(name, ir.Neuron{Model: ir.IF, Threshold: 0.5}, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.AvgPool, cur, 2))
		case k == 2:
			mid := b.Layer(name+"a", ir.DefaultPLIF(), blk, ir.ConvBN(cur, s.C, 3, 1))
			cur = b.Layer(name+"b", ir.DefaultPLIF(), blk, ir.ConvBN(mid, s.C, 3, 1), ir.Skip(cur))
		case k == 3 && s.H >= 3:
			kk := []int{1, 3, 5}[r.IntN(3)]
			stride := 1 + r.IntN(2)
			e := ir.Edge{Src: cur, Op: ir.Conv2D, Out: 2 + r.IntN(5), Kernel: kk, Stride: stride, Pad: kk / 2, BN: true}
			cur = b.Layer(name, ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, blk, e)
		default:
			cur = b.Layer(name, ir.DefaultPLIF(), blk, ir.ConvBN(cur, 2+r.IntN(5), 3, 1))
		}
	}
	b.Layer("head", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(cur, classes))
	return b.Graph()
}
