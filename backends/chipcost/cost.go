package chipcost

// The terms of the model and the step they share: turning per-population
// counts into energy and latency, whichever placement produced the counts.

import (
	"errors"
	"fmt"
	"math"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Cost is the cost of one inference (T timesteps) of a network on a target.
// Counts are per inference; see the package doc for each term.
type Cost struct {
	Spikes        float64 // neuron spikes (each spike once; spiking and relay populations)
	SynOps        float64 // synaptic operations: synapses reached by the spikes
	NeuronUpdates float64 // neuron state updates: non-input neurons x T
	ActiveUpdates float64 // updates with a nonzero input current (measured, or estimated: package doc)
	Messages      float64 // spike messages: one per (spike, destination core), own core included
	Hops          float64 // sum over messages of their XY hop counts
	Cores         int     // cores holding neurons (Estimate: needed by its packing)
	EnergyPJ      float64 // total energy in pJ: the sum of Energy's terms
	LatencyNs     float64 // time per inference in ns (zero-load)
	// Energy splits EnergyPJ by term.
	Energy Energy
	// Pops has one entry per non-input population in graph order.
	Pops []PopCost `json:"-"`
	// Assumption is Activity.Assumption: empty when the spike counts were
	// measured, else what they assume.
	Assumption string `json:",omitempty"`
}

// Energy is an energy per inference split by term, in pJ.
type Energy struct {
	SynOpsPJ  float64 // synaptic operations at their kind's energy
	NeuronPJ  float64 // neuron updates, active and inactive
	SpikePJ   float64 // spike generation
	MessagePJ float64 // message injection (MessageOutPJ per message)
	RoutePJ   float64 // hops by direction, or within-tile delivery
	StaticPJ  float64 // static power of the board over LatencyNs
}

// Total returns the sum of the terms in pJ.
func (e Energy) Total() float64 {
	return e.SynOpsPJ + e.NeuronPJ + e.SpikePJ + e.MessagePJ + e.RoutePJ + e.StaticPJ
}

// PopCost is one non-input population's share of a Cost, per inference.
// Traffic (SynOps, Messages, Hops and their energy) is the population's as
// sender; Energy.StaticPJ is 0 (static energy belongs to the whole chip).
type PopCost struct {
	Name          string
	Neurons       int
	Cores         int     // distinct cores holding its neurons
	Spikes        float64 // its spikes
	ActiveUpdates float64
	SynOps        float64 // synaptic operations its spikes cause
	Messages      float64 // messages its spikes send, own core included
	SelfMessages  float64 // of Messages, those to the sender's own core
	Hops          float64
	Energy        Energy
}

// Activity is what a network does per inference (T timesteps), the input
// of the model besides the graph and the target.
type Activity struct {
	// Spikes is the mean number of spikes per inference of each population,
	// by name. Nil is an error (ErrNoSpikes); a population absent from a
	// non-nil map spiked zero times.
	Spikes map[string]float64
	// NeuronSpikes, if not nil, refines Spikes per neuron for Placed: by
	// population name, the spikes per inference of each neuron (length
	// Shape.Len()). Populations without an entry spread Spikes evenly over
	// their neurons. Estimate ignores it.
	NeuronSpikes map[string][]float64
	// Active, if not nil, is the measured neuron updates with a nonzero
	// input current per inference, by population name; populations without
	// an entry are estimated (package doc, "Missing spike counts").
	Active map[string]float64
	// Assumption is empty when the counts were measured, else a sentence
	// saying what they assume; Cost.Assumption repeats it.
	Assumption string
}

// Metric selects which quantity of a Cost the search's fitness uses.
type Metric string

// Metrics that may replace spikes in the fitness.
const (
	MetricSynOps  Metric = "synops"
	MetricEnergy  Metric = "energy"
	MetricLatency Metric = "latency"
	MetricHops    Metric = "hops"
)

// Value returns the quantity of c named by m.
func (c Cost) Value(m Metric) (float64, error) {
	switch m {
	case MetricSynOps:
		return c.SynOps, nil
	case MetricEnergy:
		return c.EnergyPJ, nil
	case MetricLatency:
		return c.LatencyNs, nil
	case MetricHops:
		return c.Hops, nil
	}
	return 0, fmt.Errorf("chipcost: unknown metric %q, want synops, energy, latency or hops", m)
}

// ErrDoesNotFit is wrapped by Estimate when the network needs more cores
// than the target has.
var ErrDoesNotFit = errors.New("network does not fit the chip")

// ErrNoSpikes is wrapped by Estimate and Placed when Activity.Spikes is nil.
var ErrNoSpikes = errors.New("no spike counts (state an assumption instead, see the package doc)")

// UniformSpikes spreads total spikes per inference over the spiking and
// relay populations of g in proportion to their neuron counts: the
// assumption of a caller that measured only the total.
func UniformSpikes(g *ir.Graph, total float64) map[string]float64 {
	n := 0
	for _, p := range g.Pops {
		if fires(p) {
			n += p.Shape.Len()
		}
	}
	m := make(map[string]float64, len(g.Pops))
	for _, p := range g.Pops {
		if fires(p) {
			m[p.Name] = total * float64(p.Shape.Len()) / float64(n)
		}
	}
	return m
}

// fires reports whether p's outputs are spikes (spiking or relay neurons).
func fires(p *ir.Population) bool { return p.Neuron.Model.Spiking() || p.Neuron.Model == ir.Relay }

// synOpNs returns the time of one synaptic operation of kind k in ns.
func synOpNs(t *backends.Target, k backends.Connectivity) float64 {
	tm := t.Profile.Timing
	switch {
	case k == backends.Sparse && tm.SynOpSparseNs > 0:
		return tm.SynOpSparseNs
	case k == backends.Conv && tm.SynOpConvNs > 0:
		return tm.SynOpConvNs
	}
	return tm.SynOpNs
}

// check returns ErrNoSpikes, wrapped, when a has no spike counts.
func (a Activity) check(g *ir.Graph) error {
	if a.Spikes == nil {
		return fmt.Errorf("chipcost: %s: %w", g.Name, ErrNoSpikes)
	}
	return nil
}

// active returns the active updates per inference of p, whose neurons
// spike ns[j] times each (ns nil: spikes spread evenly): measured
// (a.Active), or estimated as every timestep of a neuron with a nonzero
// bias (PopQuant.Bias, known once quantized) plus the spikes of the other
// neurons (a neuron fires only on a nonzero input).
func (a Activity) active(g *ir.Graph, p *ir.Population, spikes float64, ns []float64) float64 {
	if v, ok := a.Active[p.Name]; ok {
		return v
	}
	if p.Q == nil || p.Q.Bias == nil {
		return spikes
	}
	n, hw := p.Shape.Len(), p.Shape.H*p.Shape.W
	T := float64(g.T)
	var v float64
	for j := range n {
		switch {
		case p.Q.Bias[j/hw] != 0:
			v += T
		case ns != nil:
			v += ns[j]
		default:
			v += spikes / float64(n)
		}
	}
	return v
}

// stage is one non-input population's counts, which Estimate and Placed
// fill in from their placements: its own neurons and spikes, the traffic
// it sends (per inference) and the time its layer takes per timestep.
type stage struct {
	pop            *ir.Population
	cores          int
	spikes, active float64
	synOps         [3]float64 // by backends.Connectivity
	messages, self float64
	hops, routePJ  float64
	workNs         float64 // the busiest core's work per timestep
	msgLatencyNs   float64 // the longest zero-load latency of a message into it
}

// finish turns the stages into a Cost: energy by term, latency over tiles
// tiles, and the per-population breakdown.
func finish(g *ir.Graph, t *backends.Target, a Activity, stages []stage, cores, tiles int) Cost {
	e := t.Profile.Energy
	T := float64(g.T)
	c := Cost{Cores: cores, Assumption: a.Assumption, Pops: make([]PopCost, len(stages))}
	var step float64
	for i := range stages {
		s := &stages[i]
		n := float64(s.pop.Shape.Len())
		pc := PopCost{Name: s.pop.Name, Neurons: s.pop.Shape.Len(), Cores: s.cores, Spikes: s.spikes, ActiveUpdates: s.active,
			Messages: s.messages, SelfMessages: s.self, Hops: s.hops}
		for k, ops := range s.synOps {
			pc.SynOps += ops
			pc.Energy.SynOpsPJ += ops * t.SynOpEnergyPJ(backends.Connectivity(k))
		}
		pc.Energy.NeuronPJ = s.active*e.NeuronUpdateActivePJ + (n*T-s.active)*e.NeuronUpdateInactivePJ
		pc.Energy.SpikePJ = s.spikes * e.SpikeOutPJ
		pc.Energy.MessagePJ = s.messages * e.MessageOutPJ
		pc.Energy.RoutePJ = s.routePJ
		c.Pops[i] = pc
		if fires(s.pop) {
			c.Spikes += s.spikes
		}
		c.SynOps += pc.SynOps
		c.NeuronUpdates += n * T
		c.ActiveUpdates += s.active
		c.Messages += s.messages
		c.Hops += s.hops
		c.Energy.SynOpsPJ += pc.Energy.SynOpsPJ
		c.Energy.NeuronPJ += pc.Energy.NeuronPJ
		c.Energy.SpikePJ += pc.Energy.SpikePJ
		c.Energy.MessagePJ += pc.Energy.MessagePJ
		c.Energy.RoutePJ += pc.Energy.RoutePJ
		step += s.workNs + s.msgLatencyNs
	}
	prof := t.Profile
	step += t.SyncNs(tiles)
	if prof.Sync.Mode == backends.SyncFixedTick {
		step = math.Max(step, prof.Sync.TickNs) // a timestep lasts at least one tick
	}
	c.LatencyNs = T * step
	c.Energy.StaticPJ = t.StaticEnergyPJ(c.LatencyNs)
	c.EnergyPJ = c.Energy.Total()
	return c
}

// workNs returns one core's work per timestep in ns: synNs of synaptic
// operations, neurons updates of which active are active, and spikes.
func workNs(t *backends.Target, synNs, neurons, active, spikes float64) float64 {
	tm := t.Profile.Timing
	return synNs + neurons*tm.NeuronUpdateInactiveNs + active*(tm.NeuronUpdateActiveNs-tm.NeuronUpdateInactiveNs) + spikes*tm.SpikeOutNs
}
