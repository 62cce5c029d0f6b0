package passes

// This file implements the link stages of the place pass (BalanceLinks),
// run after its annealings against the busiest link: a short annealing
// whose link-load term counts only the load above a floor near the busiest
// link, then relief (Relieve): a part whose messages cross the busiest
// link moves (or swaps with the part there) to another core when that
// lowers the busiest link's load, brings no other link up to it, and keeps
// the message-hop cost within a slack of where the stage started. Routes
// are dimension-ordered (backends.Target.Walk, through the place pass's
// mesh model), so only a placement moves load off a link. The annealing's
// squared-load term spreads load on average; these stages work on the
// maximum itself, which is what a link's bandwidth limits.

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
)

// DefaultRelieveSlack is the fraction by which Relieve lets the weighted
// message-hop cost grow by default (docs/compiler.md, "place").
const DefaultRelieveSlack = 0.01

// RelieveOptions tune Relieve.
type RelieveOptions struct {
	// Slack is the fraction (>= 0) by which the weighted message-hop cost
	// (PlaceOptions' hop term: inter-chip hops weighted by energy) may grow
	// over its value at the start.
	Slack float64
	// ChipOf, if not nil, is the chip of each part (as PlaceOptions.ChipOf):
	// moves stay within a part's chip.
	ChipOf []int32
	// MaxMoves bounds the moves made; 0 means 2 per part plus 16.
	MaxMoves int
}

// Relief is the result of Relieve.
type Relief struct {
	// Moves counts the moves made.
	Moves int
	// StartMax and Max are the busiest link's load (messages per timestep)
	// before and after.
	StartMax, Max float64
	// StartHops and Hops are the weighted message-hop cost before and after.
	StartHops, Hops float64
}

