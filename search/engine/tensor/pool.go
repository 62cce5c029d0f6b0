package tensor

import (
	"runtime"
	"sync/atomic"
	"time"
)

// pool is the set of helper goroutines of a Workspace. One parallel call
// runs at a time: the caller publishes it, runs tasks itself, and waits
// until every task has finished; helpers claim tasks from a shared counter.
//
// Between calls a helper spins (yielding the processor every few
// iterations) for up to poolSpin before it parks on a channel. Training
// makes hundreds of parallel calls per step, often a few microseconds
// apart; waking a parked goroutine costs tens of microseconds (a futex and,
// on a virtual machine, an inter-processor interrupt), which measured 6% of
// a two-worker training step. The caller, likewise, spins rather than
// blocks while the helpers finish their last tasks.
//
// A call's fields are written while gen is odd, with no helper inside a
// call (active == 0), and published by making gen even again; a helper
// enters a call by incrementing active and checking that gen still holds
// the even value it saw, so it never reads a call's fields while they are
// written. Nothing is allocated per call.
type pool struct {
	n      int           // workers, the caller included
	gen    atomic.Uint64 // even: call gen/2 published; odd: being written
	active atomic.Int32  // helpers inside a call
	closed atomic.Bool
	busy   atomic.Bool // a call is running

	// The current call: tasks [0, tasks) of task.
	task  Task
	tasks int64
	next  atomic.Int64 // next task to claim
	done  atomic.Int64 // tasks finished

	parked []atomic.Bool   // per helper: parked on wake
	wake   []chan struct{} // per helper, capacity 1
}

// poolSpin is how long an idle helper spins before it parks.
const poolSpin = 200 * time.Microsecond

// newPool starts n-1 helper goroutines (n >= 1).
func newPool(n int) *pool {
	p := &pool{n: n, parked: make([]atomic.Bool, n), wake: make([]chan struct{}, n)}
	for w := 1; w < n; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.helper(w)
	}
	return p
}

// close stops the helpers; later calls run on the caller alone.
func (p *pool) close() {
	if p.closed.Swap(true) {
		return
	}
	p.wakeParked(p.n)
}

// run runs tasks 0..n-1 of task on the workers and returns when all have
// finished. The caller is worker 0.
func (p *pool) run(n int, task Task) {
	if n <= 0 {
		return
	}
	if p.n <= 1 || n == 1 || p.closed.Load() {
		for t := range n {
			task.RunTask(0, t)
		}
		return
	}
	if !p.busy.CompareAndSwap(false, true) {
		panic("tensor: a Workspace used by two goroutines at once, or a parallel call inside a task")
	}
	defer p.busy.Store(false)
	p.gen.Add(1) // odd: writing
	for p.active.Load() != 0 {
		runtime.Gosched() // a helper leaving the previous call
	}
	p.task, p.tasks = task, int64(n)
	p.next.Store(0)
	p.done.Store(0)
	p.gen.Add(1)              // even: published
	p.wakeParked(min(p.n, n)) // more helpers than tasks would find no work
	p.drain(0)
	for spins := 0; p.done.Load() < int64(n); spins++ {
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
	// Every task has been claimed and run, so no helper reads p.task
	// again; dropping it keeps a task that references its Workspace from
	// keeping that Workspace (and its cleanup) alive through the helpers.
	p.task = nil
}

// wakeParked wakes the parked helpers among workers 1..upTo-1.
func (p *pool) wakeParked(upTo int) {
	for w := 1; w < upTo; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
}

// drain runs tasks of the current call until none is left.
func (p *pool) drain(w int) {
	for {
		t := p.next.Add(1) - 1
		if t >= p.tasks {
			return
		}
		p.task.RunTask(w, int(t))
		p.done.Add(1)
	}
}

func (p *pool) helper(w int) {
	var seen uint64 // the last call this helper looked at
	for {
		g, ok := p.await(w, seen)
		if !ok {
			return
		}
		p.active.Add(1)
		if p.gen.Load() == g {
			p.drain(w)
			seen = g
		}
		p.active.Add(-1)
	}
}

// await returns the generation of a published call other than seen, after
// spinning for up to poolSpin and then parking; ok is false once the pool
// is closed.
func (p *pool) await(w int, seen uint64) (g uint64, ok bool) {
	var start time.Time
	for i := 0; ; i++ {
		if p.closed.Load() {
			return 0, false
		}
		if g := p.gen.Load(); g != seen && g%2 == 0 {
			return g, true
		}
		if i%64 != 63 {
			continue
		}
		if start.IsZero() {
			start = time.Now()
		} else if time.Since(start) > poolSpin {
			break
		}
		runtime.Gosched()
	}
	for {
		p.parked[w].Store(true)
		if g := p.gen.Load(); (g != seen && g%2 == 0) || p.closed.Load() {
			if !p.parked[w].CompareAndSwap(true, false) {
				<-p.wake[w] // a waker cleared the flag: take its token
			}
		} else {
			<-p.wake[w]
		}
		if p.closed.Load() {
			return 0, false
		}
		if g := p.gen.Load(); g != seen && g%2 == 0 {
			return g, true
		}
	}
}

// Task is the work of one Workspace.Run call.
type Task interface {
	// RunTask runs task number task on worker number worker (0 <=
	// worker < Workspace.Workers()). Tasks of one call run concurrently,
	// each exactly once; no two run on one worker at the same time, so
	// per-worker buffers need no locks.
	RunTask(worker, task int)
}

// TaskFunc adapts a function to Task.
type TaskFunc func(worker, task int)

// RunTask calls f(worker, task).
func (f TaskFunc) RunTask(worker, task int) { f(worker, task) }

// Run runs tasks 0..n-1 of t on the workers of ws, the calling goroutine
// being worker 0, and returns when all have finished. Like every use of a
// Workspace it must not be called by two goroutines at once, nor from
// inside a task.
func (ws *Workspace) Run(n int, t Task) { ws.s.pool.run(n, t) }
