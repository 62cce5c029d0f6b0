package train

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir/cpuclock"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// benchNets are the two networks of the performance comparison with
// PyTorch (testdata/bench_torch.py runs the same ones): (a) SNN_1 with
// SCB_k3 in every block and (b) the searched AutoSNN architecture, both at
// C = 16, T = 8 on 3x32x32 input with 10 classes.
var benchNets = []struct {
	name string
	spec func() frontend.Spec
}{
	{"snn1-scb3", func() frontend.Spec {
		return frontend.DefaultSpec("SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3")
	}},
	{"autosnn", func() frontend.Spec { e, _ := frontend.LookupZoo("autosnn"); return e.Spec }},
}

// benchBatch is the batch size of the comparison (env AUTOSNN_BENCH_BATCH
// overrides it).
func benchBatch() int {
	if v, err := strconv.Atoi(os.Getenv("AUTOSNN_BENCH_BATCH")); err == nil && v > 0 {
		return v
	}
	return 32
}

// BenchmarkEngine measures training steps (forward, backward, Adam),
// eval-mode inference, and training-mode forward passes alone (batch
// statistics: the spike activity of training, several times that of the
// barely trained nets in eval mode) on the comparison networks, and reports
// images/s, images per CPU-second, spikes per image and the process's peak
// resident memory.
//
//	go test -run '^$' -bench Engine -benchtime 5x ./search/engine/train/
func BenchmarkEngine(b *testing.B) {
	for _, bn := range benchNets {
		for _, mode := range []string{"train", "infer", "forward"} {
			b.Run(bn.name+"/"+mode, func(b *testing.B) {
				g, err := frontend.Lower(bn.spec())
				if err != nil {
					b.Fatal(err)
				}
				net, err := Build(g, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					b.Fatal(err)
				}
				defer net.Close()
				batch := benchBatch()
				rng := rand.New(rand.NewPCG(2, 2))
				x := nn.NewTensor(net.InputShape(batch)...)
				for i := range x.Data {
					x.Data[i] = float32(rng.NormFloat64())
				}
				labels := make([]int, batch)
				for i := range labels {
					labels[i] = rng.IntN(10)
				}
				opt := nn.NewAdam(net.Params(), 1e-3)
				if mode == "infer" {
					// Give the batch-norms realistic running statistics
					// (the defaults 0 and 1 leave the net nearly silent,
					// which would flatter the event-driven kernels).
					for range 5 {
						if _, err := net.Forward(x, labels); err != nil {
							b.Fatal(err)
						}
					}
				}
				net.SetTraining(mode != "infer")
				run := func() {
					if mode != "train" {
						if _, err := net.Forward(x, nil); err != nil {
							b.Fatal(err)
						}
						return
					}
					if _, err := net.Forward(x, labels); err != nil {
						b.Fatal(err)
					}
					nn.ZeroGrad(net.Params())
					if err := net.Backward(); err != nil {
						b.Fatal(err)
					}
					opt.Step()
				}
				run() // warm up: allocate buffers
				b.ResetTimer()
				cpu0 := cpuclock.Seconds()
				for range b.N {
					run()
				}
				cpu := cpuclock.Seconds() - cpu0
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
				if cpu > 0 {
					// Robust to other processes on the machine: images per
					// CPU-second of this process (all threads).
					b.ReportMetric(float64(b.N*batch)/cpu, "images/cpu-s")
				}
				paper, _ := net.SpikeMetrics()
				b.ReportMetric(float64(paper)/float64(batch), "spikes/image")
				if mb := peakRSSMB(); mb > 0 {
					b.ReportMetric(mb, "peakRSS-MB")
				}
			})
		}
	}
}

// peakRSSMB returns the process's peak resident set size in MB (VmHWM from
// /proc/self/status), or 0 where that is not available.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
