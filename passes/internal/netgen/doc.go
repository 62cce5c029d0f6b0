// Package netgen makes seeded random networks, weights and inputs for the
// compiler's property tests and benchmarks: random small graphs whose shapes
// exercise every projection kind, and He-initialised weights with
// batch-norm statistics that keep a network active. Everything is a
// function of its seed; there is no global state.
package netgen
