package tensor

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// workerCountsFor returns the worker counts the determinism tests compare;
// -short trims the list.
func workerCountsFor(t *testing.T) []int {
	if testing.Short() {
		return []int{1, 3}
	}
	return []int{1, 2, 3, 7}
}

// TestSgemmDeterministic requires bit-identical results for every worker
// count on shapes big enough to be split into many tiles.
func TestSgemmDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	workerCounts := workerCountsFor(t)
	for _, c := range []gemmCase{
		{false, false, 16, 2000, 300, 1, 0, 0},
		{true, false, 200, 300, 600, 0.5, 1, 1},
		{false, true, 130, 530, 700, -1, 0.5, 0},
		{false, true, 30, 1000, 701, 1, 0, 1},   // dot path, ragged in every dimension
		{false, true, 16, 50, 30001, 2, 0.5, 0}, // split-K
		{true, false, 9, 20, 20000, 1, 0, 0},    // split-K, packed path
		{true, true, 97, 1100, 257, 1, 0, 2},
	} {
		t.Run(c.String(), func(t *testing.T) {
			a, lda, b, ldb, c0, ldc := c.operands(r)
			var want []float32
			for _, w := range workerCounts {
				ws := NewWorkspace(w)
				got := append([]float32(nil), c0...)
				ws.Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
				ws.Close()
				if want == nil {
					want = got
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("workers=%d differs from workers=%d (-want +got):\n%s", w, workerCounts[0], diff)
				}
			}
		})
	}
}

// TestConvDeterministic requires bit-identical forward and backward results
// for every worker count.
func TestConvDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	workerCounts := workerCountsFor(t)
	for _, s := range []ConvShape{
		{N: 5, Cin: 16, H: 32, W: 32, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{N: 7, Cin: 32, H: 16, W: 16, Cout: 32, KH: 5, KW: 5, Stride: 2, Pad: 2},
		{N: 13, Cin: 64, H: 8, W: 8, Cout: 64, KH: 1, KW: 1, Stride: 1, Pad: 0},
	} {
		t.Run(s.String(), func(t *testing.T) {
			x, w, dy := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
			dw0 := randSlice(r, s.WLen())
			type result struct{ y, dx, dw []float32 }
			var want *result
			for _, workers := range workerCounts {
				ws := NewWorkspace(workers)
				got := &result{make([]float32, s.YLen()), make([]float32, s.XLen()), append([]float32(nil), dw0...)}
				Conv2DForward(s, x, w, got.y, ws)
				Conv2DBackwardData(s, dy, w, got.dx, ws)
				Conv2DBackwardFilter(s, x, dy, got.dw, ws)
				ws.Close()
				if want == nil {
					want = got
					continue
				}
				for _, f := range []struct {
					name      string
					want, got []float32
				}{{"y", want.y, got.y}, {"dx", want.dx, got.dx}, {"dw", want.dw, got.dw}} {
					if diff := cmp.Diff(f.want, f.got); diff != "" {
						t.Errorf("%s: workers=%d differs from workers=%d (-want +got):\n%s", f.name, workers, workerCounts[0], diff)
					}
				}
			}
		})
	}
}

