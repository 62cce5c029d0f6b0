// Package passes is the compiler of autosnn: it transforms a trained
// spiking network (an ir.Graph) step by step into a form a network-on-chip
// neuromorphic chip can run, and maps it onto the chip's cores.
//
// The pipeline is a table of named passes run in order by Compile, in the
// style of the Go compiler's SSA back end: each pass is a function of a
// Unit (the graph, the target chip and state that is not IR), the driver
// times every pass, verifies the IR between passes when asked, dumps the IR
// after a named pass and can stop early. The ordering constraints between
// passes are data (passOrder), each with its reason, and are checked when
// the package initialises.
//
//	pass        what it does                                          sets
//	fold-bn     batch-norm folded into weights and per-channel bias   Projection.Weights, Population.Bias
//	lower-ops   max-pool relays become OR neurons over a SumPool      Population.Neuron, Projection.Op
//	quantize    weights, bias, decay, threshold to chip precision     Population.Q, Projection.Q, Report.Quant
//	profile     integer forward on samples, spike rate per neuron     Population.Rates, Report.Profile
//	split       populations cut into core-sized fragments             (compiler back half)
//	partition   fragments assigned to cores, minimising traffic       (compiler back half)
//	place       cores placed on mesh positions                        Population.Core
//	route       per-core destination lists / routing tables           (compiler back half)
//	verify      every neuron mapped once, every limit respected       -
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
// treat every neuron's rate as uniform.
//
// # Errors
//
// A network the chip cannot run (an ANN-mode network, weights that do not
// fit, a layer too large) is a returned error prefixed with the package and
// pass and naming the layer: "passes: quantize: layer tbd2.l1: ...". A
// panic inside a pass is a compiler bug; Compile converts it into a
// *PanicError naming the pass and the network.
package passes
