//go:build !unix

package tensor

// processCPUSeconds is not available on this OS; benchmarks then omit the
// per-CPU-second metric.
func processCPUSeconds() float64 { return 0 }
