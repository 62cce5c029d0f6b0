package tensor

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/autosnn/autosnn/ir/cpuclock"
)

// benchGemmShapes are the GEMMs of the training workload: the whole-batch
// im2col products of the AutoSNN convolutions (batch 32) and square sizes.
var benchGemmShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"conv16x32x32k3_fwd", false, false, 16, 32 * 1024, 16 * 9},
	{"conv32x16x16k3_fwd", false, false, 32, 32 * 256, 32 * 9},
	{"conv64x8x8k3_fwd", false, false, 64, 32 * 64, 64 * 9},
	{"conv64x32x32k3_fwd", false, false, 64, 32 * 1024, 64 * 9},
	{"conv16x32x32k3_dw", false, true, 16, 16 * 9, 32 * 1024},
	{"conv64x8x8k3_dx", true, false, 64 * 9, 32 * 64, 64},
	{"linear1024x100_fwd", false, true, 768, 100, 1024}, // head Linear 4C*16 -> 100, T*N = 8*96 rows
	{"linear1024x100_dx", false, false, 768, 1024, 100},
	{"linear1024x100_dw", true, false, 100, 1024, 768},
	{"square256", false, false, 256, 256, 256},
	{"square512", false, false, 512, 512, 512},
	{"square1024", false, false, 1024, 1024, 1024},
}

// benchWorkers are the worker counts the benchmarks run with. The count is
// set explicitly on the Workspace rather than through -cpu, because the
// testing package runs sub-benchmarks at the default GOMAXPROCS.
var benchWorkers = []int{1, 2}

func BenchmarkSgemm(b *testing.B) {
	for _, sh := range benchGemmShapes {
		for _, workers := range benchWorkers {
			b.Run(fmt.Sprintf("%s/workers=%d", sh.name, workers), func(b *testing.B) {
				benchSgemm(b, sh.transA, sh.transB, sh.m, sh.n, sh.k, workers)
			})
		}
	}
}

func benchSgemm(b *testing.B, transA, transB bool, m, n, k, workers int) {
	r := rand.New(rand.NewPCG(1, 1))
	c := gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, beta: 0}
	a, lda, bm, ldb, cm, ldc := c.operands(r)
	ws := NewWorkspace(workers)
	defer ws.Close()
	ws.Sgemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, cm, ldc)
	benchLoop(b, 2*float64(m)*float64(n)*float64(k), func() {
		ws.Sgemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, cm, ldc)
	})
}

// benchLoop times f and reports GFLOP/s (flops per call over wall time) and
// GFLOP/cpu-s (over the CPU time the process used, summed over cores),
// which is robust against other processes competing for the cores: on an
// idle machine GFLOP/cpu-s is GFLOP/s divided by the number of busy cores.
func benchLoop(b *testing.B, flops float64, f func()) {
	b.ResetTimer()
	cpu0 := cpuclock.Seconds()
	for b.Loop() {
		f()
	}
	cpu := cpuclock.Seconds() - cpu0
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
	}
}

