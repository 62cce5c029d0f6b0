package passes

// Shrinking a partition to a core budget: the greedy packing of fragments
// may open a few more parts than the channels-last fill uses cores (tiles
// of a quarter core leave gaps that whole pixels do not), and the compile
// must not take more cores than that simplest mapping. shrink dissolves
// the smallest parts into the others while that keeps every limit.

import (
	"math"
	"slices"
)

// shrink empties parts of s, the one with the fewest neurons first, while
// more than maxParts parts hold fragments: each fragment of the part moves
// to the other non-empty part where it fits (every per-core limit and the
// budgets) with the best gain (s.g); if one fragment fits nowhere, the
// part's fragments go back and the part stays. Emptied parts stay in s
// (compact drops them). It returns the number of non-empty parts.
func (s *pstate) shrink(maxParts int) int {
	p := s.p
	fo := map[int32]int64{}
	live := 0
	for q := range s.nparts {
		if len(s.member[q]) > 0 {
			live++
		}
	}
	tried := make([]bool, s.nparts)
	for live > maxParts {
		victim := int32(-1)
		for q := range int32(s.nparts) {
			if !tried[q] && len(s.member[q]) > 0 && (victim < 0 || s.neur[q] < s.neur[victim]) {
				victim = q
			}
		}
		if victim < 0 {
			break // every remaining part was tried
		}
		tried[victim] = true
		frags := slices.Clone(s.member[victim])
		var moved []int32
		ok := true
		for _, v := range frags {
			best, bestGain := int32(-1), math.Inf(-1)
			for q := range int32(s.nparts) {
				if q == victim || len(s.member[q]) == 0 || s.neur[q]+p.Neurons[v] > s.budN || s.mem[q]+p.Mem[v] > s.budM {
					continue
				}
				if d := s.g(v, q, fo); d > bestGain && s.feasible(v, q, fo) {
					best, bestGain = q, d
				}
			}
			if best < 0 {
				ok = false
				break
			}
			s.g(v, best, fo)
			s.apply(v, best, fo)
			moved = append(moved, v)
		}
		if !ok {
			for i := len(moved) - 1; i >= 0; i-- {
				v := moved[i]
				s.g(v, victim, fo)
				s.apply(v, victim, fo)
			}
			continue
		}
		live--
	}
	return live
}
