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
// Subpackages hold the parts the search stands on: dataset (loaders for the
// paper's datasets), tensor (float32 kernels), nn (layers with BPTT).
//
// Randomness comes only from the seeds in the configurations: the same
// seed and evaluator give the same history, bit for bit.
package search
