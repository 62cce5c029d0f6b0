package passes

// This file implements the place pass: parts (future cores) are put on the
// cores of the target's mesh, minimising the rate-weighted hop count of
// their traffic and the load of the busiest link under the target's
// dimension-order routing. A Hilbert curve over the tile mesh gives the
// start; simulated annealing of the parts' cores with seeded randomness
// refines it, then annealing of single fragments over the whole mesh
// (AnnealOnMesh), then a second, cooler annealing of the cores. When split
// offered several granularities, each is placed (concurrently) and the
// mapping with the fewest message-hops is kept.

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
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

// Defaults of PlaceOptions, chosen on the trained C=16 AutoSNN network on
// loihi1 with `go run ./passes/internal/metisbench -chip loihi1 -model
// c16.ckpt -data mnist -samples 8 -seed S` (docs/performance.md, "Compiler
// vs METIS"). Before fragment annealing existed, 300,000 placement moves
// instead of the 29,200 of the old 400-per-part default (with two rounds
// of greedy mesh refinement and re-annealing) lowered the
// compile's message-hops from 0.930x to 0.867x METIS's (seed 1); with
// AnnealOnMesh, 3,000 and 10,000 moves per part gave the same message-hops
// within the seed-to-seed spread (seeds 1-4), so the cheaper one is kept.
// Load weight, ratios to METIS on the same problem over all METIS rows:
// 0.3 (seeds 1-3) sum(rate x hops) 0.52-0.73x, busiest link 0.46-0.93x;
// 1 (seeds 1-3) 0.55-0.78x and 0.49-0.79x; 3 (seeds 1-5) 0.53-0.77x and
// 0.40-0.75x: 3 keeps the busiest link lowest at no measurable cost in
// message-hops.
const (
	DefaultMovesPerPart = 3000
	DefaultLoadWeight   = 3
)

