package pipeline

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRanks(t *testing.T) {
	got := Ranks([]float64{10, 30, 20, 30, 5})
	want := []float64{2, 4.5, 3, 4.5, 1}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Ranks (-want +got):\n%s", d)
	}
}

// Expected values computed by hand from the definitions (Spearman: Pearson
// of fractional ranks; Kendall tau-b with ties).
var corrCases = []struct {
	name              string
	x, y              []float64
	spearman, kendall float64
}{
	{"identical order", []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1, 1},
	{"monotone transform", []float64{1, 2, 3, 4}, []float64{1, 4, 9, 100}, 1, 1},
	{"reversed", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1, -1},
	{"one swap", []float64{1, 2, 3}, []float64{1, 3, 2}, 0.5, 1.0 / 3},
	{"tie in y", []float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7}, 8 / math.Sqrt(95), 7 / math.Sqrt(90)},
	{"constant", []float64{1, 2, 3}, []float64{2, 2, 2}, math.NaN(), math.NaN()},
	{"too short", []float64{1}, []float64{1}, math.NaN(), math.NaN()},
	{"length mismatch", []float64{1, 2}, []float64{1, 2, 3}, math.NaN(), math.NaN()},
}

func TestCorrelations(t *testing.T) {
	near := func(a, b float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
		return math.Abs(a-b) < 1e-12
	}
	for _, c := range corrCases {
		t.Run(c.name, func(t *testing.T) {
			if got := Spearman(c.x, c.y); !near(got, c.spearman) {
				t.Errorf("Spearman = %v, want %v", got, c.spearman)
			}
			if got := KendallTau(c.x, c.y); !near(got, c.kendall) {
				t.Errorf("KendallTau = %v, want %v", got, c.kendall)
			}
		})
	}
}
