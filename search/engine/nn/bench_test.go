package nn

import (
	"runtime"

	"fmt"
	"github.com/autosnn/autosnn/search/engine/tensor"
	"math/rand/v2"
	"testing"
)

// Benchmarks at the size of the first TBD block of SNN_1 in the issue's
// benchmark (a): T = 8, batch 32, C = 16, 32x32 (4.2M neuron-steps), serial
// and with 2 workers. MB/s counts 4 bytes per input element.
func benchLayer(b *testing.B, mk func(*Workers) Layer, backward bool) {
	for _, nw := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", nw), func(b *testing.B) {
			w := NewWorkers(nw)
			defer w.Close()
			l := mk(w)
			rng := rand.New(rand.NewPCG(1, 1))
			x := randTensor(rng, 1, 0.5, 8, 32, 16, 32, 32)
			y, err := l.Forward(x)
			if err != nil {
				b.Fatal(err)
			}
			dy := randTensor(rng, 1, 0, y.Shape...)
			b.SetBytes(int64(4 * len(x.Data)))
			b.ResetTimer()
			for range b.N {
				if backward {
					_, err = l.Backward(dy)
				} else {
					_, err = l.Forward(x)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func plif(w *Workers) Layer    { n := NewPLIF("plif"); n.Workers = w; return n }
func bn(w *Workers) Layer      { l := NewBatchNorm("bn", 16); l.Workers = w; return l }
func maxpool(w *Workers) Layer { l := NewMaxPool2d("pool", 2, 2); l.Workers = w; return l }

func BenchmarkPLIFForward(b *testing.B)       { benchLayer(b, plif, false) }
func BenchmarkPLIFBackward(b *testing.B)      { benchLayer(b, plif, true) }
func BenchmarkBatchNormForward(b *testing.B)  { benchLayer(b, bn, false) }
func BenchmarkBatchNormBackward(b *testing.B) { benchLayer(b, bn, true) }
func BenchmarkMaxPoolForward(b *testing.B)    { benchLayer(b, maxpool, false) }
func BenchmarkMaxPoolBackward(b *testing.B)   { benchLayer(b, maxpool, true) }

// BenchmarkSNN1Train is one training step (forward, MSE-on-rate loss,
// backward; no optimiser) of the benchmark network (a): SNN_1 with
// SCB_k3 in every TBD block, C = 16, T = 8, batch 32, 32x32x3 input, on all
// cores. It reports images/s and the Go heap in use after the step (the
// layers' activations, saved state and gradient buffers).
func BenchmarkSNN1Train(b *testing.B) {
	ws := tensor.NewWorkspace(0)
	defer ws.Close()
	w := NewWorkers(0)
	defer w.Close()
	const batch = 32
	net := buildNet("SNN_1", []string{"SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3"}, 16, 10, 32, 8, ws, w)
	rng := rand.New(rand.NewPCG(2, 2))
	x := randTensor(rng, 1, 0, 1, batch, 3, 32, 32)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = i % 10
	}
	step := func() {
		if _, err := net.forward(x, labels); err != nil {
			b.Fatal(err)
		}
		if err := net.backward(); err != nil {
			b.Fatal(err)
		}
	}
	step()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
}

// BenchmarkSNN1Eval is the eval-mode forward of the same network.
func BenchmarkSNN1Eval(b *testing.B) {
	ws := tensor.NewWorkspace(0)
	defer ws.Close()
	w := NewWorkers(0)
	defer w.Close()
	const batch = 32
	net := buildNet("SNN_1", []string{"SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3"}, 16, 10, 32, 8, ws, w)
	net.net.SetTraining(false)
	rng := rand.New(rand.NewPCG(2, 2))
	x := randTensor(rng, 1, 0, 1, batch, 3, 32, 32)
	labels := make([]int, batch)
	b.ResetTimer()
	for range b.N {
		if _, err := net.forward(x, labels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}
