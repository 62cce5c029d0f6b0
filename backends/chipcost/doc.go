// Package chipcost is autosnn's one analytic model of what an inference
// costs on a neuromorphic chip: synaptic operations, neuron updates, spike
// messages and their hops, energy by term and latency, per inference of T
// timesteps. The compiler's mapping report (package passes) and the
// search's chip-aware fitness (package search and search/pipeline) both
// call it; they differ only in where the neurons are: Placed reads the
// compiler's placement (Population.Core), Estimate packs the populations
// itself (see below). It needs the IR graph (weights are not used), a
// backends.Target and the network's spikes per population (Activity). It
// imports neither the compiler nor the simulator; sim/e2e tests it against
// the simulator (docs/chipcost.md has the figures).
//
// # Terms
//
// Counts are per inference (T timesteps); energy in pJ, time in ns. E.x
// and Timing.x are fields of the target's profile.
//
//	term            count                                      energy (Energy field)
//	Spikes          neurons that fired (spiking and relay)     Spikes x E.SpikeOutPJ (SpikePJ)
//	NeuronUpdates   neurons x T                                Active x E.NeuronUpdateActivePJ
//	ActiveUpdates   updates with a nonzero input current       + (NeuronUpdates - Active) x E.NeuronUpdateInactivePJ (NeuronPJ)
//	                (measured, or estimated: see below)
//	SynOps          synapses reached by the spikes, by kind    SynOps(kind) x Target.SynOpEnergyPJ(kind) (SynOpsPJ)
//	                (conv2d: conv; dense: dense; other: sparse)
//	Messages        one per (spike, destination core),         Messages x E.MessageOutPJ (MessagePJ)
//	                the sender's own core included
//	Hops            sum over messages of the XY hops           Target.NetworkEnergyPJ per message: hops by
//	                between sender and destination core        direction, or E.WithinTilePJ within a tile (RoutePJ)
//	LatencyNs       see Latency                                Target.StaticEnergyPJ(LatencyNs) (StaticPJ)
//
// EnergyPJ is the sum of the six energy terms. Cost.Pops splits every term
// but static energy by population, traffic by the sending population.
//
// # Latency
//
// Layers run in graph order within a timestep (as on the simulator), so a
// timestep lasts the sum over non-input populations of the busiest core's
// work (synaptic operations at Timing.SynOpNs, or the sparse or conv time
// where the profile sets one; every neuron update at the inactive time plus
// the active-minus-inactive time per active update and Timing.SpikeOutNs per
// spike) plus the longest zero-load message latency into the population,
// plus the barrier over the tiles used (Target.SyncNs); on a fixed-tick
// chip at least one tick. LatencyNs is T timesteps of that.
//
// # Not counted
//
// Queueing, link contention, dropped messages and the host's input
// currents (projections from the input population, evaluated by the host)
// are not modelled: latency is zero-load, and every message is delivered.
// On a multicast-tree chip the simulator counts each tree link once; the
// model counts each destination's route (an upper bound on hops and route
// energy). Weight values, and so which neurons fire, are not modelled: the
// spike counts come from the caller.
//
// # Missing spike counts
//
// One rule everywhere: the model never guesses activity. Activity.Spikes
// nil is an error (ErrNoSpikes); a population absent from a non-nil map
// spiked zero times (the super-network's evaluator leaves silent
// populations out). A caller without measured per-population spikes states
// what it assumes by building the counts itself (UniformSpikes spreads a
// measured total; the compiler without profiled rates lets every neuron
// fire at every timestep, an upper bound) and says so in
// Activity.Assumption, which Cost.Assumption carries to its output (the
// mapping report's notes). Active updates, when not measured
// (Activity.Active), are estimated: every timestep of a neuron whose
// channel has a nonzero bias (PopQuant.Bias, so only on a quantized
// graph), and the spikes of the other neurons (a neuron fires only on a
// nonzero input). The search's graphs are not quantized: there it is the
// spikes, a lower bound.
//
// # Estimated placement
//
// Estimate packs every non-input population into consecutive cores, layer
// after layer in graph order (the target's core numbering is tile-major, so
// consecutive cores are near each other). A population's neurons per core
// are limited by the core's neuron capacity and, without native conv weight
// sharing, by its synaptic memory at the target's weight width and its
// fan-in axon limit. Max-pool relays count as neurons (the compiler lowers
// them to OR neurons). A spike reaches, through a convolution, a small
// window in each of the Cout output channel planes: when a plane spans
// several cores each channel adds about one core, when a core holds several
// planes the window's channels share cores; dense projections reach every
// core of the destination, identity and pools one. Hops, route energy and
// message latency are the mean (latency: the maximum) over up to 8 x 8
// sampled core pairs of the two populations; the busiest core holds a full
// core's neurons (or the whole population, if smaller) and an even share of
// the population's synaptic operations and spikes. Placed counts all of
// these exactly from the placement and the per-neuron spikes when given;
// where Estimate's packing and routes are exact (a dense network placed as
// Estimate packs it) the two give the same cost.
package chipcost
