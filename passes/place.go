package passes

// This file implements the place pass: parts (future cores) are put on the
// cores of the target's mesh, minimising the rate-weighted hop count of
// their traffic and the load of the busiest link under the target's
// dimension-order routing: annealing of the parts' cores (Place,
// place_anneal.go), then annealing of single fragments over the whole mesh
// (AnnealOnMesh), then a second, cooler annealing of the cores, then the
// link stages against the busiest link (BalanceLinks, place_relieve.go).
// When split offered several granularities, each is placed (concurrently)
// and the mapping with the fewest message-hops is kept, or one within a
// few percent of them whose busiest link is much lower; the kept candidate
// then loses its smallest parts where it can (EmptyParts,
// partition_evacuate.go), has its fragments spread against the busiest
// link (SpreadLinks, partition_links.go) and the heaviest part-to-part
// edges over it split onto nearby cores (SplitHeavyEdges,
// partition_heavy.go), then the fragments of the layers over the busy
// links re-split finer and spread (FineSplitHot,
// partition_finesplit.go). This file also holds the
// place pass's model of the mesh (routes, link ids) and the traffic
// metrics of a placement (Measure).

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/autosnn/autosnn/backends"
)

// Edge is the traffic from part A to part B in messages per timestep.
type Edge struct {
	A, B int32
	W    float64
}

// Edges returns the traffic map as a slice sorted by (A, B), the order every
// consumer uses so results do not depend on map iteration.
func Edges(traffic map[[2]int32]float64) []Edge {
	es := make([]Edge, 0, len(traffic))
	for k, w := range traffic {
		es = append(es, Edge{k[0], k[1], w})
	}
	slices.SortFunc(es, func(a, b Edge) int {
		if a.A != b.A {
			return int(a.A - b.A)
		}
		return int(a.B - b.B)
	})
	return es
}

// Metrics measure a placed mapping's traffic. Loads are in messages per
// timestep.
type Metrics struct {
	// Messages is the inter-core messages per timestep (rate-weighted).
	Messages float64
	// RateHops is sum over messages of their hop count.
	RateHops float64
	// MeanHops is RateHops / Messages (0 without messages).
	MeanHops float64
	// MaxLinkLoad is the load of the busiest link.
	MaxLinkLoad float64
	// BusiestLink names it ("(x,y)E").
	BusiestLink string
	// InterChipMessages counts messages that cross a chip boundary.
	InterChipMessages float64
	// EnergyPJ is the network energy of the messages per timestep in pJ
	// (Target.MessageEnergyPJ per message).
	EnergyPJ float64
}

// mesh is a precomputed view of the target's coordinates.
type mesh struct {
	t     *backends.Target
	x, y  []int // tile position of each core
	tile  []int
	w, h  int
	chipW float64 // hop cost of an inter-chip hop relative to an on-chip hop
	// Route cache for small meshes: the links and weighted hop count of the
	// route between every pair of tiles (index a*tiles+b), or nil.
	tiles int
	links [][]int32
	whops []float64
}

// maxCachedTiles bounds the meshes whose tile-to-tile routes are cached
// (tiles^2 routes).
const maxCachedTiles = 512

// cachedRoute returns the links and weighted hops of the route from core a
// to core b, computing every tile pair's route once on first use.
func (m *mesh) cachedRoute(a, b int) ([]int32, float64) {
	if m.links == nil {
		m.tiles = m.t.NumTiles
		m.links = make([][]int32, m.tiles*m.tiles)
		m.whops = make([]float64, m.tiles*m.tiles)
		first := make([]int, m.tiles) // a core of each tile
		for c := m.t.NumCores - 1; c >= 0; c-- {
			first[m.tile[c]] = c
		}
		for ta := 0; ta < m.tiles; ta++ {
			for tb := 0; tb < m.tiles; tb++ {
				var ls []int32
				_, w := m.route(first[ta], first[tb], func(l int) { ls = append(ls, int32(l)) })
				m.links[ta*m.tiles+tb] = ls
				m.whops[ta*m.tiles+tb] = w
			}
		}
	}
	i := m.tile[a]*m.tiles + m.tile[b]
	return m.links[i], m.whops[i]
}

