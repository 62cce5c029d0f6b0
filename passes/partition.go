package passes

// This file implements the partition pass: fragments are assigned to parts
// (future cores) minimising rate-weighted inter-core spike messages, counted
// multicast-aware as one message per (source neuron, destination core), under
// every per-core limit.

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Problem is the partitioning problem of a split graph: a hypergraph whose
// vertices are fragments and whose nets are groups of source neurons of one
// fragment that reach exactly the same set of destination fragments.
//
// The cost of an assignment part[] is
//
//	sum over nets n: W[n] * |{part[d] : d in Dests(n)} \ {part[Src[n]]}|
//
// the rate-weighted number of inter-core messages per timestep (a spike of
// a source neuron is one message per destination core other than its own).
type Problem struct {
	// Frags are the vertices.
	Frags []Fragment
	// Neurons and Mem are the additive vertex weights: neurons and synaptic
	// memory in bytes at the target's weight precision.
	Neurons []int
	Mem     []int64
	// Src, W and NN describe each net: the source fragment, the summed spike
	// rate of its neurons (spikes per timestep) and the number of neurons.
	Src []int32
	W   []float64
	NN  []int32
	// pinStart/pins hold each net's destination fragments (CSR).
	pinStart []int32
	pins     []int32
	// srcNets / dstNets list per fragment the nets it sources / receives.
	srcStart, srcNets []int32
	dstStart, dstNets []int32
	// fanStart/fanSrc list per fragment its distinct global source neurons.
	fanStart []int32
	fanSrc   []int32
	// Off[i] is the global id of the first neuron of g.Pops[i] (-1 for the
	// input population); FragOf[i][j] is the fragment of neuron j of pop i.
	Off    []int
	FragOf [][]int32
	// Uniform is true when no population carried profiled rates.
	Uniform bool
}

// selfNet reports whether fragment v is both the source and a destination
// of net n (only in coarsened problems, whose clusters may hold a layer and
// its consumer).
func (p *Problem) selfNet(n int32, v int32) bool {
	return p.Src[n] == v && slices.Contains(p.Dests(int(n)), v)
}

// Dests returns the destination fragments of net n.
func (p *Problem) Dests(n int) []int32 { return p.pins[p.pinStart[n]:p.pinStart[n+1]] }

// Sources returns the distinct global source neurons of fragment f.
func (p *Problem) Sources(f int) []int32 { return p.fanSrc[p.fanStart[f]:p.fanStart[f+1]] }

// NumNets returns the number of nets.
func (p *Problem) NumNets() int { return len(p.Src) }

// rateOf returns the spike rate of neuron j of population q (uniform 1
// spike per timestep when the graph is not profiled).
func rateOf(q *ir.Population, j int) float64 {
	if q.Rates == nil {
		return 1
	}
	return float64(q.Rates[j])
}

