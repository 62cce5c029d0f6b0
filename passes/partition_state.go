package passes

// The partitioner's state, shared by the initial packing, the refinement
// sweeps, the multilevel scheme and the mesh-aware refinement: every part's
// neurons, memory, input axons and output axons, and every net's
// destination parts, kept up to date move by move; the gain of a move and
// whether it keeps every per-core limit.

import (
	"slices"
)

// pstate is the mutable state of a partition under refinement.
type pstate struct {
	p      *Problem
	lim    Limits
	part   []int32 // real part ids 0..; unassigned fragment v has id base+v
	base   int32
	nparts int
	neur   []int
	mem    []int64
	fanIn  []int
	fanOut []int64
	ref    []refCount
	// nsrc bounds the global source neuron ids; denseBytes is the memory
	// held by dense reference counts.
	nsrc       int32
	denseBytes int
	member     [][]int32
	// netParts holds per net its destination parts with pin counts.
	netParts [][]pc
	// hop, when not nil, gives the mesh distance between parts: refine
	// then minimises rate x hops (gainHop) instead of messages (gain).
	hop  func(a, b int32) float64
	budN int
	budM int64
}

func newPState(p *Problem, lim Limits) *pstate {
	nf := len(p.Frags)
	s := &pstate{p: p, lim: lim, part: make([]int32, nf), base: int32(nf), netParts: make([][]pc, len(p.Src))}
	for _, x := range p.fanSrc {
		s.nsrc = max(s.nsrc, x+1)
	}
	for v := range s.part {
		s.part[v] = s.base + int32(v)
	}
	s.fanOut = make([]int64, 2*nf)
	for n := range p.Src {
		for _, d := range p.Dests(n) {
			s.bump(int32(n), s.part[d], 1)
		}
		s.fanOut[s.part[p.Src[n]]] += int64(p.NN[n]) * int64(len(s.netParts[n]))
	}
	return s
}

// maxDenseRefBytes bounds the memory of dense per-part reference counts;
// parts made beyond it count with maps.
const maxDenseRefBytes = 128 << 20

// refCount counts, per global source neuron, the fragments of one part
// that it reaches (the part's input axons are the neurons with a nonzero
// count): a dense array when memory allows, else a map. A part holds far
// fewer than 65,536 fragments, so uint16 counts do not overflow.
type refCount struct {
	d []uint16
	m map[int32]int32
}

func (r *refCount) get(x int32) int32 {
	if r.d != nil {
		return int32(r.d[x])
	}
	return r.m[x]
}

// inc adds one to x's count and reports whether it was zero.
func (r *refCount) inc(x int32) bool {
	if r.d != nil {
		r.d[x]++
		return r.d[x] == 1
	}
	r.m[x]++
	return r.m[x] == 1
}

// dec subtracts one from x's count and reports whether it is now zero.
func (r *refCount) dec(x int32) bool {
	if r.d != nil {
		r.d[x]--
		return r.d[x] == 0
	}
	if r.m[x]--; r.m[x] == 0 {
		delete(r.m, x)
		return true
	}
	return false
}

// pc is one destination part of a net and how many of the net's
// destination fragments it holds.
type pc struct{ q, c int32 }

// count returns how many destination fragments of net n are in part q.
func (s *pstate) count(n int32, q int32) int32 {
	for _, x := range s.netParts[n] {
		if x.q == q {
			return x.c
		}
	}
	return 0
}

// bump adds d to the count of part q in net n.
func (s *pstate) bump(n int32, q int32, d int32) {
	l := s.netParts[n]
	for i := range l {
		if l[i].q == q {
			l[i].c += d
			if l[i].c == 0 {
				l[i] = l[len(l)-1]
				s.netParts[n] = l[:len(l)-1]
			}
			return
		}
	}
	s.netParts[n] = append(l, pc{q, d})
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// afterMove returns, for net n with destination fragment v moving from
// part from to part to, the number of distinct destination parts after the
// move and whether part q then holds a destination.
func (s *pstate) afterMove(n int32, from, to, q int32) (lambda int, hasQ bool) {
	cA, cB := s.count(n, from), s.count(n, to)
	lambda = len(s.netParts[n])
	if cA == 1 {
		lambda--
	}
	if cB == 0 {
		lambda++
	}
	switch q {
	case from:
		hasQ = cA > 1
	case to:
		hasQ = true
	default:
		hasQ = s.count(n, q) > 0
	}
	return lambda, hasQ
}

// gain returns the decrease in cost of moving fragment v to part to, and
// the fan-out changes per part into fo (cleared first).
func (s *pstate) gain(v int32, to int32, fo map[int32]int64) float64 {
	p := s.p
	from := s.part[v]
	var d float64
	clear(fo)
	for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
		if p.selfNet(n, v) {
			// v is the source and a destination (a coarse cluster holding
			// both ends): the source part and the pins move together.
			lb := len(s.netParts[n])
			hb := s.count(n, from) > 0
			la, ha := s.afterMove(n, from, to, to)
			d += p.W[n] * ((float64(lb) - b2f(hb)) - (float64(la) - b2f(ha)))
			fo[from] -= int64(p.NN[n]) * int64(lb)
			fo[to] += int64(p.NN[n]) * int64(la)
			continue
		}
		l := int64(len(s.netParts[n]))
		d += p.W[n] * (b2f(s.count(n, to) > 0) - b2f(s.count(n, from) > 0))
		fo[from] -= int64(p.NN[n]) * l
		fo[to] += int64(p.NN[n]) * l
	}
	for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
		if p.Src[n] == v {
			continue // handled above
		}
		sp := s.part[p.Src[n]]
		lb := len(s.netParts[n])
		hb := s.count(n, sp) > 0
		la, ha := s.afterMove(n, from, to, sp)
		if lb == la && hb == ha {
			continue
		}
		d += p.W[n] * ((float64(lb) - b2f(hb)) - (float64(la) - b2f(ha)))
		if la != lb {
			fo[sp] += int64(p.NN[n]) * int64(la-lb)
		}
	}
	return d
}