func newMesh(t *backends.Target) *mesh {
	m := &mesh{t: t, x: make([]int, t.NumCores), y: make([]int, t.NumCores), tile: make([]int, t.NumCores),
		w: t.MeshWidth, h: t.MeshHeight, chipW: 1}
	for c := 0; c < t.NumCores; c++ {
		cc := t.CoreCoord(c)
		m.x[c], m.y[c], m.tile[c] = cc.X, cc.Y, cc.Tile
	}
	e := t.Profile.Energy
	if on := (e.HopEWPJ + e.HopNSPJ) / 2; t.NumChips > 1 && on > 0 && e.InterChipHopPJ > on {
		m.chipW = e.InterChipHopPJ / on
	}
	return m
}

// linkID numbers the link leaving tile (x, y) in direction d.
func (m *mesh) linkID(x, y int, d backends.Direction) int {
	return (x*m.h+y)*backends.NumDirections + int(d)
}

// route calls fn, if not nil, with the linkID of every link of the route
// from core a to core b (Target.Walk), and returns the hop count and
// the weighted hop count (inter-chip hops count chipW), summed in route
// order.
func (m *mesh) route(a, b int, fn func(link int)) (hops int, weighted float64) {
	if m.tile[a] == m.tile[b] {
		return 0, 0
	}
	w := m.t.Walk(m.x[a], m.y[a], m.x[b], m.y[b])
	for {
		l, ok := w.Next()
		if !ok {
			break
		}
		hops++
		if fn != nil {
			fn(m.linkID(l.X, l.Y, l.Dir))
		}
		if l.InterChip {
			weighted += m.chipW
		} else {
			weighted++
		}
	}
	return hops, weighted
}

// Measure returns the traffic metrics of parts placed on cores core[].
func Measure(t *backends.Target, edges []Edge, core []int32) Metrics {
	m := newMesh(t)
	load := map[int]float64{}
	var r Metrics
	for _, e := range edges {
		a, b := int(core[e.A]), int(core[e.B])
		h, _ := m.route(a, b, func(l int) { load[l] += e.W })
		r.Messages += e.W
		r.RateHops += e.W * float64(h)
		r.EnergyPJ += e.W * t.MessageEnergyPJ(a, b)
		if t.CoreCoord(a).Chip != t.CoreCoord(b).Chip {
			r.InterChipMessages += e.W
		}
	}
	if r.Messages > 0 {
		r.MeanHops = r.RateHops / r.Messages
	}
	best := -1
	for l, v := range load {
		if v > r.MaxLinkLoad || (v == r.MaxLinkLoad && l < best) {
			r.MaxLinkLoad, best = v, l
		}
	}
	if best >= 0 {
		tile := best / backends.NumDirections
		r.BusiestLink = backends.Link{X: tile / m.h, Y: tile % m.h, Dir: backends.Direction(best % backends.NumDirections)}.String()
	}
	return r
}

// RefineOptions tune PlaceAndRefine.
type RefineOptions struct {
	// Seed seeds both annealings and the fragment annealing.
	Seed uint64
	// Refine turns on the fragment moves between the placed cores
	// (AnnealOnMesh); without it the parts stay as partitioned.
	Refine bool
	// Effort scales every annealing's number of moves (0 means 1): 4
	// spends about four times the CPU for a few percent fewer message-hops
	// on large boards; 0.25 compiles faster.
	Effort float64
	// Logf, if not nil, receives one line per stage.
	Logf func(format string, args ...any)
	// Chips, if not nil, is partition-chips' plan for the partition: the
	// annealings keep every part on its chip and the fragment moves stay
	// within the plan's chips (PlaceAndRefine updates its ChipOf to the
	// parts it returns).
	Chips *ChipPlan
	// Balance runs the link stages (BalanceLinks) on the final placement.
	Balance bool
}

