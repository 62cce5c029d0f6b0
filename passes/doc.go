// Package passes is the compiler of autosnn: it transforms a trained
// spiking network (an ir.Graph) step by step into a form a network-on-chip
// neuromorphic chip (a backends.Target) can run, and maps it onto the
// chip's cores. The front half rewrites the IR (batch-norm folding,
// lowering, quantization, rate profiling); the back half cuts populations
// into core-sized fragments, groups them into cores, places the cores on
// the mesh and builds the routing tables, handing a Layout from pass to
// pass; the last pass recounts the placed graph independently and reports
// its cost.
//
// The pipeline is a table of named passes run in order by Compile, in the
// style of the Go compiler's SSA back end: each pass is a function of a
// Unit (the graph, the target chip and the state that is not IR), the
// driver times every pass, verifies the IR and the layout between passes
// when asked, dumps them after a named pass and can stop early. The
// ordering constraints between passes are data (passOrder), each with its
// reason, and are checked when the package initialises.
//
//	pass       file          what it does                                          sets
//	fold-bn    foldbn.go     batch-norm folded into weights and per-channel bias   Projection.Weights, Population.Bias
//	lower-ops  lower.go      max-pool relays become OR neurons over a SumPool;     Population.Neuron, Projection.Op,
//	           lower_leak.go leaky neurons become IF + linear leak on chips        Population.Bias, Report.Lower
//	                         without a decay register;
//	           lower_nir.go  pool relays folded into the next projection, cuba_lif  Projection.Weights
//	                         and li readout checked (NIR imports)
//	quantize   quantize.go   weights, bias, decay, threshold to chip precision     Population.Q, Projection.Q, Report.Quant
//	fan-out    fanout.go     a neuron's targets can meet the chip's limit on the   (checks only)
//	                         cores one neuron reaches (TrueNorth: 1), else FitError
//	axon-types axontypes.go  no neuron has more distinct weights than the chip's   (checks only)
//	                         axon types (TrueNorth: 4), else FitError; verify
//	                         colours each core's axons (verify_axontypes.go)
//	profile    profile.go    integer forward on samples, spike rate per neuron     Population.Rates, Report.Profile
//	delay      delay.go      synaptic delays balance the paths into residual      Projection.Delay, Report.Delay
//	                         joins, within the chip's range; mismatches reported
//	split      split.go      populations cut into core-sized fragments             Unit.Layout: Candidate.Split, .Problem
//	partition  partition.go  fragments grouped into parts (cores), least traffic   Candidate.Partition
//	partition-chips          on a board, parts grouped into as few chips as hold   Candidate.Chips
//	           partition_chips.go them, least inter-chip traffic x chip distance
//	place      place.go      parts put on mesh cores (each on its chip); the       Candidate.Placement, Layout.Chosen, Population.Core
//	                         best candidate kept
//	route      route.go      per-core destination lists / routing tables           Layout.Routes
//	verify     verify.go     every neuron mapped once, every limit respected       Report.Mapping
//
// # Invariants
//
// After fold-bn no projection carries a batch-norm. After lower-ops no
// population is a Relay and no projection is a MaxPool: every non-input
// population is a spiking neuron population the chip implements, and the
// voting layer stays on the host, which reads the output population's
// spikes. After quantize every non-input population and every projection
// has its integer form, and ir.IntExecutor (the reference the simulator
// must match spike for spike) can run the graph. After profile,
// Population.Rates holds the mean spikes per neuron per timestep over
// Unit.Samples, or stays nil when there are no samples; later passes then
// treat every neuron's rate as uniform. After delay every non-host
// projection's Delay is the difference of the longest paths to its
// destination and from its source, capped by the chip's
// core.max_synaptic_delay_steps (0, one step, where that is 1 and on host
// projections), so in the chip's time semantics the inputs of a join
// arrive at one step wherever the chip's delays reach.
//
// # The layout
//
// Unit.Layout holds one Candidate mapping per granularity split tried
// (AutoGranularities, or Unit.Granularity alone): its fragments, which
// tile every non-input population exactly once and each fit one core;
// after partition, its parts, each within the per-core limits; after
// place, every part on a distinct core. Place marks the candidate with the
// fewest message-hops as Layout.Chosen, releases the others and writes
// Population.Core from the chosen one; route adds the routing tables,
// which list exactly the core pairs the chosen mapping's spikes travel.
// Layout.Verify checks these invariants (Compile runs it after every pass
// under Config.Verify) and Layout.Print shows the layout (after
// Config.DumpAfter). The verify pass does not trust the layout: it
// recounts the mapping from Population.Core alone.
//
// # Errors
//
// A network the chip cannot run (an ANN-mode network, weights that do not
// fit, a layer too large) is a returned error prefixed with the package and
// pass and naming the layer: "passes: quantize: layer tbd2.l1: ...". A
// network that does not fit the target's resources is a *FitError saying
// what would fit. A panic inside a pass is a compiler bug; Compile converts
// it into a *PanicError naming the pass and the network. A layout that
// fails Layout.Verify between passes is a compiler bug too, reported as
// "passes: layout invalid after PASS (a compiler bug): ...".
//
// docs/compiler.md describes each pass in detail; docs/performance.md has
// the measurements behind the defaults (granularities, annealing budgets,
// load weight).
package passes