// Relieve lowers the load of the busiest link of parts placed on cores core
// (changed in place; distinct valid cores of t) by greedy moves: while the
// busiest link L carries load M, every part with an edge routed over L is
// tried on every other core it may take (swapping with the part there, if
// any), and the move with the lowest highest load among the links it
// changes is made if that load is below M and the weighted hop cost stays
// within (1 + opt.Slack) of the start (ties: fewer hops, then the first
// part and core in order). Each move lowers M or the number of links at M,
// so the stage ends; it depends only on its inputs.
func Relieve(t *backends.Target, edges []Edge, core []int32, opt RelieveOptions) (Relief, error) {
	k := len(core)
	if opt.Slack < 0 {
		return Relief{}, fmt.Errorf("place: relieve: slack %g, want >= 0", opt.Slack)
	}
	if opt.ChipOf != nil && len(opt.ChipOf) != k {
		return Relief{}, fmt.Errorf("place: relieve: %d part chips, want %d", len(opt.ChipOf), k)
	}
	at := make([]int32, t.NumCores)
	for i := range at {
		at[i] = -1
	}
	for q, c := range core {
		if !t.ValidCore(int(c)) || at[c] >= 0 {
			return Relief{}, fmt.Errorf("place: relieve: core %d of part %d invalid or taken", c, q)
		}
		if opt.ChipOf != nil && chipOfCore(t, int(c)) != int(opt.ChipOf[q]) {
			return Relief{}, fmt.Errorf("place: relieve: core %d of part %d is on chip %d, want %d", c, q, chipOfCore(t, int(c)), opt.ChipOf[q])
		}
		at[c] = int32(q)
	}
	for _, e := range edges {
		if int(e.A) >= k || int(e.B) >= k || e.A < 0 || e.B < 0 {
			return Relief{}, fmt.Errorf("place: relieve: edge %d->%d, want parts below %d", e.A, e.B, k)
		}
	}
	m := newMesh(t)
	cached := t.NumTiles <= maxCachedTiles
	var scratch []int32
	// links returns the links and weighted hops of the route of edge e
	// under the current placement.
	links := func(e Edge) ([]int32, float64) {
		if cached {
			return m.cachedRoute(int(core[e.A]), int(core[e.B]))
		}
		scratch = scratch[:0]
		_, wh := m.route(int(core[e.A]), int(core[e.B]), func(l int) { scratch = append(scratch, int32(l)) })
		return scratch, wh
	}
	inc := edgeIncidence(k, edges)
	load := make([]float64, m.w*m.h*backends.NumDirections)
	var hops float64
	for _, e := range edges {
		ls, wh := links(e)
		for _, l := range ls {
			load[l] += e.W
		}
		hops += e.W * wh
	}
	busiest := func() (int, float64) {
		best, v := -1, 0.0
		for l, x := range load {
			if x > v {
				best, v = l, x
			}
		}
		return best, v
	}
	_, startMax := busiest()
	res := Relief{StartMax: startMax, Max: startMax, StartHops: hops, Hops: hops}
	if k < 2 || startMax == 0 {
		return res, nil
	}
	budget := hops * (1 + opt.Slack)
	maxMoves := opt.MaxMoves
	if maxMoves == 0 {
		maxMoves = 2*k + 16
	}
	// Moving a part shifts its incident edges: remove, reassign, add.
	var touched []int32
	stamp := make([]int, len(edges))
	pstamp := make([]int, k)
	var cand []int32
	epoch := 0
	collect := func(a, b int32) {
		epoch++
		touched = touched[:0]
		for _, p := range [2]int32{a, b} {
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
	// apply adds sign times the touched edges' traffic along their routes
	// and returns the change in weighted hops.
	apply := func(sign float64) float64 {
		var d float64
		for _, ei := range touched {
			e := edges[ei]
			ls, wh := links(e)
			w := sign * e.W
			for _, l := range ls {
				load[l] += w
			}
			d += w * wh
		}
		return d
	}
	// peak returns the highest load on the touched edges' routes.
	peak := func() float64 {
		var v float64
		for _, ei := range touched {
			ls, _ := links(edges[ei])
			for _, l := range ls {
				v = max(v, load[l])
			}
		}
		return v
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
	// A move must lower the busiest link by more than rounding.
	const eps = 1e-9
	for res.Moves < maxMoves {
		hot, mx := busiest()
		// The parts with an edge routed over the busiest link.
		epoch++
		cand = cand[:0]
		for _, e := range edges {
			ls, _ := links(e)
			for _, l := range ls {
				if int(l) != hot {
					continue
				}
				for _, p := range [2]int32{e.A, e.B} {
					if pstamp[p] != epoch {
						pstamp[p] = epoch
						cand = append(cand, p)
					}
				}
				break
			}
		}
		bestA, bestC := int32(-1), -1
		bestPeak, bestHops := mx*(1-eps), 0.0
		for _, a := range cand {
			oc := int(core[a])
			for c := 0; c < t.NumCores; c++ {
				if c == oc || (opt.ChipOf != nil && chipOfCore(t, c) != int(opt.ChipOf[a])) {
					continue
				}
				collect(a, at[c])
				d := apply(-1)
				swap(a, c)
				d += apply(1)
				h := hops + d
				if h <= budget {
					pk := max(peak(), load[hot])
					if pk < bestPeak || (pk == bestPeak && bestA >= 0 && h < bestHops) {
						bestA, bestC, bestPeak, bestHops = a, c, pk, h
					}
				}
				apply(-1)
				swap(a, oc)
				apply(1)
			}
		}
		if bestA < 0 {
			break
		}
		collect(bestA, at[bestC])
		d := apply(-1)
		swap(bestA, bestC)
		d += apply(1)
		hops += d
		res.Moves++
	}
	res.Hops = hops
	_, res.Max = busiest()
	return res, nil
}

// Defaults of BalanceLinks' annealing: the fraction of the busiest link's
// load above which the link-load term counts, and its weight
// (docs/compiler.md, "place").
const (
	DefaultBalanceFloor  = 0.8
	DefaultBalanceWeight = DefaultLoadWeight
)

// BalanceOptions tune BalanceLinks.
type BalanceOptions struct {
	// Seed seeds the annealing.
	Seed uint64
	// Moves is the annealing's number of moves (PlaceOptions.Moves); 0
	// skips the annealing.
	Moves int
	// ChipOf, if not nil, keeps every part on its chip.
	ChipOf []int32
	// Slack is the fraction by which either stage may let message-hops
	// grow (0 means DefaultRelieveSlack; negative means none).
	Slack float64
}

// Balance is the result of BalanceLinks.
type Balance struct {
	// Start and End measure the placement before and after.
	Start, End Metrics
	// Annealed reports whether the annealing's placement was kept.
	Annealed bool
	// Relief is the relief stage's result.
	Relief Relief
}

// BalanceLinks runs the link stages on parts placed on cores core of t
// (changed in place): a short annealing from the placement (Place with
// Start) whose link-load term counts only the load above
// DefaultBalanceFloor times the busiest link's, kept if neither the
// busiest link nor the message-hops beyond the slack rise and one of them
// falls; then Relieve with the slack. The result depends only on the
// inputs and opt.Seed.
func BalanceLinks(t *backends.Target, edges []Edge, core []int32, opt BalanceOptions) (Balance, error) {
	slack := opt.Slack
	switch {
	case slack == 0:
		slack = DefaultRelieveSlack
	case slack < 0:
		slack = 0
	}
	b := Balance{Start: Measure(t, edges, core)}
	if opt.Moves > 0 && len(core) > 1 && b.Start.MaxLinkLoad > 0 {
		pl, err := Place(t, len(core), edges, PlaceOptions{Seed: opt.Seed, Start: core, Moves: opt.Moves, ChipOf: opt.ChipOf,
			LoadWeight: DefaultBalanceWeight, LoadFloor: DefaultBalanceFloor * b.Start.MaxLinkLoad})
		if err != nil {
			return b, err
		}
		m := Measure(t, edges, pl.Core)
		if m.MaxLinkLoad <= b.Start.MaxLinkLoad && m.RateHops <= b.Start.RateHops*(1+slack) &&
			(m.MaxLinkLoad < b.Start.MaxLinkLoad || m.RateHops < b.Start.RateHops) {
			copy(core, pl.Core)
			b.Annealed = true
		}
	}
	r, err := Relieve(t, edges, core, RelieveOptions{Slack: slack, ChipOf: opt.ChipOf})
	if err != nil {
		return b, err
	}
	b.Relief = r
	b.End = Measure(t, edges, core)
	return b, nil
}
