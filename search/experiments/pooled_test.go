package experiments

import (
	"testing"

	"github.com/autosnn/autosnn/search/engine/nn"
)

// firstSpike runs the engine's PLIF (k = sigmoid(w) in float32) on the
// constant input x for T steps and returns the first step (1-based) it
// fires at, 0 if it stays silent.
func firstSpike(t *testing.T, x float32, w float32, T int) int {
	t.Helper()
	n := nn.NewPLIF("pool.plif")
	n.W.Data[0] = w
	in := nn.NewTensor(T, 1, 8) // [T, N, features]: the vectorised kernels see full rows
	for i := range in.Data {
		in.Data[i] = x
	}
	y, err := n.Forward(in)
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < T; s++ {
		if y.Data[s*8] != 0 {
			return s + 1
		}
	}
	return 0
}

// TestPooledPLIFCeiling pins the arithmetic behind the silent SNN_2 and
// SNN_4 (docs/experiments.md, Table 1): after an average pool of spikes the
// PLIF input is X <= 1 and H = V + (X - V) k approaches X from below, so
// it reaches V_th = 1 only with X = 1 on every step and k so close to 1
// that float32 rounds H up to 1: from w = 4.32 at T = 4 (at step 4), from
// w = 2.04 at T = 8 (at step 8), at once from w = 17.33 (k rounds to 1).
// X < 1 never fires, whatever w.
func TestPooledPLIFCeiling(t *testing.T) {
	cases := []struct {
		x    float32
		w    float32
		T    int
		want int
	}{
		{1, 0, 8, 0},     // the initial k = 0.5: H = 1 - 2^-t < 1
		{1, 4.30, 4, 0},  // just below the T = 4 edge
		{1, 4.33, 4, 4},  // just above it
		{1, 2.03, 8, 0},  // just below the T = 8 edge
		{1, 2.05, 8, 8},  // just above it
		{1, 8.8, 4, 2},   // fires earlier as k -> 1
		{1, PoolW, 4, 1}, // k = 1 in float32: H = X
		{0.75, PoolW, 8, 0},
		{0.999, PoolW, 8, 0},
	}
	for _, c := range cases {
		if got := firstSpike(t, c.x, c.w, c.T); got != c.want {
			t.Errorf("X = %v, w = %v, T = %d: first spike at step %d, want %d (0: silent)", c.x, c.w, c.T, got, c.want)
		}
	}
}

// TestAvgPooledPLIF pins which of Table 3's hand-crafted nets are trained
// with their pooled PLIFs started at k = 1: those whose average pools feed
// PLIFs, not those that pool by max.
func TestAvgPooledPLIF(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{"autosnn", false},
		{"cifarnet-wu", true},
		{"cifarnet-fang", false},
		{"resnet11-lee", true},
		{"resnet19-zheng", true},
	} {
		spec, err := zoo(c.name)
		if err != nil {
			t.Fatal(err)
		}
		spec.Channels = 8
		got, err := avgPooledPLIF(spec)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: avgPooledPLIF = %v, want %v", c.name, got, c.want)
		}
	}
}