// PlaceAndRefine places partition pt of problem p on t: annealing of the
// parts' cores from a space-filling-curve start, then (if opt.Refine)
// AnnealOnMesh, which moves fragments between the placed cores (and onto
// free ones) to cut rate x hops, then a second, cooler annealing of the
// cores with half the moves from where the first ended, then (if
// opt.Balance) the link stages, BalanceLinks, with a quarter of the first
// annealing's moves. When t is a board whose first chip holds the parts
// and the chip plan (opt.Chips), if any, is that chip alone, all of it
// runs on that chip as a single-chip target (PlaceTarget), so the mapping
// is the one the chip alone gets. It returns the partition
// actually placed (pt itself unless refining) and its placement.
func PlaceAndRefine(p *Problem, t *backends.Target, pt *Partition, opt RefineOptions) (*Partition, *Placement, error) {
	// Parts that fit one chip of a board, without a chip plan or with a
	// plan of the board's first chip alone, are placed on that chip as on
	// a single-chip target (the board's annealing start and budgets, and
	// the fragment moves' free cores, would count the other chips), so a
	// network that fits one chip maps as it does on that chip alone.
	if plan := opt.Chips; plan == nil || len(plan.Chips) == 1 && plan.Chips[0] == 0 {
		if sub := PlaceTarget(t, pt.K); sub != t {
			opt.Chips = nil
			pt2, pl, err := PlaceAndRefine(p, sub, pt, opt)
			if err != nil {
				return nil, nil, err
			}
			if plan != nil {
				plan.ChipOf = make([]int32, pt2.K)
			}
			return pt2, pl, nil
		}
	}
	logf, seed := opt.Logf, opt.Seed
	es := Edges(p.Traffic(pt.Part))
	// On a board, the chip plan of partition-chips keeps every part on its
	// chip.
	po := PlaceOptions{Seed: seed, Effort: opt.Effort}
	var chips []int
	if opt.Chips != nil {
		po.ChipOf, chips = opt.Chips.ChipOf, opt.Chips.Chips
	}
	pl, err := Place(t, pt.K, es, po)
	if err != nil {
		return nil, nil, err
	}
	if logf != nil {
		m1 := Measure(t, es, pl.Core)
		logf("place: annealing %.6g -> %.6g (%d of %d moves accepted): %.6g message-hops, busiest link %.6g messages per timestep",
			pl.StartCost, pl.Cost, pl.Accepted, pl.Moves, m1.RateHops, m1.MaxLinkLoad)
	}
	pt2, cores := pt, pl.Core
	if opt.Refine {
		pt2, cores = annealOnMesh(p, t, TargetLimits(t), pt, pl.Core, cmp.Or(opt.Effort, 1), seed, chips)
		es = Edges(p.Traffic(pt2.Part))
	}
	po2 := PlaceOptions{Seed: seed + 1, Start: cores, Moves: pl.Moves / 2}
	if opt.Chips != nil {
		opt.Chips.ChipOf = make([]int32, len(cores))
		for q, c := range cores {
			opt.Chips.ChipOf[q] = int32(chipOfCore(t, int(c)))
		}
		po2.ChipOf = opt.Chips.ChipOf
	}
	pl2, err := Place(t, pt2.K, es, po2)
	if err != nil {
		return nil, nil, err
	}
	if logf != nil {
		m2 := Measure(t, es, pl2.Core)
		logf("place: mesh refinement %v (%d -> %d cores, %.6g -> %.6g messages) and re-annealing: %.6g message-hops, busiest link %.6g messages per timestep",
			opt.Refine, pt.K, pt2.K, pt.Cost, pt2.Cost, m2.RateHops, m2.MaxLinkLoad)
	}
	pl2.StartCost = pl.StartCost
	if opt.Balance {
		b, err := BalanceLinks(t, es, pl2.Core, BalanceOptions{Seed: seed + 2, Moves: pl.Moves / 4, ChipOf: po2.ChipOf})
		if err != nil {
			return nil, nil, err
		}
		if logf != nil {
			kept := "dropped"
			if b.Annealed {
				kept = "kept"
			}
			logf("place: link stages: balancing annealing %s, relief %d moves: %.6g -> %.6g message-hops, busiest link %.6g -> %.6g messages per timestep",
				kept, b.Relief.Moves, b.Start.RateHops, b.End.RateHops, b.Start.MaxLinkLoad, b.End.MaxLinkLoad)
		}
	}
	return pt2, pl2, nil
}

// Candidate choice of the place pass (chooseCandidate; docs/compiler.md,
// "place").
const (
	// ChoiceHopSlack is the fraction of message-hops above the fewest that
	// a candidate may have and still be kept for a lower busiest link
	// (0.05 until the multilevel candidate came: its partitions trade a
	// busier link for fewer messages, and at 0.05 it displaced the flat
	// granularity-8 candidate on a row that met the goal only with the
	// latter; docs/performance.md, "Multilevel partition").
	ChoiceHopSlack = 0.10
	// ChoiceLinkGain is the fraction by which its busiest link must be
	// lower than the fewest-hops candidate's.
	ChoiceLinkGain = 0.10
)

