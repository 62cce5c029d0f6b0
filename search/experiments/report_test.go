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
