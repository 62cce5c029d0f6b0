package dataset

import (
	"context"
	"testing"
)

// cifarLikeSet is an in-memory static set of n random 3x32x32 images.
func cifarLikeSet(n int) *Set {
	p := &samples{labels: make([]int32, n), pix: pattern(n*cifarPixels, 7)}
	for i := range p.labels {
		p.labels[i] = int32(i % 10)
	}
	s := &Set{Name: "cifar10", Kind: Static, ClassNames: cifar10ClassNames, C: 3, H: 32, W: 32, train: p, test: p}
	s.Mean, s.Std, s.NormSource = normFor("cifar10")
	if err := s.finish(false); err != nil {
		panic(err)
	}
	return s
}

// BenchmarkBatches measures one epoch of 64-image CIFAR-sized batches;
// the reported samples/s is the iterator's throughput when the consumer
// does no work.
func BenchmarkBatches(b *testing.B) {
	s := cifarLikeSet(4096)
	for _, c := range []struct {
		name string
		aug  *Augment
	}{{"plain", nil}, {"crop+flip", &StandardAugment}, {"crop+flip+cutout", &Augment{Pad: 4, Flip: true, Cutout: 16}}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for i := 0; b.Loop(); i++ {
				it, err := s.Batches(context.Background(), FullTrain, BatchOptions{Size: 64, Shuffle: true, Seed: 1, Epoch: i, Augment: c.aug})
				if err != nil {
					b.Fatal(err)
				}
				for it.Next() {
					n += len(it.Batch().Labels)
				}
				it.Close()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
