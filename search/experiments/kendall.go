package experiments

import "math"

// KendallTau returns Kendall's tau-b rank correlation of the paired values
// x and y (equal lengths): (concordant - discordant) pairs over
// sqrt((pairs - ties in x)(pairs - ties in y)); NaN when fewer than two
// pairs or either side is constant.
func KendallTau(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	var conc, disc, tx, ty float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			dx, dy := x[i]-x[j], y[i]-y[j]
			switch {
			case dx == 0 && dy == 0:
				tx++
				ty++
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case dx*dy > 0:
				conc++
			default:
				disc++
			}
		}
	}
	n := float64(len(x) * (len(x) - 1) / 2)
	d := math.Sqrt((n - tx) * (n - ty))
	if d == 0 {
		return math.NaN()
	}
	return (conc - disc) / d
}
