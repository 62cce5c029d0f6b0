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
