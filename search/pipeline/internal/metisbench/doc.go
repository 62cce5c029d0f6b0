// Command metisbench compares the compiler's partitioner with METIS on the
// same rate-weighted partitioning problem; see main.go for what it runs and
// docs/performance.md ("Compiler vs METIS") for results and commands.
package main
