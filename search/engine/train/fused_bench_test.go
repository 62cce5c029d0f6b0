package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// BenchmarkFusedStep times the fused kernel on one channel row of 1024
// neurons, with the output row in cache (L1) and streamed through a large
// buffer (memory).
func BenchmarkFusedStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const row = 1024
	a, v := make([]float32, row), make([]float32, row)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	fc := &fusedConsts{sca: 1, scb: 1, k: 0.5, vth: 1}
	for _, big := range []int{1, 1 << 13} {
		y := make([]float32, row*big)
		name := "cache"
		if big > 1 {
			name = "memory"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(row * 4)
			i := 0
			for b.Loop() {
				fusedStep(a, nil, v, y[i*row:(i+1)*row], fc)
				i = (i + 1) % big
			}
		})
	}
}

// BenchmarkFusedHWC times the transposing kernel on one image-step of the
// first SNN_1 block shape (32x32 pixels, 16 channels), output in cache and
// streamed through memory.
func BenchmarkFusedHWC(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const plane, cout = 1024, 16
	n := plane * cout
	v, tmp := make([]float32, cout*hwcStride(plane, cout)), make([]float32, 524)
	hwc := make([]float32, n)
	fc := make([]fusedConsts, cout)
	for i := range fc {
		fc[i] = fusedConsts{sca: 1, scb: 1, k: 0.5, vth: 1}
	}
	for i := range v {
		v[i] = float32(rng.Float64())
	}
	for _, big := range []int{1, 512} {
		y := make([]float32, n*big)
		name := "cache"
		if big > 1 {
			name = "memory"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(n) * 4)
			i := 0
			var spk int64
			for b.Loop() {
				fusedHWC(hwc, tmp, nil, v, y[i*n:(i+1)*n], plane, cout, fc, &spk)
				i = (i + 1) % big
			}
		})
	}
}

// BenchmarkConvEvents times one image of the event-driven convolution at
// the SNN_1 shapes (10% input density), per event: one event at a time
// (events: eventImageFast with the per-pixel table, the loop of evaluation
// and of inputs that are not binary), grouped by pixel (pixels, the
// training forward) and the pixel masks alone (masks).
func BenchmarkConvEvents(b *testing.B) {
	for _, c := range []struct{ cin, cout, k, hw int }{{16, 16, 3, 32}, {16, 16, 5, 32}, {32, 32, 3, 16}, {64, 64, 5, 8}, {32, 64, 1, 8}, {32, 32, 5, 16}} {
		rng := rand.New(rand.NewPCG(2, 2))
		conv := nn.NewConv2d("c", c.cin, c.cout, c.k, 1, c.k/2, rng, nil)
		sc := &spikeConv{Conv2d: conv}
		wrev := make([]float32, len(conv.Weight.Data))
		reverseInto(conv, wrev, 0, c.cin)
		s := tensor.ConvShape{N: 1, Cin: c.cin, H: c.hw, W: c.hw, Cout: c.cout, KH: c.k, KW: c.k, Stride: 1, Pad: c.k / 2}
		xn := make([]float32, c.cin*c.hw*c.hw)
		for i := range xn {
			if rng.IntN(10) == 0 {
				xn[i] = 1
			}
		}
		idx := make([]int32, len(xn))
		idx = idx[:nonzeroGo(xn, idx, 0)]
		hwc := make([]float32, c.cout*c.hw*c.hw)
		name := fmt.Sprintf("%dx%dk%d_%d", c.cin, c.cout, c.k, c.hw)
		ptab := sc.pixTable(s, nil)
		b.Run(name+"_events", func(b *testing.B) {
			for b.Loop() {
				clear(hwc)
				sc.eventImageFast(s, xn, idx, hwc, wrev, ptab)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(idx)), "ns/event")
		})
		sc.shape, sc.x = s, &nn.Tensor{Data: xn, Shape: []int{1, 1, c.cin, c.hw, c.hw}}
		sc.idx, sc.counts, sc.unit, sc.fromSource = idx, []int{len(idx)}, len(xn), true
		masks := make([]uint64, c.hw*c.hw)
		var list [64]int64
		divPlane := newDivider(c.hw*c.hw, len(xn))
		b.Run(name+"_pixels", func(b *testing.B) {
			for b.Loop() {
				clear(hwc)
				sc.pixelMasks(0, masks, divPlane)
				sc.pixEvents(s, masks, ptab, wrev, hwc, &list)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(idx)), "ns/event")
		})
		b.Run(name+"_masks", func(b *testing.B) {
			for b.Loop() {
				sc.pixelMasks(0, masks, divPlane)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(idx)), "ns/event")
		})
	}
}

// BenchmarkFilterGradient times the event-driven filter gradient of one
// chunk of filterChunk images at the SNN_1 shapes (10% input density), per
// event: the event loop of filterImages against the register-stationary
// filterImagesReg.
func BenchmarkFilterGradient(b *testing.B) {
	for _, c := range []struct{ cin, cout, k, hw int }{{16, 16, 3, 32}, {16, 16, 5, 32}, {32, 32, 3, 16}, {64, 64, 5, 8}, {32, 64, 1, 8}} {
		rng := rand.New(rand.NewPCG(2, 2))
		ws := tensor.NewWorkspace(1)
		defer ws.Close()
		conv := nn.NewConv2d("c", c.cin, c.cout, c.k, 1, c.k/2, rng, ws)
		sc := newSpikeConv(conv, ws)
		x := nn.NewTensor(1, filterChunk, c.cin, c.hw, c.hw)
		for i := range x.Data {
			if rng.IntN(10) == 0 {
				x.Data[i] = 1
			}
		}
		if _, err := sc.Forward(x); err != nil {
			b.Fatal(err)
		}
		dy := make([]float32, filterChunk*c.cout*c.hw*c.hw)
		for i := range dy {
			dy[i] = float32(rng.NormFloat64())
		}
		dw := make([]float32, len(conv.Weight.Data))
		events := 0
		for _, n := range sc.counts {
			events += n
		}
		n, chunks, ok := filterPlan(c.k, c.k/2, c.cout)
		if ok {
			sc.setFilterTabs(sc.shape.W + 2*sc.Pad)
		}
		for _, reg := range []bool{false, true} {
			if reg && !ok {
				continue
			}
			b.Run(fmt.Sprintf("%dx%dk%d_%d/reg=%v", c.cin, c.cout, c.k, c.hw, reg), func(b *testing.B) {
				hwc := make([]float32, c.cout*c.hw*c.hw)
				var fb filterBufs
				for b.Loop() {
					if reg {
						sc.filterImagesReg(0, filterChunk, dy, &fb, dw, n, chunks)
					} else {
						sc.filterImages(0, filterChunk, dy, hwc, dw)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
			})
		}
	}
}
