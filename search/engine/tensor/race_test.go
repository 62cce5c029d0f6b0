//go:build race

package tensor

// raceEnabled reports whether the race detector is on; it makes sync.Pool
// drop items at random, so pooled calls may allocate.
const raceEnabled = true
