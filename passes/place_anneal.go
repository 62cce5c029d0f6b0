package passes

// Annealing of the place pass: parts start on cores along a Hilbert curve
// over the tile mesh, then simulated annealing with seeded randomness swaps
// them between cores (or moves them to free ones) to cut rate-weighted hops
// and the load of the busiest link.

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/autosnn/autosnn/backends"
)

// Defaults of PlaceOptions: annealing moves per part and the weight of
// the link-load term. They were chosen on a trained AutoSNN network on
// loihi1 against METIS (docs/performance.md, "Placer defaults").
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
	// LoadFloor, if > 0, makes the link-load term count only the load above
	// it (messages per timestep): sum over links max(0, load - LoadFloor)^2,
	// so the annealing works on the busiest links alone.
	LoadFloor float64
	// Effort scales the default number of moves (0 means 1); ignored when
	// Moves is set.
	Effort float64
	// Start, if not nil, is the starting core of each part (distinct valid
	// cores) instead of the Hilbert-curve start; annealing then starts
	// cooler (a refinement of a good placement).
	Start []int32
	// ChipOf, if not nil, is the chip of each part (ChipPlan.ChipOf, with
	// Start on those chips when both are set): the start lays each chip's
	// parts along the curve over that chip's cores, and moves stay within
	// a part's chip.
	ChipOf []int32
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
// (with LoadFloor, (load - LoadFloor)^2 over the links above it),
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
	var next []int // per chip, the next of its cores along the curve
	if opt.ChipOf != nil {
		if len(opt.ChipOf) != k {
			return nil, fmt.Errorf("place: %d part chips, want %d", len(opt.ChipOf), k)
		}
		next = make([]int, t.NumChips)
		var byChip []int
		for ch := range t.NumChips {
			next[ch] = len(byChip)
			for _, c := range order {
				if chipOfCore(t, c) == ch {
					byChip = append(byChip, c)
				}
			}
		}
		order = byChip
	}
	for i := 0; i < k; i++ {
		var c int32
		switch {
		case next != nil:
			ch := opt.ChipOf[i]
			if ch < 0 || int(ch) >= t.NumChips || next[ch] >= (int(ch)+1)*chipCores(t) {
				return nil, fmt.Errorf("place: part %d on chip %d, which is invalid or full", i, ch)
			}
			c = int32(order[next[ch]])
			next[ch]++
		default:
			c = int32(order[i])
		}
		if opt.Start != nil {
			c = opt.Start[i]
			if !t.ValidCore(int(c)) || at[c] >= 0 {
				return nil, fmt.Errorf("place: start core %d of part %d invalid or taken", c, i)
			}
			if opt.ChipOf != nil && chipOfCore(t, int(c)) != int(opt.ChipOf[i]) {
				return nil, fmt.Errorf("place: start core %d of part %d is on chip %d, want its chip %d", c, i, chipOfCore(t, int(c)), opt.ChipOf[i])
			}
		}
		core[i] = c
		at[c] = int32(i)
	}
	res := &Placement{Core: core}
	if k <= 1 || len(edges) == 0 {
		return res, nil
	}
	inc := edgeIncidence(k, edges)
	load := make([]float64, m.w*m.h*backends.NumDirections)
	var hopCost, sq, total float64
	var hops float64 // route links of all edges, for the default moves
	for _, e := range edges {
		_, wh := m.route(int(core[e.A]), int(core[e.B]), func(l int) { load[l] += e.W })
		hopCost += e.W * wh
		hops += 1 + wh
	}
	used := 0
	floor := max(opt.LoadFloor, 0)
	for _, v := range load {
		sq += above(v, floor)
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
					if floor == 0 {
						d += beta * (nl*nl - old*old)
					} else {
						d += beta * (above(nl, floor) - above(old, floor))
					}
				}
				d += w * wh
				continue
			}
			_, wh := m.route(int(core[e.A]), int(core[e.B]), func(l int) {
				old := load[l]
				load[l] += sign * e.W
				if floor == 0 {
					d += beta * (load[l]*load[l] - old*old)
				} else {
					d += beta * (above(load[l], floor) - above(old, floor))
				}
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
	// randomCore returns a random core that part a may move to: any core,
	// or one of its chip's.
	randomCore := func(a int32) int {
		if opt.ChipOf == nil {
			return rng.IntN(t.NumCores)
		}
		per := chipCores(t)
		return int(opt.ChipOf[a])*per + rng.IntN(per)
	}
	// Temperature from the spread of random move costs.
	var sample float64
	ns := 0
	for i := 0; i < 200; i++ {
		a := int32(rng.IntN(k))
		c := randomCore(a)
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
	// The best placement seen at a checkpoint (every snapEvery moves, and
	// the start): on small problems on large meshes (a few parts among
	// hundreds of cores) the walk can end above its start.
	best, bestCost := slices.Clone(core), cost
	const snapEvery = 1024
	for it := 0; it < moves; it++ {
		if it%snapEvery == 0 && cost < bestCost {
			copy(best, core)
			bestCost = cost
		}
		a := int32(rng.IntN(k))
		var c int
		if rng.IntN(4) == 0 {
			c = randomCore(a)
		} else {
			// A core near a: within a window that shrinks as we cool.
			r := max(1, int(float64(radius)*(1-float64(it)/float64(moves))))
			x := m.x[core[a]] + rng.IntN(2*r+1) - r
			y := m.y[core[a]] + rng.IntN(2*r+1) - r
			cc, ok := t.CoreAt(x, y, rng.IntN(t.Profile.Mesh.CoresPerTile))
			if !ok || (opt.ChipOf != nil && chipOfCore(t, cc) != int(opt.ChipOf[a])) {
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
	if bestCost < cost {
		copy(core, best)
		cost = bestCost
	}
	res.Cost = cost
	return res, nil
}

// above returns (v - floor)^2 if v > floor, else 0: a link's share of the
// link-load term above PlaceOptions.LoadFloor.
func above(v, floor float64) float64 {
	if v <= floor {
		return 0
	}
	v -= floor
	return v * v
}

// placeWork bounds the route-link updates of one annealing of the parts
// (about a second of CPU).
const placeWork = 2e8

// edgeIncidence returns, for each of the k parts, the indices of the
// edges that touch it (a self-edge once).
func edgeIncidence(k int, edges []Edge) [][]int32 {
	inc := make([][]int32, k)
	for i, e := range edges {
		inc[e.A] = append(inc[e.A], int32(i))
		if e.B != e.A {
			inc[e.B] = append(inc[e.B], int32(i))
		}
	}
	return inc
}
