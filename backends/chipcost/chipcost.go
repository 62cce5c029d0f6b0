// Package chipcost estimates, in microseconds per candidate, what a
// candidate network would cost on a neuromorphic chip: synaptic operations, neuron
// updates, spike messages and their hops, cores, energy and latency per
// inference. It is cheap enough to sit inside the search's fitness and is
// deliberately analytical: it needs the candidate's IR graph (weights are not
// used), its per-population spike counts, and a backends.Target.
//
// # Model
//
// Every non-input population becomes neurons on cores, packed layer after
// layer in graph order into consecutive cores (the target's core numbering
// is tile-major, so consecutive cores are near each other). A population's
// neurons per core are limited by the core's neuron capacity and, without
// native conv weight sharing, by its synaptic memory at the target's
// weight width and its fan-in axon limit. Max-pool relays count as neurons
// (the compiler lowers them to OR neurons). Projections from the input
// population are evaluated by the host and injected as currents.
//
// A spike of a neuron in population p sends one message to every core that
// holds one of its targets (multicast per core). For a convolution the
// targets are a small window in each of the Cout output channel planes:
// when a plane spans several cores each channel adds about one core, when a
// core holds several planes the window's channels share cores. Dense
// projections reach every core of the destination; identity and pools
// reach one. Hops are the mean XY hop count between the source's and the
// destination's cores. Synaptic operations are spikes x explicit fan-out.
// Energy adds synaptic ops, neuron updates (inactive energy for every
// neuron every step plus the active-inactive difference per spike), message
// send plus per-hop energy, and static power over the estimated latency.
// Layers run in order within a timestep, so the latency per timestep is the
// sum over layers of the busiest core's synaptic, neuron-update and spike
// work plus the longest message latency into the layer, plus the barrier
// over the tiles used (at least one tick on fixed-tick chips).
//
// The compiler (package passes) and the simulator (package sim) compute
// the same quantities exactly; docs/chipcost.md records how well this
// estimate ranks candidates against them.
package chipcost