// g is the gain refine uses: messages, or rate x hops once parts have cores.
func (s *pstate) g(v, to int32, fo map[int32]int64) float64 {
	if s.hop != nil {
		return s.gainHop(v, to, fo)
	}
	return s.gain(v, to, fo)
}

// cost is the objective refine minimises.
func (s *pstate) cost() float64 {
	if s.hop != nil {
		return s.hopCost()
	}
	return s.p.Cost(s.part)
}

// fanInDelta returns how many sources of v part q does not hold yet.
func (s *pstate) fanInDelta(v int32, q int32) int {
	if int(q) >= s.nparts {
		return len(s.p.Sources(int(v)))
	}
	r := &s.ref[q]
	n := 0
	for _, x := range s.p.Sources(int(v)) {
		if r.get(x) == 0 {
			n++
		}
	}
	return n
}

// feasible reports whether moving v to real part to keeps every touched
// part within its limits, given the fan-out deltas fo from gain.
func (s *pstate) feasible(v int32, to int32, fo map[int32]int64) bool {
	p := s.p
	if s.neur[to]+p.Neurons[v] > s.budN || s.mem[to]+p.Mem[v] > s.budM {
		return false
	}
	if s.lim.FanOut > 0 {
		for q, d := range fo {
			if d > 0 && s.fanOut[q]+d > int64(s.lim.FanOut) {
				return false
			}
		}
	}
	if s.lim.DestCores > 0 {
		from := s.part[v]
		for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
			if l, _ := s.afterMove(n, from, to, -1); l > s.lim.DestCores && l > len(s.netParts[n]) {
				return false
			}
		}
	}
	if s.lim.FanIn > 0 && s.fanIn[to]+len(s.p.Sources(int(v))) > s.lim.FanIn && s.fanIn[to]+s.fanInDelta(v, to) > s.lim.FanIn {
		return false
	}
	return true
}

// apply moves v to part to (a real part), with fo from gain(v, to, fo).
func (s *pstate) apply(v int32, to int32, fo map[int32]int64) {
	p := s.p
	from := s.part[v]
	for q, d := range fo {
		s.fanOut[q] += d
	}
	if int(from) < s.nparts {
		s.neur[from] -= p.Neurons[v]
		s.mem[from] -= p.Mem[v]
		r := &s.ref[from]
		for _, x := range p.Sources(int(v)) {
			if r.dec(x) {
				s.fanIn[from]--
			}
		}
		m := s.member[from]
		i := slices.Index(m, v)
		m[i] = m[len(m)-1]
		s.member[from] = m[:len(m)-1]
	}
	s.neur[to] += p.Neurons[v]
	s.mem[to] += p.Mem[v]
	r := &s.ref[to]
	for _, x := range p.Sources(int(v)) {
		if r.inc(x) {
			s.fanIn[to]++
		}
	}
	s.member[to] = append(s.member[to], v)
	for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
		s.bump(n, from, -1)
		s.bump(n, to, 1)
	}
	s.part[v] = to
}

func (s *pstate) newPart() int32 {
	s.nparts++
	s.neur = append(s.neur, 0)
	s.mem = append(s.mem, 0)
	s.fanIn = append(s.fanIn, 0)
	var r refCount
	if b := int(s.nsrc) * 2; s.denseBytes+b <= maxDenseRefBytes {
		r.d = make([]uint16, s.nsrc)
		s.denseBytes += b
	} else {
		r.m = map[int32]int32{}
	}
	s.ref = append(s.ref, r)
	s.member = append(s.member, nil)
	return int32(s.nparts - 1)
}

// partOK reports whether part q satisfies its additive and fan-in limits.
func (s *pstate) partOK(q int32) bool {
	return s.neur[q] <= s.budN && s.mem[q] <= s.budM && (s.lim.FanIn == 0 || s.fanIn[q] <= s.lim.FanIn)
}

// fanOutOK reports whether every real part satisfies the fan-out limit.
func (s *pstate) fanOutOK() bool {
	if s.lim.FanOut == 0 {
		return true
	}
	for q := 0; q < s.nparts; q++ {
		if s.fanOut[q] > int64(s.lim.FanOut) {
			return false
		}
	}
	return true
}

// compact renumbers parts so that empty parts disappear and parts are in
// order of their first fragment (layer order). It returns the new number
// of every old part (-1 for an empty one).
func (s *pstate) compact() (re []int32) {
	re = make([]int32, s.nparts)
	for q := range re {
		re[q] = -1
	}
	k := int32(0)
	for v := range s.part {
		if q := s.part[v]; re[q] < 0 {
			re[q] = k
			k++
		}
	}
	for v := range s.part {
		s.part[v] = re[s.part[v]]
	}
	s.nparts = int(k)
	return re
}

// swapFits reports whether swapping fragment v of part from with fragment
// u of part to keeps both parts within the neuron and memory budgets.
func (s *pstate) swapFits(v, u, from, to int32) bool {
	p := s.p
	return s.neur[to]-p.Neurons[u]+p.Neurons[v] <= s.budN && s.neur[from]-p.Neurons[v]+p.Neurons[u] <= s.budN &&
		s.mem[to]-p.Mem[u]+p.Mem[v] <= s.budM && s.mem[from]-p.Mem[v]+p.Mem[u] <= s.budM
}
