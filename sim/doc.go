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
// The chip is timestep-synchronised: a timestep runs on an empty chip from
// time 0 until every core has finished and the NoC has drained, then a
// barrier (Target.SyncNs; a fixed tick or nothing for chips that say so)
// ends it. The host writes the stem populations' input currents
// (ir.IntExecutor.HostCurrent). A population's neurons on a core update
// once its sources have updated everywhere and their messages to this core
// are settled (layer phases by dependency tracking), with the integer
// arithmetic of ir/quant.go, timed neuron by neuron; each spike becomes one
// message per destination core (or, on a multicast-tree chip, one packet
// copied along the tree of its routes). Messages cross a 2-D mesh of
// routers under the target's dimension-order routing (Target.NextHop), with
// finite input buffers, link bandwidth and hop latencies, credit
// backpressure or drops; the receiving core performs the synaptic
// operations serially with its other work. Time advances by a radix heap of
// events, and events with equal times run in a fixed order, so runs are
// deterministic. docs/simulator.md states the model in full, with every
// profile field it reads, and compares it with SANA-FE, Noxim and BookSim2.
//
// That is the Trained time semantics, the default. In the Chip semantics
// (Options.Semantics, NewWithOptions; chipsem.go) every core updates at
// once from the input of the previous step, one step of delay per synapse,
// T + depth - 1 steps per input, and a step costs the busiest core plus the
// barrier.
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
//   - Zero-load message latency = injection + hops x hop latency + ejection
//     = Target.MessageLatencyNs.
//   - Forks: a Sim made by Fork shares its origin's synapse tables and
//     computes, concurrently with it and other forks, exactly what a new
//     Sim computes (results, rasters, link loads), so images can run in
//     parallel with results independent of the number of workers.
//
// # Files
//
//	sim.go        Sim: New, Run and the accessors
//	chip.go       laying the graph out: neurons on cores, the synapse forms
//	expand.go     synapses expanded and grouped into messages, compact when they fit
//	costs.go      per-event energy and time costs resolved from the profile
//	schedule.go   the timestep's event loop and dependency tracking
//	neuron.go     neuron updates, spike emission, synaptic operations
//	router.go     routers: buffers, routing, backpressure, drops, arbitration
//	multicast.go  multicast-tree packets
//	queue.go      the radix-heap event queue and FIFOs
//	stats.go, report.go, heatmap.go  results: Stats, Summary, CSV, heatmap
//	override.go   NoC variants for sweeps (WithNoC)
//	chipsem.go    time semantics: Options, the Chip semantics, Depths
//	fork.go       Fork: more Sims sharing one chip's tables, for parallel images
//
// Outputs: Stats per timestep and per image (ImageResult), Summary (YAML)
// over many images with on-chip accuracy, a per-timestep CSV (StepCSV) and
// a PNG heatmap of link load over the mesh (WriteHeatmap).
package sim
