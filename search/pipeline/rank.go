package pipeline

import (
	"math"
	"sort"
)

// Ranks returns the rank of every value of x (1 = smallest), ties getting
// the mean of the ranks they span (fractional ranking).
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		mean := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mean
		}
		i = j + 1
	}
	return r
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their fractional ranks, in [-1, 1]. It returns NaN when
// the lengths differ, there are fewer than 2 pairs, or either side is
// constant.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	return pearson(Ranks(x), Ranks(y))
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// KendallTau returns Kendall's tau-b of x and y (ties in either variable
// accounted for), in [-1, 1]: (concordant - discordant) pairs over
// sqrt((n0 - tiesX) (n0 - tiesY)). It returns NaN when the lengths differ,
// there are fewer than 2 pairs, or either side is constant.
func KendallTau(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	var conc, disc, tx, ty, n0 float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			n0++
			dx, dy := sign(x[i]-x[j]), sign(y[i]-y[j])
			switch {
			case dx == 0 && dy == 0:
				tx++
				ty++
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case dx == dy:
				conc++
			default:
				disc++
			}
		}
	}
	d := math.Sqrt((n0 - tx) * (n0 - ty))
	if d == 0 {
		return math.NaN()
	}
	return (conc - disc) / d
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
