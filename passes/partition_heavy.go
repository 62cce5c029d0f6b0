package passes

// Heavy-edge splitting of the place pass (SplitHeavyEdges), run on the
// chosen candidate after the link spreading: when two placed parts
// exchange more messages than any placement of whole parts can spread,
// the busiest link carries most of one part-to-part edge, and single
// fragment moves between full parts (SpreadLinks) are swaps that do not
// split it. This stage moves several fragments of one side of such an
// edge at once onto another core near it: a part with room to spare, or
// a free core (a new part) while the parts stay within a core budget.
//
// Each round takes the heaviest part-to-part edges whose routes cross the
// busiest link and, for each side and each of the nearest target cores,
// moves the side's fragments one at a time to the target (each time the
// fragment that leaves the lowest busiest link, then the fewest
// message-hops), remembering the best prefix of those moves. The best
// trial over all edges, sides and targets is kept if it lowers the busiest
// link by at least HeavyGain at a bounded rise of message-hops against the
// start (HeavyTrade). The core-count term: a split onto a free core must
// lower the busiest link by a further 1/K (K the parts in use, the
// relative cost of one more core), and a free core is offered only while
// the parts in use number fewer than a budget (the place pass passes the
// channels-last fill's cores, else the target's), so the stage never
// spreads wider than the simplest mapping.

import (
	"cmp"
	"slices"

	"github.com/autosnn/autosnn/backends"
)

// Defaults of SplitHeavyEdges (docs/compiler.md, "place").
const (
	// HeavyEdges is the number of heaviest part-to-part edges across the
	// busiest link tried per round.
	HeavyEdges = 3
	// HeavyTargets is the number of nearest target cores (free ones and
	// used ones with room, each) tried per side of an edge.
	HeavyTargets = 4
	// HeavyRounds bounds the splits kept.
	HeavyRounds = 8
	// HeavyGain is the fraction of the busiest link's load at the
	// round's start by which a split must lower it.
	HeavyGain = 0.10
	// HeavyTrade bounds the message-hops the result may add: at most
	// HeavyTrade times the fraction by which the busiest link falls
	// since the start.
	HeavyTrade = 2.0
	// heavyOpen bounds the free cores opened as new (possibly unused)
	// parts in one SplitHeavyEdges.
	heavyOpen = 64
)

// HeavySplit is the result of SplitHeavyEdges.
type HeavySplit struct {
	// Start and End measure the mapping before and after (End = Start
	// when no split was kept).
	Start, End Metrics
	// Splits counts the splits kept; NewCores the cores they added
	// (End's parts minus Start's).
	Splits, NewCores int
}

// heavyLoads is the link-load view of SplitHeavyEdges: the load of every
// link under the parts' cores and the message-hops (plain hops, as
// Measure counts them), kept up to date by the part-level traffic
// changes of each move.
type heavyLoads struct {
	m    *mesh
	core *[]int32
	load []float64
	hops float64
}

// apply adds sign times the changes ch to the loads and message-hops.
func (h *heavyLoads) apply(ch []routeChange, sign float64) {
	core := *h.core
	for _, c := range ch {
		w := sign * c.w
		ls, _ := h.m.cachedRoute(int(core[c.a]), int(core[c.b]))
		for _, l := range ls {
			h.load[l] += w
		}
		h.hops += w * float64(len(ls))
	}
}

// max returns the busiest link's load and its link id (the lowest id on
// a tie; -1 without load).
func (h *heavyLoads) max() (float64, int) {
	best, at := 0.0, -1
	for l, v := range h.load {
		if v > best+1e-9 {
			best, at = v, l
		}
	}
	return best, at
}

