package passes

// Mesh-aware refinement of the partition pass: once place has put the parts
// on cores, fragments move (or swap) between cores to lower the
// rate-weighted hop count of their messages directly, under the same
// per-core limits. Run by the place pass between two annealing rounds.

import (
	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// gainHop returns the decrease in sum(rate x hops) of moving v to part to,
// with the fan-out changes in fo as gain does.
func (s *pstate) gainHop(v, to int32, fo map[int32]int64) float64 {
	p := s.p
	from := s.part[v]
	var d float64
	clear(fo)
	for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
		if p.selfNet(n, v) {
			// Source and a destination move together: recompute the net.
			cB := s.count(n, to)
			var before, after float64
			for _, x := range s.netParts[n] {
				if x.q != from {
					before += s.hop(from, x.q)
				}
				c := x.c
				if x.q == from {
					c--
				}
				if c > 0 && x.q != to {
					after += s.hop(to, x.q)
				}
			}
			d += p.W[n] * (before - after)
			lb := int64(len(s.netParts[n]))
			la := lb
			if s.count(n, from) == 1 {
				la--
			}
			if cB == 0 {
				la++
			}
			fo[from] -= int64(p.NN[n]) * lb
			fo[to] += int64(p.NN[n]) * la
			continue
		}
		var before, after float64
		for _, x := range s.netParts[n] {
			if x.q != from {
				before += s.hop(from, x.q)
			}
			if x.q != to {
				after += s.hop(to, x.q)
			}
		}
		d += p.W[n] * (before - after)
		l := int64(len(s.netParts[n]))
		fo[from] -= int64(p.NN[n]) * l
		fo[to] += int64(p.NN[n]) * l
	}
	for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
		if p.Src[n] == v {
			continue // handled above
		}
		sp := s.part[p.Src[n]]
		cA, cB := s.count(n, from), s.count(n, to)
		var delta float64
		dl := 0
		if cA == 1 {
			dl--
			if from != sp {
				delta -= s.hop(sp, from)
			}
		}
		if cB == 0 {
			dl++
			if to != sp {
				delta += s.hop(sp, to)
			}
		}
		d -= p.W[n] * delta
		if dl != 0 {
			fo[sp] += int64(p.NN[n]) * int64(dl)
		}
	}
	return d
}

// hopCost returns sum over nets of rate x hops to every destination part.
func (s *pstate) hopCost() float64 {
	var c float64
	for n := range s.p.Src {
		sp := s.part[s.p.Src[n]]
		for _, x := range s.netParts[n] {
			if x.q != sp {
				c += s.p.W[n] * s.hop(sp, x.q)
			}
		}
	}
	return c
}

// RefineOnMesh improves partition pt of p, whose parts sit on cores
// core[] of t, by moving and swapping fragments between parts to lower
// sum(rate x weighted hops) under the limits lim and pt's budgets. Parts
// keep their cores; a part may become empty. It returns the new partition
// (parts renumbered densely) and the cores of its parts.
func RefineOnMesh(g *ir.Graph, p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, passes int) (*Partition, []int32) {
	m := newMesh(t)
	s := newPState(p, lim)
	for q := 0; q < pt.K; q++ {
		s.newPart()
	}
	s.budN, s.budM = pt.BudgetNeurons, pt.BudgetMem
	if s.budN == 0 {
		s.budN, s.budM = lim.Neurons, lim.MemBytes
	}
	fo := map[int32]int64{}
	for v := len(p.Frags) - 1; v >= 0; v-- {
		s.gain(int32(v), pt.Part[v], fo)
		s.apply(int32(v), pt.Part[v], fo)
	}
	s.hop = func(a, b int32) float64 {
		_, w := m.route(int(core[a]), int(core[b]), nil)
		return w
	}
	res := &Partition{K: pt.K, BudgetNeurons: s.budN, BudgetMem: s.budM, InitialCost: pt.InitialCost, Moves: pt.Moves, Swaps: pt.Swaps}
	s.refine(passes, res)
	// Renumber densely, keeping each surviving part's core.
	re := make([]int32, s.nparts)
	for i := range re {
		re[i] = -1
	}
	var newCore []int32
	for v := range s.part {
		if q := s.part[v]; re[q] < 0 {
			re[q] = int32(len(newCore))
			newCore = append(newCore, core[q])
		}
	}
	for v := range s.part {
		s.part[v] = re[s.part[v]]
	}
	res.Part, res.K = s.part, len(newCore)
	res.Cost = p.Cost(res.Part)
	return res, newCore
}
