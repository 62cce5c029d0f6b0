package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReport: a result in the directory is rendered as Run wrote it, the
// experiments without one are listed, and a corrupt or foreign result
// file is an error naming it.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	res := &Result{Experiment: "table7", Title: "Table 7: ANN vs SNN", Paper: "p", Protocol: "reduced", Command: "autosnn experiments run table7",
		Commit: "abc1234", Columns: []string{"search space", "lambda"},
		Rows: []Row{{Key: "ann", Cells: []string{"ANN", "0"}}}, Verdict: "Direction: holds."}
	if err := writeJSON(filepath.Join(dir, "table7.json"), res); err != nil {
		t.Fatal(err)
	}
	got, err := Report(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), res.Markdown()) {
		t.Errorf("Report does not hold table7's markdown:\n%s", got)
	}
	if !strings.Contains(string(got), "Not run into this directory yet: table1, table2,") || strings.Contains(string(got), "yet: table7") {
		t.Errorf("Report's list of experiments not run:\n%s", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "table1.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Report(dir); err == nil || !strings.Contains(err.Error(), "table1.json") {
		t.Errorf("corrupt table1.json: error %v, want one naming the file", err)
	}
	if err := writeJSON(filepath.Join(dir, "table1.json"), res); err != nil {
		t.Fatal(err)
	}
	if _, err := Report(dir); err == nil || !strings.Contains(err.Error(), "not a result of table1") {
		t.Errorf("table7's result as table1.json: error %v, want one naming it", err)
	}
}

// TestReportVerdictFill: a result stored without a verdict (run before its
// experiment had one) gets the definition's verdict from its rows when
// read; a stored verdict is kept; the markdown of a result with no
// verdict has no empty paragraph for it.
func TestReportVerdictFill(t *testing.T) {
	row := func(space string, acc, spikes float64) Row {
		r := Row{Key: space, Cells: []string{space, "-0.08"}, Runs: []Run{{Seed: 1, Accuracy: acc, Spikes: spikes}}}
		r.summarise()
		return r
	}
	rows := []Row{row("snn1", 0.85, 13000), row("snn3", 0.88, 19500)}
	for _, c := range []struct{ stored, want string }{
		{"", "snn3: 88.00% at 19,500 spikes/image (+3.00 points, +50% spikes)"},
		{"kept as written", "kept as written"},
	} {
		dir := t.TempDir()
		res := &Result{Experiment: "table6", Title: "t6", Protocol: "reduced", Columns: []string{"space", "lambda"}, Rows: rows, Verdict: c.stored}
		if err := writeJSON(filepath.Join(dir, "table6.json"), res); err != nil {
			t.Fatal(err)
		}
		results, _, err := ReadResults(dir)
		if err != nil || len(results) != 1 {
			t.Fatalf("ReadResults: %d results, %v", len(results), err)
		}
		if got := results[0].Verdict; !strings.Contains(got, c.want) {
			t.Errorf("stored verdict %q: read %q, want it to contain %q", c.stored, got, c.want)
		}
	}
	res := &Result{Experiment: "table6", Title: "t6", Protocol: "reduced", Columns: []string{"space", "lambda"}, Rows: rows[:1]}
	if md := res.Markdown(); strings.Contains(md, "|\n\n\n") {
		t.Errorf("markdown of a result without a verdict has an empty paragraph:\n%s", md)
	}
}

// TestTable3Verdict: the verdict names, per searched network, how many
// hand-crafted nets it beats on both accuracy and spikes, and which it
// does not.
func TestTable3Verdict(t *testing.T) {
	row := func(name, blocks string, acc, spikes float64) Row {
		return Row{Cells: []string{name, blocks}, Accuracy: Stat{Mean: acc, N: 3}, Spikes: Stat{Mean: spikes, N: 3}}
	}
	rows := []Row{
		row("searched here (lambda -0.08)", "SRB_k3", 0.85, 13000),
		row("searched here (lambda -0.24)", "skip", 0.875, 10600),
		row("cifarnet-wu (pooled PLIF w0 = 17.5)", "hand-crafted (cifarnet-wu macro)", 0.856, 21000),
		row("cifarnet-fang", "hand-crafted (cifarnet-fang macro)", 0.866, 12900),
	}
	got := registry["table3"].verdict(rows)
	for _, want := range []string{
		"searched here (lambda -0.08): more accurate with fewer spikes than 0 of 2 hand-crafted nets (not: cifarnet-wu, cifarnet-fang).",
		"searched here (lambda -0.24): more accurate with fewer spikes than 2 of 2 hand-crafted nets.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("verdict %q lacks %q", got, want)
		}
	}
}