// SplitHeavyEdges lowers the busiest link of partition pt of p, whose
// parts sit on cores core[] of t, by moving fragments of one side of the
// heaviest part-to-part edges across it onto a nearby core (the file's
// comment gives the rounds), under the limits lim and pt's budgets. A
// split may open a free core as a new part while the non-empty parts
// number fewer than budget (at most t.NumCores); with chipOf not nil (the
// chip of each part) fragments move only to cores of their part's chip.
// A split is kept only if the busiest link falls by HeavyGain of its load
// at the round's start (HeavyGain + 1/K onto a free core, K the parts in
// use) and the message-hops stay within (1 + HeavyTrade x the busiest
// link's relative fall since the start) times the start's. It returns
// the partition (parts renumbered densely when a split was kept, else
// pt), the cores of its parts and what happened. Meshes too large for
// the route cache are left as they are. The result depends only on the
// inputs.
func SplitHeavyEdges(p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, chipOf []int32, budget int) (*Partition, []int32, HeavySplit) {
	start := Measure(t, Edges(p.Traffic(pt.Part)), core)
	res := HeavySplit{Start: start, End: start}
	if t.NumTiles > maxCachedTiles || pt.K < 2 || start.MaxLinkLoad == 0 {
		return pt, core, res
	}
	budget = min(max(budget, 0), t.NumCores)
	m := newMesh(t)
	s := stateOf(p, lim, pt)
	cores := slices.Clone(core)
	chips := slices.Clone(chipOf)
	hl := &heavyLoads{m: m, core: &cores, load: make([]float64, m.w*m.h*backends.NumDirections)}
	for _, e := range Edges(p.Traffic(pt.Part)) {
		hl.apply([]routeChange{{e.A, e.B, e.W}}, 1)
	}
	startHops := hl.hops
	partAt := make([]int32, t.NumCores)
	for i := range partAt {
		partAt[i] = -1
	}
	for q, c := range cores {
		partAt[c] = int32(q)
	}
	// open returns the part on free core c, opening it as an empty part.
	open := func(c int32) int32 {
		if q := partAt[c]; q >= 0 {
			return q
		}
		q := s.newPart()
		partAt[c] = q
		cores = append(cores, c)
		if chips != nil {
			chips = append(chips, int32(chipOfCore(t, int(c))))
		}
		return q
	}
	used := func() int {
		n := 0
		for q := range s.nparts {
			if s.neur[q] > 0 {
				n++
			}
		}
		return n
	}
	fo := map[int32]int64{}
	var ch []routeChange
	type move struct{ v, from int32 }
	// moveTo moves v to part to, keeping the loads up to date.
	moveTo := func(v, to int32) {
		ch = s.routeChanges(v, to, ch[:0])
		hl.apply(ch, 1)
		s.gain(v, to, fo)
		s.apply(v, to, fo)
	}
	undo := func(done []move) {
		for i := len(done) - 1; i >= 0; i-- {
			moveTo(done[i].v, done[i].from)
		}
	}
	// better reports whether load mx at message-hops h beats load bm at bh.
	better := func(mx, h, bm, bh float64) bool {
		return mx < bm-1e-9 || (mx <= bm+1e-9 && h < bh-1e-9)
	}
	// next returns the fragment of part q whose move to part r leaves the
	// lowest busiest link, then the fewest message-hops (then the lowest
	// fragment), with that load and message-hops; -1 if none fits r.
	next := func(q, r int32) (int32, float64, float64) {
		pick, pm, ph := int32(-1), 0.0, 0.0
		for _, v := range s.member[q] {
			s.gain(v, r, fo)
			if !s.feasible(v, r, fo) {
				continue
			}
			ch = s.routeChanges(v, r, ch[:0])
			hl.apply(ch, 1)
			mx, _ := hl.max()
			h := hl.hops
			hl.apply(ch, -1)
			if pick < 0 || better(mx, h, pm, ph) || (mx <= pm+1e-9 && h <= ph+1e-9 && v < pick) {
				pick, pm, ph = v, mx, h
			}
		}
		return pick, pm, ph
	}
	// trial moves fragments of part q to part r, one at a time (the one
	// leaving the lowest busiest link, then the fewest message-hops),
	// and returns the best prefix's length, load and message-hops (0
	// moves when none beat the current state), leaving the state as it
	// found it.
	trial := func(q, r int32) (int, float64, float64) {
		curMax, _ := hl.max()
		bestN, bestMax, bestHops := 0, curMax, hl.hops
		var done []move
		for len(s.member[q]) > 1 {
			pick, pm, ph := next(q, r)
			if pick < 0 {
				break
			}
			moveTo(pick, r)
			done = append(done, move{pick, q})
			if better(pm, ph, bestMax, bestHops) && ph <= startHops*(1+HeavyTrade*(1-pm/start.MaxLinkLoad))+1e-9 {
				bestN, bestMax, bestHops = len(done), pm, ph
			}
		}
		undo(done)
		return bestN, bestMax, bestHops
	}
	opened := 0
	for range HeavyRounds {
		curMax, link := hl.max()
		if link < 0 {
			break
		}
		// The heaviest part-to-part edges across the busiest link.
		var heavy []Edge
		for _, e := range Edges(p.Traffic(s.part)) {
			ls, _ := m.cachedRoute(int(cores[e.A]), int(cores[e.B]))
			if slices.Contains(ls, int32(link)) {
				heavy = append(heavy, e)
			}
		}
		slices.SortStableFunc(heavy, func(a, b Edge) int { return cmp.Compare(b.W, a.W) })
		heavy = heavy[:min(len(heavy), HeavyEdges)]
		canOpen := used() < budget
		type choice struct {
			q, r   int32
			n      int
			mx, hh float64
		}
		best := choice{q: -1}
		var tried []int32
		for _, e := range heavy {
			for _, q := range []int32{e.A, e.B} {
				if slices.Contains(tried, q) || len(s.member[q]) < 2 {
					continue
				}
				tried = append(tried, q)
				for _, r := range s.heavyTargets(m, q, e, int32(link), cores, chips, partAt, canOpen && opened < heavyOpen && s.nparts < len(p.Frags)) {
					if r < 0 {
						if c := -r - 1; partAt[c] < 0 {
							opened++
						}
						r = open(-r - 1)
					}
					n, mx, hh := trial(q, r)
					if n == 0 {
						continue
					}
					g := HeavyGain
					if s.neur[r] == 0 {
						g += 1 / float64(used())
					}
					if mx > (1-g)*curMax {
						continue
					}
					if best.q < 0 || better(mx, hh, best.mx, best.hh) {
						best = choice{q, r, n, mx, hh}
					}
				}
			}
		}
		if best.q < 0 {
			break
		}
		// Replay the best trial's prefix.
		for range best.n {
			pick, _, _ := next(best.q, best.r)
			if pick < 0 {
				break // cannot happen: the trial made these moves
			}
			moveTo(pick, best.r)
		}
		res.Splits++
	}
	if res.Splits == 0 {
		return pt, core, res
	}
	out, outCore := s.partitionOf(pt, cores)
	out.MaxCores = max(out.MaxCores, budget)
	res.End = Measure(t, Edges(p.Traffic(out.Part)), outCore)
	res.NewCores = out.K - pt.K
	return out, outCore, res
}

