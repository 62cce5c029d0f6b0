package sim

// This file holds the chip's own time semantics (Options.Semantics ==
// Chip): one step of delay per synapse, every core updating at once from
// the input that arrived in the previous step.

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Semantics says how a timestep of the network maps onto the chip's steps.
type Semantics int

const (
	// Trained is the semantics the network was trained in (the default):
	// inside one step every population updates in graph order and sees the
	// spikes its sources emitted in the same step. The run has T steps and
	// its spikes equal ir.IntExecutor's.
	Trained Semantics = iota
	// Chip is the barrier-synchronous semantics of the chips (Loihi,
	// TrueNorth, SANA-FE): in a step every core updates at once from the
	// synaptic input that arrived in the previous step, so a spike emitted
	// at step t is integrated at step t+1 and each synapse adds one step
	// of delay. The host currents of the stem populations (the input) are
	// presented at steps 0..T-1 and integrated in the same step; the run
	// has T + D - 1 steps, D being the depth of the output population (the
	// longest path in synapses from the input; the stem has depth 1), and
	// the output votes (Result.Counter) are read over the last T steps,
	// D-1 .. T+D-2, where a chain's output step D-1+t answers input step t.
	//
	// Fill-in: a population whose shortest path from the input has d
	// synapses cannot receive input before step d-1. Before that step it is
	// held: its membrane stays at its initial 0, it integrates neither bias
	// nor leak and it fires nothing (the core still walks its neurons, at
	// the cost of inactive updates). So the bias is dropped during the
	// fill-in steps, and a chain computes exactly the trained spikes, each
	// population at depth d delayed by d-1 steps. Where paths of different
	// lengths meet (a residual join) the inputs arrive at different steps
	// and the spikes differ from the trained ones, unless the projections
	// carry synaptic delays (ir.Projection.Delay, set by the compiler's
	// delay pass where the chip has them) that make every input of the
	// join arrive at the same step: a projection with delay d delivers the
	// spikes of step t at step t+d (chipsem_delay.go), and Depths counts
	// the delays.
	//
	// Latency: all populations update concurrently from time 0 of the step,
	// each core serially over its own populations and then over the
	// synaptic operations of the messages it receives; a step costs the
	// busiest core's update and messaging (with the full NoC model: links,
	// buffers, stalls) plus the barrier.
	Chip
)

// String returns "trained" or "chip".
func (m Semantics) String() string {
	switch m {
	case Trained:
		return "trained"
	case Chip:
		return "chip"
	}
	return fmt.Sprintf("Semantics(%d)", int(m))
}

// ParseSemantics returns the semantics named "trained" or "chip".
func ParseSemantics(name string) (Semantics, error) {
	switch name {
	case "trained":
		return Trained, nil
	case "chip":
		return Chip, nil
	}
	return 0, fmt.Errorf("sim: semantics %q, want trained or chip", name)
}

// Options are the simulation choices that are not part of the chip
// profile. The zero value is the default (Trained semantics).
type Options struct {
	Semantics Semantics
}

// NewWithOptions is New with explicit options.
func NewWithOptions(g *ir.Graph, t *backends.Target, o Options) (*Sim, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	s, err := New(g, t)
	if err != nil {
		return nil, err
	}
	s.setSemantics(o)
	return s, nil
}

func (o Options) check() error {
	if o.Semantics != Trained && o.Semantics != Chip {
		return fmt.Errorf("sim: options: semantics %d, want Trained (0) or Chip (1)", int(o.Semantics))
	}
	return nil
}

// setSemantics switches a Sim fresh from New or Fork (Trained) to o.
func (s *Sim) setSemantics(o Options) {
	if o.Semantics == Chip {
		s.chip = true
		s.initDelayLine()
		s.firstStep, s.depth = ir.Depths(s.g, true)
	}
}

// Semantics returns the time semantics the Sim runs in.
func (s *Sim) Semantics() Semantics {
	if s.chip {
		return Chip
	}
	return Trained
}

// Steps returns the number of chip steps one run takes: T in Trained
// semantics, T + D - 1 in Chip semantics (D the output's depth).
func (s *Sim) Steps() int {
	if s.chip {
		return s.g.T + s.depth[len(s.depth)-1] - 1
	}
	return s.g.T
}

// OutputOffset returns the first step whose output spikes are counted as
// votes: 0 in Trained semantics, D-1 in Chip semantics.
func (s *Sim) OutputOffset() int {
	if s.chip {
		return s.depth[len(s.depth)-1] - 1
	}
	return 0
}

// beginChipStep prepares step t of a Chip-semantics run: the input that
// arrived during the previous step becomes this step's synaptic input, and
// the accumulators start empty for the messages of this step.
func (s *Sim) beginChipStep(t int) {
	s.stepNo = t
	s.rotate(t)
}

// holdUpdate is the update of core-population cpi during its fill-in steps
// (Chip semantics, before its first input can arrive): the core walks its
// neurons as inactive updates starting at time at, and the state is held
// (membrane 0, no bias, no leak, no spike).
func (s *Sim) holdUpdate(cpi int32, at float64) {
	cp := &s.corePops[cpi]
	sp := &s.pops[cp.pop]
	co := &s.cores[cp.core]
	for _, j := range cp.neurons {
		gid := sp.base + j
		if s.narrow {
			s.in32[gid] = 0
		} else {
			s.in[gid] = 0
		}
		sp.out[j] = 0
	}
	nUpd := int64(len(cp.neurons))
	at += float64(nUpd) * s.costs.inactiveT
	s.step.NeuronUpdates += nUpd
	s.step.Energy.NeuronPJ += float64(nUpd) * s.costs.inactiveE
	co.busyUntil = at
	s.q.push(at, evUpdateDone, cpi, 0)
}
