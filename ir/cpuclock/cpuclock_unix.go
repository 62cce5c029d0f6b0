//go:build unix

package cpuclock

import "syscall"

// Seconds returns the user + system CPU time of the process so far, all
// threads, in seconds, or 0 when it is not available.
func Seconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
