package main

// A plain greedy + pairwise-swap placer, the textbook baseline: parts are
// placed one by one (the part most connected to those already placed
// first) on the free core that adds the fewest rate x hops, then any swap
// of a part with another part or a free core that lowers the total rate x
// hops is taken until none does.

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/passes"
)

// greedySwap places k parts with the given directed traffic (messages per
// timestep) on distinct cores of t and returns each part's core.
func greedySwap(t *backends.Target, k int, edges []passes.Edge) ([]int32, error) {
	n := t.NumCores
	if k > n {
		return nil, fmt.Errorf("greedy placer: %d parts for %d cores", k, n)
	}
	hops := make([]int32, n*n)
	for a := range n {
		for b := range n {
			hops[a*n+b] = int32(t.Hops(a, b).Total())
		}
	}
	// Undirected adjacency: rate a<->b.
	adj := make([]map[int]float64, k)
	for i := range adj {
		adj[i] = map[int]float64{}
	}
	tot := make([]float64, k)
	for _, e := range edges {
		a, b := int(e.A), int(e.B)
		if a == b {
			continue
		}
		adj[a][b] += e.W
		adj[b][a] += e.W
		tot[a] += e.W
		tot[b] += e.W
	}
	core := make([]int32, k)
	occ := make([]int32, n) // part on each core, or -1
	for i := range core {
		core[i] = -1
	}
	for i := range occ {
		occ[i] = -1
	}
	// The first part: the busiest, on the core with the least total hops
	// to all others (the centre of the mesh).
	centre, best := 0, int64(-1)
	for c := range n {
		var s int64
		for d := range n {
			s += int64(hops[c*n+d])
		}
		if best < 0 || s < best {
			centre, best = c, s
		}
	}
	conn := make([]float64, k) // traffic to placed parts
	placed := make([]bool, k)
	for step := range k {
		p := -1
		for q := range k {
			if placed[q] {
				continue
			}
			if p < 0 || conn[q] > conn[p] || (conn[q] == conn[p] && tot[q] > tot[p]) {
				p = q
			}
		}
		c := centre
		if step > 0 {
			bc, bcost := -1, 0.0
			for cand := range n {
				if occ[cand] >= 0 {
					continue
				}
				var s float64
				for q, w := range adj[p] {
					if placed[q] {
						s += w * float64(hops[cand*n+int(core[q])])
					}
				}
				if bc < 0 || s < bcost {
					bc, bcost = cand, s
				}
			}
			c = bc
		}
		core[p], occ[c], placed[p] = int32(c), int32(p), true
		for q, w := range adj[p] {
			conn[q] += w
		}
	}
	// cost of part p on core c, the other parts where they are, except
	// part skip (counted separately).
	cost := func(p, c, skip int) float64 {
		var s float64
		for q, w := range adj[p] {
			if q != skip {
				s += w * float64(hops[c*n+int(core[q])])
			}
		}
		return s
	}
	for pass := 0; pass < 50; pass++ {
		improved := false
		for p := range k {
			cp := int(core[p])
			for c := range n {
				if c == cp {
					continue
				}
				q := int(occ[c])
				delta := cost(p, c, q) - cost(p, cp, q)
				if q >= 0 {
					delta += cost(q, cp, p) - cost(q, c, p)
				}
				if delta < -1e-9 {
					core[p], occ[c], occ[cp] = int32(c), int32(p), int32(q)
					if q >= 0 {
						core[q] = int32(cp)
					}
					cp = c
					improved = true
				}
			}
		}
		if !improved {
			break
		}
	}
	return core, nil
}

// rowMajor returns the first k cores of t in row-major mesh order (row Y,
// then column X, then slot), one per part in part order.
func rowMajor(t *backends.Target, k int) []int32 {
	type rc struct{ y, x, slot, core int }
	all := make([]rc, t.NumCores)
	for c := range all {
		cc := t.CoreCoord(c)
		all[c] = rc{cc.Y, cc.X, cc.Slot, c}
	}
	slices.SortFunc(all, func(a, b rc) int {
		return cmp.Or(cmp.Compare(a.y, b.y), cmp.Compare(a.x, b.x), cmp.Compare(a.slot, b.slot))
	})
	order := all
	out := make([]int32, k)
	for i := range out {
		out[i] = int32(order[i].core)
	}
	return out
}
