package experiments

import (
	"slices"
	"strings"
	"testing"
)

func TestSpliceRuns(t *testing.T) {
	result := func(name, cell string) *Result {
		return &Result{Experiment: name, Title: name, Protocol: "tiny", Command: "autosnn experiments run " + name,
			Rows: []Row{{Key: cell, Cells: []string{cell}}}}
	}
	r1, r2 := result("table1", "A"), result("table2", "B")
	// md gives what a block holds after the splice: @1 and @2 stand for
	// the results' markdown.
	md := func(s string) string {
		s = strings.ReplaceAll(s, "@1", strings.TrimRight(r1.Markdown(), "\n"))
		return strings.ReplaceAll(s, "@2", strings.TrimRight(r2.Markdown(), "\n"))
	}
	for _, tc := range []struct {
		name, doc string
		results   []*Result
		want      string
		kept      []string
		err       string
	}{
		{"replaces one, keeps the text around it",
			"intro\n<!-- run table1 -->\nold\nold\n<!-- /run table1 -->\nanalysis 1\n<!-- run table2 -->\nT2 old\n<!-- /run table2 -->\nend\n",
			[]*Result{r1},
			"intro\n<!-- run table1 -->\n@1\n<!-- /run table1 -->\nanalysis 1\n<!-- run table2 -->\nT2 old\n<!-- /run table2 -->\nend\n",
			[]string{"table2"}, ""},
		{"empty block", "<!-- run table1 -->\n<!-- /run table1 -->\n", []*Result{r1}, "<!-- run table1 -->\n@1\n<!-- /run table1 -->\n", nil, ""},
		{"two results, blocks in another order", "<!-- run table2 -->\nx\n<!-- /run table2 -->\n<!-- run table1 -->\ny\n<!-- /run table1 -->\n",
			[]*Result{r1, r2},
			"<!-- run table2 -->\n@2\n<!-- /run table2 -->\n<!-- run table1 -->\n@1\n<!-- /run table1 -->\n", nil, ""},
		{"no block for a result", "intro\n", []*Result{r1}, "", nil, "table1 has a result but the document has no block"},
		{"reversed", "<!-- /run table1 -->\nx\n<!-- run table1 -->\n", []*Result{r1}, "", nil, "not one pair"},
		{"twice", "<!-- run table1 -->\n<!-- /run table1 -->\n<!-- run table1 -->\n<!-- /run table1 -->\n", []*Result{r1}, "", nil, "not one pair"},
		{"half a pair without a result", "<!-- run table1 -->\n<!-- /run table1 -->\n<!-- run table2 -->\nx\n", []*Result{r1}, "", nil, "run table2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, kept, err := SpliceRuns([]byte(tc.doc), tc.results)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("SpliceRuns: error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if want := md(tc.want); err != nil || string(got) != want || !slices.Equal(kept, tc.kept) {
				t.Fatalf("SpliceRuns = %q, kept %v, %v; want %q, kept %v", got, kept, err, want, tc.kept)
			}
		})
	}
}