// BuildProblem builds the partitioning problem of g split into sr.
func BuildProblem(g *ir.Graph, t *backends.Target, sr *SplitResult) *Problem {
	p := &Problem{Frags: sr.Frags, Off: make([]int, len(g.Pops)), FragOf: make([][]int32, len(g.Pops)), Uniform: true}
	total := 0
	for i, q := range g.Pops {
		if i == 0 {
			p.Off[i] = -1
			continue
		}
		p.Off[i] = total
		total += q.Shape.Len()
		if q.Rates != nil {
			p.Uniform = false
		}
		fo := make([]int32, q.Shape.Len())
		for fi := sr.First[i]; fi < sr.Last[i]; fi++ {
			f := &sr.Frags[fi]
			for c := f.C0; c < f.C1; c++ {
				for h := f.H0; h < f.H1; h++ {
					for w := f.W0; w < f.W1; w++ {
						fo[(c*q.Shape.H+h)*q.Shape.W+w] = int32(fi)
					}
				}
			}
		}
		p.FragOf[i] = fo
	}
	nf := len(sr.Frags)
	p.Neurons = make([]int, nf)
	p.Mem = make([]int64, nf)
	for i := range sr.Frags {
		p.Neurons[i] = sr.Frags[i].Neurons
		p.Mem[i] = memBytes(t, sr.Frags[i].Weights)
	}
	dests := make([][]int32, total)
	p.fanStart = make([]int32, 1, nf+1)
	var ids []int32
	for fi := range sr.Frags {
		f := &sr.Frags[fi]
		ids = ids[:0]
		for _, e := range chipInputs(g, g.Pops[f.Pop]) {
			si := g.Index(e.Src)
			s := e.Src.Shape
			b := sources(e, f)
			for _, c := range b.Chans {
				for _, h := range b.Rows {
					for _, w := range b.Cols {
						gid := int32(p.Off[si] + (c*s.H+h)*s.W + w)
						ids = append(ids, gid)
						if d := dests[gid]; len(d) == 0 || d[len(d)-1] != int32(fi) {
							dests[gid] = append(d, int32(fi))
						}
					}
				}
			}
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		p.fanSrc = append(p.fanSrc, ids...)
		p.fanStart = append(p.fanStart, int32(len(p.fanSrc)))
	}
	// Group neurons into nets by (source fragment, destination set).
	p.pinStart = []int32{0}
	key := make([]byte, 0, 64)
	for i, q := range g.Pops {
		if i == 0 {
			continue
		}
		for fi := sr.First[i]; fi < sr.Last[i]; fi++ {
			f := &sr.Frags[fi]
			index := map[string]int{}
			for c := f.C0; c < f.C1; c++ {
				for h := f.H0; h < f.H1; h++ {
					for w := f.W0; w < f.W1; w++ {
						j := (c*q.Shape.H+h)*q.Shape.W + w
						d := dests[p.Off[i]+j]
						if len(d) == 0 {
							continue
						}
						slices.Sort(d)
						d = slices.Compact(d)
						key = key[:0]
						for _, v := range d {
							key = binary.LittleEndian.AppendUint32(key, uint32(v))
						}
						n, ok := index[string(key)]
						if !ok {
							n = len(p.Src)
							index[string(key)] = n
							p.Src = append(p.Src, int32(fi))
							p.W = append(p.W, 0)
							p.NN = append(p.NN, 0)
							p.pins = append(p.pins, d...)
							p.pinStart = append(p.pinStart, int32(len(p.pins)))
						}
						p.W[n] += rateOf(q, j)
						p.NN[n]++
					}
				}
			}
		}
	}
	// Per-fragment net lists.
	p.srcStart, p.srcNets = csr(nf, len(p.Src), func(n int, emit func(int)) { emit(int(p.Src[n])) })
	p.dstStart, p.dstNets = csr(nf, len(p.Src), func(n int, emit func(int)) {
		for _, d := range p.Dests(n) {
			emit(int(d))
		}
	})
	return p
}

// csr builds, for nv vertices, the list of items (0..ni-1) that each
// vertex is emitted for by each(item, emit).
func csr(nv, ni int, each func(item int, emit func(v int))) (start, list []int32) {
	start = make([]int32, nv+1)
	for i := 0; i < ni; i++ {
		each(i, func(v int) { start[v+1]++ })
	}
	for v := 0; v < nv; v++ {
		start[v+1] += start[v]
	}
	list = make([]int32, start[nv])
	pos := slices.Clone(start[:nv])
	for i := 0; i < ni; i++ {
		each(i, func(v int) { list[pos[v]] = int32(i); pos[v]++ })
	}
	return start, list
}

// Cost returns the rate-weighted inter-part messages per timestep of
// assignment part (one entry per fragment).
func (p *Problem) Cost(part []int32) float64 {
	var c float64
	p.messages(part, func(_, _ int32, w float64) { c += w })
	return c
}

// Traffic returns the part-level traffic: for every ordered pair of
// distinct parts (a, b), the rate-weighted messages per timestep a sends to b.
func (p *Problem) Traffic(part []int32) map[[2]int32]float64 {
	m := map[[2]int32]float64{}
	p.messages(part, func(s, q int32, w float64) { m[[2]int32{s, q}] += w })
	return m
}

// messages calls fn once per net and destination part other than the
// source's under assignment part: one message of rate w from part s to
// part q (the multicast-aware count).
func (p *Problem) messages(part []int32, fn func(s, q int32, w float64)) {
	seen := map[int32]bool{}
	for n := range p.Src {
		clear(seen)
		s := part[p.Src[n]]
		for _, d := range p.Dests(n) {
			if q := part[d]; q != s && !seen[q] {
				seen[q] = true
				fn(s, q, p.W[n])
			}
		}
	}
}

// PartitionOptions tune Partition.
type PartitionOptions struct {
	// Imbalance is the allowed neuron imbalance over the average part
	// (0.03 = 3%), applied on top of the hard per-core limits.
	Imbalance float64
	// Passes is the number of refinement sweeps (default 8).
	Passes int
	// MaxParts bounds the number of parts (the target's cores).
	MaxParts int
	// Levels bounds the coarsening levels of the multilevel scheme;
	// 0 (the default) partitions the fragments directly, which measured
	// better than coarsening for fragments of a quarter core (see
	// docs/performance.md). Negative means DefaultLevels.
	Levels int
}

// Partition is an assignment of fragments to parts.
type Partition struct {
	// Part is the part of each fragment, 0..K-1.
	Part []int32
	// K is the number of parts.
	K int
	// BudgetNeurons and BudgetMem are the per-part limits used (capacity
	// and balance combined).
	BudgetNeurons int
	BudgetMem     int64
	// InitialCost and Cost are the messages per timestep after the initial
	// packing and after refinement.
	InitialCost, Cost float64
	// Moves and Swaps count the accepted refinement steps.
	Moves, Swaps int
	// Fixed, when not nil, is the core of each part decided by the
	// partitioner itself (layer-core chips); place then keeps it.
	Fixed []int32
	// Levels is the number of coarsening levels used.
	Levels int
}

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

// Partition assigns the fragments of p to at most opt.MaxParts parts under
// the limits lim: a locality-preserving greedy packing (fragments in layer
// and tile order fill a part until a limit would be exceeded) followed by
// k-way refinement sweeps that move single fragments, or swap pairs, to the
// neighbouring part with the best positive gain that keeps every limit.
// It returns a *FitError when more parts than opt.MaxParts are needed.
func PartitionProblem(g *ir.Graph, p *Problem, lim Limits, opt PartitionOptions) (*Partition, error) {
	if opt.Passes == 0 {
		opt.Passes = 8
	}
	if opt.Levels != 0 {
		return partitionMultilevel(g, p, lim, opt)
	}
	return partitionFlat(g, p, lim, opt)
}

// partitionFlat packs and refines p without coarsening.
func partitionFlat(g *ir.Graph, p *Problem, lim Limits, opt PartitionOptions) (*Partition, error) {
	s := newPState(p, lim)
	var totalN int
	var totalM int64
	for v := range p.Frags {
		totalN += p.Neurons[v]
		totalM += p.Mem[v]
	}
	s.budN, s.budM = lim.Neurons, lim.MemBytes
	fo := map[int32]int64{}
	// Pack consumers first: when a fragment is packed, every fragment its
	// neurons reach already has its part, so its fan-out is exact. Each
	// fragment goes to the open part (the last few made) where it fits
	// with the best gain, or opens a new part.
	const window = 6
	for v := len(p.Frags) - 1; v >= 0; v-- {
		vv := int32(v)
		best, bestGain := int32(-1), math.Inf(-1)
		for q := int32(max(0, s.nparts-window)); q < int32(s.nparts); q++ {
			g := s.gain(vv, q, fo)
			if g > bestGain+1e-12 && s.feasible(vv, q, fo) {
				best, bestGain = q, g
			}
		}
		if best < 0 {
			best = s.newPart()
			s.gain(vv, best, fo)
			if !s.feasible(vv, best, fo) {
				return nil, fragFitError(g, p, s, vv, best, fo)
			}
		}
		s.gain(vv, best, fo)
		s.apply(vv, best, fo)
	}
	if opt.MaxParts > 0 && s.nparts > opt.MaxParts {
		return nil, &FitError{Resource: "cores", Need: float64(s.nparts), Have: float64(opt.MaxParts), Unit: "cores",
			Detail: fmt.Sprintf("packing the %d fragments of %s under every per-core limit (neurons %d, synaptic memory %d bytes, fan-in %d, fan-out %d) takes %d cores",
				len(p.Frags), g.Name, lim.Neurons, lim.MemBytes, lim.FanIn, lim.FanOut, s.nparts),
			Hint: "more chips (a larger board), a smaller network (lower C), or a chip with more or larger cores"}
	}
	// Balance: neurons per part within (1+Imbalance) of the average, never
	// above the capacity, never below what the packing already holds.
	k := s.nparts
	bal := int(math.Ceil((1 + opt.Imbalance) * float64(totalN) / float64(k)))
	maxN := slices.Max(s.neur)
	s.budN = min(lim.Neurons, max(bal, maxN))
	res := &Partition{K: k, BudgetNeurons: s.budN, BudgetMem: s.budM}
	res.InitialCost = p.Cost(s.part)
	s.refine(opt.Passes, res)
	s.compact()
	res.Part = s.part
	res.K = s.nparts
	res.Cost = p.Cost(s.part)
	return res, nil
}

// fragFitError explains why fragment v does not fit an empty part.
func fragFitError(g *ir.Graph, p *Problem, s *pstate, v, to int32, fo map[int32]int64) error {
	name := g.Pops[p.Frags[v].Pop].Name
	if s.lim.FanOut > 0 {
		if d := fo[to]; d > int64(s.lim.FanOut) {
			return &FitError{Layer: name, Resource: "output axons (fan-out)", Need: float64(d), Have: float64(s.lim.FanOut), Unit: "per core",
				Detail: fmt.Sprintf("a fragment of %d neurons reaches %d (neuron, destination core) pairs", p.Neurons[v], d),
				Hint:   "a chip with more output axons per core or fewer, larger consumer layers"}
		}
	}
	if s.lim.DestCores > 0 {
		for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
			if l, _ := s.afterMove(n, s.part[v], to, -1); l > s.lim.DestCores {
				src := g.Pops[p.Frags[p.Src[n]].Pop].Name
				return &FitError{Layer: src, Resource: "destination cores per neuron", Need: float64(l), Have: float64(s.lim.DestCores), Unit: "cores",
					Detail: "a neuron's spikes must reach more cores than the chip allows (splitter neurons are not inserted)",
					Hint:   "a chip without the one-target rule (loihi1, loihi2, spinnaker2)"}
			}
		}
	}
	return &FitError{Layer: name, Resource: "core", Need: 1, Have: 0, Unit: "cores", Detail: "a fragment does not fit an empty core"}
}

