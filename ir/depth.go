package ir

// Depths returns, for every population of g (indexed like g.Pops), the
// shortest (first) and longest (depth) path from the input in timesteps
// of a barrier-synchronous chip, where a spike crosses a projection in one
// step or, if delays is true, in its DelaySteps (1 unless the compiler's
// delay pass set more): 0 for the input, 1 for the stem. A population
// at depth d answers the input of step t at step t+d-1; where the paths
// into a join differ in length, first < depth there. A population with
// no incoming projection gets 0 for both. g's Pops must be in topological
// order (Verify checks it).
func Depths(g *Graph, delays bool) (first, depth []int) {
	first = make([]int, len(g.Pops))
	depth = make([]int, len(g.Pops))
	index := make(map[*Population]int, len(g.Pops))
	for i, p := range g.Pops {
		index[p] = i
	}
	in := make([][]*Projection, len(g.Pops))
	for _, e := range g.Projs {
		if di, ok := index[e.Dst]; ok {
			in[di] = append(in[di], e)
		}
	}
	// In topological order every source is final before its destinations.
	for di := 1; di < len(g.Pops); di++ {
		for _, e := range in[di] {
			si, ok := index[e.Src]
			if !ok {
				continue
			}
			step := 1
			if delays {
				step = e.DelaySteps()
			}
			if d := depth[si] + step; d > depth[di] {
				depth[di] = d
			}
			if f := first[si] + step; first[di] == 0 || f < first[di] {
				first[di] = f
			}
		}
	}
	return first, depth
}
