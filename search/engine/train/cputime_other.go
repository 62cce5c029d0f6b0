//go:build !unix

package train

// ProcessCPUSeconds is 0 where the process's CPU time is not available.
func ProcessCPUSeconds() float64 { return 0 }
