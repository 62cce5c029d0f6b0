//go:build unix

package train

import "syscall"

// ProcessCPUSeconds returns the user + system CPU time of the process so
// far, all threads, in seconds (0 when unavailable). On a machine shared
// with other jobs it measures the work, where wall time also measures the
// neighbours.
func ProcessCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