// chooseCandidate returns the placed candidate with the fewest
// MessageHops (the first on a tie) among those with at most budget parts
// (if budget > 0 and any has), else among all; then, if another of those
// has at most (1 + ChoiceHopSlack) times its message-hops and a busiest
// link at most (1 - ChoiceLinkGain) times its own, the one of those with
// the lowest busiest link (the first on a tie).
func chooseCandidate(cs []*Candidate, budget int) *Candidate {
	var pool []*Candidate
	for _, c := range cs {
		if budget > 0 && c.Partition.K <= budget {
			pool = append(pool, c)
		}
	}
	if len(pool) == 0 {
		pool = cs
	}
	best := pool[0]
	for _, c := range pool[1:] {
		if c.MessageHops < best.MessageHops {
			best = c
		}
	}
	keep := best
	for _, c := range pool {
		if c.MessageHops <= (1+ChoiceHopSlack)*best.MessageHops && c.MaxLinkLoad <= (1-ChoiceLinkGain)*best.MaxLinkLoad && c.MaxLinkLoad < keep.MaxLinkLoad {
			keep = c
		}
	}
	return keep
}

// placePass is the place pass: it sets Candidate.Placement (and the
// refined Candidate.Partition) of every candidate of Unit.Layout, with the
// link stages, marks the one chooseCandidate keeps as Layout.Chosen (the
// fewest message-hops among those on no more cores than the channels-last
// fill when the fill is a candidate, FillGranularity, or one near it with
// a much less busy link), runs EmptyParts, SpreadLinks,
// SplitHeavyEdges and FineSplitHot on it (spreadChosen, with the fill's cores as the
// budget), and sets Population.Core of every non-input population
// from it.
func placePass(u *Unit) error {
	l := u.Layout
	if l == nil || len(l.Candidates) == 0 || l.Candidates[0].Partition == nil {
		return fmt.Errorf("no partition: the partition pass did not run")
	}
	// The cores of the channels-last fill, if it is a candidate (before
	// place, its partition is the fill's).
	budget := 0
	for _, c := range l.Candidates {
		if c.Granularity == FillGranularity && c.Partition.Fixed == nil {
			budget = c.Partition.K
		}
	}
	u.eachCandidate(func(c *Candidate) {
		if c.Partition.Fixed != nil {
			c.Placement = &Placement{Core: c.Partition.Fixed}
			return
		}
		logf := func(format string, args ...any) {
			fmt.Fprintf(&c.log, "granularity %d: "+format+"\n", append([]any{c.Granularity}, args...)...)
		}
		c.Partition, c.Placement, c.err = PlaceAndRefine(c.Problem, u.Target, c.Partition, RefineOptions{Seed: u.Seed, Refine: true, Effort: u.Effort, Logf: logf, Chips: c.Chips, Balance: true})
	})
	if err := u.keepCandidates(); err != nil {
		return err
	}
	// Keep the candidate with the fewest message-hops (the first on a tie)
	// among those on no more cores than the channels-last fill, when the
	// fill is a candidate (so the compile never spreads wider than the
	// simplest mapping to cut hops), else among all; then prefer, among
	// those, one within ChoiceHopSlack of its message-hops whose busiest
	// link is at least ChoiceLinkGain lower (chooseCandidate).
	for _, c := range l.Candidates {
		m := Measure(u.Target, Edges(c.Problem.Traffic(c.Partition.Part)), c.Placement.Core)
		c.MessageHops, c.MaxLinkLoad, c.choiceHops = m.RateHops, m.MaxLinkLoad, m.RateHops
	}
	best := chooseCandidate(l.Candidates, budget)
	if best.Partition.Fixed == nil {
		spreadChosen(u, best, budget)
	}
	bestHops := best.MessageHops
	if len(l.Candidates) > 1 {
		u.logf("place: kept granularity %d%s: %.6g message-hops, busiest link %.6g messages per timestep", best.Granularity, best.schemeLabel(), bestHops, best.MaxLinkLoad)
	}
	l.Chosen = best
	for _, c := range l.Candidates {
		if c != best {
			c.Split, c.Problem, c.Partition, c.Chips, c.Placement = nil, nil, nil, nil, nil
		}
	}
	cores := Mapping{Problem: best.Problem, Partition: best.Partition, Core: best.Placement.Core}.NeuronCores(u.G)
	for i, pop := range u.G.Pops {
		pop.Core = cores[i]
	}
	return nil
}