// TestNoAllocs checks that steady-state kernel calls do not allocate once a
// Workspace has warmed up.
func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	s := ConvShape{N: 4, Cin: 16, H: 16, W: 16, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}
	x, w, y := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
	dx, dw := make([]float32, s.XLen()), make([]float32, s.WLen())
	a, b, c := randSlice(r, 200*300), randSlice(r, 300*400), make([]float32, 200*400)
	long := randSlice(r, 16*20000) // 16 x 20000 and 4 x 20000 operands
	s2 := ConvShape{N: 3, Cin: 4, H: 9, W: 9, Cout: 5, KH: 3, KW: 3, Stride: 2, Pad: 1}
	x2, w2, y2 := randSlice(r, s2.XLen()), randSlice(r, s2.WLen()), randSlice(r, s2.YLen())
	dx2, dw2 := make([]float32, s2.XLen()), make([]float32, s2.WLen())
	for _, workers := range []int{1, 2} {
		ws := NewWorkspace(workers)
		for _, op := range []struct {
			name string
			f    func()
		}{
			{"Sgemm", func() { ws.Sgemm(false, false, 200, 400, 300, 1, a, 300, b, 400, 0, c, 400) }},
			{"Sgemm/dot", func() { ws.Sgemm(false, true, 20, 300, 200, 1, a, 200, b, 200, 0, c, 300) }},
			{"Sgemm/splitK", func() { ws.Sgemm(false, true, 16, 4, 20000, 1, long, 20000, long, 20000, 0, c, 4) }},
			{"Sgemm/pooled", func() { Sgemm(true, false, 200, 400, 300, 1, a, 200, b, 400, 0, c, 400) }},
			{"Conv/stride2", func() {
				Conv2DForward(s2, x2, w2, y2, ws)
				Conv2DBackwardData(s2, y2, w2, dx2, ws)
				Conv2DBackwardFilter(s2, x2, y2, dw2, ws)
			}},
			{"Conv2DForward", func() { Conv2DForward(s, x, w, y, ws) }},
			{"Conv2DBackwardData", func() { Conv2DBackwardData(s, y, w, dx, ws) }},
			{"Conv2DBackwardFilter", func() { Conv2DBackwardFilter(s, x, y, dw, ws) }},
		} {
			t.Run(fmt.Sprintf("%s/workers=%d", op.name, workers), func(t *testing.T) {
				if raceEnabled && op.name == "Sgemm/pooled" {
					t.Skip("the race detector makes sync.Pool drop workspaces")
				}
				op.f() // warm up the scratch buffers
				if got := testing.AllocsPerRun(5, op.f); got != 0 {
					t.Errorf("allocs per call = %v, want 0", got)
				}
			})
		}
		ws.Close()
	}
}

// TestClosedWorkspace checks that a closed Workspace still computes, on the
// calling goroutine, the same result.
func TestClosedWorkspace(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	a, b := randSlice(r, 300*200), randSlice(r, 200*400)
	want, got := make([]float32, 300*400), make([]float32, 300*400)
	ws := NewWorkspace(2)
	ws.Sgemm(false, false, 300, 400, 200, 1, a, 200, b, 400, 0, want, 400)
	ws.Close()
	ws.Close() // idempotent
	ws.Sgemm(false, false, 300, 400, 200, 1, a, 200, b, 400, 0, got, 400)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("closed workspace result differs (-open +closed):\n%s", diff)
	}
}

// TestConvDeterministicLargeBatch covers a batch large enough that the
// filter gradient's chunks hold several images because of maxFilterChunks.
func TestConvDeterministicLargeBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	s := ConvShape{N: 3*maxFilterChunks + 5, Cin: 2, H: 32, W: 32, Cout: 3, KH: 3, KW: 3, Stride: 1, Pad: 1}
	if got := filterChunk(s); got != 4 {
		t.Fatalf("filterChunk = %d, want 4", got)
	}
	x, dy := randSlice(r, s.XLen()), randSlice(r, s.YLen())
	var want []float32
	for _, workers := range workerCountsFor(t) {
		ws := NewWorkspace(workers)
		dw := make([]float32, s.WLen())
		Conv2DBackwardFilter(s, x, dy, dw, ws)
		ws.Close()
		if want == nil {
			want = dw
			_, ref := convBackward64(s, x, make([]float32, s.WLen()), dy)
			checkClose64(t, "dw", dw, ref, s.N*s.OutH()*s.OutW())
			continue
		}
		if diff := cmp.Diff(want, dw); diff != "" {
			t.Errorf("workers=%d differs (-first +got):\n%s", workers, diff)
		}
	}
}

// barrierJob's tasks each wait until all of them have started, which can
// only happen if the Workspace runs them concurrently.
type barrierJob struct {
	started atomic.Int32
	n       int32
	timeout atomic.Bool
	workers sync.Map // worker ids seen
}

func (j *barrierJob) run(_ *state, worker, _ int) {
	j.workers.Store(worker, true)
	j.started.Add(1)
	deadline := time.Now().Add(5 * time.Second)
	for j.started.Load() < j.n {
		if time.Now().After(deadline) {
			j.timeout.Store(true)
			return
		}
		runtime.Gosched()
	}
}

func TestWorkersRunConcurrently(t *testing.T) {
	for _, workers := range []int{2, 3} {
		ws := NewWorkspace(workers)
		j := &barrierJob{n: int32(workers)}
		ws.s.parallel(workers, j)
		ws.Close()
		if j.timeout.Load() {
			t.Errorf("workers=%d: tasks did not run concurrently", workers)
		}
		seen := 0
		j.workers.Range(func(_, _ any) bool { seen++; return true })
		if seen != workers {
			t.Errorf("workers=%d: tasks ran on %d distinct workers, want %d", workers, seen, workers)
		}
	}
}