// heavyTargets returns the target parts for fragments of part q, a side
// of edge e whose route crosses link busy: among the cores whose route
// to (or from, for a destination side) e's other side avoids busy, the
// HeavyTargets used parts nearest (by the hops to q's core plus those to
// the other side's) with room for q's smallest fragment, other than e's
// ends, and, if canOpen, the HeavyTargets nearest free cores, encoded as
// -core-1; all on q's chip when chips is not nil.
func (s *pstate) heavyTargets(m *mesh, q int32, e Edge, busy int32, cores, chips []int32, partAt []int32, canOpen bool) []int32 {
	other := e.A
	if other == q {
		other = e.B
	}
	small := s.budN
	for _, v := range s.member[q] {
		small = min(small, s.p.Neurons[v])
	}
	dist := func(c int32) float64 {
		return m.weightedHops(int(cores[q]), int(c)) + m.weightedHops(int(cores[other]), int(c))
	}
	onChip := func(c int32) bool {
		if chips != nil && int32(chipOfCore(m.t, int(c))) != chips[q] {
			return false
		}
		a, b := int(c), int(cores[other])
		if q == e.B {
			a, b = b, a
		}
		ls, _ := m.cachedRoute(a, b)
		return !slices.Contains(ls, busy)
	}
	var used, free []int32
	for c := range int32(len(partAt)) {
		if !onChip(c) {
			continue
		}
		switch r := partAt[c]; {
		case r < 0 || s.neur[r] == 0:
			if canOpen {
				free = append(free, c)
			}
		case r != e.A && r != e.B && s.neur[r] > 0 && s.neur[r]+small <= s.budN:
			used = append(used, c)
		}
	}
	byDist := func(a, b int32) int {
		da, db := dist(a), dist(b)
		if da != db {
			if da < db {
				return -1
			}
			return 1
		}
		return int(a - b)
	}
	slices.SortFunc(used, byDist)
	slices.SortFunc(free, byDist)
	var out []int32
	for _, c := range used[:min(len(used), HeavyTargets)] {
		out = append(out, partAt[c])
	}
	for _, c := range free[:min(len(free), HeavyTargets)] {
		out = append(out, -c-1)
	}
	return out
}
