package sim

import "github.com/autosnn/autosnn/ir"

// Energy is an energy split by where it is spent, in pJ. The total is, by
// definition, the sum of the four parts (Total).
type Energy struct {
	// SynapsePJ is synaptic operations: one per synapse a delivered message
	// reaches, at the target's dense, sparse or conv cost by projection op
	// (conv2d: conv; dense: dense; pools and identity: sparse).
	SynapsePJ float64 `yaml:"synapse_pj"`
	// NeuronPJ is neuron updates (active or inactive) plus spike generation.
	NeuronPJ float64 `yaml:"neuron_pj"`
	// NetworkPJ is message injection, hops (east-west, north-south,
	// inter-chip) and within-tile deliveries.
	NetworkPJ float64 `yaml:"network_pj"`
	// StaticPJ is static power times the duration (timestep and barrier).
	StaticPJ float64 `yaml:"static_pj"`
}

// Total returns the sum of the parts in pJ.
func (e Energy) Total() float64 { return e.SynapsePJ + e.NeuronPJ + e.NetworkPJ + e.StaticPJ }

func (e *Energy) add(f Energy) {
	e.SynapsePJ += f.SynapsePJ
	e.NeuronPJ += f.NeuronPJ
	e.NetworkPJ += f.NetworkPJ
	e.StaticPJ += f.StaticPJ
}

// Stalls is waiting time by cause, in ns summed over all waiting messages
// (two messages waiting 1 ns each make 2 ns), in the manner of BookSim's
// per-cause stall counters.
type Stalls struct {
	// LinkBusyNs: a message at the head of a router input buffer waits
	// because its output link is sending another message (bandwidth or
	// lost arbitration).
	LinkBusyNs float64 `yaml:"link_busy_ns"`
	// BufferFullNs: the head message waits for a free slot (a credit) in
	// the next router's input buffer (backpressure).
	BufferFullNs float64 `yaml:"buffer_full_ns"`
	// InjectionNs: the head of a core's injection queue waits for a free
	// slot in its router's local input buffer.
	InjectionNs float64 `yaml:"injection_ns"`
	// CoreBusyNs: a delivered message waits for the receiving core to
	// finish earlier work before its synaptic operations start.
	CoreBusyNs float64 `yaml:"core_busy_ns"`
}

func (s *Stalls) add(t Stalls) {
	s.LinkBusyNs += t.LinkBusyNs
	s.BufferFullNs += t.BufferFullNs
	s.InjectionNs += t.InjectionNs
	s.CoreBusyNs += t.CoreBusyNs
}

