// Package search is the AutoSNN neural architecture search: search spaces
// over the macro architectures of package frontend, the spike-aware fitness
// F = Acc x (N/N_avg)^lambda, the paper's evolutionary algorithm (its
// Algorithm 1) and the random-search baseline, with a history of every
// evaluated architecture that is written as CSV, JSON and a Pareto plot.
//
// The search is independent of how candidates are evaluated: an Evaluator
// (a super-network with inherited weights, in package search/supernet, or
// any stand-in in tests) turns architectures into accuracy and spike
// counts. Evaluations do not depend on lambda, so a Cache lets searches for
// several lambdas share one set of evaluations; a new lambda then costs
// only the architectures no earlier search evaluated.
//
// The directory holds the three parts of the search side of autosnn. The
// NAS is this package and search/supernet (the weight-sharing
// super-network and its inherited-weight Evaluator). The training engine
// is search/engine/tensor (float32 kernels), search/engine/nn (layers with
// BPTT) and search/engine/train (networks built from an ir.Graph, the
// trainer and its checkpoints), fed by search/dataset (the paper's
// datasets). search/pipeline is the application on top of all of them and
// of the compiler and simulator: the one way to run each step end to end.
//
// Randomness comes only from the seeds in the configurations: the same
// seed and evaluator give the same history, bit for bit.
package search
