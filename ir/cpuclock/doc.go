// Package cpuclock reads the process's CPU clock: the one measure of a
// piece of work's cost that the experiments, the benchmarks and the
// documented timings report beside wall time. On a machine shared with
// other jobs it measures the work, where wall time also measures the
// neighbours. It lives under ir, as ir/heapwatch does, because every
// package of the module may import ir's tree and it imports nothing of the
// module.
package cpuclock
