// Package ir is the hub of autosnn: one typed graph that describes a spiking
// neural network from architecture search through compilation to simulation.
//
// The frontend lowers architecture specs, zoo entries and checkpoints to a
// Graph; the training engine builds a trainable network from it; compiler
// passes transform it in place; backends and the simulator read it. No package
// reaches around it: "what the network computes" is defined here, by the
// reference executor in exec.go, and nowhere else.
//
// # Graph model
//
// A Graph is a feed-forward network of populations (groups of neurons with
// one shape and one neuron model) connected by projections (synapses with one
// operator). The input current of a population at a timestep is the sum of
// the outputs of all projections that end in it, plus its bias; a residual
// connection is therefore just a second projection into the same population.
// Populations are kept in topological order: every projection goes from an
// earlier population to a later one. The first population is the input and
// the last one is the output layer read by the host (voting and loss).
//
// Node kinds:
//
//	kind        type        model / op   weights                  state
//	input       Population  Input        -                        none; analog image or event frame
//	neuron      Population  PLIF         W (k = sigmoid(W))       membrane V
//	neuron      Population  LIF          Tau (k = 1/Tau)          membrane V
//	neuron      Population  IF           -                        membrane V (no leak)
//	neuron      Population  CubaLIF      Tau, SynTau (ks = 1/SynTau)  synaptic current I, membrane V
//	neuron      Population  ReLU         -                        none (ANN mode)
//	relay       Population  Relay        -                        none; outputs its input (max-pool target)
//	integrator  Population  LI           Tau (k = 1/Tau)          membrane V, which is its output (no spikes)
//	synapses    Projection  Conv2D       [Cout][Cin][K][K]        -
//	synapses    Projection  Dense        [Out][In] (In flattened CHW)
//	pooling     Projection  MaxPool      -                        -
//	pooling     Projection  AvgPool      - (weight 1/K²)          -
//	shortcut    Projection  Identity     - (weight 1)             -
//	pooling     Projection  SumPool      - (weight 1)             - (lowered max-pool)
//
// Any Conv2D or Dense projection may carry a BatchNorm applied to its output
// (before the sum); the fold-bn pass removes it.
//
// # Synapses
//
// A projection's explicit synapses are one per (source neuron, target
// neuron) pair inside the unpadded input. SynapsesFrom and SynapsesInto
// enumerate them, from a source or into a target, with the index of each
// synapse's weight; Window (Projection.Rows, Projection.Cols) is the
// one-axis window geometry of convolutions and pools behind them. They are
// the one definition of connectivity: the executors, the synapse counts
// (Synapses, Count), the compiler's fragment sizing and recount, the
// simulator and the SANA-FE export all use them.
//
// # Invariants
//
// Verify checks every invariant and reports all violations at once, each
// naming the node: shapes agree with what the projections infer, weight and
// batch-norm lengths match their shapes, kernels, strides and paddings are
// valid, names are unique, projections point forward. Weights are optional
// (an untrained architecture is a valid graph) but a projection either has
// all its weights or none.
//
// Fields that passes fill are documented with the pass that sets them;
// before that pass they are nil: Population.Rates (profile), Population.Q
// and Projection.Q (quantize, whose integer semantics quant.go states),
// Population.Core (place).
package ir
