package search

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestCheckpointRoundTrip: a checkpoint written and read back holds the
// same evaluations (NaN and infinities included, which JSON could not
// carry), and a cache restored from it calls its evaluator for nothing.
func TestCheckpointRoundTrip(t *testing.T) {
	ev := &synthetic{}
	c := NewCache(ev)
	archs := []Arch{{0, 1, 2, 3, 4}, {1, 1, 1, 1, 1}, {2, 0, 2, 0, 2}}
	if _, err := c.Evaluate(context.Background(), archs); err != nil {
		t.Fatal(err)
	}
	c.Restore([]CacheEntry{{Key: Arch{3, 3, 3, 3, 3}.Key(), Eval: Evaluation{Acc: math.NaN(), Spikes: math.Inf(1), PopSpikes: map[string]float64{"p": 2}}}})
	ck := &Checkpoint{Run: map[string]string{"seed": "3"}, Lambda: 1, Round: 2, NewEvals: []int{3, 1}, Evals: c.Snapshot()}
	path := filepath.Join(t.TempDir(), "search.ckpt")
	if err := ck.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ck, got, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("read back (-wrote +read):\n%s", d)
	}
	r := NewCache(ev)
	r.Restore(got.Evals)
	calls := ev.calls
	if _, err := r.Evaluate(context.Background(), append(archs, Arch{3, 3, 3, 3, 3})); err != nil || ev.calls != calls || r.Misses != 0 || r.Len() != 4 {
		t.Errorf("restored cache: err %v, %d evaluator calls, %d misses, %d entries; want none, 0, 4", err, ev.calls-calls, r.Misses, r.Len())
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "none.ckpt"), "no such file"},
		{write("text.ckpt", "lambda,round\n"), "is not an autosnn search checkpoint"},
		{write("cut.ckpt", checkpointMagic+"\x10\x7f"), "corrupt"},
	} {
		if _, err := ReadCheckpoint(c.path); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: got %v, want an error naming the file and containing %q", c.path, err, c.want)
		}
	}
	bad := &Checkpoint{Lambda: 2, NewEvals: []int{1}}
	p := filepath.Join(dir, "bad.ckpt")
	if err := bad.Write(p); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCheckpoint(p); err == nil || !strings.Contains(err.Error(), "inconsistent") {
		t.Errorf("inconsistent position: got %v", err)
	}
	ck := &Checkpoint{Run: map[string]string{"seed": "1", "algo": "evolution"}}
	if err := ck.SameRun(p, map[string]string{"seed": "1", "algo": "evolution"}); err != nil {
		t.Errorf("same run refused: %v", err)
	}
	err := ck.SameRun(p, map[string]string{"seed": "2", "lambda": "0"})
	for _, want := range []string{"--algo unset (the checkpoint's run has evolution)", "--lambda 0 (the checkpoint's run does not set it)", "--seed 2 (the checkpoint's run has 1)", p} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("other run: got %v, want an error containing %q", err, want)
		}
	}
}
