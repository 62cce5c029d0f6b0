package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/supernet"
)

// TestSearch runs two lambdas' searches over one cache: the second
// evaluates only new architectures, and each writes its history.
func TestSearch(t *testing.T) {
	tr, data := tinySupernet(t)
	cache := search.NewCache(&supernet.Evaluator{Net: tr.Net, Data: data})
	out := t.TempDir()
	for _, random := range []bool{false, true} {
		cfg := SearchConfig{Lambdas: []float64{0, -0.5}, NAvg: tr.NAvg(), Random: random, Evo: tinyEvo, Out: filepath.Join(out, map[bool]string{false: "evo", true: "random"}[random])}
		rows, err := Search(context.Background(), tr.Net.Space(), cache, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Lambda != 0 || rows[1].Lambda != -0.5 {
			t.Fatalf("random %v: rows %+v", random, rows)
		}
		if !random && (rows[0].NewEvals < 1 || rows[0].NewEvals+rows[1].NewEvals != cache.Misses) {
			t.Errorf("new evaluations %d + %d, want the cache's %d", rows[0].NewEvals, rows[1].NewEvals, cache.Misses)
		}
		for _, r := range rows {
			if _, err := os.Stat(filepath.Join(r.Dir, "best.yaml")); err != nil || filepath.Base(r.Dir) != LambdaDir(r.Lambda) {
				t.Errorf("lambda %g: history in %q: %v", r.Lambda, r.Dir, err)
			}
		}
		var tab bytes.Buffer
		if err := WriteSearchTable(&tab, rows); err != nil || !strings.Contains(tab.String(), "lambda0") {
			t.Errorf("table: %v\n%s", err, tab.String())
		}
	}
	if _, err := Search(context.Background(), tr.Net.Space(), cache, SearchConfig{Lambdas: []float64{0}}); err == nil {
		t.Errorf("N_avg 0: no error")
	}
}
