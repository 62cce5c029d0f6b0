//go:build !unix

package main

import "os"

// maxRSSKB returns 0: the peak memory of a process is not known here.
func maxRSSKB(*os.ProcessState) int64 { return 0 }
