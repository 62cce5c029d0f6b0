package nn

import (
	"fmt"
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