import (
	"errors"
	"fmt"
	"math"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Cost is the estimated cost of one inference (T timesteps) of a network.
type Cost struct {
	Spikes        float64 // neuron spikes per inference (each spike once)
	SynOps        float64 // synaptic operations
	NeuronUpdates float64 // neuron state updates (neurons x T)
	Messages      float64 // inter-core spike messages (one per source neuron and destination core)
	Hops          float64 // sum over messages of their hop counts
	Cores         int     // cores needed
	EnergyPJ      float64 // total energy, pJ
	LatencyNs     float64 // time per inference, ns
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

// layer is the placement estimate of one population.
type layer struct {
	first, cores int // consecutive core range
	perCore      int // neurons per core
}

// Estimate returns the cost of g on t given the mean spikes per image of
// each population (by name; missing populations count as silent). It wraps
// ErrDoesNotFit, with the cores needed, when g needs more cores than t has;
// the returned Cost is still filled in so callers can rank such candidates.
func Estimate(g *ir.Graph, spikes map[string]float64, t *backends.Target) (Cost, error) {
	var c Cost
	prof := t.Profile
	layers := make(map[*ir.Population]layer, len(g.Pops))
	next := 0
	for _, p := range g.Pops[1:] {
		per := neuronsPerCore(g, p, t)
		n := p.Shape.Len()
		cores := (n + per - 1) / per
		layers[p] = layer{first: next, cores: cores, perCore: per}
		next += cores
	}
	c.Cores = next
	fits := next <= t.NumCores
	core := func(i int) int { return i % t.NumCores } // wrap so estimates stay defined when it does not fit

	T := float64(g.T)
	var step float64 // ns per timestep before the barrier
	for _, p := range g.Pops[1:] {
		n := float64(p.Shape.Len())
		s := spikes[p.Name]
		if p.Neuron.Model.Spiking() || p.Neuron.Model == ir.Relay {
			c.Spikes += s
		}
		c.NeuronUpdates += n * T
		c.EnergyPJ += n*T*prof.Energy.NeuronUpdateInactivePJ + s*(prof.Energy.NeuronUpdateActivePJ-prof.Energy.NeuronUpdateInactivePJ+prof.Energy.SpikeOutPJ)
		dst := layers[p]
		var synops, msgLatency float64
		for _, e := range g.In(p) {
			if e.Src == g.Input() {
				continue // host injection
			}
			src := layers[e.Src]
			ss := spikes[e.Src.Name]
			fanout := float64(ir.Synapses(e)) / float64(e.Src.Shape.Len())
			ops := ss * fanout
			synops += ops
			kind := backends.ConnectivityOf(e.Op)
			c.SynOps += ops
			c.EnergyPJ += ops * t.SynOpEnergyPJ(kind)
			d := destCores(e, dst)
			msgs := ss * d
			hops, hopPJ, latNs := meanRoute(t, src, dst, core)
			c.Messages += msgs
			c.Hops += msgs * hops
			c.EnergyPJ += msgs * (prof.Energy.MessageOutPJ + hopPJ)
			msgLatency = math.Max(msgLatency, latNs)
		}
		// A layer's cores start once its sources are done (the chip, like
		// the simulator, runs layers in order within a timestep), so the
		// step time is the sum over layers of the busiest core's work
		// plus the longest message latency into the layer.
		perCore := 1 / T / float64(dst.cores) // per step and core, assuming the layer's load is spread evenly
		work := synops*perCore*prof.Timing.SynOpNs + float64(dst.perCore)*prof.Timing.NeuronUpdateInactiveNs +
			s*perCore*(prof.Timing.NeuronUpdateActiveNs-prof.Timing.NeuronUpdateInactiveNs+prof.Timing.SpikeOutNs)
		step += work + msgLatency
	}
	tiles := (c.Cores + prof.Mesh.CoresPerTile - 1) / prof.Mesh.CoresPerTile
	step += t.SyncNs(tiles)
	if prof.Sync.Mode == backends.SyncFixedTick {
		step = math.Max(step, prof.Sync.TickNs) // a timestep lasts at least one tick
	}
	c.LatencyNs = T * step
	c.EnergyPJ += t.StaticEnergyPJ(c.LatencyNs)
	if !fits {
		return c, fmt.Errorf("chipcost: %s needs %d cores, %s has %d: %w", g.Name, c.Cores, t.Name(), t.NumCores, ErrDoesNotFit)
	}
	return c, nil
}

// neuronsPerCore is how many neurons of p one core holds under the
// target's neuron, synaptic memory and fan-in limits (at least 1).
func neuronsPerCore(g *ir.Graph, p *ir.Population, t *backends.Target) int {
	prof := t.Profile
	per := t.NeuronCapacity(0)
	var fanin, unique int
	for _, e := range g.In(p) {
		if e.Src == g.Input() {
			continue
		}
		fanin += int(ir.Synapses(e) / int64(p.Shape.Len()))
		unique += e.WeightLen()
	}
	if fanin > 0 {
		bits := prof.Precision.WeightBits
		mem := t.SynapticMemoryBytes(0) * 8
		if prof.Core.ConvWeightSharing {
			if unique*bits > mem {
				per = 1 // kernels alone overflow the memory; the compiler splits channels
			}
		} else if byMem := mem / (fanin * bits); byMem < per {
			per = byMem
		}
		if ax := prof.Core.MaxFanInAxons; ax > 0 && fanin > ax {
			per = 1 // fan-in beyond the axon limit: one neuron per core at best
		}
	}
	return max(per, 1)
}

// destCores estimates the destination cores one source spike reaches
// through projection e into a layer placed as dst.
func destCores(e *ir.Projection, dst layer) float64 {
	switch e.Op {
	case ir.Dense:
		return float64(dst.cores)
	case ir.Conv2D:
		d := e.Dst.Shape
		plane := d.H * d.W
		if plane >= dst.perCore {
			// Each output channel plane spans cores; the window hits one
			// core per channel, occasionally two at a core boundary.
			rows := float64(e.Kernel*d.W) / float64(dst.perCore)
			return math.Min(float64(dst.cores), float64(d.C)*(1+rows))
		}
		return float64(dst.cores)
	}
	return 1
}

// meanRoute returns the mean hops, network energy (pJ) and zero-load
// latency (ns) of a message from a core of src to a core of dst, sampling
// at most 8 cores of each.
func meanRoute(t *backends.Target, src, dst layer, core func(int) int) (hops, pj, ns float64) {
	pick := func(l layer, i, n int) int { return core(l.first + i*l.cores/n) }
	ns1, nd := min(src.cores, 8), min(dst.cores, 8)
	for i := 0; i < ns1; i++ {
		for j := 0; j < nd; j++ {
			a, b := pick(src, i, ns1), pick(dst, j, nd)
			hops += float64(t.Hops(a, b).Total())
			pj += t.NetworkEnergyPJ(a, b)
			ns = math.Max(ns, t.MessageLatencyNs(a, b))
		}
	}
	k := float64(ns1 * nd)
	return hops / k, pj / k, ns
}
