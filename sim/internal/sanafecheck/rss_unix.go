//go:build unix

package main

import (
	"os"
	"syscall"
)

// maxRSSKB returns the peak resident memory of a finished process in KB
// (Linux reports ru_maxrss in KB), or 0 when unknown.
func maxRSSKB(st *os.ProcessState) int64 {
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}
