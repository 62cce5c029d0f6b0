package sim

// This file holds the synaptic delays of the chip's time semantics: a
// projection with Delay d adds the spikes its source emits at step t to
// its destination's input of step t+d. The delay line is a ring of
// accumulator arrays indexed by arrival step, as a Loihi core's dendritic
// accumulators (one slot per future step) or TrueNorth's axon scheduler
// hold them.

import "github.com/autosnn/autosnn/ir"

// delaySeg is the synapses syns[syn0:syn1] (or csyns) of one message group
// that share one delay, in steps.
type delaySeg struct {
	syn0, syn1 uint32
	delay      uint16
}

// delayLine is the Chip-semantics input ring of a Sim.
type delayLine struct {
	// on is set in Chip semantics when some projection has a delay above
	// one step; deliverGroup then adds each segment into its arrival slot.
	on bool
	// max is the longest delay of any non-host projection (>= 1).
	max int
	// ring32 (narrow accumulators) or ring (wide) has max+1 arrays of the
	// accumulator length: ring[t mod (max+1)] is the synaptic input read
	// at step t. slot32[d] / slot[d] is the array of step stepNo+d.
	ring32 [][]int32
	ring   [][]int64
	slot32 [][]int32
	slot   [][]int64
	// segStart[gi]..segStart[gi+1] index the segments of message group gi
	// in segs (built whenever the graph has a delay above 1).
	segStart []uint32
	segs     []delaySeg
}

// clear empties every slot of the ring (the start of a run).
func (d *delayLine) clear() {
	for _, r := range d.ring32 {
		clear(r)
	}
	for _, r := range d.ring {
		clear(r)
	}
}

// maxDelay returns the longest delay, in steps, of g's non-host
// projections (1 when g has none or all take one step).
func maxDelay(g *ir.Graph) int {
	m := 1
	for _, e := range g.Projs {
		if e.Src != g.Input() {
			m = max(m, e.DelaySteps())
		}
	}
	return m
}

// initDelayLine allocates the input ring of Chip semantics: the current
// accumulators become slot 0 and max more arrays of the same length join
// them.
func (s *Sim) initDelayLine() {
	d := &s.delays
	d.max = maxDelay(s.g)
	d.on = d.max > 1
	n := d.max + 1
	if s.narrow {
		d.ring32 = make([][]int32, n)
		d.ring32[0] = s.cur32
		for i := 1; i < n; i++ {
			d.ring32[i] = make([]int32, len(s.cur32))
		}
		d.slot32 = make([][]int32, n)
	} else {
		d.ring = make([][]int64, n)
		d.ring[0] = s.cur
		for i := 1; i < n; i++ {
			d.ring[i] = make([]int64, len(s.cur))
		}
		d.slot = make([][]int64, n)
	}
}

// rotate points the accumulators at step t's slots: in32/in (read by this
// step's updates), cur32/cur (delay 1) and, with delays, slot32[d] for
// every delay d.
func (s *Sim) rotate(t int) {
	d := &s.delays
	n := d.max + 1
	if s.narrow {
		s.in32, s.cur32 = d.ring32[t%n], d.ring32[(t+1)%n]
		for k := 1; d.on && k < n; k++ {
			d.slot32[k] = d.ring32[(t+k)%n]
		}
	} else {
		s.in, s.cur = d.ring[t%n], d.ring[(t+1)%n]
		for k := 1; d.on && k < n; k++ {
			d.slot[k] = d.ring[(t+k)%n]
		}
	}
}

// deliverDelayed performs the synaptic operations of group gi (gr) into
// the arrival slot of each of its segments.
func (s *Sim) deliverDelayed(gi int32, gr *group) {
	d := &s.delays
	for _, sg := range d.segs[d.segStart[gi]:d.segStart[gi+1]] {
		switch {
		case s.compact:
			s.addCompact(d.slot32[sg.delay][gr.base:], s.csyns[sg.syn0:sg.syn1])
		case s.narrow:
			cur := d.slot32[sg.delay]
			for _, sy := range s.syns[sg.syn0:sg.syn1] {
				cur[sy.t] += sy.w
			}
		default:
			cur := d.slot[sg.delay]
			for _, sy := range s.syns[sg.syn0:sg.syn1] {
				cur[sy.t] += int64(sy.w)
			}
		}
	}
}
