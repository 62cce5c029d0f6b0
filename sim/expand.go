package sim

// This file expands the synapses of the compiled graph (ir.SynapsesFrom)
// and groups them by (source neuron, destination core) into the payloads
// of its messages, in the compact 4-byte form when they fit.

import (
	"math"
	"math/bits"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// expandEntry is one synapse of a source neuron while it is grouped.
type expandEntry struct {
	core  int32
	kind  backends.Connectivity
	delay uint16
	syn   synapse
}

// expand builds the message groups of every source neuron: all synapses of
// its outgoing (non-host) projections, grouped by destination core in
// ascending core order, synapses within a group in projection then target
// order (with delays: stably by delay). It writes the compact form
// (Sim.csyns, Sim.compact) while every group spans fewer than 2^(32-cwb)
// neurons, and switches to the wide form (widen) at
// the first group that does not; build widens too when the accumulators
// turn out not to be narrow. It accumulates sumAbs for build.
func (s *Sim) expand(index map[*ir.Population]int) {
	g := s.g
	delayed := maxDelay(g) > 1
	var total int64
	for _, e := range g.Projs {
		if e.Src != g.Input() {
			total += ir.ProjCounts(e).Synapses
		}
	}
	// The compact form's weight bits hold every weight of the graph.
	var maxW int64
	for _, e := range g.Projs {
		if e.Src != g.Input() {
			for _, w := range e.Q.Weights {
				maxW = max(maxW, absI64(int64(w)))
			}
		}
	}
	s.cwb = uint8(bits.Len64(uint64(maxW))) + 1 // and the sign
	s.compact = s.cwb <= 24                     // >= 8 bits of offset
	if s.compact {
		s.csyns = make([]compactSynapse, 0, total)
	} else {
		s.syns = make([]synapse, 0, total)
	}
	synE, synT := &s.costs.synE, &s.costs.synT
	sumAbs := s.sumAbs
	var scratch, sorted, tmp []expandEntry
	var dl []uint16
	count := make([]int32, s.t.NumCores)
	var touched []int32
	for si := 1; si < len(s.pops); si++ {
		sp := &s.pops[si]
		var outs []*ir.Projection
		for _, e := range g.Projs {
			if e.Src == sp.p {
				outs = append(outs, e)
			}
		}
		sp.grp = make([]int32, sp.n+1)
		for j := 0; j < sp.n; j++ {
			sp.grp[j] = int32(len(s.groups))
			scratch = scratch[:0]
			for _, e := range outs {
				dp := &s.pops[index[e.Dst]]
				k := backends.ConnectivityOf(e.Op)
				w := e.Q.Weights
				d := uint16(e.DelaySteps())
				core, base := dp.p.Core, dp.base
				ir.SynapsesFrom(e, j, func(tgt, wi int) {
					scratch = append(scratch, expandEntry{core: core[tgt], kind: k, delay: d, syn: synapse{t: base + int32(tgt), w: w[wi]}})
				})
			}
			if len(scratch) == 0 {
				continue
			}
			// Counting sort by core (stable).
			touched = touched[:0]
			for i := range scratch {
				c := scratch[i].core
				if count[c] == 0 {
					touched = append(touched, c)
				}
				count[c]++
			}
			sortInt32(touched)
			off := int32(0)
			for _, c := range touched {
				n := count[c]
				count[c] = off
				off += n
			}
			if cap(sorted) < len(scratch) {
				sorted = make([]expandEntry, len(scratch))
			}
			sorted = sorted[:len(scratch)]
			for i := range scratch {
				c := scratch[i].core
				sorted[count[c]] = scratch[i]
				count[c]++
			}
			for _, c := range touched {
				count[c] = 0
			}
			start := 0
			for start < len(sorted) {
				c := sorted[start].core
				end := start + 1
				for end < len(sorted) && sorted[end].core == c {
					end++
				}
				run := sorted[start:end]
				start = end
				if delayed {
					// Synapses of one delay together (a stable partition:
					// a group has few distinct delays), the group's segments.
					dl = dl[:0]
					for i := range run {
						if !containsU16(dl, run[i].delay) {
							dl = append(dl, run[i].delay)
						}
					}
					if len(dl) > 1 {
						sortU16(dl)
						tmp = append(tmp[:0], run...)
						k := 0
						for _, d := range dl {
							for i := range tmp {
								if tmp[i].delay == d {
									run[k] = tmp[i]
									k++
								}
							}
						}
					}
					s.delays.segStart = append(s.delays.segStart, uint32(len(s.delays.segs)))
					for i := range run {
						if i == 0 || run[i].delay != run[i-1].delay {
							n := uint32(s.nSynSoFar() + i)
							s.delays.segs = append(s.delays.segs, delaySeg{syn0: n, syn1: n, delay: run[i].delay})
						}
						s.delays.segs[len(s.delays.segs)-1].syn1++
					}
				}
				gr := group{core: c, srcPop: int32(si), syn0: uint32(s.nSynSoFar())}
				if s.compact && !s.fitsCompact(run) {
					s.widen()
				}
				if s.compact {
					lo := run[0].syn.t
					for i := range run {
						lo = min(lo, run[i].syn.t)
					}
					gr.base = lo
					cs, wb := s.csyns, s.cwb
					for i := range run {
						en := &run[i]
						cs = append(cs, packSynapse(uint32(en.syn.t-lo), en.syn.w, wb))
						sumAbs[en.syn.t] += absI64(int64(en.syn.w))
						gr.energyPJ += synE[en.kind]
						gr.latencyNs += synT[en.kind]
					}
					s.csyns = cs
				} else {
					ws := s.syns
					for i := range run {
						en := &run[i]
						ws = append(ws, en.syn)
						sumAbs[en.syn.t] += absI64(int64(en.syn.w))
						gr.energyPJ += synE[en.kind]
						gr.latencyNs += synT[en.kind]
					}
					s.syns = ws
				}
				gr.syn1 = uint32(s.nSynSoFar())
				s.groups = append(s.groups, gr)
			}
		}
		sp.grp[sp.n] = int32(len(s.groups))
	}
	if delayed {
		s.delays.segStart = append(s.delays.segStart, uint32(len(s.delays.segs)))
	}
}

// repack16 moves the compact synapses to 16 bits of offset and 16 of
// weight (span16) when every group spans fewer than 2^16 neurons and the
// weights fit 16 bits, the layout the hot loop reads fastest.
func (s *Sim) repack16() {
	if s.cwb > 16 {
		return
	}
	for i := range s.groups {
		gr := &s.groups[i]
		for k := gr.syn0; k < gr.syn1; k++ {
			if dt, _ := s.csyns[k].unpack(s.cwb); dt > math.MaxUint16 {
				return
			}
		}
	}
	for k, sy := range s.csyns {
		dt, w := sy.unpack(s.cwb)
		s.csyns[k] = packSynapse(dt, w, 16)
	}
	s.cwb, s.span16 = 16, true
}

// nSynSoFar returns the number of synapses expanded so far, in either form.
func (s *Sim) nSynSoFar() int { return len(s.syns) + len(s.csyns) }

// fitsCompact reports whether the synapses of one group fit the compact
// form: targets spanning fewer than 2^(32 - cwb) neurons (the weights fit
// by the choice of cwb).
func (s *Sim) fitsCompact(run []expandEntry) bool {
	lo, hi := int32(math.MaxInt32), int32(-1)
	for i := range run {
		lo, hi = min(lo, run[i].syn.t), max(hi, run[i].syn.t)
	}
	return int64(hi-lo) < 1<<(32-s.cwb)
}

// widen switches the synapses expanded so far from the compact to the wide
// form (Sim.syns), with room for all of them.
func (s *Sim) widen() {
	s.syns = make([]synapse, len(s.csyns), cap(s.csyns))
	for i := range s.groups {
		gr := &s.groups[i]
		for k := gr.syn0; k < gr.syn1; k++ {
			dt, w := s.csyns[k].unpack(s.cwb)
			s.syns[k] = synapse{t: gr.base + int32(dt), w: w}
		}
		gr.base = 0
	}
	s.csyns = nil
	s.compact, s.span16 = false, false
}

func absI64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func sortInt32(xs []int32) {
	// insertion sort: the lists are short (destination cores of one neuron)
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

func containsU16(xs []uint16, v uint16) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

func sortU16(xs []uint16) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}
