package cpuclock

import (
	"runtime"
	"testing"
	"time"
)

// TestSecondsAdvances: half a second of wall time spent computing moves
// the clock forward.
func TestSecondsAdvances(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no process CPU clock here")
	}
	before := Seconds()
	x := 1.0
	for start := time.Now(); time.Since(start) < 500*time.Millisecond && Seconds()-before < 0.05; {
		for i := 0; i < 100000; i++ {
			x = x*1.0000001 + 1e-9
		}
	}
	if after := Seconds(); after-before <= 0 || x == 0 {
		t.Fatalf("Seconds went from %g to %g over 0.5 s of computing, want it to advance", before, after)
	}
}
