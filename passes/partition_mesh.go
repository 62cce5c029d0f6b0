package passes

// Mesh-aware refinement of the partition pass: once place has put the parts
// on cores, fragments move (or swap) between cores, unused cores included,
// to lower the rate-weighted hop count of their messages directly, under
// the same per-core limits: simulated annealing (AnnealOnMesh) finished by
// greedy sweeps (RefineOnMesh). Run by the place pass between two
// annealing rounds of the cores.

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/autosnn/autosnn/backends"
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
func RefineOnMesh(p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, passes int) (*Partition, []int32) {
	return refineOnMesh(newMesh(t), p, lim, pt, core, passes)
}

// refineOnMesh is RefineOnMesh on the mesh m of the target (its route
// cache reused by a caller that already has one).
func refineOnMesh(m *mesh, p *Problem, lim Limits, pt *Partition, core []int32, passes int) (*Partition, []int32) {
	s := stateOf(p, lim, pt)
	s.hop = hopFunc(m, core)
	res := &Partition{K: pt.K, BudgetNeurons: s.budN, BudgetMem: s.budM, InitialCost: pt.InitialCost, Moves: pt.Moves, Swaps: pt.Swaps}
	s.refine(passes, res)
	var newCore []int32
	res.Part, newCore = s.renumber(core)
	res.K = len(newCore)
	res.Cost = p.Cost(res.Part)
	return res, newCore
}

