package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// simdVec returns n values around the threshold 1, with exact 0s and 1s
// mixed in so both sides of every comparison are exercised.
func simdVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch rng.IntN(8) {
		case 0:
			v[i] = 1
		case 1:
			v[i] = 0
		default:
			v[i] = float32(rng.NormFloat64()*0.8 + 0.7)
		}
	}
	return v
}

func TestLIFStepKernelsMatchGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 kernels on this machine/build")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 7, 8, 9, 64, 333, 4096} {
		const k, vth = 0.37, 1
		// Forward.
		xs, v0 := simdVec(rng, n), simdVec(rng, n)
		hsA, ysA, vA := make([]float32, n), make([]float32, n), append([]float32(nil), v0...)
		hsG, ysG, vG := make([]float32, n), make([]float32, n), append([]float32(nil), v0...)
		cA := lifForwardStep(xs, hsA, ysA, vA, k, vth)
		cG := lifForwardStepGo(xs, hsG, ysG, vG, k, vth)
		if cA != cG {
			t.Errorf("n=%d forward count: got %d, want %d", n, cA, cG)
		}
		for name, pair := range map[string][2][]float32{"h": {hsA, hsG}, "y": {ysA, ysG}, "v": {vA, vG}} {
			if d := cmp.Diff(bits(pair[1]), bits(pair[0])); d != "" {
				t.Errorf("n=%d forward %s differs from the Go loop (-want +got):\n%s", n, name, d)
			}
		}
		// Backward.
		hs, ds, hprev, dv0 := simdVec(rng, n), simdVec(rng, n), simdVec(rng, n), simdVec(rng, n)
		const a, half, reg = 2 * math.Pi / 2, 1, 0.01
		dvA, dxA := append([]float32(nil), dv0...), make([]float32, n)
		dvG, dxG := append([]float32(nil), dv0...), make([]float32, n)
		kA := lifBackwardStep(hs, ds, xs, hprev, dvA, dxA, k, vth, a, half, reg)
		kG := lifBackwardStepGo(hs, ds, xs, hprev, dvG, dxG, k, vth, a, half, reg)
		if math.Abs(float64(kA-kG)) > 1e-5*(1+math.Abs(float64(kG))) {
			t.Errorf("n=%d backward dk: got %v, want %v", n, kA, kG)
		}
		for name, pair := range map[string][2][]float32{"dv": {dvA, dvG}, "dx": {dxA, dxG}} {
			if d := cmp.Diff(bits(pair[1]), bits(pair[0])); d != "" {
				t.Errorf("n=%d backward %s differs from the Go loop (-want +got):\n%s", n, name, d)
			}
		}
	}
}

// bits returns the IEEE bit patterns of v (so -0 and NaN compare exactly).
func bits(v []float32) []uint32 {
	b := make([]uint32, len(v))
	for i, f := range v {
		b[i] = math.Float32bits(f)
	}
	return b
}
