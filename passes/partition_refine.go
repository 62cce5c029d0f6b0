package passes

// K-way refinement of the partition pass: sweeps over the fragments that
// move each to the neighbouring part with the best positive gain that keeps
// every limit, or swap it with a fragment of that part.

import (
	"slices"
	"sort"
)

// refine runs k-way refinement sweeps.
func (s *pstate) refine(passes int, res *Partition) {
	p := s.p
	fo := map[int32]int64{}
	fo2 := map[int32]int64{}
	cands := map[int32]float64{}
	const maxCands = 6
	for pass := 0; pass < passes; pass++ {
		improved := 0
		before := s.cost()
		for v := range p.Frags {
			vv := int32(v)
			from := s.part[vv]
			// Score neighbouring parts by the rate they share with v and
			// evaluate the exact gain of the best few only.
			clear(cands)
			for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
				for _, x := range s.netParts[n] {
					cands[x.q] += p.W[n]
				}
			}
			for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
				cands[s.part[p.Src[n]]] += p.W[n]
				for _, x := range s.netParts[n] {
					cands[x.q] += p.W[n] / float64(len(s.netParts[n]))
				}
			}
			delete(cands, from)
			type cg struct {
				q int32
				g float64
			}
			var gs []cg
			for q, w := range cands {
				gs = append(gs, cg{q, w})
			}
			slices.SortFunc(gs, func(a, b cg) int {
				if a.g != b.g {
					if a.g > b.g {
						return -1
					}
					return 1
				}
				return int(a.q - b.q)
			})
			if len(gs) > maxCands {
				gs = gs[:maxCands]
			}
			k := 0
			for _, c := range gs {
				if g := s.g(vv, c.q, fo); g > 1e-12 {
					gs[k] = cg{c.q, g}
					k++
				}
			}
			gs = gs[:k]
			sort.SliceStable(gs, func(a, b int) bool { return gs[a].g > gs[b].g })
			done := false
			for _, c := range gs {
				s.g(vv, c.q, fo)
				if s.feasible(vv, c.q, fo) {
					s.apply(vv, c.q, fo)
					res.Moves++
					improved++
					done = true
					break
				}
			}
			if done || len(gs) == 0 {
				continue
			}
			// Swap v with a fragment of the best target part.
			c := gs[0]
			tried := 0
			g1 := c.g
			for _, u := range slices.Clone(s.member[c.q]) {
				if tried >= 12 {
					break
				}
				// Cheap filters first: additive limits and the gain of u's
				// move in the current state (exact when u and v share no net).
				if !s.swapFits(vv, u, from, c.q) {
					continue
				}
				if g1+s.g(u, from, fo2) <= 1e-12 {
					continue
				}
				tried++
				s.g(vv, c.q, fo)
				s.apply(vv, c.q, fo)
				g2 := s.g(u, from, fo2)
				if g1+g2 > 1e-12 && s.feasible(u, from, fo2) {
					s.apply(u, from, fo2)
					if s.partOK(from) && s.partOK(c.q) && s.fanOutOK() {
						res.Swaps++
						improved++
						break
					}
					s.g(u, c.q, fo2)
					s.apply(u, c.q, fo2)
				}
				s.g(vv, from, fo)
				s.apply(vv, from, fo)
			}
		}
		if improved == 0 || before-s.cost() < 0.002*before {
			break
		}
	}
}
