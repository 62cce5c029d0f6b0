// Package heapwatch measures the peak heap of a piece of work, for the
// tests that hold the memory estimators (train.Memory, supernet.Memory,
// passes.Memory, sim.Memory) to what they estimate.
package heapwatch

import (
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
