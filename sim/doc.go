// Package sim is the virtual chip: a cycle-level, event-driven simulator
// that runs a compiled spiking network (a quantized, placed ir.Graph) on a
// multi-core network-on-chip neuromorphic chip (a backends.Target), spike
// for spike, and reports what a chip designer and a deployer need:
// congestion, latency and energy. It validates a core mapping: the spikes
// must be exactly those of the integer reference (ir.IntExecutor), and the
// costs are those of the chip's tables under the traffic the mapping makes.
//
// # Model
//
// The chip is timestep-synchronised. A timestep runs on an empty chip from
// time 0 until every core has finished and the NoC has drained, then a
// barrier (Target.SyncNs over the tiles holding neurons; a fixed tick or
// nothing for chips that say so) ends it. Within a timestep:
//
//   - The host writes the input current of the stem populations (ir.ProjQuant
//     Host projections, computed by ir.IntExecutor.HostCurrent; untimed).
//   - A population's neurons on a core update once every source population
//     has updated on all its cores and every message those sources sent to
//     this core has been processed: per-layer phases by dependency
//     tracking, so layers overlap in time across cores as far as the data
//     allows. The update is the integer arithmetic of ir/quant.go. It takes
//     active x NeuronUpdateActiveNs + inactive x NeuronUpdateInactiveNs +
//     spikes x SpikeOutNs on the core (a neuron is active when its input
//     current, synaptic + host + bias, is nonzero).
//   - Neurons update one after another; each firing neuron emits, as soon
//     as it has generated its spike, one message per destination core
//     (every core holding one of its targets) into the core's injection
//     queue (unbounded). On a multicast-tree chip it emits one packet that
//     routers copy along the tree of its routes.
//   - Messages cross a 2-D mesh of routers (one per tile; boards of several
//     chips form one global mesh, with inter-chip hop costs on the links
//     that cross a chip boundary) under dimension-order routing (XY or YX).
//     Each router has one input buffer per incoming link and per local
//     core, LinkBufferDepthFlits / flits-per-message messages deep. A link
//     carries one message per 1/LinkBandwidth ns (one flit per cycle); a
//     hop takes its hop latency. A message leaves a buffer when it is at
//     the head, its output port is free and (lossless mesh) the next
//     buffer has a free slot (credit backpressure), or (drop policy) is
//     discarded when the next buffer is full: at once, or with a drop wait
//     (NoC.DropWaitNs) after waiting that long under backpressure since it
//     first found the next buffer full (an event at the expiry; a stale
//     expiry, the head having moved on, is ignored and costs no time).
//     SpiNNaker's emergency routing is not modelled: the wait stands for
//     its wait1 + wait2. Free output ports are granted
//     round-robin over the input buffers (virtual cut-through at message
//     granularity).
//   - Injection takes MessageOutNs, ejection MessageInNs, and a delivery
//     that crossed no link (same tile) WithinTileLatencyNs more; so the
//     zero-load latency of a message is Target.MessageLatencyNs exactly.
//   - The receiving core performs the message's synaptic operations,
//     serially with its other work, each at the synaptic-operation latency
//     of its projection kind (conv2d: conv; dense: dense; pools and
//     identity: sparse).
//
// The simulator is event-driven: time advances by a radix heap of events
// (message arrivals, output-port releases, spikes ready for injection, end
// of neuron updates, expiring drop waits); idle cores and routers cost nothing, and a core's
// synaptic work is accounted on its timeline without an event of its own.
// Events with equal times run in an order fixed by the sequence of
// operations, so runs are deterministic.
//
// # Invariants (tested)
//
//   - Functional equivalence: on a lossless mesh the spike raster equals
//     ir.IntExecutor's spike for spike, for any placement, buffer depth or
//     link bandwidth; only timing and congestion change. Under the drop
//     policy dropped messages lose their synaptic input, as on the chip;
//     when nothing is dropped (a drop wait longer than any blocking) the
//     raster is again the reference's. A drop wait of 0 reproduces the
//     immediate drop exactly.
//   - Conservation: after every timestep messages = delivered + dropped and
//     nothing is in flight; drops are 0 on a lossless mesh.
//   - Energy total = synapse + neuron + network + static (Energy.Total).
//   - Zero-load message latency = injection + hops x hop latency + ejection.
//
// Outputs: Stats per timestep and per image (ImageResult), Summary (YAML)
// over many images with on-chip accuracy, a per-timestep CSV (StepCSV) and
// a PNG heatmap of link load over the mesh (WriteHeatmap). WithNoC makes
// the bandwidth and buffer-depth variants a sweep needs. docs/simulator.md
// compares the model with SANA-FE, Noxim and BookSim2.
package sim
