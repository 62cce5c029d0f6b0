package train

import (
	"math/rand/v2"
	"testing"
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
