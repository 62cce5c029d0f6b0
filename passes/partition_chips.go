package passes

// This file implements the partition-chips pass, the coarse stage of the
// hierarchical mapping on a board of several chips: the parts (future
// cores) partition made are grouped into chips before place puts them on
// cores, so that place and its fragment moves search one chip's cores per
// part instead of the whole board, inter-chip traffic is cut where it is
// cheapest to cut (between whole cores, by the chips' distance on the
// board), and a network that fits one chip stays on one chip.

import (
	"fmt"
	"slices"

	"github.com/autosnn/autosnn/backends"
)

// ChipPlan is the chip-level assignment of one candidate's parts.
type ChipPlan struct {
	// Chips are the chips the mapping may use, in the order the parts
	// were dealt to them (a path over the board: consecutive chips are
	// neighbours); as few as hold the parts.
	Chips []int
	// ChipOf is the chip of each part (partition-chips), one of Chips;
	// place keeps every part on its chip and, when its fragment moves
	// open new parts, puts them on free cores of Chips only.
	ChipOf []int32
	// InterChip is the rate-weighted traffic between parts on different
	// chips, in messages x chip-to-chip distance per timestep, before and
	// after the swaps of the refinement.
	InitialInterChip, InterChip float64
}

// chipCores returns the number of cores of one chip of t.
func chipCores(t *backends.Target) int { return t.TilesPerChip * t.Profile.Mesh.CoresPerTile }

// chipOfCore returns the chip of core c (cores are numbered chip by chip).
func chipOfCore(t *backends.Target, c int) int { return c / chipCores(t) }

// chipPath returns every chip of t along a snake over the board (column
// by column, alternating direction), so consecutive chips are neighbours.
func chipPath(t *backends.Target) []int {
	cx, cy := max(t.Profile.Mesh.ChipsX, 1), max(t.Profile.Mesh.ChipsY, 1)
	out := make([]int, 0, cx*cy)
	for x := range cx {
		for i := range cy {
			y := i
			if x%2 == 1 {
				y = cy - 1 - i
			}
			out = append(out, x*cy+y)
		}
	}
	return out
}

// chipDist returns the Manhattan distance between chips a and b on the
// board, in chip-to-chip links.
func chipDist(t *backends.Target, a, b int) float64 {
	cy := max(t.Profile.Mesh.ChipsY, 1)
	return float64(abs(a/cy-b/cy) + abs(a%cy-b%cy))
}

// PartitionChips groups the k parts of a partition, with part-to-part
// traffic edges, into as few chips of t as hold them: the parts are dealt
// in part order (the partitioner's locality order) in equal runs to chips
// along chipPath, then parts move to chips with a free core, and pairs of
// parts swap chips, while that lowers the inter-chip traffic weighted by
// chip distance (passes over the parts in order, at most maxPasses). It
// fails with a *FitError when the board has too few cores. The result
// depends only on its inputs.
func PartitionChips(t *backends.Target, k int, edges []Edge) (*ChipPlan, error) {
	if k > t.NumCores {
		return nil, &FitError{Resource: "cores", Need: float64(k), Have: float64(t.NumCores), Unit: "cores",
			Detail: fmt.Sprintf("the partition has %d parts", k), Hint: "more chips or a smaller network"}
	}
	per := chipCores(t)
	n := max(1, (k+per-1)/per)
	plan := &ChipPlan{Chips: chipPath(t)[:n], ChipOf: make([]int32, k)}
	members := make(map[int][]int32, n) // the parts of each chip
	for q := range k {
		c := plan.Chips[q*n/max(k, 1)] // equal runs in part order
		plan.ChipOf[q] = int32(c)
		members[c] = append(members[c], int32(q))
	}
	move := func(q int32, from, to int) {
		members[from] = slices.DeleteFunc(members[from], func(r int32) bool { return r == q })
		members[to] = append(members[to], q)
		plan.ChipOf[q] = int32(to)
	}
	if n == 1 {
		return plan, nil
	}
	// adj[q] lists the edges at part q (both directions, self-loops out).
	type arc struct {
		to int32
		w  float64
	}
	adj := make([][]arc, k)
	for _, e := range edges {
		if e.A != e.B {
			adj[e.A] = append(adj[e.A], arc{e.B, e.W})
			adj[e.B] = append(adj[e.B], arc{e.A, e.W})
		}
	}
	cost := func() float64 {
		var s float64
		for _, e := range edges {
			s += e.W * chipDist(t, int(plan.ChipOf[e.A]), int(plan.ChipOf[e.B]))
		}
		return s
	}
	// pull returns the inter-chip cost of part q's edges were q on chip c
	// (a part at the other end of an edge counts where it is now, except
	// part skip, counted on chip skipOn: the partner of a swap).
	pull := func(q int32, c int, skip int32, skipOn int) float64 {
		var s float64
		for _, a := range adj[q] {
			oc := int(plan.ChipOf[a.to])
			if a.to == skip {
				oc = skipOn
			}
			s += a.w * chipDist(t, c, oc)
		}
		return s
	}
	plan.InitialInterChip = cost()
	const maxPasses = 8
	for range maxPasses {
		improved := false
		for q := range int32(k) {
			from := int(plan.ChipOf[q])
			here := pull(q, from, -1, 0)
			for _, c := range plan.Chips {
				if c == from {
					continue
				}
				if len(members[c]) < per {
					if pull(q, c, -1, 0) < here-1e-9 {
						move(q, from, c)
						improved = true
						break
					}
					continue
				}
				// Chip c is full: swap q with its part that gains most.
				best, bestGain := int32(-1), 1e-9
				for _, r := range members[c] {
					g := here + pull(r, c, -1, 0) - pull(q, c, r, from) - pull(r, from, q, c)
					if g > bestGain {
						best, bestGain = r, g
					}
				}
				if best >= 0 {
					move(q, from, c)
					move(best, c, from)
					improved = true
					break
				}
			}
		}
		if !improved {
			break
		}
	}
	plan.InterChip = cost()
	return plan, nil
}

