package passes

// Link-aware fragment moves of the place pass (SpreadLinks): once the
// parts sit on their final cores, single fragments move (or swap) between
// the placed parts to lower the busiest link, which no placement of the
// parts can lower further when two parts exchange more messages than one
// link carries. Simulated annealing of
//
//	sum(rate x weighted hops)  +  weight * sum over links (load - floor)^2 / mean load
//
// over the links above the floor (a fraction of the busiest link at the
// start), with the link loads of the routes between the parts' cores
// (mesh.cachedRoute, the place pass's route model) kept up to date move by
// move. The result is kept only if it lowers the busiest link at a bounded
// rise of message-hops (SpreadTrade).

import (
	"cmp"
	"math"
	"math/rand/v2"

	"github.com/autosnn/autosnn/backends"
)

// Defaults of SpreadLinks (docs/compiler.md, "place").
const (
	// SpreadFloor is the fraction of the busiest link's load above which
	// a link's load counts in the annealing's link term.
	SpreadFloor = 0.7
	// SpreadWeight weighs the link term against the message-hops (as
	// PlaceOptions.LoadWeight).
	SpreadWeight = 10.0
	// SpreadMovesPerFrag is the annealing's moves per fragment at effort 1.
	SpreadMovesPerFrag = 400
	// SpreadTrade bounds the message-hops the result may add: at most
	// SpreadTrade times the fraction by which the busiest link falls.
	SpreadTrade = 0.5
)

// spreadWork bounds the route-link updates of one SpreadLinks (about a
// second of CPU).
const spreadWork = 4e8

// routeChange is a change of the part-level traffic: w messages per
// timestep more (w > 0) or fewer from part a to part b.
type routeChange struct {
	a, b int32
	w    float64
}

// routeChanges appends to ch the part-level traffic changes of moving
// fragment v to part to in the current state (the messages gainHop
// counts, one per net and destination part other than the source's) and
// returns ch.
func (s *pstate) routeChanges(v, to int32, ch []routeChange) []routeChange {
	p := s.p
	from := s.part[v]
	for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
		w := p.W[n]
		self := p.selfNet(n, v)
		for _, x := range s.netParts[n] {
			if x.q != from {
				ch = append(ch, routeChange{from, x.q, -w})
			}
			c := x.c
			if self && x.q == from {
				c--
			}
			if c > 0 && x.q != to {
				ch = append(ch, routeChange{to, x.q, w})
			}
		}
	}
	for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
		if p.Src[n] == v {
			continue // a self net, handled above
		}
		sp := s.part[p.Src[n]]
		if s.count(n, from) == 1 && from != sp {
			ch = append(ch, routeChange{sp, from, -p.W[n]})
		}
		if s.count(n, to) == 0 && to != sp {
			ch = append(ch, routeChange{sp, to, p.W[n]})
		}
	}
	return ch
}

// linkCost is the link term's state: the load of every link under the
// parts' cores, and the floor and weight of the term.
type linkCost struct {
	m           *mesh
	core        []int32
	hop         func(a, b int32) float64
	load        []float64
	floor, beta float64
}

// apply adds sign times the changes ch to the link loads and returns the
// change of the cost (weighted message-hops plus the link term).
func (lc *linkCost) apply(ch []routeChange, sign float64) float64 {
	var d float64
	for _, c := range ch {
		w := sign * c.w
		ls, _ := lc.m.cachedRoute(int(lc.core[c.a]), int(lc.core[c.b]))
		for _, l := range ls {
			old := lc.load[l]
			nl := old + w
			lc.load[l] = nl
			d += lc.beta * (above(nl, lc.floor) - above(old, lc.floor))
		}
		d += w * lc.hop(c.a, c.b)
	}
	return d
}

// Spread is the result of SpreadLinks.
type Spread struct {
	// Start and End measure the mapping before and after (End = Start
	// when the annealing's result was not kept).
	Start, End Metrics
	// Kept reports whether the annealing's result was kept.
	Kept bool
	// Moves counts the annealing's accepted moves (kept or not).
	Moves int
}

