package nn

import "github.com/autosnn/autosnn/search/engine/tensor"

// Workers is the set of goroutines that the elementwise layers (Neuron,
// BatchNorm, MaxPool2d, AvgPool2d, Repeat) use to split their work: the
// workers of a tensor.Workspace, shared with the convolutions and GEMMs of
// the same network (WorkersOf), so that one set of goroutines serves every
// parallel call. Work is cut into tasks whose boundaries depend only on the
// tensor shape, and partial sums are combined in task order, so results do
// not depend on the number of workers. A nil *Workers runs everything on
// the calling goroutine.
//
// A Workers must not be used by two goroutines at once, nor at the same
// time as its Workspace (like a tensor.Workspace); layers of one network
// share one.
type Workers struct {
	ws  *tensor.Workspace
	own bool // ws was made by NewWorkers (Close closes it)

	task taskAdapter // reused by run so that dispatch does not allocate
	fin  finiteJob   // reused by CheckFinite
	add  addJob      // reused by Add
}

// job is one parallel call; run(t) handles task t and must touch only data
// that no other task touches.
type job interface {
	run(task int)
}

// taskAdapter runs an nn job as a tensor.Task.
type taskAdapter struct{ j job }

func (a *taskAdapter) RunTask(_, task int) { a.j.run(task) }

// NewWorkers starts n workers (n <= 0: runtime.GOMAXPROCS(0)) on a
// Workspace of their own; the calling goroutine counts as one of them.
func NewWorkers(n int) *Workers {
	return &Workers{ws: tensor.NewWorkspace(n), own: true}
}

// WorkersOf returns Workers that run on the workers of ws.
func WorkersOf(ws *tensor.Workspace) *Workers {
	return &Workers{ws: ws}
}

// Close stops the worker goroutines of a Workers made by NewWorkers (later
// calls run serially); it does nothing for WorkersOf, whose Workspace its
// owner closes.
func (w *Workers) Close() {
	if w != nil && w.own {
		w.ws.Close()
	}
}

// run executes tasks 0..n-1 of j and returns when all are done.
func (w *Workers) run(n int, j job) {
	if w == nil {
		for t := range n {
			j.run(t)
		}
		return
	}
	w.task.j = j
	w.ws.Run(n, &w.task)
	w.task.j = nil
}

// chunk is the number of elements of one elementwise task: large enough to
// amortise dispatch, small enough that T steps of its state stay in cache.
const chunk = 4096

func numChunks(n int) int { return (n + chunk - 1) / chunk }

// Add sets dst[i] = srcs[0][i] + srcs[1][i] + ... (added left to right) for
// i < len(dst), in one pass split across the workers. dst may be one of the
// sources (the sum is elementwise); every source must be at least as long
// as dst. A nil *Workers adds on the calling goroutine.
func (w *Workers) Add(dst []float32, srcs ...[]float32) {
	for _, s := range srcs {
		_ = s[:len(dst)]
	}
	if len(srcs) == 0 {
		clear(dst)
		return
	}
	if w == nil {
		j := addJob{dst: dst, srcs: srcs}
		for t := range numChunks(len(dst)) {
			j.run(t)
		}
		return
	}
	j := &w.add
	*j = addJob{dst: dst, srcs: srcs}
	w.run(numChunks(len(dst)), j)
	*j = addJob{}
}

// CheckFinite is the package function CheckFinite with the screening of
// data split across the workers; it returns the same error (the first
// non-finite value).
func (w *Workers) CheckFinite(layer string, step int, what string, data []float32) error {
	tasks := (len(data) + finiteBlock - 1) / finiteBlock
	if w == nil || tasks <= 1 {
		return CheckFinite(layer, step, what, data)
	}
	j := &w.fin
	if cap(j.bad) < tasks {
		j.bad = make([]bool, tasks)
	}
	j.data, j.bad = data, j.bad[:tasks]
	w.run(tasks, j)
	for t, b := range j.bad {
		if b {
			lo := t * finiteBlock
			err := CheckFinite(layer, step, what, data[lo:min(lo+finiteBlock, len(data))])
			if e, ok := err.(*NonFiniteError); ok {
				e.Index += lo
			}
			j.data = nil
			return err
		}
	}
	j.data = nil
	return nil
}

// finiteBlock is the number of values one task of CheckFinite screens.
const finiteBlock = 1 << 16

// finiteJob is one Workers.CheckFinite call: task t sets bad[t] if block t
// of data holds a non-finite value.
type finiteJob struct {
	data []float32
	bad  []bool
}

func (j *finiteJob) run(t int) {
	lo := t * finiteBlock
	j.bad[t] = CheckFinite("", 0, "", j.data[lo:min(lo+finiteBlock, len(j.data))]) != nil
}

// addJob is one Add call; task t sums elements [t*chunk, (t+1)*chunk).
type addJob struct {
	dst  []float32
	srcs [][]float32
}

func (j *addJob) run(t int) {
	lo, hi := t*chunk, min((t+1)*chunk, len(j.dst))
	d := j.dst[lo:hi]
	a := j.srcs[0][lo:hi]
	if len(j.srcs) == 1 {
		copy(d, a)
		return
	}
	add(a, j.srcs[1][lo:hi], d)
	for _, s := range j.srcs[2:] {
		add(d, s[lo:hi], d)
	}
}

// add sets d[i] = a[i] + b[i] for i < len(d); d may be a or b.
func add(a, b, d []float32) {
	a, b = a[:len(d)], b[:len(d)]
	if m := len(d) &^ 7; hasAVX2 && m > 0 {
		addAVX2(&a[0], &b[0], &d[0], m)
		a, b, d = a[m:], b[m:], d[m:]
	}
	for i := range d {
		d[i] = a[i] + b[i]
	}
}

// UseWorkers sets w on every layer under root that splits its work across
// goroutines (Neuron, BatchNorm, MaxPool2d, AvgPool2d, Repeat).
func UseWorkers(root Layer, w *Workers) {
	for _, l := range Leaves(root) {
		switch l := l.(type) {
		case *Neuron:
			l.Workers = w
		case *BatchNorm:
			l.Workers = w
		case *MaxPool2d:
			l.Workers = w
		case *AvgPool2d:
			l.Workers = w
		case *Repeat:
			l.Workers = w
		}
	}
}

// count returns the number of workers (1 for a nil Workers).
func (w *Workers) count() int {
	if w == nil {
		return 1
	}
	return w.ws.Workers()
}