// partitionChipsPass is the partition-chips pass: on a board of several
// chips it sets Candidate.Chips of every candidate (PartitionChips on the
// traffic between its parts); on a single chip, and for candidates whose
// cores partition fixed (layer-core chips), it leaves it nil.
func partitionChipsPass(u *Unit) error {
	if u.Layout == nil || len(u.Layout.Candidates) == 0 || u.Layout.Candidates[0].Partition == nil {
		return fmt.Errorf("no partition: the partition pass did not run")
	}
	if u.Target.NumChips == 1 {
		return nil
	}
	u.eachCandidate(func(c *Candidate) {
		c.Chips = nil
		if c.Partition.Fixed != nil {
			return
		}
		pt := c.Partition
		c.Chips, c.err = PartitionChips(u.Target, pt.K, Edges(c.Problem.Traffic(pt.Part)))
		if c.err == nil {
			fmt.Fprintf(&c.log, "partition-chips: granularity %d: %d cores on %d of %d chips, inter-chip traffic x distance %.6g -> %.6g messages per timestep\n",
				c.Granularity, pt.K, len(c.Chips.Chips), u.Target.NumChips, c.Chips.InitialInterChip, c.Chips.InterChip)
		}
	})
	return u.keepCandidates()
}

// checkChips checks c's chip plan against its partition and, after place,
// its placement: one valid chip among Chips per part, no chip holding
// more parts than it has cores, and every placed part on its chip. It
// reports whether the plan is sound.
func checkChips(r *reporter, name string, t *backends.Target, c *Candidate) bool {
	cp := c.Chips
	if cp == nil || c.Partition == nil {
		return true
	}
	ok := true
	bad := func(format string, args ...any) {
		r.errorf(name+": "+format, args...)
		ok = false
	}
	if len(cp.ChipOf) != c.Partition.K {
		bad("chip plan has %d parts, want %d (the partition's)", len(cp.ChipOf), c.Partition.K)
		return false
	}
	load := map[int32]int{}
	for q, ch := range cp.ChipOf {
		if !slices.Contains(cp.Chips, int(ch)) {
			bad("part %d on chip %d, want one of the plan's chips %v", q, ch, cp.Chips)
			continue
		}
		load[ch]++
		if pl := c.Placement; pl != nil && len(pl.Core) == len(cp.ChipOf) && t.ValidCore(int(pl.Core[q])) {
			if got := chipOfCore(t, int(pl.Core[q])); got != int(ch) {
				bad("part %d placed on core %d of chip %d, want a core of its chip %d", q, pl.Core[q], got, ch)
			}
		}
	}
	for ch, n := range load {
		if n > chipCores(t) {
			bad("chip %d holds %d parts, want <= %d (its cores)", ch, n, chipCores(t))
		}
	}
	return ok
}