// SpreadLinks lowers the busiest link of partition pt of p, whose parts
// sit on cores core[] of t, by simulated annealing of single fragments
// between the placed parts (no new cores; a part may empty) under the
// limits lim and pt's budgets (the file's comment gives the cost), seeded
// by seed, with effort x SpreadMovesPerFrag moves per fragment (at least
// 10,000, fewer on problems with long routes). With chipOf not nil (the
// chip of each part) a fragment moves only to a part on its own part's
// chip. The result is kept if its busiest link is lower and its
// message-hops at most (1 + SpreadTrade x the busiest link's relative
// fall) times the start's; otherwise pt and core are returned. It returns
// the partition (parts renumbered densely when kept), the cores of its
// parts and what happened. Meshes too large for the route cache are left
// as they are. The result depends only on the inputs and seed.
func SpreadLinks(p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, chipOf []int32, effort float64, seed uint64) (*Partition, []int32, Spread) {
	start := Measure(t, Edges(p.Traffic(pt.Part)), core)
	res := Spread{Start: start, End: start}
	if t.NumTiles > maxCachedTiles || pt.K < 2 || start.MaxLinkLoad == 0 {
		return pt, core, res
	}
	m := newMesh(t)
	s := stateOf(p, lim, pt)
	s.hop = hopFunc(m, core)
	lc := &linkCost{m: m, core: core, hop: s.hop, load: make([]float64, m.w*m.h*backends.NumDirections), floor: SpreadFloor * start.MaxLinkLoad}
	var hops, total float64
	used := 0
	for _, e := range Edges(p.Traffic(pt.Part)) {
		ls, _ := m.cachedRoute(int(core[e.A]), int(core[e.B]))
		for _, l := range ls {
			lc.load[l] += e.W
		}
		hops += float64(len(ls))
	}
	for _, v := range lc.load {
		total += v
		if v > 0 {
			used++
		}
	}
	lc.beta = SpreadWeight / (total / float64(max(used, 1)))
	nf := int32(len(p.Frags))
	perMove := 4 * (1 + hops/float64(max(pt.K, 1)))
	moves := min(max(SpreadMovesPerFrag*int(nf), 10000), max(10000, int(spreadWork/perMove)))
	moves = max(1, int(float64(moves)*cmp.Or(effort, 1)))
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	fo, fo2 := map[int32]int64{}, map[int32]int64{}
	var ch1, ch2 []routeChange
	k := int32(pt.K)
	// propose returns a part for fragment v: one it talks to, or any part.
	propose := func(v int32) int32 {
		if rng.IntN(2) == 0 {
			ns := p.srcNets[p.srcStart[v]:p.srcStart[v+1]]
			nd := p.dstNets[p.dstStart[v]:p.dstStart[v+1]]
			if len(ns)+len(nd) > 0 {
				i := rng.IntN(len(ns) + len(nd))
				if i < len(nd) {
					return s.part[p.Src[nd[i]]]
				}
				if l := s.netParts[ns[i-len(nd)]]; len(l) > 0 {
					return l[rng.IntN(len(l))].q
				}
			}
		}
		return rng.Int32N(k)
	}
	ok := func(v, to int32) bool {
		return to != s.part[v] && (chipOf == nil || chipOf[to] == chipOf[s.part[v]])
	}
	// Temperature from the spread of random moves' cost changes.
	var sum float64
	ns := 0
	for range 400 {
		v := rng.Int32N(nf)
		to := propose(v)
		if !ok(v, to) {
			continue
		}
		ch1 = s.routeChanges(v, to, ch1[:0])
		sum += math.Abs(lc.apply(ch1, 1))
		lc.apply(ch1, -1)
		ns++
	}
	temp := sum / float64(max(ns, 1)) / 10
	if temp == 0 {
		temp = 1
	}
	alpha := math.Pow(1e-3, 1/float64(moves))
	accept := func(d float64) bool { return d < 0 || rng.Float64() < math.Exp(-d/temp) }
	for range moves {
		temp *= alpha
		v := rng.Int32N(nf)
		to := propose(v)
		if !ok(v, to) {
			continue
		}
		s.gainHop(v, to, fo)
		if s.feasible(v, to, fo) {
			ch1 = s.routeChanges(v, to, ch1[:0])
			if d := lc.apply(ch1, 1); accept(d) {
				s.apply(v, to, fo)
				res.Moves++
			} else {
				lc.apply(ch1, -1)
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
		if !s.swapFits(v, u, from, to) {
			continue
		}
		// Cheap filter first: the swap's cost change with u's move taken
		// in the current state (exact when u and v share no net); the
		// rule is applied again to the exact change.
		ch1 = s.routeChanges(v, to, ch1[:0])
		ch2 = s.routeChanges(u, from, ch2[:0])
		d := lc.apply(ch1, 1)
		d2 := lc.apply(ch2, 1)
		lc.apply(ch2, -1)
		if !accept(d + d2) {
			lc.apply(ch1, -1)
			continue
		}
		s.apply(v, to, fo)
		s.gainHop(u, from, fo2)
		if s.feasible(u, from, fo2) {
			ch2 = s.routeChanges(u, from, ch2[:0])
			d += lc.apply(ch2, 1)
			s.apply(u, from, fo2)
			if accept(d) && s.partOK(from) && s.partOK(to) && s.fanOutOK() {
				res.Moves++
				continue
			}
			lc.apply(ch2, -1)
			s.gainHop(u, to, fo2)
			s.apply(u, to, fo2)
		}
		lc.apply(ch1, -1)
		s.gainHop(v, from, fo)
		s.apply(v, from, fo)
	}
	out, outCore := s.partitionOf(pt, core)
	end := Measure(t, Edges(p.Traffic(out.Part)), outCore)
	fall := 1 - end.MaxLinkLoad/start.MaxLinkLoad
	if fall > 0 && end.RateHops <= start.RateHops*(1+SpreadTrade*fall) {
		res.End, res.Kept = end, true
		return out, outCore, res
	}
	return pt, core, res
}
