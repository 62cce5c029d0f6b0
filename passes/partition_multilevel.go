package passes

// Multilevel scheme of the partition pass: fragments are coarsened by
// heavy-edge matching into clusters that still fit a core, the coarsest
// problem is packed and refined, and the assignment is projected back level
// by level with k-way refinement at each level.

import (
	"encoding/binary"
	"slices"

	"github.com/autosnn/autosnn/ir"
)

// DefaultLevels is the default bound on coarsening levels.
const DefaultLevels = 4

// coarsen matches every fragment of p with its most heavily connected
// unmatched neighbour (rate of the nets joining them) when the pair fits a
// core (neurons, memory, distinct input axons), and returns the problem of
// the clusters and each fragment's cluster. It returns nil when matching
// would shrink the problem by less than 10%.
func coarsen(p *Problem, lim Limits) (*Problem, []int32) {
	n := len(p.Frags)
	w := make([]map[int32]float64, n)
	for i := range w {
		w[i] = map[int32]float64{}
	}
	for k := range p.Src {
		s := p.Src[k]
		for _, d := range p.Dests(k) {
			if d != s {
				w[s][d] += p.W[k]
				w[d][s] += p.W[k]
			}
		}
	}
	// foBound is each fragment's output axons if every destination
	// fragment sat on its own core: a merged pair within the limit cannot
	// fail the fan-out limit wherever its destinations go.
	foBound := make([]int64, n)
	for k := range p.Src {
		foBound[p.Src[k]] += int64(p.NN[k]) * int64(len(p.Dests(k)))
	}
	cl := make([]int32, n)
	for i := range cl {
		cl[i] = -1
	}
	next := int32(0)
	var nb []int32
	for v := 0; v < n; v++ {
		if cl[v] >= 0 {
			continue
		}
		nb = nb[:0]
		for u := range w[v] {
			if cl[u] < 0 {
				nb = append(nb, u)
			}
		}
		// Heaviest first; ties by index (deterministic).
		slices.SortFunc(nb, func(a, b int32) int {
			if wa, wb := w[v][a], w[v][b]; wa != wb {
				if wa > wb {
					return -1
				}
				return 1
			}
			return int(a - b)
		})
		cl[v] = next
		for _, u := range nb {
			// Clusters stay within half a core so that the coarsest level
			// still packs tightly.
			if 2*(p.Neurons[v]+p.Neurons[u]) > lim.Neurons || 2*(p.Mem[v]+p.Mem[u]) > lim.MemBytes {
				continue
			}
			if lim.FanIn > 0 && 2*unionLen(p.Sources(v), p.Sources(int(u))) > lim.FanIn {
				continue
			}
			if lim.FanOut > 0 && 2*(foBound[v]+foBound[u]) > int64(lim.FanOut) {
				continue
			}
			cl[u] = next
			break
		}
		next++
	}
	if float64(next) > 0.9*float64(n) {
		return nil, nil
	}
	return p.contract(cl, int(next)), cl
}

// unionLen returns the size of the union of two sorted id lists.
func unionLen(a, b []int32) int {
	i, j, n := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			i++
			j++
		}
		n++
	}
	return n + len(a) - i + len(b) - j
}

