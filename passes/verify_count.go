package passes

// This file holds the verify pass's shortcuts through the synapse walk:
// which target neurons of a projection read the same sources (so a core
// counts their fan-in once), the weights a core stores for one target
// neuron, and every source neuron's outgoing synapses counted per source
// position instead of per synapse.

import (
	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// sharedSourcePositions returns the number of source positions of e when
// target neurons at the same position read the same source neurons (the
// same set, in the same order): Conv2D reads every input channel of its
// window, so the position is the target's (row, column), H x W of them;
// Dense reads every source, one position. It returns 0 for the other
// operators, whose sources depend on the target's channel.
func sharedSourcePositions(e *ir.Projection) int {
	switch e.Op {
	case ir.Conv2D:
		return e.Dst.Shape.H * e.Dst.Shape.W
	case ir.Dense:
		return 1
	}
	return 0
}

// sourcePosition returns the position, in 0..sharedSourcePositions(e)-1,
// of target neuron dst (a C,H,W index into e.Dst) of a Conv2D or Dense
// projection.
func sourcePosition(e *ir.Projection, dst int) int {
	if e.Op == ir.Dense {
		return 0
	}
	return dst % (e.Dst.Shape.H * e.Dst.Shape.W)
}

// storedWeights returns the weights a core newly stores for the n
// synapses of e (projection index k) into one target neuron of output
// channel ch: n without weight sharing or for Dense; with sharing, a
// Conv2D kernel slice (C_in x K x K) the first time the core holds
// channel ch of e and a pool's or identity's one shared weight the first
// time it holds e, recorded in shared, else 0.
func storedWeights(sharing bool, e *ir.Projection, k, ch int, n int64, shared map[[2]int]bool) int64 {
	switch {
	case !sharing || e.Op == ir.Dense:
		return n
	case e.Op == ir.Conv2D:
		if key := [2]int{k, ch}; !shared[key] {
			shared[key] = true
			return int64(e.Src.Shape.C * e.Kernel * e.Kernel)
		}
	default:
		if key := [2]int{k, -1}; !shared[key] {
			shared[key] = true
			return 1
		}
	}
	return 0
}

// countOutSynapses adds to out[off[i]+j] the chip-side synapses leaving
// neuron j of population i that Analyze counts: those of the projections
// in ins (per target population, chip-side only) whose source population
// is mapped (one core entry per neuron) into target neurons on valid
// cores. A source's synapse count does not depend on its channel (a
// convolution or pool window depends on its row and column only, Dense
// and Identity on nothing), so it is walked for the first channel and
// repeated for the others; a target population with a neuron on an
// invalid core (a mapping error) is walked synapse by synapse.
func countOutSynapses(g *ir.Graph, t *backends.Target, ins [][]*ir.Projection, off []int, out []int64) {
	for i, p := range g.Pops {
		if i == 0 || len(p.Core) != p.Shape.Len() {
			continue
		}
		allValid := true
		for _, c := range p.Core {
			if !t.ValidCore(int(c)) {
				allValid = false
				break
			}
		}
		for _, e := range ins[i] {
			if len(e.Src.Core) != e.Src.Shape.Len() {
				continue
			}
			base := off[g.Index(e.Src)]
			if !allValid {
				for j := range e.Src.Shape.Len() {
					ir.SynapsesFrom(e, j, func(dst, _ int) {
						if t.ValidCore(int(p.Core[dst])) {
							out[base+j]++
						}
					})
				}
				continue
			}
			s := e.Src.Shape
			hw := s.H * s.W
			for j := range hw {
				var n int64
				ir.SynapsesFrom(e, j, func(int, int) { n++ })
				for ci := range s.C {
					out[base+ci*hw+j] += n
				}
			}
		}
	}
}