// PlaceOptions tune Place.
type PlaceOptions struct {
	// Seed seeds the annealing.
	Seed uint64
	// Moves is the number of annealing moves; 0 means DefaultMovesPerPart
	// per part, at least 20,000 and at most 600,000, fewer on dense
	// problems (at most placeWork route-link updates, but not below
	// 20,000), the whole scaled by Effort.
	Moves int
	// LoadWeight weighs the sum of squared link loads (normalised by the
	// mean load of the start placement) against the hop cost; 0 means
	// DefaultLoadWeight, negative disables the term.
	LoadWeight float64
	// Effort scales the default number of moves (0 means 1); ignored when
	// Moves is set.
	Effort float64
	// Start, if not nil, is the starting core of each part (distinct valid
	// cores) instead of the Hilbert-curve start; annealing then starts
	// cooler (a refinement of a good placement).
	Start []int32
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

// hilbertD2XY converts distance d along a Hilbert curve over an n x n grid
// (n a power of two) into (x, y).
func hilbertD2XY(n, d int) (x, y int) {
	t := d
	for s := 1; s < n; s *= 2 {
		rx := 1 & (t / 2)
		ry := 1 & (t ^ rx)
		if ry == 0 {
			if rx == 1 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
		x += s * rx
		y += s * ry
		t /= 4
	}
	return x, y
}

// hilbertCores returns every core of the target ordered along a Hilbert
// curve over the tile mesh (cores of one tile consecutive).
func hilbertCores(t *backends.Target) []int {
	n := 1
	for n < t.MeshWidth || n < t.MeshHeight {
		n *= 2
	}
	var out []int
	for d := 0; d < n*n; d++ {
		x, y := hilbertD2XY(n, d)
		for s := 0; s < t.Profile.Mesh.CoresPerTile; s++ {
			if c, ok := t.CoreAt(x, y, s); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// Placement is the result of Place.
type Placement struct {
	// Core is the core id of each part.
	Core []int32
	// StartCost and Cost are the annealing objective before and after.
	StartCost, Cost float64
	// Accepted counts accepted annealing moves out of Moves tried.
	Accepted, Moves int
}

// Place puts k parts with the given traffic on distinct cores of t. Parts
// are laid along a Hilbert curve over the tile mesh in part order (the
// partition's locality order), then simulated annealing swaps parts between
// cores (or moves them to free cores) to minimise
//
//	sum over edges W * hops(a, b)  +  LoadWeight * sum over links load^2 / mean load
//
// where inter-chip hops are weighted by their energy relative to on-chip
// hops. The result depends only on the inputs and opt.Seed.
func Place(t *backends.Target, k int, edges []Edge, opt PlaceOptions) (*Placement, error) {
	if k > t.NumCores {
		return nil, &FitError{Resource: "cores", Need: float64(k), Have: float64(t.NumCores), Unit: "cores",
			Detail: fmt.Sprintf("the partition has %d parts", k), Hint: "more chips or a smaller network"}
	}
	m := newMesh(t)
	order := hilbertCores(t)
	core := make([]int32, k)
	at := make([]int32, t.NumCores)
	for i := range at {
		at[i] = -1
	}
	// Start: parts in order along the curve. When the parts use a fraction
	// of the chip, leave them contiguous (short paths).
	for i := 0; i < k; i++ {
		c := int32(order[i])
		if opt.Start != nil {
			c = opt.Start[i]
			if !t.ValidCore(int(c)) || at[c] >= 0 {
				return nil, fmt.Errorf("place: start core %d of part %d invalid or taken", c, i)
			}
		}
		core[i] = c
		at[c] = int32(i)
	}
	res := &Placement{Core: core}
	if k <= 1 || len(edges) == 0 {
		return res, nil
	}
	inc := make([][]int32, k)
	for i, e := range edges {
		inc[e.A] = append(inc[e.A], int32(i))
		if e.B != e.A {
			inc[e.B] = append(inc[e.B], int32(i))
		}
	}
	load := make([]float64, m.w*m.h*backends.NumDirections)
	var hopCost, sq, total float64
	var hops float64 // route links of all edges, for the default moves
	for _, e := range edges {
		_, wh := m.route(int(core[e.A]), int(core[e.B]), func(l int) { load[l] += e.W })
		hopCost += e.W * wh
		hops += 1 + wh
	}
	used := 0
	for _, v := range load {
		sq += v * v
		total += v
		if v > 0 {
			used++
		}
	}
	beta := opt.LoadWeight
	if beta == 0 {
		beta = DefaultLoadWeight
	}
	if beta < 0 || total == 0 {
		beta = 0
	} else {
		beta /= total / float64(max(used, 1))
	}
	cost := hopCost + beta*sq
	res.StartCost = cost
	moves := opt.Moves
	if moves == 0 {
		// A move updates the routes of the edges of two parts: bound the
		// link updates on large, dense problems.
		perMove := 4 * hops / float64(k)
		moves = min(max(DefaultMovesPerPart*k, 20000), 600000, max(20000, int(placeWork/max(perMove, 1))))
		moves = max(1, int(float64(moves)*cmp.Or(opt.Effort, 1)))
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	// Moving a part shifts its incident edges: remove, reassign, add.
	var touched []int32
	stamp := make([]int, len(edges))
	epoch := 0
	cached := t.NumTiles <= maxCachedTiles
	delta := func(sign float64) float64 {
		var d float64
		for _, ei := range touched {
			e := edges[ei]
			if cached {
				ls, wh := m.cachedRoute(int(core[e.A]), int(core[e.B]))
				w := sign * e.W
				for _, l := range ls {
					old := load[l]
					nl := old + w
					load[l] = nl
					d += beta * (nl*nl - old*old)
				}
				d += w * wh
				continue
			}
			_, wh := m.route(int(core[e.A]), int(core[e.B]), func(l int) {
				old := load[l]
				load[l] += sign * e.W
				d += beta * (load[l]*load[l] - old*old)
			})
			d += sign * e.W * wh
		}
		return d
	}
	collect := func(a, b int32) {
		epoch++
		touched = touched[:0]
		for _, p := range []int32{a, b} {
			if p < 0 {
				continue
			}
			for _, ei := range inc[p] {
				if stamp[ei] != epoch {
					stamp[ei] = epoch
					touched = append(touched, ei)
				}
			}
		}
	}
	swap := func(a int32, c int) {
		oc := int(core[a])
		b := at[c]
		core[a], at[c] = int32(c), a
		at[oc] = b
		if b >= 0 {
			core[b] = int32(oc)
		}
	}
	// Temperature from the spread of random move costs.
	var sample float64
	ns := 0
	for i := 0; i < 200; i++ {
		a := int32(rng.IntN(k))
		c := rng.IntN(t.NumCores)
		b := at[c]
		if b == a {
			continue
		}
		collect(a, b)
		d := delta(-1)
		oc := int(core[a])
		swap(a, c)
		d += delta(1)
		delta(-1)
		swap(a, oc)
		delta(1)
		sample += math.Abs(d)
		ns++
	}
	temp := sample / float64(max(ns, 1))
	if opt.Start != nil {
		temp /= 20
	}
	if temp == 0 {
		temp = 1
	}
	final := temp * 1e-4
	alpha := math.Pow(final/temp, 1/float64(moves))
	radius := max(m.w, m.h)
	for it := 0; it < moves; it++ {
		a := int32(rng.IntN(k))
		var c int
		if rng.IntN(4) == 0 {
			c = rng.IntN(t.NumCores)
		} else {
			// A core near a: within a window that shrinks as we cool.
			r := max(1, int(float64(radius)*(1-float64(it)/float64(moves))))
			x := m.x[core[a]] + rng.IntN(2*r+1) - r
			y := m.y[core[a]] + rng.IntN(2*r+1) - r
			cc, ok := t.CoreAt(x, y, rng.IntN(t.Profile.Mesh.CoresPerTile))
			if !ok {
				continue
			}
			c = cc
		}
		b := at[c]
		if b == a {
			continue
		}
		res.Moves++
		collect(a, b)
		d := delta(-1)
		oc := int(core[a])
		swap(a, c)
		d += delta(1)
		if d <= 0 || rng.Float64() < math.Exp(-d/temp) {
			cost += d
			res.Accepted++
		} else {
			delta(-1)
			swap(a, oc)
			delta(1)
		}
		temp *= alpha
	}
	res.Cost = cost
	return res, nil
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
}

// PlaceAndRefine places partition pt of problem p on t: annealing of the
// parts' cores from a space-filling-curve start, then (if opt.Refine)
// AnnealOnMesh, which moves fragments between the placed cores (and onto
// free ones) to cut rate x hops, then a second, cooler annealing of the
// cores with half the moves from where the first ended. It returns the
// partition actually placed (pt itself unless refining) and its placement.
func PlaceAndRefine(p *Problem, t *backends.Target, pt *Partition, opt RefineOptions) (*Partition, *Placement, error) {
	logf, seed := opt.Logf, opt.Seed
	es := Edges(p.Traffic(pt.Part))
	pl, err := Place(t, pt.K, es, PlaceOptions{Seed: seed, Effort: opt.Effort})
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
		pt2, cores = AnnealOnMesh(p, t, TargetLimits(t), pt, pl.Core, cmp.Or(opt.Effort, 1), seed)
		es = Edges(p.Traffic(pt2.Part))
	}
	pl2, err := Place(t, pt2.K, es, PlaceOptions{Seed: seed + 1, Start: cores, Moves: pl.Moves / 2})
	if err != nil {
		return nil, nil, err
	}
	if logf != nil {
		m2 := Measure(t, es, pl2.Core)
		logf("place: mesh refinement %v (%d -> %d cores, %.6g -> %.6g messages) and re-annealing: %.6g message-hops, busiest link %.6g messages per timestep",
			opt.Refine, pt.K, pt2.K, pt.Cost, pt2.Cost, m2.RateHops, m2.MaxLinkLoad)
	}
	pl2.StartCost = pl.StartCost
	return pt2, pl2, nil
}

// placeWork bounds the route-link updates of one annealing of the parts
// (about a second of CPU).
const placeWork = 2e8

// placePass is the place pass: it sets Unit.Placement and Population.Core
// of every non-input population.
func placePass(u *Unit) error {
	if len(u.cands) == 0 || u.cands[0].part == nil {
		return fmt.Errorf("no partition: the partition pass did not run")
	}
	eachCandidate(u, func(c *candidate) {
		if c.part.Fixed != nil {
			c.placement = &Placement{Core: c.part.Fixed}
			return
		}
		logf := func(format string, args ...any) {
			fmt.Fprintf(&c.log, "granularity %d: "+format+"\n", append([]any{c.gran}, args...)...)
		}
		c.part, c.placement, c.err = PlaceAndRefine(c.prob, u.Target, c.part, RefineOptions{Seed: u.Seed, Refine: true, Effort: u.Effort, Logf: logf})
	})
	if err := u.keepCandidates(); err != nil {
		return err
	}
	// Keep the candidate with the fewest message-hops (the first on a tie).
	best, bestHops := u.cands[0], math.Inf(1)
	for _, c := range u.cands {
		m := Measure(u.Target, Edges(c.prob.Traffic(c.part.Part)), c.placement.Core)
		if m.RateHops < bestHops {
			best, bestHops = c, m.RateHops
		}
	}
	if len(u.cands) > 1 {
		u.logf("place: kept granularity %d (%.6g message-hops per timestep)", best.gran, bestHops)
	}
	u.cands = nil
	u.Split, u.Problem, u.Partition = best.split, best.prob, best.part
	p, pt, pl := best.prob, best.part, best.placement
	u.Placement = pl
	for i, pop := range u.G.Pops {
		if i == 0 {
			pop.Core = nil
			continue
		}
		core := make([]int32, pop.Shape.Len())
		for j, f := range p.FragOf[i] {
			core[j] = pl.Core[pt.Part[f]]
		}
		pop.Core = core
	}
	return nil
}
