package sim

// This file holds the scheduler of a timestep: the event loop, and the
// dependency tracking that starts a core-population's update once its
// sources have finished and their messages to its core are settled.

import (
	"fmt"
	"math"

	"github.com/autosnn/autosnn/backends"
)

// runStep simulates one timestep from an empty chip to a drained one.
func (s *Sim) runStep() (Stats, error) {
	s.step = Stats{}
	s.stalls = [2]float64{}
	s.now, s.lastActive = 0, 0
	s.q.reset()
	s.dests = s.dests[:0]
	for c := range s.cores {
		co := &s.cores[c]
		co.busyUntil, co.niBlocked, co.niWake, co.maxNIQueue = 0, -1, false, 0
	}
	clear(s.nextFree)
	clear(s.wake)
	clear(s.creditWait)
	clear(s.rr)
	clear(s.linkStep)
	for i := range s.blocked {
		s.blocked[i] = -1
	}
	for i := 1; i < len(s.pops); i++ {
		s.pops[i].remaining = len(s.pops[i].cores)
		s.pops[i].fired = 0
	}
	for i := range s.corePops {
		s.corePops[i].queued = false
	}
	for i := range s.corePops {
		s.checkReady(int32(i))
	}
	s.drainPending()
	for s.q.len() > 0 {
		ev := s.q.pop()
		s.now = ev.t
		if ev.kind() != evDropWait {
			s.lastActive = max(s.lastActive, ev.t)
		}
		switch ev.kind() {
		case evDropWait:
			// Stale when the head it was set for has left the buffer (the
			// time then differs or is -1); a stale wait costs nothing.
			if b := ev.a(); s.waitUntil[b] == ev.t {
				s.lastActive = max(s.lastActive, ev.t)
				s.tryBuffer(b)
			}
		case evArrive:
			s.arrive(ev.a(), ev.b)
		case evPortFree:
			s.wake[ev.a()] = false
			s.tryOutput(ev.a())
		case evUpdateDone:
			s.updateDone(ev.a())
		case evNIFree:
			s.cores[ev.a()].niWake = false
			s.tryNI(ev.a())
		}
		s.drainPending()
	}
	if stuck := s.step.Messages - s.step.Delivered - s.step.Dropped; stuck > 0 && s.multicast {
		return s.step, fmt.Errorf("the NoC deadlocked with %d messages in router buffers (multicast packets waiting for each other's buffers); use the drop policy or deeper buffers", stuck)
	}
	for i := 1; i < len(s.pops); i++ {
		if s.pops[i].remaining != 0 {
			return s.step, fmt.Errorf("population %s: %d cores never became ready (simulator bug: inputs outstanding)", s.pops[i].p.Name, s.pops[i].remaining)
		}
	}
	st := s.step
	st.InFlight = st.Messages - st.Delivered - st.Dropped
	if st.InFlight != 0 {
		return st, fmt.Errorf("%d messages in flight after the NoC drained (simulator bug)", st.InFlight)
	}
	st.Stalls.LinkBusyNs += s.stalls[causeLinkBusy]
	st.Stalls.BufferFullNs += s.stalls[causeBufferFull]
	for c := range s.cores {
		st.MaxInjectionQueue = max(st.MaxInjectionQueue, s.cores[c].maxNIQueue)
	}
	st.ComputeNs = s.lastActive
	switch s.costs.syncMode {
	case backends.SyncBarrier:
		st.BarrierNs = s.costs.barrierNs
		st.LatencyNs = st.ComputeNs + st.BarrierNs
	case backends.SyncFixedTick:
		st.LatencyNs = math.Max(st.ComputeNs, s.costs.fixedTickNs)
		if st.ComputeNs > s.costs.fixedTickNs {
			st.TickOverruns = 1
		}
	default:
		st.LatencyNs = st.ComputeNs
	}
	st.LatencyCycles = st.LatencyNs / s.costs.cycleNs
	st.Energy.StaticPJ = s.costs.staticPerNs * st.LatencyNs
	st.LinkUtilMean, st.LinkUtilMax = s.linkUtil(s.linkStep, st.ComputeNs)
	for i, c := range s.linkStep {
		s.linkImage[i] += c
	}
	return st, nil
}

func (s *Sim) drainPending() {
	for len(s.pendOut) > 0 || len(s.pendNI) > 0 {
		if n := len(s.pendOut); n > 0 {
			po := s.pendOut[n-1]
			s.pendOut = s.pendOut[:n-1]
			s.tryOutput(po)
			continue
		}
		n := len(s.pendNI)
		c := s.pendNI[n-1]
		s.pendNI = s.pendNI[:n-1]
		s.tryNI(c)
	}
}

// checkReady queues the neuron update of core-population cpi when all its
// source populations have finished and every message they sent to its
// core has been processed (or dropped); in Chip semantics at once.
func (s *Sim) checkReady(cpi int32) {
	cp := &s.corePops[cpi]
	if cp.queued {
		return
	}
	nc := s.t.NumCores
	for _, src := range s.pops[cp.pop].srcs {
		if s.chip {
			// Every core updates at once from the previous step's input.
			break
		}
		if s.pops[src].remaining > 0 || s.outstanding[src*nc+int(cp.core)] > 0 {
			return
		}
	}
	cp.queued = true
	s.update(cpi)
}

// updateDone marks the update of core-population cpi finished and, when
// its population has finished on every core, wakes its destinations.
func (s *Sim) updateDone(cpi int32) {
	cp := &s.corePops[cpi]
	sp := &s.pops[cp.pop]
	nc := s.t.NumCores
	sp.remaining--
	if sp.remaining == 0 {
		for _, d := range sp.dsts {
			for _, c := range s.pops[d].cores {
				s.checkReady(s.cpIndex[d*nc+int(c)])
			}
		}
	}
}

// settle accounts for one message of group gr that will not be waited for
// any longer (processed or dropped) and wakes the populations of its core
// that were waiting for it.
func (s *Sim) settle(gr *group) {
	nc := s.t.NumCores
	k := int(gr.srcPop)*nc + int(gr.core)
	s.outstanding[k]--
	if s.outstanding[k] != 0 || s.pops[gr.srcPop].remaining != 0 {
		return
	}
	for _, cpi := range s.cores[gr.core].pops {
		if containsInt(s.pops[s.corePops[cpi].pop].srcs, int(gr.srcPop)) {
			s.checkReady(int32(cpi))
		}
	}
}
