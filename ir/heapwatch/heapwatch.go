// Package heapwatch measures the peak heap of a piece of work, for the
// tests that hold the memory estimators (train.Memory, supernet.Memory,
// passes.Memory, sim.Memory) to what they estimate. It lives under ir, as
// ir/yamlerr does, because every package of the module may import ir's
// tree and it imports nothing of the module.
package heapwatch

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// Peak runs f and returns the high-water mark, in bytes, of the heap's
// objects (live and not yet collected: what the process holds for them)
// above the level before f, sampled every 200 microseconds after a
// collection. Allocations that live shorter than a sample may be missed;
// the estimators' tolerances allow for it.
func Peak(f func()) int64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	base := read()
	peak := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	if v := read(); v > peak {
		peak = v
	}
	return peak - base
}

// Bounds of an estimate against a Peak measurement, as fractions of the
// measurement. They are asymmetric because the two errors differ: an
// estimate below the peak lets work run out of memory, while a Peak
// measurement is a lower bound (a sampler starved of CPU by the work it
// watches misses short peaks, and a collection during the work frees
// garbage the estimate allows for), so an estimate above it is often the
// sampler's miss rather than the estimator's.
//
// Slack is an absolute allowance on top of both: the heap of a run of a
// few megabytes moves by about that much with the garbage the collector
// has not yet reclaimed when the sampler reads it (the 3 MB estimate of a
// small evaluation was once 40% below the measurement under a loaded go
// test ./...), so a small run is held only to within Slack.
const (
	// Under is how far an estimate may be below the measured peak.
	Under = 0.35
	// Over is how far an estimate may be above the measured peak.
	Over = 1.0
	// Slack is the absolute difference, in bytes, always allowed.
	Slack = 4 << 20
)

// Check returns an error when the estimate est (bytes) is more than Under
// below or more than Over above the measured peak got (bytes), and more
// than Slack away from it; nil otherwise.
func Check(est, got int64) error {
	r := float64(est)/float64(got) - 1
	if d := est - got; d <= Slack && d >= -Slack {
		return nil
	}
	if r < -Under || r > Over {
		return fmt.Errorf("estimate %d bytes, measured peak %d: off by %+.0f%%, want within -%.0f%% .. +%.0f%%", est, got, 100*r, 100*Under, 100*Over)
	}
	return nil
}
