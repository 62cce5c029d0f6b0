package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestTransposeMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sz := range [][2]int{{8, 8}, {1024, 16}, {16, 64}, {24, 40}, {5, 3}, {8, 12}} {
		rows, cols := sz[0], sz[1]
		src := make([]float32, rows*cols)
		for i := range src {
			src[i] = rng.Float32()
		}
		got := make([]float32, len(src))
		transpose(src, got, rows, cols)
		want := make([]float32, len(src))
		for r := range rows {
			for c := range cols {
				want[c*rows+r] = src[r*cols+c]
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("transpose %dx%d (-want +got):\n%s", rows, cols, d)
		}
	}
}

func TestNonzeroIndices(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	nan := float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1027} {
		x := make([]float32, n)
		var want []int32
		for i := range x {
			switch rng.IntN(10) {
			case 0:
				x[i] = 1
			case 1:
				x[i] = negz // counts as zero
				continue
			case 2:
				x[i] = nan
			case 3:
				x[i] = -0.5
			default:
				continue
			}
			want = append(want, int32(i))
		}
		idx := make([]int32, n)
		got := idx[:nonzero(x, idx)]
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("n=%d nonzero indices (-want +got):\n%s", n, d)
		}
	}
}

func TestDividerExact(t *testing.T) {
	for _, d := range []int{1, 2, 3, 7, 32, 100, 1024, 1025, 4095, 65535, 70000} {
		limit := min(1<<24, 40*d)
		dv := newDivider(d, limit)
		for _, i := range []int{0, 1, d - 1, d, d + 1, limit - 1, limit / 2, limit/d*d - 1} {
			if i < 0 || i >= limit {
				continue
			}
			if got, want := dv.div(i), i/d; got != want {
				t.Errorf("%d / %d: got %d, want %d", i, d, got, want)
			}
		}
	}
	// Exhaustive over the whole range for a few divisors.
	for _, d := range []int{3, 49, 1023} {
		dv := newDivider(d, 1<<24)
		for i := 0; i < 1<<24; i += 1 + i%7 {
			if got := dv.div(i); got != i/d {
				t.Fatalf("%d / %d: got %d, want %d", i, d, got, i/d)
			}
		}
	}
}

// nonzeroGo is the reference of nonzero: base+i for every i with x[i] !=
// 0, written to idx; it returns their number.
func nonzeroGo(x []float32, idx []int32, base int32) int {
	n := 0
	for i, v := range x {
		if v != 0 {
			idx[n] = base + int32(i)
			n++
		}
	}
	return n
}