// refine runs k-way refinement sweeps.
func (s *pstate) refine(passes int, res *Partition) {
	p := s.p
	fo := map[int32]int64{}
	fo2 := map[int32]int64{}
	cands := map[int32]float64{}
	const maxCands = 6
	for pass := 0; pass < passes; pass++ {
		improved := 0
		before := s.cost()
		for v := range p.Frags {
			vv := int32(v)
			from := s.part[vv]
			// Score neighbouring parts by the rate they share with v and
			// evaluate the exact gain of the best few only.
			clear(cands)
			for _, n := range p.srcNets[p.srcStart[v]:p.srcStart[v+1]] {
				for _, x := range s.netParts[n] {
					cands[x.q] += p.W[n]
				}
			}
			for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
				cands[s.part[p.Src[n]]] += p.W[n]
				for _, x := range s.netParts[n] {
					cands[x.q] += p.W[n] / float64(len(s.netParts[n]))
				}
			}
			delete(cands, from)
			type cg struct {
				q int32
				g float64
			}
			var gs []cg
			for q, w := range cands {
				gs = append(gs, cg{q, w})
			}
			slices.SortFunc(gs, func(a, b cg) int {
				if a.g != b.g {
					if a.g > b.g {
						return -1
					}
					return 1
				}
				return int(a.q - b.q)
			})
			if len(gs) > maxCands {
				gs = gs[:maxCands]
			}
			k := 0
			for _, c := range gs {
				if g := s.g(vv, c.q, fo); g > 1e-12 {
					gs[k] = cg{c.q, g}
					k++
				}
			}
			gs = gs[:k]
			sort.SliceStable(gs, func(a, b int) bool { return gs[a].g > gs[b].g })
			done := false
			for _, c := range gs {
				s.g(vv, c.q, fo)
				if s.feasible(vv, c.q, fo) {
					s.apply(vv, c.q, fo)
					res.Moves++
					improved++
					done = true
					break
				}
			}
			if done || len(gs) == 0 {
				continue
			}
			// Swap v with a fragment of the best target part.
			c := gs[0]
			tried := 0
			g1 := c.g
			for _, u := range slices.Clone(s.member[c.q]) {
				if tried >= 12 {
					break
				}
				// Cheap filters first: additive limits and the gain of u's
				// move in the current state (exact when u and v share no net).
				if !s.swapFits(vv, u, from, c.q) {
					continue
				}
				if g1+s.g(u, from, fo2) <= 1e-12 {
					continue
				}
				tried++
				s.g(vv, c.q, fo)
				s.apply(vv, c.q, fo)
				g2 := s.g(u, from, fo2)
				if g1+g2 > 1e-12 && s.feasible(u, from, fo2) {
					s.apply(u, from, fo2)
					if s.partOK(from) && s.partOK(c.q) && s.fanOutOK() {
						res.Swaps++
						improved++
						break
					}
					s.g(u, c.q, fo2)
					s.apply(u, c.q, fo2)
				}
				s.g(vv, from, fo)
				s.apply(vv, from, fo)
			}
		}
		if improved == 0 || before-s.cost() < 0.002*before {
			break
		}
	}
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

