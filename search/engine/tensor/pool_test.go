package tensor

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkspaceRun checks that every task of every call runs exactly once,
// on a worker in range, never two at once on one worker, across calls
// spaced both closer than the helpers' spin and long enough for them to
// park (so wake-ups are exercised), and that a closed Workspace still runs
// everything on the caller.
func TestWorkspaceRun(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		ws := NewWorkspace(workers)
		busy := make([]atomic.Int32, workers)
		for call := range 200 {
			n := 1 + call%7*5
			runs := make([]atomic.Int32, n)
			var bad atomic.Bool
			ws.Run(n, TaskFunc(func(w, task int) {
				if w < 0 || w >= workers || busy[w].Add(1) != 1 {
					bad.Store(true)
				}
				runs[task].Add(1)
				if task%3 == 0 && call%10 == 0 {
					time.Sleep(10 * time.Microsecond)
				}
				busy[w].Add(-1)
			}))
			if bad.Load() {
				t.Fatalf("workers=%d call %d: a task ran on a bad or busy worker", workers, call)
			}
			for task := range runs {
				if got := runs[task].Load(); got != 1 {
					t.Fatalf("workers=%d call %d: task %d ran %d times", workers, call, task, got)
				}
			}
			if call%40 == 39 {
				time.Sleep(2 * poolSpin) // let the helpers park
			}
		}
		ws.Close()
		var count atomic.Int32
		ws.Run(5, TaskFunc(func(w, _ int) {
			if w != 0 {
				t.Errorf("closed Workspace: task on worker %d, want 0", w)
			}
			count.Add(1)
		}))
		if count.Load() != 5 {
			t.Errorf("closed Workspace ran %d of 5 tasks", count.Load())
		}
	}
}

// TestWorkspaceRunNested checks that a parallel call from inside a task is
// refused with a panic rather than corrupting the running call.
func TestWorkspaceRunNested(t *testing.T) {
	ws := NewWorkspace(2)
	defer ws.Close()
	var panicked atomic.Bool
	ws.Run(2, TaskFunc(func(_, task int) {
		if task != 0 {
			return
		}
		defer func() {
			if recover() != nil {
				panicked.Store(true)
			}
		}()
		ws.Run(2, TaskFunc(func(_, _ int) {}))
	}))
	if !panicked.Load() {
		t.Error("nested Run did not panic")
	}
}

// countJob counts the runs of each of its tasks; with inner set, every
// task also makes a parallel call of inner.
type countJob struct {
	runs  []int
	inner *countJob
}

func (j *countJob) run(s *state, _, task int) {
	j.runs[task]++
	if j.inner != nil {
		s.parallel(len(j.inner.runs), j.inner)
	}
}

// TestParallelNestedSerial checks that a parallel call from a task of
// another, on a Workspace that runs everything on the caller (one worker,
// or closed), runs its tasks and leaves the outer call intact.
func TestParallelNestedSerial(t *testing.T) {
	for _, closed := range []bool{false, true} {
		workers := 1
		if closed {
			workers = 2
		}
		ws := NewWorkspace(workers)
		if closed {
			ws.Close()
		}
		inner := &countJob{runs: make([]int, 3)}
		outer := &countJob{runs: make([]int, 4), inner: inner}
		ws.s.parallel(len(outer.runs), outer)
		for task, n := range outer.runs {
			if n != 1 {
				t.Errorf("closed=%v: outer task %d ran %d times, want 1", closed, task, n)
			}
		}
		for task, n := range inner.runs {
			if n != len(outer.runs) {
				t.Errorf("closed=%v: inner task %d ran %d times, want %d", closed, task, n, len(outer.runs))
			}
		}
		ws.Close()
	}
}

// BenchmarkWorkspaceRun measures how long a helper takes to start on a
// parallel call of two tasks, each of which waits (up to 1 ms) until both
// have started: back to back (the helper is spinning) and after 1 ms of
// idleness (the helper has parked and must be woken). Metric helper-us: the
// mean delay from the call to the start of the task on worker 1.
//
//	go test -run '^$' -bench WorkspaceRun ./search/engine/tensor/
func BenchmarkWorkspaceRun(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2")
	}
	for _, idle := range []bool{false, true} {
		b.Run(fmt.Sprintf("idle=%v", idle), func(b *testing.B) {
			ws := NewWorkspace(2)
			defer ws.Close()
			var started atomic.Int32
			var t0 time.Time
			var delay time.Duration
			var helped int
			task := TaskFunc(func(w, _ int) {
				if w == 1 {
					delay += time.Since(t0)
					helped++
				}
				started.Add(1)
				for end := time.Now().Add(time.Millisecond); started.Load() < 2 && time.Now().Before(end); {
				}
			})
			for b.Loop() {
				if idle {
					b.StopTimer()
					time.Sleep(time.Millisecond)
					b.StartTimer()
				}
				started.Store(0)
				t0 = time.Now()
				ws.Run(2, task)
			}
			if helped > 0 {
				b.ReportMetric(float64(delay.Microseconds())/float64(helped), "helper-us")
			}
			b.ReportMetric(float64(helped)/float64(b.N), "helped/call")
		})
	}
}

// TestWorkspaceReleasedAfterRun checks that a Workspace whose tasks
// reference it still becomes unreachable after a parallel call, so that its
// cleanup stops the helpers: the pool must not keep the last task.
func TestWorkspaceReleasedAfterRun(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 10 {
		ws := NewWorkspace(2)
		ws.Run(4, TaskFunc(func(w, i int) { _ = ws.Workers() }))
	}
	for range 50 {
		runtime.GC()
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines after 10 unreachable Workspaces, want at most %d", runtime.NumGoroutine(), before)
}
