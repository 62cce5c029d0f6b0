package passes

// Export of the partition pass's problem for external partitioners (METIS)
// and import of their answers, so that both can be placed and measured the
// same way.

import (
	"fmt"
	"math"
	"slices"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// MetisScale is the factor that turns rates (messages per timestep) into
// METIS's integer edge weights.
const MetisScale = 1000

// MetisGraph returns the graph model of p that graph partitioners such as
// METIS (used by SNEAP and nengo-loihi) take: vertices are fragments with
// two weights (neurons, synaptic memory in bytes); an edge joins a net's
// source fragment to each of its destination fragments with weight
// MetisScale x the net's rate summed over nets (at least 1). A graph edge
// cut counts every (source, destination fragment) pair, where the real
// cost counts (source neuron, destination core): the graph model cannot see
// multicast, which Partition's hypergraph model does.
func (p *Problem) MetisGraph() *backends.MetisGraph {
	n := len(p.Frags)
	w := make([]map[int]float64, n)
	for i := range w {
		w[i] = map[int]float64{}
	}
	for k := range p.Src {
		s := int(p.Src[k])
		for _, d := range p.Dests(k) {
			if int(d) == s {
				continue
			}
			w[s][int(d)] += p.W[k]
			w[d][s] += p.W[k]
		}
	}
	g := &backends.MetisGraph{VWeights: make([][]int64, n), Adj: make([][]int, n), EWeights: make([][]int64, n)}
	for v := 0; v < n; v++ {
		g.VWeights[v] = []int64{int64(p.Neurons[v]), p.Mem[v]}
		nb := make([]int, 0, len(w[v]))
		for u := range w[v] {
			nb = append(nb, u)
		}
		slices.Sort(nb)
		g.Adj[v] = nb
		g.EWeights[v] = make([]int64, len(nb))
		for k, u := range nb {
			g.EWeights[v][k] = max(1, int64(math.Round(w[v][u]*MetisScale)))
		}
	}
	return g
}

// MetisUBVec returns the per-constraint imbalance tolerances (METIS
// -ubvec) under which every part of a k-way METIS partition of p stays
// within the per-core limits lim: ub_r = limit_r * k / total_r.
func (p *Problem) MetisUBVec(lim Limits, k int) (neurons, mem float64) {
	var tn, tm float64
	for v := range p.Frags {
		tn += float64(p.Neurons[v])
		tm += float64(p.Mem[v])
	}
	neurons = float64(lim.Neurons) * float64(k) / tn
	mem = math.Inf(1)
	if tm > 0 {
		mem = float64(lim.MemBytes) * float64(k) / tm
	}
	return neurons, mem
}

// ImportPartition turns an external assignment of fragments to parts
// (0..k-1) into a Partition, dropping empty parts and keeping the
// partitioner's part order.
func (p *Problem) ImportPartition(part []int, k int) (*Partition, error) {
	if len(part) != len(p.Frags) {
		return nil, fmt.Errorf("partition has %d entries, want %d (one per fragment)", len(part), len(p.Frags))
	}
	re := make([]int32, k)
	for i := range re {
		re[i] = -1
	}
	used := int32(0)
	for _, q := range part {
		if q < 0 || q >= k {
			return nil, fmt.Errorf("part id %d, want 0..%d", q, k-1)
		}
		if re[q] < 0 {
			re[q] = 0
		}
	}
	for q := range re {
		if re[q] == 0 {
			re[q] = used
			used++
		}
	}
	out := &Partition{Part: make([]int32, len(part)), K: int(used)}
	for v, q := range part {
		out.Part[v] = re[q]
	}
	out.Cost = p.Cost(out.Part)
	out.InitialCost = out.Cost
	return out, nil
}

// CoreGraph returns the core-level traffic graph of the analysed mapping
// (messages per inference) for DOT output.
func CoreGraph(g *ir.Graph, t *backends.Target, a *Analysis) *backends.CoreGraph {
	cg := &backends.CoreGraph{Name: g.Name}
	for c := range a.Cores {
		u := &a.Cores[c]
		if u.Neurons == 0 {
			continue
		}
		cg.Nodes = append(cg.Nodes, backends.CoreNode{Core: c, Neurons: u.Neurons, Util: float64(u.Neurons) / float64(t.NeuronCapacity(c)), Layers: u.Pops})
	}
	T := float64(max(g.T, 1))
	for _, e := range Edges(a.Traffic) {
		cg.Edges = append(cg.Edges, backends.CoreEdge{From: int(e.A), To: int(e.B), Messages: e.W * T})
	}
	return cg
}

// RepairPartition returns a copy of pt (typically a METIS answer brought
// back by ImportPartition) moved within the additive and fan-in limits of
// lim, with at most maxParts parts: while a part is over a limit, the one
// move of one of its fragments, to an existing part with room or else to a
// new part, that loses the fewest messages is made. It is what a mapper
// built on a graph partitioner must do before its answer is a mapping.
// Fan-out (output axons) is kept where possible but relaxed when no move
// would otherwise be possible; like PartLimits, the result is checked for
// the additive and fan-in limits only. It returns an error if a fragment
// fits no part and no new part may be opened.
func (p *Problem) RepairPartition(pt *Partition, lim Limits, maxParts int) (*Partition, error) {
	s := stateOf(p, lim, &Partition{Part: pt.Part, K: pt.K}) // budgets: the limits
	fo := map[int32]int64{}
	moves := 0
	for q := int32(0); q < int32(s.nparts); q++ {
		for !s.partOK(q) {
			bestV, bestTo, bestG := int32(-1), int32(-1), math.Inf(-1)
			// scan keeps the best feasible move of a fragment of q to a
			// part in [lo, hi).
			scan := func(lo, hi int32) {
				for _, v := range s.member[q] {
					for to := lo; to < hi; to++ {
						if to == q {
							continue
						}
						if g := s.gain(v, to, fo); g > bestG && s.feasible(v, to, fo) {
							bestV, bestTo, bestG = v, to, g
						}
					}
				}
			}
			// withoutFanOut runs f with the fan-out limit relaxed.
			withoutFanOut := func(f func()) {
				fanOut := s.lim.FanOut
				s.lim.FanOut = 0
				f()
				s.lim.FanOut = fanOut
			}
			scan(0, int32(s.nparts))
			if bestV < 0 && s.lim.FanOut > 0 {
				// Parts already over the fan-out limit (which graph
				// partitioners cannot see) block every move that adds a
				// destination core to them: relax fan-out for this move.
				withoutFanOut(func() { scan(0, int32(s.nparts)) })
			}
			if bestV < 0 {
				if maxParts > 0 && s.nparts >= maxParts {
					return nil, fmt.Errorf("repair: part %d is over a limit and no fragment of it fits another part (%d parts, at most %d)", q, s.nparts, maxParts)
				}
				to := s.newPart()
				withoutFanOut(func() { scan(to, to+1) })
				if bestV < 0 {
					return nil, fmt.Errorf("repair: no fragment of part %d fits an empty part", q)
				}
			}
			s.gain(bestV, bestTo, fo)
			s.apply(bestV, bestTo, fo)
			moves++
		}
	}
	s.compact()
	out := &Partition{Part: s.part, K: s.nparts, Moves: moves, InitialCost: pt.Cost}
	out.Cost = p.Cost(out.Part)
	return out, nil
}