// partitionPass is the partition pass: it sets Candidate.Partition of
// every candidate of Unit.Layout and drops those that do not fit.
func partitionPass(u *Unit) error {
	if u.Layout == nil || len(u.Layout.Candidates) == 0 {
		return fmt.Errorf("no fragments: the split pass did not run")
	}
	u.eachCandidate(func(c *Candidate) {
		if u.Target.Profile.LayerCores != nil {
			c.Partition, c.err = partitionLayerCores(u.G, u.Target, c.Split)
		} else {
			c.Partition, c.err = PartitionProblem(u.G, c.Problem, TargetLimits(u.Target), PartitionOptions{Imbalance: 0.03, MaxParts: u.Target.NumCores})
		}
		if c.err == nil {
			pt := c.Partition
			fmt.Fprintf(&c.log, "partition: granularity %d: %d cores, %.6g -> %.6g messages per timestep (%d moves, %d swaps)\n", c.Granularity, pt.K, pt.InitialCost, pt.Cost, pt.Moves, pt.Swaps)
		}
	})
	return u.keepCandidates()
}

// partitionLayerCores gives every population of a layer-core chip its own
// core by bipartite matching of layers to the cores that can hold them.
func partitionLayerCores(g *ir.Graph, t *backends.Target, sr *SplitResult) (*Partition, error) {
	n := len(sr.Frags)
	fits := make([][]int, n)
	for f := range sr.Frags {
		fits[f] = layerCoreFits(g, t, g.Pops[sr.Frags[f].Pop])
	}
	owner := make([]int, t.NumCores)
	for i := range owner {
		owner[i] = -1
	}
	var try func(f int, seen []bool) bool
	try = func(f int, seen []bool) bool {
		for _, c := range fits[f] {
			if seen[c] {
				continue
			}
			seen[c] = true
			if owner[c] < 0 || try(owner[c], seen) {
				owner[c] = f
				return true
			}
		}
		return false
	}
	for f := 0; f < n; f++ {
		if !try(f, make([]bool, t.NumCores)) {
			return nil, fmt.Errorf("layer %s: no free layer core of %s can hold it (fits cores %v, all taken by other layers)", g.Pops[sr.Frags[f].Pop].Name, t.Name(), fits[f])
		}
	}
	pt := &Partition{Part: make([]int32, n), K: n, Fixed: make([]int32, n)}
	for c, f := range owner {
		if f >= 0 {
			pt.Part[f] = int32(f)
			pt.Fixed[f] = int32(c)
		}
	}
	return pt, nil
}