// stateOf returns the refinement state of partition pt of p under lim:
// pt's parts (and budgets, or the limits when pt has none) with every
// fragment applied.
func stateOf(p *Problem, lim Limits, pt *Partition) *pstate {
	s := newPState(p, lim)
	for range pt.K {
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
	return s
}

// renumber compacts s (parts numbered densely in order of first fragment,
// empty parts dropped) and returns its parts and the core of each, given
// the core of every part of s before.
func (s *pstate) renumber(core []int32) (part, newCore []int32) {
	re := s.compact()
	newCore = make([]int32, s.nparts)
	for q, r := range re {
		if r >= 0 {
			newCore[r] = core[q]
		}
	}
	return s.part, newCore
}

// partitionOf returns the state s as a partition that follows pt (its
// budgets, level count, move statistics and MaxCores kept), compacted as
// renumber does, and the core of each of its parts, given the core of
// every part of s before.
func (s *pstate) partitionOf(pt *Partition, core []int32) (*Partition, []int32) {
	out := &Partition{BudgetNeurons: s.budN, BudgetMem: s.budM, InitialCost: pt.InitialCost, Moves: pt.Moves, Swaps: pt.Swaps, MaxCores: pt.MaxCores, Levels: pt.Levels}
	var outCore []int32
	out.Part, outCore = s.renumber(core)
	out.K = len(outCore)
	out.Cost = s.p.Cost(out.Part)
	return out, outCore
}

// hopFunc returns the weighted hop count between parts a and b on cores
// core[a] and core[b] of m, from a table of every pair when there are at
// most 1024 parts.
func hopFunc(m *mesh, core []int32) func(a, b int32) float64 {
	np := len(core)
	if np > 1024 {
		return func(a, b int32) float64 { return m.weightedHops(int(core[a]), int(core[b])) }
	}
	hopTab := make([]float64, np*np)
	for a := range np {
		for b := range np {
			hopTab[a*np+b] = m.weightedHops(int(core[a]), int(core[b]))
		}
	}
	return func(a, b int32) float64 { return hopTab[int(a)*np+int(b)] }
}

// annealWork bounds the net scans of one AnnealOnMesh (a few seconds of
// CPU).
const annealWork = 2e9

// AnnealOnMesh improves partition pt of p, whose parts sit on cores core[]
// of t, by simulated annealing of single fragments over the whole mesh:
// a fragment moves to a part that holds one of its sources or
// destinations, or to any core near its own (unused cores included, as
// new parts), and the move is kept if it lowers sum(rate x weighted hops)
// or, with the Metropolis probability, if it raises it, as long as every
// per-core limit of lim and pt's budgets hold. The temperature falls
// geometrically from a quarter of the mean cost change of random moves to
// near zero over effort x 4,000 moves per fragment (at least 20,000, at
// most 2 M, and fewer on problems whose nets reach many parts), seeded by
// seed. Greedy refinement (RefineOnMesh) finishes the result, which is
// never worse than pt itself (if it is, pt refined alone is returned). It
// returns the new partition (parts renumbered densely) and the cores of
// its parts.
func AnnealOnMesh(p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, effort float64, seed uint64) (*Partition, []int32) {
	return annealOnMesh(p, t, lim, pt, core, effort, seed, nil)
}

// annealOnMesh is AnnealOnMesh; with chips not nil (partition-chips'
// ChipPlan.Chips) it opens free cores on those chips only and moves a
// fragment only to a part on the chip of its own part.
func annealOnMesh(p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, effort float64, seed uint64, chips []int) (*Partition, []int32) {
	m := newMesh(t)
	s := stateOf(p, lim, pt)
	fo, fo2 := map[int32]int64{}, map[int32]int64{}
	// Every unused core becomes an empty part, so fragments may spread.
	cores := slices.Clone(core)
	partAt := make([]int32, t.NumCores)
	for i := range partAt {
		partAt[i] = -1
	}
	for q, c := range cores {
		partAt[c] = int32(q)
	}
	// Part ids must stay below the fragment count (pstate numbers
	// unassigned fragments from there), so on a chip with more cores than
	// fragments only the free cores nearest the used ones are offered.
	var free []int32
	dist := make([]int, t.NumCores)
	for c := range partAt {
		if partAt[c] >= 0 || (chips != nil && !slices.Contains(chips, chipOfCore(t, c))) {
			continue
		}
		free = append(free, int32(c))
		dist[c] = math.MaxInt
		for _, u := range core {
			dist[c] = min(dist[c], abs(m.x[c]-m.x[u])+abs(m.y[c]-m.y[u]))
		}
	}
	slices.SortStableFunc(free, func(a, b int32) int { return dist[a] - dist[b] })
	offer := min(len(free), len(p.Frags)-pt.K)
	if pt.MaxCores > 0 {
		offer = min(offer, max(0, pt.MaxCores-pt.K))
	}
	for _, c := range free[:offer] {
		partAt[c] = s.newPart()
		cores = append(cores, c)
	}
	s.hop = hopFunc(m, cores)
	// A move's gain scans the destination parts of the fragment's nets:
	// bound the scans on large, dense problems.
	var scans float64
	for n := range p.Src {
		l := float64(len(s.netParts[n]))
		scans += l + 2*l*float64(len(p.Dests(n)))
	}
	perMove := 2 * scans / float64(len(p.Frags))
	moves := min(max(4000*len(p.Frags), 20000), 2000000, max(20000, int(annealWork/max(perMove, 1))))
	moves = max(1, int(float64(moves)*effort))
	rng := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	radius := max(m.w, m.h)
	// propose returns a target part for fragment v, or -1.
	propose := func(v int32, r int) int32 {
		from := s.part[v]
		if rng.IntN(2) == 0 {
			// A part that v talks to: a destination part of one of its
			// nets, or the source part of a net into it.
			ns := p.srcNets[p.srcStart[v]:p.srcStart[v+1]]
			nd := p.dstNets[p.dstStart[v]:p.dstStart[v+1]]
			if len(ns)+len(nd) == 0 {
				return -1
			}
			i := rng.IntN(len(ns) + len(nd))
			if i < len(nd) {
				return s.part[p.Src[nd[i]]]
			}
			l := s.netParts[ns[i-len(nd)]]
			if len(l) == 0 {
				return -1
			}
			return l[rng.IntN(len(l))].q
		}
		c := cores[from]
		x := m.x[c] + rng.IntN(2*r+1) - r
		y := m.y[c] + rng.IntN(2*r+1) - r
		cc, ok := t.CoreAt(x, y, rng.IntN(t.Profile.Mesh.CoresPerTile))
		if !ok {
			return -1
		}
		return partAt[cc]
	}
	// offChip reports whether part to is on another chip than v's part
	// when the chips are fixed.
	offChip := func(v, to int32) bool {
		return chips != nil && to >= 0 && chipOfCore(t, int(cores[to])) != chipOfCore(t, int(cores[s.part[v]]))
	}
	nf := int32(len(p.Frags))
	// Temperature from the spread of random move gains.
	var sum float64
	ns := 0
	for range 400 {
		v := rng.Int32N(nf)
		to := propose(v, radius)
		if to < 0 || to == s.part[v] || offChip(v, to) {
			continue
		}
		sum += math.Abs(s.gainHop(v, to, fo))
		ns++
	}
	temp := sum / float64(max(ns, 1)) / 4
	if temp == 0 {
		temp = 1
	}
	alpha := math.Pow(1e-4, 1/float64(max(moves, 1)))
	accept := func(d float64) bool { return d > 0 || rng.Float64() < math.Exp(d/temp) }
	for it := range moves {
		v := rng.Int32N(nf)
		r := max(1, int(float64(radius)*(1-float64(it)/float64(moves))))
		to := propose(v, r)
		temp *= alpha
		if to < 0 || to == s.part[v] || offChip(v, to) {
			continue
		}
		d := s.gainHop(v, to, fo)
		if s.feasible(v, to, fo) {
			if accept(d) {
				s.apply(v, to, fo)
			}
			continue
		}
		// The target is full: swap v with one of its fragments.
		mem := s.member[to]
		if len(mem) == 0 {
			continue
		}
		u := mem[rng.IntN(len(mem))]
		from := s.part[v]
		// Cheap filters first: the additive limits, and the Metropolis rule
		// on the swap's gain with u's move computed in the current state
		// (exact when u and v share no net); the rule is applied again to
		// the exact gain, so a losing swap passes both draws.
		if !s.swapFits(v, u, from, to) {
			continue
		}
		if !accept(d + s.gainHop(u, from, fo2)) {
			continue
		}
		s.apply(v, to, fo) // fo still holds v's move from d's gainHop
		d2 := s.gainHop(u, from, fo2)
		if accept(d+d2) && s.feasible(u, from, fo2) {
			s.apply(u, from, fo2)
			if s.partOK(from) && s.partOK(to) && s.fanOutOK() {
				continue
			}
			s.gainHop(u, to, fo2)
			s.apply(u, to, fo2)
		}
		s.gainHop(v, from, fo)
		s.apply(v, from, fo)
	}
	res := &Partition{BudgetNeurons: s.budN, BudgetMem: s.budM, InitialCost: pt.InitialCost, Moves: pt.Moves, Swaps: pt.Swaps}
	var newCore []int32
	res.Part, newCore = s.renumber(cores)
	res.K = len(newCore)
	out, outCore := refineOnMesh(m, p, lim, res, newCore, 4)
	if mappingHops(m, p, out.Part, outCore) > mappingHops(m, p, pt.Part, core) {
		// Annealing ended above its start (it may, rarely): keep the start.
		return refineOnMesh(m, p, lim, pt, core, 4)
	}
	return out, outCore
}

// weightedHops returns the weighted hop count of the route from core a to
// core b, from the route cache on meshes small enough for one.
func (m *mesh) weightedHops(a, b int) float64 {
	if m.t.NumTiles <= maxCachedTiles {
		_, w := m.cachedRoute(a, b)
		return w
	}
	_, w := m.route(a, b, nil)
	return w
}

// mappingHops returns sum(rate x weighted hops) per timestep of the
// assignment part of p's fragments to parts on cores core[].
func mappingHops(m *mesh, p *Problem, part []int32, core []int32) float64 {
	var c float64
	for _, e := range Edges(p.Traffic(part)) {
		c += e.W * m.weightedHops(int(core[e.A]), int(core[e.B]))
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