// contract returns the problem of clusters cl (0..k-1) of p: additive
// weights summed, sources united, nets mapped to clusters and merged when
// they join the same source cluster to the same destination clusters. Its
// cost of an assignment equals p's cost of the projected assignment.
func (p *Problem) contract(cl []int32, k int) *Problem {
	c := &Problem{Frags: make([]Fragment, k), Neurons: make([]int, k), Mem: make([]int64, k), Uniform: p.Uniform, Off: p.Off}
	seen := make([]bool, k)
	members := make([][]int32, k)
	for v, q := range cl {
		if !seen[q] {
			seen[q] = true
			c.Frags[q] = Fragment{Pop: p.Frags[v].Pop}
		}
		c.Neurons[q] += p.Neurons[v]
		c.Mem[q] += p.Mem[v]
		members[q] = append(members[q], int32(v))
	}
	c.fanStart = make([]int32, 1, k+1)
	var ids []int32
	for q := 0; q < k; q++ {
		ids = ids[:0]
		for _, v := range members[q] {
			ids = append(ids, p.Sources(int(v))...)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		c.fanSrc = append(c.fanSrc, ids...)
		c.fanStart = append(c.fanStart, int32(len(c.fanSrc)))
	}
	c.pinStart = []int32{0}
	index := map[string]int{}
	key := make([]byte, 0, 64)
	var d []int32
	for n := range p.Src {
		d = d[:0]
		for _, x := range p.Dests(n) {
			d = append(d, cl[x])
		}
		slices.Sort(d)
		d = slices.Compact(d)
		src := cl[p.Src[n]]
		key = binary.LittleEndian.AppendUint32(key[:0], uint32(src))
		for _, x := range d {
			key = binary.LittleEndian.AppendUint32(key, uint32(x))
		}
		m, ok := index[string(key)]
		if !ok {
			m = len(c.Src)
			index[string(key)] = m
			c.Src = append(c.Src, src)
			c.W = append(c.W, 0)
			c.NN = append(c.NN, 0)
			c.pins = append(c.pins, d...)
			c.pinStart = append(c.pinStart, int32(len(c.pins)))
		}
		c.W[m] += p.W[n]
		c.NN[m] += p.NN[n]
	}
	c.srcStart, c.srcNets = csr(k, len(c.Src), func(n int, emit func(int)) { emit(int(c.Src[n])) })
	c.dstStart, c.dstNets = csr(k, len(c.Src), func(n int, emit func(int)) {
		for _, x := range c.Dests(n) {
			emit(int(x))
		}
	})
	return c
}

// stateFrom builds the refinement state of p with fragment v in part
// part[v] (0..k-1) and the given per-part budgets.
func stateFrom(p *Problem, lim Limits, part []int32, k, budN int, budM int64) *pstate {
	s := newPState(p, lim)
	for q := 0; q < k; q++ {
		s.newPart()
	}
	s.budN, s.budM = budN, budM
	fo := map[int32]int64{}
	for v := len(p.Frags) - 1; v >= 0; v-- {
		s.gain(int32(v), part[v], fo)
		s.apply(int32(v), part[v], fo)
	}
	return s
}

// partitionMultilevel coarsens p up to opt.Levels times, partitions the
// coarsest problem (packing and refinement), then projects the assignment
// back to every finer level and refines it there.
func partitionMultilevel(g *ir.Graph, p *Problem, lim Limits, opt PartitionOptions) (*Partition, error) {
	levels := opt.Levels
	if levels < 0 {
		levels = DefaultLevels
	}
	probs := []*Problem{p}
	var maps [][]int32
	for len(maps) < levels {
		cp, cl := coarsen(probs[len(probs)-1], lim)
		if cp == nil {
			break
		}
		probs = append(probs, cp)
		maps = append(maps, cl)
	}
	pt, err := partitionFlat(g, probs[len(probs)-1], lim, opt)
	if err != nil && len(maps) > 0 {
		// Coarse clusters can pack worse than fragments; start flat.
		probs, maps = probs[:1], nil
		pt, err = partitionFlat(g, p, lim, opt)
	}
	if err != nil {
		return nil, err
	}
	// The multilevel scheme balances nothing but the per-core limits:
	// FM needs the room that the balance budget would take away.
	fo := fmOptions{Passes: opt.Passes, Seed: opt.Seed}
	budN, budM := lim.Neurons, lim.MemBytes
	for l := len(maps); l >= 0; l-- {
		fine := probs[l]
		part := pt.Part
		if l < len(maps) {
			part = make([]int32, len(fine.Frags))
			for v := range part {
				part[v] = pt.Part[maps[l][v]]
			}
		}
		s := stateFrom(fine, lim, part, pt.K, budN, budM)
		res := &Partition{K: pt.K, BudgetNeurons: budN, BudgetMem: budM, InitialCost: pt.InitialCost, Moves: pt.Moves, Swaps: pt.Swaps}
		// FM first (single moves, negative gains within a pass), then
		// the swap sweeps: where parts are full FM cannot move, a swap can.
		s.fmRefine(fo, res)
		s.refine(opt.Passes, res)
		if l == 0 {
			s.compact()
		}
		res.Part, res.K = s.part, s.nparts
		res.Cost = fine.Cost(res.Part)
		res.Levels = len(maps)
		pt = res
	}
	return pt, nil
}
