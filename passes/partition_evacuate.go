package passes

// Emptying parts (EmptyParts), run by the place pass on its chosen
// candidate before the link spreading: the partition's budget is the
// fill's cores, and nothing else in the compile aims at fewer cores. The
// smallest parts (by neurons) are tried in turn: each of their fragments
// moves to the placed part where it adds the fewest weighted message-hops
// within every per-core limit, and the part's evacuation is kept only if
// every fragment found a place, the message-hops stay within a slack of
// the start and the busiest link does not rise.

import (
	"cmp"
	"slices"

	"github.com/autosnn/autosnn/backends"
)

// Defaults of EmptyParts.
const (
	// EmptyTries is the number of smallest parts EmptyParts tries to empty.
	EmptyTries = 3
	// EmptySlack is the fraction by which the weighted message-hops may
	// grow over the start, over all the parts emptied.
	EmptySlack = 0.01
)

// EmptyParts tries to empty the EmptyTries smallest parts (fewest neurons,
// then lowest index) of partition pt of p, placed on cores core[] of t,
// under the limits lim and pt's budgets: every fragment of the part moves,
// one after another in member order, to the non-empty placed part (on its
// own part's chip when chipOf is not nil) where it adds the fewest
// weighted message-hops (lowest part on a tie) while every limit holds.
// A part's evacuation is undone unless all its fragments moved, the
// weighted message-hops stay within (1 + EmptySlack) of the start and the
// busiest link is no higher than at the start. It returns the partition
// (parts renumbered densely when any part emptied, else pt), the cores of
// its parts and the number of parts emptied. The result depends only on
// the inputs.
func EmptyParts(p *Problem, t *backends.Target, lim Limits, pt *Partition, core []int32, chipOf []int32) (*Partition, []int32, int) {
	if pt.K < 2 {
		return pt, core, 0
	}
	m := newMesh(t)
	s := stateOf(p, lim, pt)
	s.hop = hopFunc(m, core)
	startHops := s.hopCost()
	startLink := Measure(t, Edges(p.Traffic(pt.Part)), core).MaxLinkLoad
	order := make([]int32, pt.K)
	for q := range order {
		order[q] = int32(q)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(s.neur[a], s.neur[b]) })
	fo := map[int32]int64{}
	type undo struct{ v, from int32 }
	var done []undo
	emptied := 0
	for _, q := range order[:min(EmptyTries, len(order))] {
		done = done[:0]
		ok := true
		for _, v := range slices.Clone(s.member[q]) {
			best, bestD := int32(-1), 0.0
			for r := range int32(pt.K) {
				if r == q || s.neur[r] == 0 || (chipOf != nil && chipOf[r] != chipOf[q]) {
					continue
				}
				d := -s.gainHop(v, r, fo)
				if (best < 0 || d < bestD) && s.feasible(v, r, fo) {
					best, bestD = r, d
				}
			}
			if best < 0 {
				ok = false
				break
			}
			s.gainHop(v, best, fo)
			s.apply(v, best, fo)
			done = append(done, undo{v, q})
		}
		if ok && s.hopCost() <= startHops*(1+EmptySlack) && Measure(t, Edges(p.Traffic(s.part)), core).MaxLinkLoad <= startLink {
			emptied++
			continue
		}
		for i := len(done) - 1; i >= 0; i-- {
			s.gainHop(done[i].v, done[i].from, fo)
			s.apply(done[i].v, done[i].from, fo)
		}
	}
	if emptied == 0 {
		return pt, core, 0
	}
	out, outCore := s.partitionOf(pt, core)
	return out, outCore, emptied
}
