package tensor

import (
	"runtime"
	"sync"
)

// Workspace holds reusable scratch memory (packed GEMM panels, im2col
// buffers, per-chunk partial sums) and a set of persistent worker goroutines,
// so that steady-state kernel calls do not allocate. The workers are stopped
// when the Workspace becomes unreachable, or earlier by Close.
//
// A Workspace must not be used by two goroutines at once; give each
// concurrent caller its own. Results never depend on the number of workers.
type Workspace struct {
	s *state
}

// state is the part of a Workspace that its calls work on; the worker
// goroutines reference only its pool (and a running call's task, which the
// pool drops when the call returns), so the Workspace itself can become
// unreachable, which triggers the cleanup that stops the workers.
type state struct {
	workers int
	kern    kernels
	bufs    []*workerBufs

	pool *pool // the helper goroutines (pool.go)

	// noWinograd makes Conv2DBackwardData use the direct kernels for
	// every shape (tests and benchmarks compare the two paths).
	noWinograd bool

	// jobTask is the Task through which parallel runs its job.
	jobTask jobTask

	// Job descriptors, reused so dispatch does not allocate.
	gemmJob       gemmJob
	convJob       convJob
	splitJob      splitKJob
	sharedJob     sharedJob
	reduceJob     reduceJob
	winoJob       winoJob
	winoFilterJob winoFilterJob

	part    []float32 // per-chunk partial filter gradients
	partK   []float32 // per-chunk partial products of a split-K GEMM
	bshared []float32 // packed B block shared by the workers, kc*nc
	wpack   []float32 // filters packed as GEMM A panels, shared by all workers
	wflip   []float32 // filters transposed and flipped for backward data
	offs    []int32   // patch offsets of the output pixels (patchOffsets)
	contig  []bool    // which nr-chunks of output pixels read consecutive inputs
	roff    []int32   // patch row offsets (rowOffsets)
	qoff    []int32   // 8-pixel group offsets (groupOffsets)
	perm    []int32   // patch row of each sorted row offset (sortedRowOffsets)
	wu      []float32 // Winograd-transformed filters (winograd.go)
}

// workerBufs is the scratch owned by one worker.
type workerBufs struct {
	gemm *gemmBufs
	col  []float32 // im2col matrix
	dy   []float32 // output gradients of a chunk of images, virtual rows
	row  []float32 // zero-padded, phase-split input images (or their gradient)
	yv   []float32 // an output image with virtual rows

	// Winograd buffers of one image (winograd.go).
	whwc, wt, wv, wm, wz, wo []float32
	wf64                     []float64 // filter transform of one input channel
}

// job is one parallel call: tasks numbered from 0, each run exactly once by
// some worker. A task's result must not depend on which worker runs it.
type job interface {
	run(s *state, worker, task int)
}

// jobTask adapts the job of a parallel call to the pool's Task.
type jobTask struct {
	s *state
	j job
}

// RunTask runs task t of the job on worker w.
func (jt *jobTask) RunTask(w, t int) { jt.j.run(jt.s, w, t) }

// NewWorkspace returns a Workspace that splits work across the given number
// of workers; workers <= 0 means runtime.GOMAXPROCS(0). Results do not depend
// on the number of workers.
func NewWorkspace(workers int) *Workspace {
	return newWorkspace(workers, defaultKernels())
}

// kernels are the inner loops a Workspace runs: the packed GEMM
// micro-kernel and the unpacked dot-product kernel.
type kernels struct {
	gemm   kernelFunc
	ind    kernelIndFunc
	io     kernelIOFunc
	dot    dotFunc
	dotInd dotIndFunc
	wino   *winoKernels // nil: no Winograd convolutions
}

// goKernels are the portable kernels.
var goKernels = kernels{gemm: kernelGo, ind: kernelIndGo, io: kernelIOGo, dot: dotGo, dotInd: dotIndGo}

// newWorkspace is NewWorkspace with explicit kernels, so tests can compare
// the assembly and pure-Go kernels.
func newWorkspace(workers int, kern kernels) *Workspace {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s := &state{workers: workers, kern: kern, bufs: make([]*workerBufs, workers), pool: newPool(workers)}
	s.jobTask.s = s
	for w := range s.bufs {
		s.bufs[w] = &workerBufs{gemm: newGemmBufs()}
	}
	ws := &Workspace{s: s}
	runtime.AddCleanup(ws, func(s *state) { s.close() }, s)
	return ws
}

// Workers returns the number of workers the Workspace splits work across.
func (ws *Workspace) Workers() int { return ws.s.workers }

// Close stops the worker goroutines. It is optional (an unreachable
// Workspace is cleaned up by the garbage collector); a closed Workspace
// still works, running everything on the calling goroutine, with the same
// results.
func (ws *Workspace) Close() { ws.s.close() }

func (s *state) close() { s.pool.close() }

// parallel runs tasks 0..n-1 of j on the workers, the calling goroutine
// being worker 0, and returns when all are done. It restores s.jobTask's
// previous job on return, so that a call nested in a task of another call
// that runs on the caller alone (one worker, or closed) leaves the outer
// call's job in place.
func (s *state) parallel(n int, j job) {
	jt := &s.jobTask
	prev := jt.j
	jt.j = j
	s.pool.run(n, jt)
	jt.j = prev
}

// grow returns buf resized to n elements, reallocating only when its
// capacity is too small.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// sgemmPool lends Workspaces to Sgemm. A pooled Workspace carries no state
// between calls other than its scratch memory.
var sgemmPool = sync.Pool{New: func() any { return NewWorkspace(0) }}

// Sgemm is the package-level Sgemm running on the workers of ws.
func (ws *Workspace) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	ws.s.sgemm(gemmArgs{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc})
}
