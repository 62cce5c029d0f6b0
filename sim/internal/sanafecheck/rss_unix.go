//go:build unix

package main

import (
	"os"
	"syscall"
	"time"
)

// maxRSSKB returns the peak resident memory of a finished process in KB
// (Linux reports ru_maxrss in KB), or 0 when unknown.
func maxRSSKB(st *os.ProcessState) int64 {
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}

// cpuTime returns the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