// Stats are the counts of one timestep, or of one image (the sum over its
// timesteps; maxima are maxima, link utilisation is over the image's
// compute time).
type Stats struct {
	// Spikes is the number of neurons that fired (each spike once).
	Spikes int64 `yaml:"spikes"`
	// Messages is the number of spike messages offered: one per (firing
	// neuron, destination core).
	Messages int64 `yaml:"messages"`
	// Packets is the number of packets injected into the NoC: Messages on a
	// per-core chip, one per firing neuron with destinations on a
	// multicast-tree chip (whose routers copy it towards every core).
	Packets int64 `yaml:"packets"`
	// Delivered and Dropped count messages that reached their core or were
	// discarded by a full buffer under the drop policy. After every
	// timestep Messages == Delivered + Dropped and InFlight is 0.
	Delivered int64 `yaml:"delivered"`
	Dropped   int64 `yaml:"dropped"`
	InFlight  int64 `yaml:"in_flight"`
	// Hops is the number of router-to-router link traversals.
	Hops int64 `yaml:"hops"`
	// SynOps is the number of synaptic operations (synaptic events).
	SynOps int64 `yaml:"synops"`
	// NeuronUpdates counts neuron updates; ActiveUpdates those whose input
	// current (synaptic + host + bias) or stored membrane potential was
	// nonzero (SANA-FE's rule).
	NeuronUpdates int64 `yaml:"neuron_updates"`
	ActiveUpdates int64 `yaml:"active_updates"`
	// ComputeNs is the time from the start of the timestep until the last
	// core finished and the NoC drained; BarrierNs the synchronisation that
	// follows; LatencyNs their sum (for a fixed-tick chip: the tick, or the
	// compute time when it overran the tick).
	ComputeNs float64 `yaml:"compute_ns"`
	BarrierNs float64 `yaml:"barrier_ns"`
	LatencyNs float64 `yaml:"latency_ns"`
	// LatencyCycles is LatencyNs in cycles of the chip clock, or for a
	// clockless chip in NoC cycles (one flit on one link).
	LatencyCycles float64 `yaml:"latency_cycles"`
	// MessageLatencySumNs is the sum over delivered messages of the time
	// from emission (end of the sender's neuron update) to arrival at the
	// receiving core; MessageLatencyMaxNs the largest. Without contention a
	// message takes backends.Target.MessageLatencyNs.
	MessageLatencySumNs float64 `yaml:"message_latency_sum_ns"`
	MessageLatencyMaxNs float64 `yaml:"message_latency_max_ns"`
	// TickOverruns counts timesteps whose compute time exceeded a fixed tick.
	TickOverruns int    `yaml:"tick_overruns"`
	Energy       Energy `yaml:"energy"`
	Stalls       Stalls `yaml:"stalls"`
	// MaxBufferOccupancy is the largest number of messages held (or
	// reserved) by one router input buffer; MaxInjectionQueue the longest
	// injection queue of one core.
	MaxBufferOccupancy int `yaml:"max_buffer_occupancy"`
	MaxInjectionQueue  int `yaml:"max_injection_queue"`
	// LinkUtilMean and LinkUtilMax are the busy fraction of the mesh links
	// (messages x 1/bandwidth over ComputeNs), mean over all links of the
	// mesh and the largest.
	LinkUtilMean float64 `yaml:"link_util_mean"`
	LinkUtilMax  float64 `yaml:"link_util_max"`
}

// DeliveredRatio returns Delivered / Messages (1 when no message was sent).
func (s Stats) DeliveredRatio() float64 {
	if s.Messages == 0 {
		return 1
	}
	return float64(s.Delivered) / float64(s.Messages)
}

// MeanMessageLatencyNs returns MessageLatencySumNs / Delivered (0 when
// nothing was delivered).
func (s Stats) MeanMessageLatencyNs() float64 {
	if s.Delivered == 0 {
		return 0
	}
	return s.MessageLatencySumNs / float64(s.Delivered)
}

// add accumulates the additive fields and the maxima; link utilisation is
// set by the caller.
func (s *Stats) add(t Stats) {
	s.Spikes += t.Spikes
	s.Messages += t.Messages
	s.Packets += t.Packets
	s.Delivered += t.Delivered
	s.Dropped += t.Dropped
	s.InFlight += t.InFlight
	s.Hops += t.Hops
	s.SynOps += t.SynOps
	s.NeuronUpdates += t.NeuronUpdates
	s.ActiveUpdates += t.ActiveUpdates
	s.ComputeNs += t.ComputeNs
	s.BarrierNs += t.BarrierNs
	s.LatencyNs += t.LatencyNs
	s.LatencyCycles += t.LatencyCycles
	s.MessageLatencySumNs += t.MessageLatencySumNs
	s.MessageLatencyMaxNs = max(s.MessageLatencyMaxNs, t.MessageLatencyMaxNs)
	s.TickOverruns += t.TickOverruns
	s.Energy.add(t.Energy)
	s.Stalls.add(t.Stalls)
	s.MaxBufferOccupancy = max(s.MaxBufferOccupancy, t.MaxBufferOccupancy)
	s.MaxInjectionQueue = max(s.MaxInjectionQueue, t.MaxInjectionQueue)
}

// ImageResult is what the chip produced for one input.
type ImageResult struct {
	// Result holds the spikes per population and the voting counters,
	// computed exactly as ir.IntExecutor.Run does.
	Result ir.Result
	// Predicted is Result.Predict().
	Predicted int
	// Steps has one entry per timestep.
	Steps []Stats
	// Total sums Steps.
	Total Stats
}
