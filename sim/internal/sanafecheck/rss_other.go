//go:build !unix

package main

import (
	"os"
	"time"
)

// maxRSSKB returns 0: the peak memory of a process is not known here.
func maxRSSKB(*os.ProcessState) int64 { return 0 }

// cpuTime returns 0: the process's CPU time is not known here.
func cpuTime() time.Duration { return 0 }
