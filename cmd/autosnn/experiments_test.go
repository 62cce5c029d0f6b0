package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
)

// TestExperimentsCommand runs Table 1 at the tiny protocol with one seed
// through the CLI, then again (read back from its outputs), and checks the
// listing and the refusals.
func TestExperimentsCommand(t *testing.T) {
	out, err := runApp(t, "experiments", "list")
	if err != nil || !strings.Contains(out, "table7") || !strings.Contains(out, "reduced: Fashion-MNIST") {
		t.Errorf("experiments list: %v\n%s", err, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"experiments", "run"}, "want experiment names"},
		{[]string{"experiments", "run", "table4"}, `no experiment "table4", want one of table1`},
		{[]string{"experiments", "run", "--protocol", "huge", "table1"}, `--protocol: experiments: protocol "huge"`},
		{[]string{"experiments", "run", "--seeds", "1,x", "table1"}, `--seeds "1,x": "x" is not a seed`},
		{[]string{"experiments", "run", "--epochs", "-1", "table1"}, "--epochs -1"},
		{[]string{"experiments", "run", "table1", "--seeds", "1"}, "flag --seeds after the names, want flags first"},
		{[]string{"experiments", "report", "--out", "no-such-results", "--html", t.TempDir()}, "results directory no-such-results does not exist"},
	} {
		if _, err := runApp(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	args := []string{"experiments", "run", "--protocol", "tiny", "--seeds", "1", "--out", dir, "--quiet", "table1"}
	out, err = runApp(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "| SNN_4 | SCB_k3 |") || !strings.Contains(out, "79.59%") || !strings.Contains(out, "overrides --seeds 1") {
		t.Errorf("table1 output:\n%s", out)
	}
	md1, _ := os.ReadFile(filepath.Join(dir, "table1.md"))
	if _, err := runApp(t, args...); err != nil {
		t.Fatal(err)
	}
	md2, _ := os.ReadFile(filepath.Join(dir, "table1.md"))
	cut := func(b []byte) string { s, _, _ := strings.Cut(string(b), "\n\n"+"Direction"); return s }
	if a, b := cut(md1), cut(md2); !strings.Contains(a, "| SNN_1 |") || strings.Count(a, "\n") != strings.Count(b, "\n") {
		t.Errorf("second run's table differs:\n%s\n---\n%s", a, b)
	}
	// The HTML report: the page and Table 1's figure, the markdown not printed.
	html := filepath.Join(t.TempDir(), "html")
	out, err = runApp(t, "experiments", "report", "--out", dir, "--html", html)
	if err != nil || !strings.Contains(out, "index.html (figures: 1)") || strings.Contains(out, "| SNN_1 |") {
		t.Fatalf("experiments report --html: %v\n%s", err, out)
	}
	for _, f := range []string{"index.html", "table1.png"} {
		if fi, err := os.Stat(filepath.Join(html, f)); err != nil || fi.Size() == 0 {
			t.Errorf("experiments report --html: %s: %v", f, err)
		}
	}
	// --doc: Table 1's block replaced, Table 2's kept, the text around them kept.
	doc := filepath.Join(t.TempDir(), "experiments.md")
	in := "intro\n<!-- run table1 -->\nold\n<!-- /run table1 -->\nanalysis\n<!-- run table2 -->\nT2\n<!-- /run table2 -->\n"
	if err := os.WriteFile(doc, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runApp(t, "experiments", "report", "--out", dir, "--doc", doc)
	if err != nil || !strings.Contains(out, "kept as written: table2") {
		t.Fatalf("experiments report --doc: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(doc)
	if s := string(got); !strings.HasPrefix(s, "intro\n<!-- run table1 -->\n### Table 1") || !strings.Contains(s, "| SNN_1 |") ||
		!strings.HasSuffix(s, "<!-- /run table1 -->\nanalysis\n<!-- run table2 -->\nT2\n<!-- /run table2 -->\n") {
		t.Errorf("experiments report --doc wrote:\n%s", s)
	}
}
