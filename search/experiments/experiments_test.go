package experiments

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
)

// TestExperimentsTiny runs every experiment end to end at the tiny
// protocol (MNIST, C = 2, T = 2, 64 images) in one output directory, then
// again to check that a second run skips what the first finished and
// writes the same tables.
func TestExperimentsTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks on MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	p, err := LookupProtocol("tiny")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := &Runner{Out: dir, P: p, Command: "test"}
	defer r.Close()
	first := map[string][]Row{}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			e, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Run(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) == 0 {
				t.Fatal("no rows")
			}
			for _, row := range res.Rows {
				if len(row.Cells) != len(e.Columns) {
					t.Errorf("row %s: %d cells, want %d (%v)", row.Key, len(row.Cells), len(e.Columns), e.Columns)
				}
				if row.Accuracy.N == 0 || row.Accuracy.Mean < 0 || row.Accuracy.Mean > 1 || math.IsNaN(row.Spikes.Mean) {
					t.Errorf("row %s: accuracy %+v, spikes %+v", row.Key, row.Accuracy, row.Spikes)
				}
			}
			md, err := os.ReadFile(filepath.Join(dir, name+".md"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(md), "| "+paperColumn+" | seeds |") || !strings.Contains(string(md), "Protocol tiny") {
				t.Errorf("%s.md:\n%s", name, md)
			}
			var back Result
			data, err := os.ReadFile(filepath.Join(dir, name+".json"))
			if err != nil || json.Unmarshal(data, &back) != nil || len(back.Rows) != len(res.Rows) {
				t.Errorf("%s.json: %v, %d rows", name, err, len(back.Rows))
			}
			first[name] = res.Rows
			if name == "table1" {
				checkPoolInit(t, res.Rows)
			}
		})
	}
	// The HTML report of the directory: every experiment with its figure.
	t.Run("html", func(t *testing.T) { checkHTML(t, dir) })
	// Run again: everything is read back, no training (so no time spent).
	for _, name := range []string{"table1", "table7"} {
		e, _ := Lookup(name)
		res, err := r.Run(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range res.Rows {
			if row.Accuracy != first[name][i].Accuracy || row.Spikes != first[name][i].Spikes {
				t.Errorf("%s row %s again: %+v %+v, first %+v %+v", name, row.Key, row.Accuracy, row.Spikes, first[name][i].Accuracy, first[name][i].Spikes)
			}
		}
	}
}

func TestKendallTau(t *testing.T) {
	cases := []struct {
		x, y []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		{[]float64{1, 2, 3}, []float64{1, 3, 2}, 1.0 / 3},
		// tau-b with a tie in y: 6 pairs, 1 tied in y, 2 concordant, 3 discordant.
		{[]float64{1, 2, 3, 4}, []float64{1, 1, 2, 0}, (2.0 - 3) / math.Sqrt(6*5)},
	}
	for _, c := range cases {
		if got := KendallTau(c.x, c.y); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("tau(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	if !math.IsNaN(KendallTau([]float64{1}, []float64{2})) {
		t.Error("one pair: want NaN")
	}
}

func TestStat(t *testing.T) {
	s := stat([]float64{0.5, 0.7})
	if math.Abs(s.Mean-0.6) > 1e-12 || math.Abs(s.Std-math.Sqrt(0.02)) > 1e-12 || s.N != 2 {
		t.Errorf("stat = %+v", s)
	}
	if got := s.pct(); got != "60.00 ± 14.14%" {
		t.Errorf("pct %q", got)
	}
	if got := group(1234567.4); got != "1,234,567" {
		t.Errorf("group %q", got)
	}
}

// checkPoolInit checks Table 1's diagnostic rows: their pooled PLIFs start
// at w = PoolW, where k rounds to 1 and dk/dw = k(1-k) = 0, so w stays.
func checkPoolInit(t *testing.T, rows []Row) {
	t.Helper()
	if len(rows) != 10 {
		t.Fatalf("table1: %d rows, want 8 + 2 diagnostic", len(rows))
	}
	for _, row := range rows[8:] {
		n := 0
		for _, l := range row.Runs[0].Layers {
			if strings.HasPrefix(l.Name, "pools.") || strings.HasPrefix(l.Name, "gap.") {
				n++
				if l.W != PoolW {
					t.Errorf("%s: %s w = %v, want %v", row.Key, l.Name, l.W, PoolW)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no pooled PLIF among %+v", row.Key, row.Runs[0].Layers)
		}
	}
}

// TestRunnerRefusesOtherSetup checks that a finished run, a started run
// and a super-network of another protocol in the same output directory are
// refused, not reused, and that more epochs continue a finished run.
func TestRunnerRefusesOtherSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks on MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	p, _ := LookupProtocol("tiny")
	p.Limit, p.EvalLimit, p.SupernetLimit = 32, 16, 32
	dir := t.TempDir()
	r := &Runner{Out: dir, P: p}
	defer r.Close()
	spec, _ := uniform("snn1", "SCB_k3")
	ctx := context.Background()
	first, err := r.Train(ctx, "x", spec, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.P.Epochs = 2 // more epochs: continues from the checkpoint
	more, err := r.Train(ctx, "x", spec, 1, nil, nil)
	if err != nil || more.Epochs != 2 || first.Epochs != 1 {
		t.Fatalf("continued run: epochs %d (first %d), %v", more.Epochs, first.Epochs, err)
	}
	r.P.Epochs = 1
	if _, err := r.Train(ctx, "x", spec, 1, nil, nil); err == nil || !strings.Contains(err.Error(), "trained for 2 epochs, the protocol asks for 1") {
		t.Errorf("fewer epochs: %v", err)
	}
	r.P.C = 3
	if _, err := r.Train(ctx, "x", spec, 1, nil, nil); err == nil || !strings.Contains(err.Error(), "C 2") || !strings.Contains(err.Error(), "C 3") {
		t.Errorf("other C: %v", err)
	}
	r.P.C = 2
	sn, err := r.Supernet(ctx, "snn1")
	if err != nil {
		t.Fatal(err)
	}
	sn.Close()
	r.P.SupernetLimit = 48
	if _, err := r.Supernet(ctx, "snn1"); err == nil || !strings.Contains(err.Error(), "limit 32") {
		t.Errorf("other super-network limit: %v", err)
	}
}
