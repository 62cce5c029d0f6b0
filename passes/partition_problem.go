package passes

// The partitioning problem of the partition pass: the hypergraph whose
// vertices are split's fragments and whose nets group the source neurons
// that reach the same fragments, and the cost of an assignment of
// fragments to parts (rate-weighted, multicast-aware messages) and what
// its parts hold.

import (
	"encoding/binary"
	"fmt"
	"slices"

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

// PartUsage is what the parts of a partition hold, per part.
type PartUsage struct {
	Neurons []int   // neurons
	Mem     []int64 // synaptic memory in bytes
	FanIn   []int   // distinct source neurons (input axons)
}

// PartUsage returns the neurons, synaptic memory and input axons of every
// part of pt.
func (p *Problem) PartUsage(pt *Partition) PartUsage {
	u := PartUsage{Neurons: make([]int, pt.K), Mem: make([]int64, pt.K), FanIn: make([]int, pt.K)}
	fan := make([]map[int32]bool, pt.K)
	for q := range fan {
		fan[q] = map[int32]bool{}
	}
	for v, q := range pt.Part {
		u.Neurons[q] += p.Neurons[v]
		u.Mem[q] += p.Mem[v]
		for _, s := range p.Sources(v) {
			fan[q][s] = true
		}
	}
	for q := range fan {
		u.FanIn[q] = len(fan[q])
	}
	return u
}

// PartLimits checks a partition against the per-core limits and returns
// the violations (additive limits and fan-in; fan-out is checked by
// verify on the placed graph).
func (p *Problem) PartLimits(pt *Partition, lim Limits) []string {
	u := p.PartUsage(pt)
	var out []string
	for q := 0; q < pt.K; q++ {
		if u.Neurons[q] > lim.Neurons {
			out = append(out, fmt.Sprintf("part %d holds %d neurons, want <= %d", q, u.Neurons[q], lim.Neurons))
		}
		if u.Mem[q] > lim.MemBytes {
			out = append(out, fmt.Sprintf("part %d needs %d bytes of synaptic memory, want <= %d", q, u.Mem[q], lim.MemBytes))
		}
		if lim.FanIn > 0 && u.FanIn[q] > lim.FanIn {
			out = append(out, fmt.Sprintf("part %d has %d input axons, want <= %d", q, u.FanIn[q], lim.FanIn))
		}
	}
	return out
}
