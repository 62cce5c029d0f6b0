package passes

// FM-style k-way refinement of the partition pass (Fiduccia-Mattheyses, in
// the k-way form METIS and hMETIS use): within a pass every fragment moves
// at most once, to the part of its best gain that keeps every per-core
// limit, best gain first (a max-heap), negative gains allowed so that the
// pass can climb out of a local minimum; at the end of the pass the moves
// after the best prefix are undone. Passes repeat while they gain.

import (
	"container/heap"
	"math/rand/v2"
	"slices"
)

// fmMove is one candidate move in the pass's heap: fragment v to part to
// with gain g (messages per timestep saved; may be negative). tie orders
// equal gains (seeded); stamp invalidates entries superseded since.
type fmMove struct {
	g     float64
	tie   uint64
	v, to int32
	stamp int32
}

type fmHeap []fmMove

func (h fmHeap) Len() int { return len(h) }
func (h fmHeap) Less(i, j int) bool {
	if h[i].g != h[j].g {
		return h[i].g > h[j].g
	}
	if h[i].tie != h[j].tie {
		return h[i].tie < h[j].tie
	}
	return h[i].v < h[j].v
}
func (h fmHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *fmHeap) Push(x any)   { *h = append(*h, x.(fmMove)) }
func (h *fmHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// fmOptions tune fmRefine.
type fmOptions struct {
	// Passes bounds the FM passes (each ends at its best prefix).
	Passes int
	// Stall ends a pass after this many moves without a new best prefix.
	Stall int
	// Cands is how many neighbouring parts (by shared rate) are scored
	// exactly per fragment.
	Cands int
	// Seed orders moves of equal gain.
	Seed uint64
}

// fmScratch holds the buffers of one refinement.
type fmScratch struct {
	fo    map[int32]int64
	score map[int32]float64
	qs    []int32
	mark  []int32
	epoch int32
	nb    []int32
}

// bestMove returns the move of fragment v with the best exact gain (s.g)
// among its cands most connected neighbouring parts that keeps every limit;
// ok is false when no such move exists.
func (s *pstate) bestMove(v int32, cands int, sc *fmScratch) (to int32, g float64, ok bool) {
	p := s.p
	from := s.part[v]
	clear(sc.score)
	for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
		for _, x := range s.netParts[n] {
			sc.score[x.q] += p.W[n]
		}
	}
	for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
		sc.score[s.part[p.Src[n]]] += p.W[n]
		for _, x := range s.netParts[n] {
			sc.score[x.q] += p.W[n] / float64(len(s.netParts[n]))
		}
	}
	delete(sc.score, from)
	sc.qs = sc.qs[:0]
	for q := range sc.score {
		sc.qs = append(sc.qs, q)
	}
	slices.SortFunc(sc.qs, func(a, b int32) int {
		if wa, wb := sc.score[a], sc.score[b]; wa != wb {
			if wa > wb {
				return -1
			}
			return 1
		}
		return int(a - b)
	})
	if len(sc.qs) > cands {
		sc.qs = sc.qs[:cands]
	}
	for _, q := range sc.qs {
		gq := s.g(v, q, sc.fo)
		if (!ok || gq > g+1e-12) && s.feasible(v, q, sc.fo) {
			to, g, ok = q, gq, true
		}
	}
	return to, g, ok
}

// neighbours returns the fragments that share a net with v (v excluded),
// each once, in sc.nb.
func (s *pstate) neighbours(v int32, sc *fmScratch) []int32 {
	p := s.p
	sc.epoch++
	sc.mark[v] = sc.epoch
	sc.nb = sc.nb[:0]
	add := func(u int32) {
		if sc.mark[u] != sc.epoch {
			sc.mark[u] = sc.epoch
			sc.nb = append(sc.nb, u)
		}
	}
	for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
		for _, d := range p.Dests(int(n)) {
			add(d)
		}
	}
	for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
		add(p.Src[n])
		for _, d := range p.Dests(int(n)) {
			add(d)
		}
	}
	return sc.nb
}

// fmRefine runs FM passes on s (objective s.cost: messages, or rate x hops
// when s.hop is set) and returns the total gain. Every move keeps every
// per-core limit (s.feasible), so every prefix of a pass, and the state it
// returns, is legal when the start is; the cost never rises (a pass
// without gain is undone entirely). It is deterministic for opt.Seed.
func (s *pstate) fmRefine(opt fmOptions, res *Partition) float64 {
	p := s.p
	n := len(p.Frags)
	if opt.Passes <= 0 {
		opt.Passes = 8
	}
	if opt.Stall <= 0 {
		opt.Stall = max(50, n/20)
	}
	if opt.Cands <= 0 {
		opt.Cands = 8
	}
	sc := &fmScratch{fo: map[int32]int64{}, score: map[int32]float64{}, mark: make([]int32, n)}
	stamp := make([]int32, n)
	moved := make([]bool, n)
	type undo struct{ v, from int32 }
	var log []undo
	var h fmHeap
	total := 0.0
	ties := make([]uint64, n)
	for pass := 0; pass < opt.Passes; pass++ {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(pass)+0x632be59bd9b4e019))
		for v := range ties {
			ties[v] = rng.Uint64()
		}
		h = h[:0]
		clear(moved)
		for v := range n {
			stamp[v]++
			if to, g, ok := s.bestMove(int32(v), opt.Cands, sc); ok {
				h = append(h, fmMove{g: g, tie: ties[v], v: int32(v), to: to, stamp: stamp[v]})
			}
		}
		heap.Init(&h)
		log = log[:0]
		cum, best, bestLen, stall := 0.0, 0.0, 0, 0
		for h.Len() > 0 && stall < opt.Stall {
			m := heap.Pop(&h).(fmMove)
			if moved[m.v] || m.stamp != stamp[m.v] {
				continue
			}
			// Loads of parts elsewhere may have changed feasibility or the
			// gain since the entry was pushed: take the current best.
			to, g, ok := s.bestMove(m.v, opt.Cands, sc)
			if !ok {
				continue
			}
			if g < m.g-1e-9 || to != m.to {
				stamp[m.v]++
				heap.Push(&h, fmMove{g: g, tie: m.tie, v: m.v, to: to, stamp: stamp[m.v]})
				continue
			}
			from := s.part[m.v]
			s.g(m.v, to, sc.fo)
			s.apply(m.v, to, sc.fo)
			moved[m.v] = true
			log = append(log, undo{m.v, from})
			cum += g
			if cum > best+1e-9 {
				best, bestLen, stall = cum, len(log), 0
			} else {
				stall++
			}
			// bestMove leaves sc.nb alone, so the neighbours need no copy.
			for _, u := range s.neighbours(m.v, sc) {
				if moved[u] {
					continue
				}
				stamp[u]++
				if to, g, ok := s.bestMove(u, opt.Cands, sc); ok {
					heap.Push(&h, fmMove{g: g, tie: ties[u], v: u, to: to, stamp: stamp[u]})
				}
			}
		}
		// Undo the moves after the best prefix, last first: each undo
		// returns to a state the pass held before, so every limit holds.
		for i := len(log) - 1; i >= bestLen; i-- {
			s.g(log[i].v, log[i].from, sc.fo)
			s.apply(log[i].v, log[i].from, sc.fo)
		}
		if res != nil {
			res.Moves += bestLen
		}
		total += best
		if best <= 1e-9 {
			break
		}
	}
	return total
}
