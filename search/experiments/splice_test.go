package experiments

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSpliceRuns(t *testing.T) {
	new1 := map[string][]byte{"table1": []byte("T1 NEW\n")}
	for _, tc := range []struct {
		name, doc string
		sections  map[string][]byte
		want      string
		kept      []string
		err       string
	}{
		{"replaces one, keeps the text around it",
			"intro\n<!-- run table1 -->\nold\nold\n<!-- /run table1 -->\nanalysis 1\n<!-- run table2 -->\nT2 old\n<!-- /run table2 -->\nend\n",
			new1,
			"intro\n<!-- run table1 -->\nT1 NEW\n<!-- /run table1 -->\nanalysis 1\n<!-- run table2 -->\nT2 old\n<!-- /run table2 -->\nend\n",
			[]string{"table2"}, ""},
		{"empty block", "<!-- run table1 -->\n<!-- /run table1 -->\n", new1, "<!-- run table1 -->\nT1 NEW\n<!-- /run table1 -->\n", nil, ""},
		{"two results", "<!-- run table2 -->\nx\n<!-- /run table2 -->\n<!-- run table1 -->\ny\n<!-- /run table1 -->\n",
			map[string][]byte{"table1": []byte("A"), "table2": []byte("B\n\n")},
			"<!-- run table2 -->\nB\n<!-- /run table2 -->\n<!-- run table1 -->\nA\n<!-- /run table1 -->\n", nil, ""},
		{"no block for a result", "intro\n", new1, "", nil, "table1 has a result but the document has no block"},
		{"reversed", "<!-- /run table1 -->\nx\n<!-- run table1 -->\n", new1, "", nil, "not one pair"},
		{"twice", "<!-- run table1 -->\n<!-- /run table1 -->\n<!-- run table1 -->\n<!-- /run table1 -->\n", new1, "", nil, "not one pair"},
		{"half a pair without a result", "<!-- run table1 -->\n<!-- /run table1 -->\n<!-- run table2 -->\nx\n", new1, "", nil, "run table2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, kept, err := SpliceRuns([]byte(tc.doc), tc.sections)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("SpliceRuns: error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want || !slices.Equal(kept, tc.kept) {
				t.Fatalf("SpliceRuns = %q, kept %v, %v; want %q, kept %v", got, kept, err, tc.want, tc.kept)
			}
		})
	}
}

// TestSections: a result in the directory is rendered as Run wrote it, the
// experiments without one are listed, and a corrupt or foreign result
// file is an error naming it.
func TestSections(t *testing.T) {
	dir := t.TempDir()
	res := &Result{Experiment: "table7", Title: "Table 7: ANN vs SNN", Paper: "p", Protocol: "reduced", Command: "autosnn experiments run table7",
		Commit: "abc1234", Rows: []Row{{Key: "ann", Cells: []string{"ANN"}, Paper: "90%"}}, Verdict: "Direction: holds."}
	if err := writeJSON(filepath.Join(dir, "table7.json"), res); err != nil {
		t.Fatal(err)
	}
	secs, missing, err := Sections(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 1 || string(secs["table7"]) != res.Markdown() {
		t.Errorf("Sections = %q, want table7's markdown alone", secs)
	}
	if len(missing) != len(Names())-1 || slices.Contains(missing, "table7") || missing[0] != "table1" {
		t.Errorf("missing = %v", missing)
	}
	if err := os.WriteFile(filepath.Join(dir, "table1.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Sections(dir); err == nil || !strings.Contains(err.Error(), "table1.json") {
		t.Errorf("corrupt table1.json: error %v, want one naming the file", err)
	}
	if err := writeJSON(filepath.Join(dir, "table1.json"), res); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Sections(dir); err == nil || !strings.Contains(err.Error(), "not a result of table1") {
		t.Errorf("table7's result as table1.json: error %v, want one naming it", err)
	}
}
