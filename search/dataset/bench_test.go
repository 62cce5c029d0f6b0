package dataset

import (
	"bytes"
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

// BenchmarkReadAEDAT31 parses a recording of one million polarity events in
// 1,000-event packets (a DVS128 Gesture file holds about 0.5 to 5 million).
func BenchmarkReadAEDAT31(b *testing.B) {
	var packets []aedat3Packet
	for p := range 1000 {
		ev := make([]Event, 1000)
		for k := range ev {
			ev[k] = Event{T: int64(p*1000 + k), X: uint16(k % 128), Y: uint16(p % 128), P: uint8(k % 2)}
		}
		packets = append(packets, aedat3Packet{typ: 1, ev: ev})
	}
	file := buildAEDAT31(packets...)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, err := ReadAEDAT31(bytes.NewReader(file), "bench", 128, 128); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIntegrate integrates one million events into T=20 frames of
// 128x128.
func BenchmarkIntegrate(b *testing.B) {
	ev := make([]Event, 1_000_000)
	for k := range ev {
		ev[k] = Event{T: int64(k), X: uint16(k % 128), Y: uint16((k / 128) % 128), P: uint8(k % 2)}
	}
	g := FrameGeometry{T: 20, Mode: SplitByNumber, SensorH: 128, SensorW: 128, H: 128, W: 128}
	dst := make([]uint16, g.Len())
	for b.Loop() {
		if err := Integrate(ev, g, dst); err != nil {
			b.Fatal(err)
		}
	}
}
