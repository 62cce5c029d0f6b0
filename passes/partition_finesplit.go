package passes

// Fine re-splitting of the place pass (FineSplitHot), run on the chosen
// candidate after the heavy-edge splitting: when the links next to the
// busiest carry almost as much, moving whole fragments relieves one link
// and loads the next; a partition of smaller pieces spreads one layer's
// traffic over more links. This stage cuts, locally, the fragments of the
// hot layers (those whose messages cross the busy links) that sit in the
// parts at the ends of those links into FineFactor smaller tiles each,
// builds the refined problem (the same traffic: every sub-fragment stays
// in its fragment's part), and moves the pieces two ways: a greedy
// descent of the pieces alone between the parts they talk to and the hot
// parts (fineDescent, on SpreadLinks' cost), and the link spreading's
// annealing of every fragment (SpreadLinks); each is followed by the
// heavy-edge splitting (SplitHeavyEdges). The try with the lowest
// busiest link is kept if that link falls by FineGain at a bounded rise
// of message-hops (FineTrade) on no more cores than the budget.
//
// Refining inside the chosen candidate, rather than compiling a second
// candidate at a finer granularity, keeps everything the earlier stages
// found (the other layers' fragments, the parts and their cores): the
// refined partition is the same mapping, only with more movable pieces.

