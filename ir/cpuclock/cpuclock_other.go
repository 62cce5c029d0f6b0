//go:build !unix

package cpuclock

// Seconds is 0 where the process's CPU time is not available.
func Seconds() float64 { return 0 }
