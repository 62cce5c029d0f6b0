package pipeline

import (
	"bytes"
	"fmt"
	"image/png"
	"testing"

	"github.com/autosnn/autosnn/backends/chipcost"
)

// paretoFixture is a sweep whose simulated energies (the table's) differ
// from the analytical estimates, as they do on a real chip; lambdas 0 and
// -0.08 share a winner, -0.5's does not fit.
func paretoFixture() *SweepResult {
	est := func(uj float64) chipcost.Cost { return chipcost.Cost{EnergyPJ: uj * 1e6} }
	return &SweepResult{
		Chip: "loihi1", Cost: CostSpikes, Chosen: 2,
		Rows: []Row{
			{Lambda: 0, Key: "a", Acc: 0.7682, Fits: true, EnergyPJ: 139.4e6, Estimate: est(185)},
			{Lambda: -0.08, Key: "a", Acc: 0.7682, Fits: true, EnergyPJ: 139.4e6, Estimate: est(185)},
			{Lambda: -0.24, Key: "b", Acc: 0.7812, Fits: true, EnergyPJ: 103.8e6, Estimate: est(112)},
			{Lambda: -0.5, Key: "c", Acc: 0.6953, Fits: false, Estimate: est(50)},
		},
		Candidates: []Candidate{
			{Acc: 0.7682, Fits: true, Estimate: est(185)}, {Acc: 0.7812, Fits: true, Estimate: est(112)},
			{Acc: 0.6, Fits: true, Estimate: est(60)}, {Acc: 0.9, Fits: false, Estimate: est(500)},
		},
	}
}

// TestParetoPlotsTableEnergies checks that the figure's winners sit at the
// simulated energies the table prints (not at the analytical estimates),
// one marker per distinct winner labelled with its lambdas, the chosen one
// at its table row, and the candidates' panel on the analytical axis.
func TestParetoPlotsTableEnergies(t *testing.T) {
	r := paretoFixture()
	s := r.series()
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if len(s.Winners) != 2 || len(s.Labels) != 2 {
		t.Fatalf("%d winners %v, want 2 (a shared winner, a non-fitting row left out)", len(s.Winners), s.Labels)
	}
	for i, want := range []Row{r.Rows[0], r.Rows[2]} {
		if got := s.Winners[i].X; got != want.EnergyPJ/1e6 {
			t.Errorf("winner %d (%s) plotted at %g uJ, want the table's simulated %g uJ", i, s.Labels[i], got, want.EnergyPJ/1e6)
		}
		if cell := fmt.Sprintf("%.4g uJ", s.Winners[i].X); !bytes.Contains(table.Bytes(), []byte(cell)) {
			t.Errorf("winner %d plotted at %s, which the table does not print:\n%s", i, cell, table.String())
		}
		if got := s.WinnersEst[i].X; got != want.Estimate.EnergyPJ/1e6 {
			t.Errorf("winner %d on the analytical panel at %g uJ, want %g", i, got, want.Estimate.EnergyPJ/1e6)
		}
	}
	if s.Labels[0] != "λ = 0, -0.08" {
		t.Errorf("label %q, want the two lambdas that chose the winner", s.Labels[0])
	}
	if !s.HasChosen || s.Chosen.X != 103.8 || s.Chosen.Y != 78.12 {
		t.Errorf("chosen at %v (%v), want {103.8 78.12}", s.Chosen, s.HasChosen)
	}
	if len(s.Candidates) != 3 {
		t.Errorf("%d candidates plotted, want the 3 that fit", len(s.Candidates))
	}
	b, err := r.ParetoPNG()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("pareto.png is not a PNG: %v", err)
	}
}

// TestNiceTicks checks that axes get enough labelled ticks at round steps.
func TestNiceTicks(t *testing.T) {
	for _, c := range []struct{ lo, hi float64 }{{55, 145}, {0, 1}, {60, 80}, {-3, 240}, {1040, 1150}} {
		var labels []string
		for _, tk := range (NiceTicks{8}).Ticks(c.lo, c.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
			if tk.Value < c.lo || tk.Value > c.hi+1e-9 {
				t.Errorf("[%g, %g]: tick %g outside the range", c.lo, c.hi, tk.Value)
			}
		}
		if len(labels) < 5 || len(labels) > 12 {
			t.Errorf("[%g, %g]: %d labelled ticks %v, want 5 to 12", c.lo, c.hi, len(labels), labels)
		}
	}
}
