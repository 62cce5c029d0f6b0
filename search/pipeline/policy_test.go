package pipeline

import "testing"

// row builds a policy test row.
func row(lambda, acc float64, fits bool, energy float64, violations ...string) Row {
	return Row{Lambda: lambda, Acc: acc, Fits: fits, EnergyPJ: energy, Violations: violations}
}

var chooseCases = []struct {
	name string
	tol  float64
	rows []Row
	want int
}{
	{"empty", 0, nil, -1},
	{"highest accuracy wins", 0, []Row{row(0, 0.90, true, 5), row(-0.08, 0.95, true, 9), row(-0.24, 0.80, true, 1)}, 1},
	{"does not fit is skipped", 0, []Row{row(0, 0.99, false, 0), row(-0.08, 0.90, true, 9)}, 1},
	{"over budget is skipped", 0, []Row{row(0, 0.99, true, 100, "energy 100 pJ, want <= 50 pJ"), row(-0.5, 0.70, true, 40)}, 1},
	{"nothing eligible", 0, []Row{row(0, 0.99, false, 0), row(-0.5, 0.70, true, 40, "cores 9, want <= 8")}, -1},
	{"tie goes to lower energy", 0, []Row{row(0, 0.90, true, 9), row(-0.08, 0.90, true, 4), row(-0.16, 0.90, true, 6)}, 1},
	{"full tie goes to the earlier lambda", 0, []Row{row(0, 0.90, true, 4), row(-0.08, 0.90, true, 4)}, 0},
	{"lower energy does not beat higher accuracy", 0, []Row{row(0, 0.91, true, 90), row(-0.5, 0.90, true, 1)}, 0},
	{"tolerance: lower energy within it wins", 0.02, []Row{row(0, 0.91, true, 90), row(-0.24, 0.895, true, 30), row(-0.5, 0.88, true, 1)}, 1},
	{"tolerance: outside it loses", 0.005, []Row{row(0, 0.91, true, 90), row(-0.5, 0.90, true, 1)}, 0},
	{"tolerance: counted from the best eligible row", 0.02, []Row{row(0, 0.99, false, 0), row(-0.24, 0.90, true, 30), row(-0.5, 0.885, true, 10)}, 2},
	{"tolerance: budget still applies", 0.05, []Row{row(0, 0.91, true, 90), row(-0.5, 0.90, true, 1, "cores 9, want <= 8")}, 0},
}

func TestChoose(t *testing.T) {
	for _, c := range chooseCases {
		t.Run(c.name, func(t *testing.T) {
			if got := Choose(c.rows, c.tol); got != c.want {
				t.Errorf("Choose = %d, want %d (rows %+v)", got, c.want, c.rows)
			}
		})
	}
}
