package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// cancelWriter cancels a run after a delay from the first time its output
// contains at (the delay is not renewed).
type cancelWriter struct {
	bytes.Buffer
	at      string
	after   time.Duration
	cancel  context.CancelFunc
	started bool
	start   time.Time
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if !w.started && w.at != "" && strings.Contains(w.String(), w.at) {
		w.started, w.start = true, time.Now()
		time.AfterFunc(w.after, w.cancel)
	}
	return n, err
}

// TestSearchInterruptResume trains a tiny super-network, runs a two-lambda
// search uninterrupted, then the same search interrupted (right at its
// start, then after various delays) and resumed with the command the
// interruption prints until it completes: the histories are the same byte
// for byte, and --resume with another seed is refused naming the flag.
func TestSearchInterruptResume(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "sn.ckpt")
	if _, err := runApp(t, "supernet", "--data", "mnist", "--C", "2", "--T", "2", "--batch", "16", "--limit", "64", "--out", ckpt, "--quiet"); err != nil {
		t.Fatal(err)
	}
	args := func(out string) []string {
		return []string{"search", "--data", "mnist", "--supernet", ckpt, "--lambda", "-0.08,0", "--evals", "8", "--pool", "2", "--rounds", "4",
			"--topk", "2", "--mutations", "1", "--crossovers", "1", "--val-limit", "32", "--batch", "16", "--quiet", "--out", out}
	}
	ref := filepath.Join(dir, "ref")
	rw := &cancelWriter{at: "search on", after: time.Hour, cancel: func() {}}
	app := newApp()
	app.Writer, app.ErrWriter = rw, &bytes.Buffer{}
	if err := app.Run(append([]string{"autosnn"}, args(ref)...)); err != nil {
		t.Fatal(err)
	}
	took := time.Since(rw.start) // the search itself, after data and super-network are loaded
	t.Logf("uninterrupted search: %s", took)
	out := filepath.Join(dir, "out")
	line := args(out)
	// Delays after the line printed just before the search starts, as
	// fractions of the uninterrupted search's time (-1: not interrupted); a
	// run resumes the one before, until one completes.
	for k, frac := range []float64{0, 0.15, 0.1, 0.1, -1} {
		delay := time.Duration(frac * float64(took))
		ctx, cancel := context.WithCancel(context.Background())
		w := &cancelWriter{cancel: cancel}
		if frac >= 0 {
			w.at, w.after = "search on", delay
		}
		app := newApp()
		app.Writer, app.ErrWriter = w, &bytes.Buffer{}
		err := app.RunContext(ctx, append([]string{"autosnn"}, line...))
		cancel()
		if err == nil {
			break
		}
		var ie *train.Interrupted
		if !errors.As(err, &ie) {
			t.Fatalf("run %d: %v", k, err)
		}
		_, hint, ok := strings.Cut(err.Error(), "\nresume with: ")
		if !ok || !strings.HasSuffix(hint, " --resume") || !strings.Contains(hint, "--out "+out) {
			t.Fatalf("run %d: interruption without the resume command: %v", k, err)
		}
		if k == 0 {
			// --resume with another seed is refused, naming it.
			bad := append(append([]string{}, line...), "--resume", "--seed", "9")
			if _, err := runApp(t, bad...); err == nil || !strings.Contains(err.Error(), "--seed 9 (the checkpoint's run has 1)") {
				t.Errorf("resume with another seed: got %v", err)
			}
		}
		t.Logf("run %d: %v", k, err)
		line = append(args(out), "--resume")
		if frac < 0 {
			t.Fatalf("the last run, not interrupted, failed: %v", err)
		}
	}
	for _, lam := range []string{"lambda-0.08", "lambda0"} {
		for _, f := range []string{"best.yaml", "history.csv", "history.json"} {
			a, err1 := os.ReadFile(filepath.Join(ref, lam, f))
			b, err2 := os.ReadFile(filepath.Join(out, lam, f))
			if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
				t.Errorf("%s/%s: interrupted and resumed run differs from the uninterrupted one (%v, %v):\n%s\n---\n%s", lam, f, err1, err2, b, a)
			}
		}
	}
}