import (
	"cmp"
	"slices"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Defaults of FineSplitHot (docs/compiler.md, "place").
const (
	// FineFactor is the number of sub-tiles each hot fragment is cut
	// into (fewer when the fragment has fewer neurons).
	FineFactor = 4
	// FineBusy is the fraction of the busiest link's load above which a
	// link counts as busy.
	FineBusy = 0.8
	// FineShare is the fraction of the hottest layer's traffic over the
	// busy links that another layer must carry to be re-split too.
	FineShare = 0.25
	// FinePops bounds the layers re-split.
	FinePops = 3
	// FineGain is the fraction by which the busiest link must fall (a
	// clear margin: smaller falls cost more message-hops than they are
	// worth on the portfolio, docs/performance.md).
	FineGain = 0.15
	// FineTrade bounds the message-hops the result may add: at most
	// FineTrade times the busiest link's relative fall.
	FineTrade = 1.0
)

// FineSplit is the result of FineSplitHot.
type FineSplit struct {
	// Start and End measure the mapping before and after (End = Start
	// when the result was not kept; otherwise End is the refined
	// mapping's).
	Start, End Metrics
	// Tried measures the refined mapping with the lowest busiest link,
	// kept or not (zero when nothing was refined).
	Tried Metrics
	// Pops lists the populations (indices in Graph.Pops) re-split.
	Pops []int
	// Cut and Pieces count the fragments cut and the sub-fragments made.
	Cut, Pieces int
	// Kept reports whether the refined mapping was kept.
	Kept bool
}

// FineSplitHot re-splits, finer, the fragments of the layers whose
// messages cross the busiest links of partition pt of problem p (split
// sr of g), whose parts sit on cores core[] of t, and spreads the pieces
// (the file's comment). chipOf, if not nil, is the chip of each part;
// budget bounds the parts (as for SplitHeavyEdges). It returns the split,
// problem, partition and cores to use (the inputs unless kept) and what
// happened. The result depends only on the inputs and seed.
func FineSplitHot(g *ir.Graph, t *backends.Target, lim Limits, sr *SplitResult, p *Problem, pt *Partition, core []int32, chipOf []int32, budget int, effort float64, seed uint64) (*SplitResult, *Problem, *Partition, []int32, FineSplit) {
	start := Measure(t, Edges(p.Traffic(pt.Part)), core)
	res := FineSplit{Start: start, End: start}
	if t.NumTiles > maxCachedTiles || t.Profile.LayerCores != nil || pt.K < 2 || start.MaxLinkLoad == 0 || len(pt.Fixed) > 0 {
		return sr, p, pt, core, res
	}
	pops, hotPart := hotLayers(p, t, pt, core)
	if len(pops) == 0 {
		return sr, p, pt, core, res
	}
	sr2, from := refineSplit(g, lim, sr, pt, pops, hotPart)
	if len(sr2.Frags) == len(sr.Frags) {
		return sr, p, pt, core, res
	}
	res.Pops = pops
	for f := range sr.Frags {
		if n := countOf(from, int32(f)); n > 1 {
			res.Cut++
			res.Pieces += n
		}
	}
	p2 := BuildProblem(g, t, sr2)
	pt2 := &Partition{BudgetNeurons: pt.BudgetNeurons, BudgetMem: pt.BudgetMem, InitialCost: pt.InitialCost, Moves: pt.Moves, Swaps: pt.Swaps, MaxCores: pt.MaxCores, Levels: pt.Levels, K: pt.K}
	pt2.Part = make([]int32, len(sr2.Frags))
	for v, f := range from {
		pt2.Part[v] = pt.Part[f]
	}
	pt2.Cost = p2.Cost(pt2.Part)
	// Conv-weight sharing stores a kernel slice once per fragment, so the
	// pieces of one fragment may need more memory than it did.
	if len(p2.PartLimits(pt2, lim)) > 0 {
		return sr, p, pt, core, res
	}
	budget = max(budget, pt.K)
	// Each way of moving the pieces, then the heavy-edge splitting.
	type result struct {
		pt   *Partition
		core []int32
		m    Metrics
	}
	finish := func(pt3 *Partition, core3 []int32) result {
		var chip3 []int32
		if chipOf != nil {
			chip3 = make([]int32, len(core3))
			for q, c := range core3 {
				chip3[q] = int32(chipOfCore(t, int(c)))
			}
		}
		pt4, core4, _ := SplitHeavyEdges(p2, t, lim, pt3, core3, chip3, budget)
		return result{pt4, core4, Measure(t, Edges(p2.Traffic(pt4.Part)), core4)}
	}
	movable := make([]bool, len(sr2.Frags))
	for v, f := range from {
		movable[v] = countOf(from, f) > 1
	}
	ptD, coreD, _ := fineDescent(p2, t, lim, pt2, core, chipOf, movable, hotPart)
	ptS, coreS, _ := SpreadLinks(p2, t, lim, pt2, core, chipOf, effort, seed)
	tries := []result{finish(ptD, coreD), finish(ptS, coreS)}
	// The try with the lowest busiest link (then the fewest message-hops)
	// among those within the gain, the trade and the budget.
	best := -1
	for i, r := range tries {
		fall := 1 - r.m.MaxLinkLoad/start.MaxLinkLoad
		if fall < FineGain || r.m.RateHops > start.RateHops*(1+FineTrade*fall)+1e-9 || r.pt.K > budget {
			continue
		}
		if best < 0 || r.m.MaxLinkLoad < tries[best].m.MaxLinkLoad-1e-9 || (r.m.MaxLinkLoad <= tries[best].m.MaxLinkLoad+1e-9 && r.m.RateHops < tries[best].m.RateHops-1e-9) {
			best = i
		}
	}
	if best < 0 {
		res.Tried = tries[0].m
		if tries[1].m.MaxLinkLoad < tries[0].m.MaxLinkLoad {
			res.Tried = tries[1].m
		}
		return sr, p, pt, core, res
	}
	r := tries[best]
	res.Tried, res.End, res.Kept = r.m, r.m, true
	return sr2, p2, r.pt, r.core, res
}

// countOf returns how many entries of from (sorted) equal f.
func countOf(from []int32, f int32) int {
	i, ok := slices.BinarySearch(from, f)
	if !ok {
		return 0
	}
	n := 0
	for ; i < len(from) && from[i] == f; i++ {
		n++
	}
	return n
}

// hotLayers returns the populations whose messages cross the busy links
// (load >= FineBusy x the busiest) of pt placed on core, hottest first
// (at most FinePops, each with at least FineShare of the hottest's
// traffic), and the parts at either end of a message over a busy link.
func hotLayers(p *Problem, t *backends.Target, pt *Partition, core []int32) ([]int, []bool) {
	m := newMesh(t)
	load := make([]float64, m.w*m.h*backends.NumDirections)
	for _, e := range Edges(p.Traffic(pt.Part)) {
		ls, _ := m.cachedRoute(int(core[e.A]), int(core[e.B]))
		for _, l := range ls {
			load[l] += e.W
		}
	}
	top := slices.Max(load)
	busy := make([]bool, len(load))
	for l, v := range load {
		busy[l] = v >= FineBusy*top-1e-9
	}
	crosses := func(a, b int32) bool {
		ls, _ := m.cachedRoute(int(core[a]), int(core[b]))
		return slices.ContainsFunc(ls, func(l int32) bool { return busy[l] })
	}
	hotPart := make([]bool, pt.K)
	share := map[int]float64{}
	var seen []int32
	for n := range p.Src {
		s := pt.Part[p.Src[n]]
		seen = seen[:0]
		dests := p.Dests(n)
		for _, d := range dests {
			q := pt.Part[d]
			if q == s || slices.Contains(seen, q) {
				continue
			}
			seen = append(seen, q)
			if !crosses(s, q) {
				continue
			}
			hotPart[s], hotPart[q] = true, true
			w := p.W[n]
			share[p.Frags[p.Src[n]].Pop] += w
			var dp []int
			for _, d2 := range dests {
				if pt.Part[d2] == q && !slices.Contains(dp, p.Frags[d2].Pop) {
					dp = append(dp, p.Frags[d2].Pop)
					share[p.Frags[d2].Pop] += w
				}
			}
		}
	}
	var pops []int
	for i := range share {
		pops = append(pops, i)
	}
	slices.SortFunc(pops, func(a, b int) int {
		if c := cmp.Compare(share[b], share[a]); c != 0 {
			return c
		}
		return a - b
	})
	var out []int
	for _, i := range pops {
		if len(out) == FinePops || share[i] < FineShare*share[pops[0]] {
			break
		}
		out = append(out, i)
	}
	return out, hotPart
}

// refineSplit returns sr with every fragment of the populations pops that
// lies in a part marked hot cut into up to FineFactor tiles (fineTiles),
// measured for lim, and for each fragment of the result the fragment of
// sr it comes from (non-decreasing).
func refineSplit(g *ir.Graph, lim Limits, sr *SplitResult, pt *Partition, pops []int, hot []bool) (*SplitResult, []int32) {
	out := &SplitResult{First: make([]int, len(sr.First)), Last: make([]int, len(sr.Last)), Tile: slices.Clone(sr.Tile)}
	var from []int32
	var mark []bool
	for i := range sr.First {
		out.First[i] = len(out.Frags)
		cut := slices.Contains(pops, i)
		var in []*ir.Projection
		if cut {
			in = chipInputs(g, g.Pops[i])
		}
		for f := sr.First[i]; f < sr.Last[i]; f++ {
			if !cut || !hot[pt.Part[f]] {
				out.Frags = append(out.Frags, sr.Frags[f])
				from = append(from, int32(f))
				continue
			}
			for _, sub := range fineTiles(sr.Frags[f], FineFactor) {
				measure(in, &sub, lim.Sharing, &mark)
				out.Frags = append(out.Frags, sub)
				from = append(from, int32(f))
			}
		}
		out.Last[i] = len(out.Frags)
	}
	return out, from
}

// fineTiles cuts fragment f into at most n tiles (one when f is a single
// neuron): the dimension with the most neurons per piece is cut twice as
// finely (at most into single rows, columns or channels; channels first
// on a tie) while the pieces stay at most n, then f is tiled
// channel-major, then row, then column.
func fineTiles(f Fragment, n int) []Fragment {
	ext := [3]int{f.C1 - f.C0, f.H1 - f.H0, f.W1 - f.W0}
	k := [3]int{1, 1, 1}
	pieces := func(k [3]int) int {
		p := 1
		for i := range 3 {
			p *= ceilDiv(ext[i], ceilDiv(ext[i], k[i]))
		}
		return p
	}
	for {
		d := -1
		for i := range 3 {
			if k[i] < ext[i] && (d < 0 || ceilDiv(ext[i], k[i]) > ceilDiv(ext[d], k[d])) {
				d = i
			}
		}
		if d < 0 {
			break
		}
		next := k
		next[d] = min(2*k[d], ext[d])
		if pieces(next) > n {
			break
		}
		k = next
	}
	tc, th, tw := ceilDiv(ext[0], k[0]), ceilDiv(ext[1], k[1]), ceilDiv(ext[2], k[2])
	var out []Fragment
	for c := f.C0; c < f.C1; c += tc {
		for h := f.H0; h < f.H1; h += th {
			for w := f.W0; w < f.W1; w += tw {
				out = append(out, Fragment{Pop: f.Pop, C0: c, C1: min(c+tc, f.C1), H0: h, H1: min(h+th, f.H1), W0: w, W1: min(w+tw, f.W1)})
			}
		}
	}
	return out
}

// FineDescentPasses bounds the sweeps of fineDescent.
const FineDescentPasses = 8

// fineDescent moves the fragments marked movable of partition pt of p
// (parts on cores core) one at a time to the part, among those the
// fragment talks to and those marked hot, that lowers SpreadLinks' cost
// (message-hops plus the squared link load above SpreadFloor x the
// busiest link) the most within the limits and pt's budgets, sweeping
// until no move helps (at most FineDescentPasses sweeps). No new cores;
// with chipOf not nil a fragment stays on its part's chip. It returns the
// partition (parts renumbered densely) and the cores of its parts.
func fineDescent(p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, chipOf []int32, movable []bool, hot []bool) (*Partition, []int32, int) {
	m := newMesh(t)
	s := stateOf(p, lim, pt)
	s.hop = hopFunc(m, core)
	start := Measure(t, Edges(p.Traffic(pt.Part)), core)
	lc := &linkCost{m: m, core: core, hop: s.hop, load: make([]float64, m.w*m.h*backends.NumDirections), floor: SpreadFloor * start.MaxLinkLoad}
	var total float64
	used := 0
	for _, e := range Edges(p.Traffic(pt.Part)) {
		ls, _ := m.cachedRoute(int(core[e.A]), int(core[e.B]))
		for _, l := range ls {
			lc.load[l] += e.W
		}
	}
	for _, v := range lc.load {
		total += v
		if v > 0 {
			used++
		}
	}
	lc.beta = SpreadWeight / (total / float64(max(used, 1)))
	var hotParts []int32
	for q, h := range hot {
		if h {
			hotParts = append(hotParts, int32(q))
		}
	}
	fo := map[int32]int64{}
	var ch []routeChange
	var cands []int32
	moves := 0
	for range FineDescentPasses {
		improved := false
		for v := range int32(len(p.Frags)) {
			if !movable[v] {
				continue
			}
			from := s.part[v]
			cands = append(cands[:0], hotParts...)
			for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
				for _, x := range s.netParts[n] {
					cands = append(cands, x.q)
				}
			}
			for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
				cands = append(cands, s.part[p.Src[n]])
			}
			slices.Sort(cands)
			cands = slices.Compact(cands)
			best, bestD := int32(-1), -1e-9
			for _, r := range cands {
				if r == from || s.neur[r] == 0 || (chipOf != nil && chipOf[r] != chipOf[from]) {
					continue
				}
				s.gain(v, r, fo)
				if !s.feasible(v, r, fo) {
					continue
				}
				ch = s.routeChanges(v, r, ch[:0])
				d := lc.apply(ch, 1)
				lc.apply(ch, -1)
				if d < bestD {
					best, bestD = r, d
				}
			}
			if best < 0 {
				continue
			}
			ch = s.routeChanges(v, best, ch[:0])
			lc.apply(ch, 1)
			s.gain(v, best, fo)
			s.apply(v, best, fo)
			moves++
			improved = true
		}
		if !improved {
			break
		}
	}
	out, outCore := s.partitionOf(pt, core)
	return out, outCore, moves
}
