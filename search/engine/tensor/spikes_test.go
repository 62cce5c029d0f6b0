package tensor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPackSpikesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{0, 1, 63, 64, 65, 1000} {
		x := make([]float32, n)
		for i := range x {
			if r.Float32() < 0.3 {
				x[i] = 1
			}
		}
		packed := make([]uint64, SpikeWords(n))
		if err := PackSpikes(packed, x); err != nil {
			t.Fatalf("n=%d: PackSpikes: %v", n, err)
		}
		if n%64 != 0 && packed[len(packed)-1]>>(n%64) != 0 {
			t.Errorf("n=%d: bits past the end are set: %#x", n, packed[len(packed)-1])
		}
		got := make([]float32, n)
		UnpackSpikes(got, packed)
		if diff := cmp.Diff(x, got); diff != "" {
			t.Errorf("n=%d: round trip differs (-want +got):\n%s", n, diff)
		}
	}
}

func TestPackSpikesLayout(t *testing.T) {
	x := make([]float32, 70)
	x[0], x[5], x[64], x[69] = 1, 1, 1, 1
	got := make([]uint64, 2)
	if err := PackSpikes(got, x); err != nil {
		t.Fatal(err)
	}
	want := []uint64{1 | 1<<5, 1 | 1<<5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packed words (-want +got):\n%s", diff)
	}
}

func TestPackSpikesRejectsNonBinary(t *testing.T) {
	for _, bad := range []float32{0.5, -1, 2, float32(math.NaN())} {
		x := []float32{0, 1, 1, bad, 0}
		err := PackSpikes(make([]uint64, 1), x)
		if err == nil || !strings.Contains(err.Error(), "x[3]") {
			t.Errorf("PackSpikes with x[3] = %g: error %v, want one naming x[3]", bad, err)
		}
	}
}
