package sim

// This file lets several Sims share one chip's read-only tables, so that
// images can run in parallel without a copy of the synapses each.

import (
	"fmt"
	"slices"

	"github.com/autosnn/autosnn/ir"
)

// Fork returns a new Sim of the same graph and chip, in the semantics of
// o, that shares s's read-only tables (the expanded synapses, the message
// groups and their delay segments, the placement and the routers: the
// bulk of the memory) and has its own run state (membranes, accumulators,
// buffers, queues, link counts, all as New leaves them). s and its forks
// may run concurrently, one goroutine each, and a fork computes for an
// input exactly what a Sim made by NewWithOptions(s.Graph(), s.Target(),
// o) computes. Fork refuses a Sim whose run failed.
func (s *Sim) Fork(o Options) (*Sim, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if s.broken != nil {
		return nil, fmt.Errorf("sim: fork %s: an earlier run failed (%v); make a new Sim", s.g.Name, s.broken)
	}
	host, err := ir.NewIntExecutor(s.g)
	if err != nil {
		return nil, fmt.Errorf("sim: fork: %w", err)
	}
	f := &Sim{
		g: s.g, t: s.t, costs: s.costs, host: host,
		pops: slices.Clone(s.pops), corePops: slices.Clone(s.corePops), cores: slices.Clone(s.cores),
		nNeurons: s.nNeurons, syns: s.syns, csyns: s.csyns, compact: s.compact, cwb: s.cwb, span16: s.span16, nSyn: s.nSyn,
		groups: s.groups, cpIndex: s.cpIndex, narrow: s.narrow, anyCuba: s.anyCuba,
		delays:  delayLine{segStart: s.delays.segStart, segs: s.delays.segs},
		routers: s.routers, nports: s.nports, nLinks: s.nLinks, multicast: s.multicast,
		tilesInUse: s.tilesInUse,
	}
	for i := range f.pops {
		p := &f.pops[i]
		p.remaining, p.fired = 0, 0
		if p.out != nil {
			p.out = make([]float32, len(p.out))
		}
		if p.hostI != nil {
			p.hostI = make([]int32, len(p.hostI))
		}
	}
	for i := range f.corePops {
		f.corePops[i].queued = false
	}
	for i := range f.cores {
		c := &f.cores[i]
		c.busyUntil, c.ni, c.niWake, c.niBlocked, c.maxNIQueue = 0, fifo{}, false, -1, 0
	}
	f.allocState()
	f.setSemantics(o)
	return f, nil
}

// allocState allocates the run state of a Sim whose tables are built:
// neuron state, synaptic accumulators, the outstanding-message counts and
// the routers' buffers and counters, all zero (New, Fork).
func (s *Sim) allocState() {
	s.outstanding = make([]int32, len(s.pops)*s.t.NumCores)
	s.v = make([]int32, s.nNeurons)
	if s.anyCuba {
		s.syn = make([]int32, s.nNeurons)
	}
	if s.narrow {
		n := s.nNeurons
		if s.span16 {
			n += 1 << 16 // spare entries, zero: no target is there
		}
		s.cur32 = make([]int32, n)
	} else {
		s.cur = make([]int64, s.nNeurons)
	}
	s.allocNoC()
}

// AddForkLinkLoad adds the per-link message counts of f, a fork of s (or s's
// origin, or another fork of it), to s's, so that s's LinkLoad and
// WriteHeatmap cover the images f ran too.
func (s *Sim) AddForkLinkLoad(f *Sim) error {
	if f.t != s.t || len(f.linkTotal) != len(s.linkTotal) {
		return fmt.Errorf("sim: add link load: %s on %s is not a fork of %s on %s", f.g.Name, f.t.Name(), s.g.Name, s.t.Name())
	}
	for i, c := range f.linkTotal {
		s.linkTotal[i] += c
	}
	return nil
}