// benchConvShapes are the AutoSNN cell convolutions at batch 32: C=16 at
// 32x32, 2C=32 at 16x16 and 4C=64 at 8x8, with 3x3 and 5x5 kernels, then
// the stem (3 -> C), a channel-doubling 1x1 shortcut, a stride-2 3x3 (the
// down-sampling blocks of SNN_3) and the MNIST resolutions 28x28 and 14x14.
func benchConvShapes() []ConvShape {
	ss := []ConvShape{
		{N: 32, Cin: 3, H: 32, W: 32, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{N: 32, Cin: 16, H: 16, W: 16, Cout: 32, KH: 1, KW: 1, Stride: 1, Pad: 0},
		{N: 32, Cin: 16, H: 32, W: 32, Cout: 32, KH: 3, KW: 3, Stride: 2, Pad: 1},
		{N: 32, Cin: 16, H: 28, W: 28, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, // MNIST: rows not a multiple of 8
		{N: 32, Cin: 32, H: 14, W: 14, Cout: 32, KH: 3, KW: 3, Stride: 1, Pad: 1},
	}
	for _, d := range []struct{ c, hw int }{{16, 32}, {32, 16}, {64, 8}} {
		for _, k := range []int{3, 5} {
			ss = append(ss, ConvShape{N: 32, Cin: d.c, H: d.hw, W: d.hw, Cout: d.c, KH: k, KW: k, Stride: 1, Pad: k / 2})
		}
	}
	return ss
}

func BenchmarkConv(b *testing.B) {
	for _, s := range benchConvShapes() {
		flops := 2 * float64(s.N*s.Cout*s.OutH()*s.OutW()) * float64(s.Cin*s.KH*s.KW)
		r := rand.New(rand.NewPCG(2, 2))
		x, w, y := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
		dx, dw := make([]float32, s.XLen()), make([]float32, s.WLen())
		for _, op := range []struct {
			name string
			f    func(ws *Workspace)
		}{
			{"fwd", func(ws *Workspace) { Conv2DForward(s, x, w, y, ws) }},
			{"bwdData", func(ws *Workspace) { Conv2DBackwardData(s, y, w, dx, ws) }},
			{"bwdDataDirect", func(ws *Workspace) {
				// The direct kernels, for comparison where bwdData takes
				// the Winograd path (same flop count credited).
				ws.s.noWinograd = true
				Conv2DBackwardData(s, y, w, dx, ws)
				ws.s.noWinograd = false
			}},
			{"bwdFilter", func(ws *Workspace) { Conv2DBackwardFilter(s, x, y, dw, ws) }},
		} {
			for _, workers := range benchWorkers {
				b.Run(fmt.Sprintf("%s/%s/workers=%d", convBenchName(s), op.name, workers), func(b *testing.B) {
					ws := NewWorkspace(workers)
					defer ws.Close()
					op.f(ws)
					benchLoop(b, flops, func() { op.f(ws) })
				})
			}
		}
	}
}

// convBenchName names a benchmark shape: C16_32x32_k3 for the cell
// convolutions, with the output channels and stride added when they differ
// (C3to16_32x32_k3, C16to32_32x32_k3s2).
func convBenchName(s ConvShape) string {
	name := fmt.Sprintf("C%d", s.Cin)
	if s.Cout != s.Cin {
		name += fmt.Sprintf("to%d", s.Cout)
	}
	name += fmt.Sprintf("_%dx%d_k%d", s.H, s.W, s.KH)
	if s.Stride != 1 {
		name += fmt.Sprintf("s%d", s.Stride)
	}
	return name
}

// The benchmarks below have no sub-benchmarks and size their Workspace by
// GOMAXPROCS, so `go test -bench 'Procs' -cpu 1,2` measures them on one and
// two cores (use a -benchtime above 1x: the testing package runs the first
// iteration at the default GOMAXPROCS).

func BenchmarkSgemmProcs512(b *testing.B) {
	benchSgemm(b, false, false, 512, 512, 512, runtime.GOMAXPROCS(0))
}

func BenchmarkSgemmProcs1024(b *testing.B) {
	benchSgemm(b, false, false, 1024, 1024, 1024, runtime.GOMAXPROCS(0))
}

func BenchmarkConvProcsC16K3Forward(b *testing.B) {
	s := ConvShape{N: 32, Cin: 16, H: 32, W: 32, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}
	r := rand.New(rand.NewPCG(3, 3))
	x, w, y := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
	ws := NewWorkspace(0)
	defer ws.Close()
	Conv2DForward(s, x, w, y, ws)
	benchLoop(b, 2*float64(s.YLen())*float64(s.Cin*s.KH*s.KW), func() { Conv2DForward(s, x, w, y, ws) })
}

// BenchmarkMemoryRead streams 64 MiB per goroutine (one float per 64-byte
// line is added, so the loop is bound by memory, not arithmetic) with one
// and with two goroutines at once, and reports the total bandwidth: how much
// a second worker can add to memory-bound passes on this machine.
//
//	go test -run '^$' -bench MemoryRead -benchtime 20x ./search/engine/tensor/
func BenchmarkMemoryRead(b *testing.B) {
	for _, g := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			xs := make([][]float32, g)
			for i := range xs {
				xs[i] = make([]float32, 16<<20)
				for j := range xs[i] {
					xs[i][j] = 1
				}
			}
			sums := make([]float32, g)
			for b.Loop() {
				var wg sync.WaitGroup
				for i, x := range xs {
					wg.Go(func() {
						var s0, s1, s2, s3 float32
						for j := 0; j+64 <= len(x); j += 64 {
							s0 += x[j]
							s1 += x[j+16]
							s2 += x[j+32]
							s3 += x[j+48]
						}
						sums[i] = s0 + s1 + s2 + s3
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(g*(16<<20)*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkComputeScaling runs the Winograd transform-domain GEMM kernel
// on L1-resident data (66 x 64 by 64 x 16) in one and in two goroutines at
// once and reports the total rate: whether the machine's second vCPU adds
// compute (it does, 2x, where BenchmarkMemoryRead adds 1.3-1.5x of
// bandwidth).
//
//	go test -run '^$' -bench ComputeScaling -benchtime 1000000x ./search/engine/tensor/
func BenchmarkComputeScaling(b *testing.B) {
	const rows, k = 66, 64
	gemm := defaultKernels().wino.gemm // the pure-Go kernel on other builds
	for _, g := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			var wg sync.WaitGroup
			b.ResetTimer()
			for range g {
				wg.Go(func() {
					a, bm, c := make([]float32, rows*k), make([]float32, k*16), make([]float32, rows*16)
					for range b.N {
						gemm(rows/6, k, a, k, bm, c, 16)
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(g*rows*k*16*2)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
