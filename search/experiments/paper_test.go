package experiments

import (
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// paperCases are result rows as an older run stored them (the paper cell
// empty, or stale) and the paper figure the report must show for them:
// the experiment definition's current one, "-" where the paper has none.
var paperCases = []struct {
	name, experiment string
	columns, cells   []string
	stored, want     string
}{
	{"table2 row with an empty cell", "table2", []string{"lambda"}, []string{"-0.08"}, "", "88.67% / 108K"},
	{"table2 lambda the paper lacks", "table2", []string{"lambda"}, []string{"-0.32"}, "", "-"},
	{"table1 SNN_4 SCB_k3", "table1", []string{"macro", "blocks", "parameters"}, []string{"SNN_4", "SCB_k3", "70,791"}, "", "79.59%"},
	{"table1 stale figure replaced", "table1", []string{"macro", "blocks", "parameters"}, []string{"SNN_1", "SRB_k3", "71,524"}, "12%", "-"},
	{"table1 diagnostic row is ours alone", "table1", []string{"macro", "blocks", "parameters"},
		[]string{"SNN_4 (pooled PLIF w0 = 17.5)", "SCB_k3", "70,791"}, "", "-"},
	{"table3 searched row quotes Table 2", "table3", []string{"network", "blocks"}, []string{"searched here (lambda -0.24)", "skip, SRB_k5"}, "", "86.58% / 54K (Table 2)"},
	{"table3 zoo autosnn quotes Table 2", "table3", []string{"network", "blocks"}, []string{"autosnn", "SRB_k5"}, "", "88.67% / 108K (Table 2)"},
	{"table3 hand-crafted net", "table3", []string{"network", "blocks"}, []string{"cifarnet-wu", "conv"}, "", "-"},
	{"table5 WS + evolution", "table5", []string{"method", "lambda"}, []string{"WS + evolution", "0"}, "", "88.69% / 127K (Table 2)"},
	{"table5 WS + random search", "table5", []string{"method", "lambda"}, []string{"WS + random search", "0"}, "", "-"},
	{"table6 5-TBD space", "table6", []string{"space", "lambda"}, []string{"snn1", "-0.08"}, "", "88.67% / 108K (Table 2)"},
	{"table6 8-TBD space", "table6", []string{"space", "lambda"}, []string{"snn1-8", "-0.08"}, "", "-"},
	{"table7 SNN space", "table7", []string{"search space", "lambda"}, []string{"SNN1", "-0.08"}, "", "88.67% / 108K (Table 2)"},
	{"table7 ANN space", "table7", []string{"search space", "lambda"}, []string{"ANN", "0"}, "", "-"},
	{"table9 has no figures", "table9", []string{"blocks", "spike-reg lambda_reg"}, []string{"SRB_k3", "0"}, "3%", "-"},
	{"kendall has no figures", "kendall", []string{"architecture"}, []string{"skip, skip, skip, skip, skip"}, "", "-"},
	{"a foreign row's cells (too few) get none", "table7", []string{"search space", "lambda"}, []string{"SNN1"}, "", "-"},
}

// TestPaperOverlay: the paper column of a result read from disk shows the
// experiment definition's figure, whatever the file stored.
func TestPaperOverlay(t *testing.T) {
	for _, tc := range paperCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := &Result{Experiment: tc.experiment, Title: tc.experiment, Protocol: "reduced", Columns: tc.columns,
				Rows: []Row{{Key: "k", Cells: tc.cells, Paper: tc.stored, Runs: []Run{{Seed: 1, Accuracy: 0.5, Spikes: 100}}}}}
			res.Rows[0].summarise()
			if err := writeJSON(filepath.Join(dir, tc.experiment+".json"), res); err != nil {
				t.Fatal(err)
			}
			results, _, err := ReadResults(dir)
			if err != nil || len(results) != 1 {
				t.Fatalf("ReadResults: %d results, %v", len(results), err)
			}
			// The paper cell is the third from the end (paper, seeds, times),
			// also in a row with too few cells.
			head, rows := results[0].Table()
			if len(head) < 3 || head[len(head)-3] != paperColumn || len(rows) != 1 {
				t.Fatalf("Table: head %q (want %q third from the end), %d rows", head, paperColumn, len(rows))
			}
			if got := rows[0][len(rows[0])-3]; got != tc.want {
				t.Errorf("paper cell = %q, want %q (row %q)", got, tc.want, rows[0])
			}
			md, err := Report(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(md), "| "+tc.want+" |") || !strings.Contains(string(md), PaperSetup) {
				t.Errorf("Report lacks the paper cell %q or the paper's setup %q:\n%s", tc.want, PaperSetup, md)
			}
			note := "The paper column quotes"
			if tc.want == "-" {
				note = "No row has a figure of the paper's at hand"
			}
			if !strings.Contains(string(md), note) {
				t.Errorf("Report lacks the note %q:\n%s", note, md)
			}
		})
	}
}

// TestPaperOverlayHTML: the HTML report shows the definition's figure for
// a result stored without one, and says what the paper's figures are.
func TestPaperOverlayHTML(t *testing.T) {
	out := t.TempDir()
	res := &Result{Experiment: "table7", Title: "Table 7", Protocol: "reduced", Columns: []string{"search space", "lambda"},
		Rows: []Row{
			{Key: "ann", Cells: []string{"ANN", "0"}, Runs: []Run{{Seed: 1, Accuracy: 0.8, Spikes: 900}}},
			{Key: "snn", Cells: []string{"SNN1", "0"}, Runs: []Run{{Seed: 1, Accuracy: 0.82, Spikes: 1000}}},
		}}
	for i := range res.Rows {
		res.Rows[i].summarise()
	}
	if err := writeJSON(filepath.Join(out, "table7.json"), res); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := WriteHTML(out, dir, "cmd"); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<th>" + html.EscapeString(paperColumn) + "</th>", "<td>88.69% / 127K (Table 2)</td>", "ours are the reduced protocol"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}
