package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// probeApp is the real app plus a command "probe" that has the progress
// flags, records the progress mode its action sees and returns err.
func probeApp(mode *train.ProgressMode, err error) *cli.App {
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	app.Commands = append(app.Commands, checked([]*cli.Command{{
		Name: "probe",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet"},
			&cli.StringFlag{Name: "progress", Value: "auto"},
			&cli.StringFlag{Name: "out"},
			&cli.BoolFlag{Name: "resume"},
		},
		Action: func(c *cli.Context) error {
			*mode = progress(c).Mode()
			return err
		},
	}})...)
	return app
}

// TestProgressMode checks the one decision of how progress is shown, with
// the terminal test injected.
func TestProgressMode(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	for _, c := range []struct {
		args     []string
		terminal bool
		want     train.ProgressMode
		err      string
	}{
		{[]string{"probe"}, true, train.ProgressBar, ""},
		{[]string{"probe"}, false, train.ProgressPlain, ""},
		{[]string{"--progress=plain", "probe"}, true, train.ProgressPlain, ""},
		{[]string{"--progress=bar", "probe"}, false, train.ProgressBar, ""},
		{[]string{"--progress=bar", "probe", "--progress", "none"}, true, train.ProgressNone, ""},
		{[]string{"probe", "--progress", "plain"}, true, train.ProgressPlain, ""},
		{[]string{"--quiet", "probe"}, true, train.ProgressNone, ""},
		{[]string{"probe", "--quiet"}, false, train.ProgressNone, ""},
		{[]string{"probe", "--quiet", "--progress", "none"}, true, train.ProgressNone, ""},
		{[]string{"probe", "--progress", "bars"}, true, 0, `probe: --progress: progress mode "bars", want one of auto, bar, plain, none`},
		{[]string{"probe", "--quiet", "--progress", "bar"}, true, 0, "probe: --quiet and --progress=bar: give one of them"},
	} {
		isTerminal = func(io.Writer) bool { return c.terminal }
		got := train.ProgressMode(-1)
		err := probeApp(&got, nil).Run(append([]string{"autosnn"}, c.args...))
		switch {
		case c.err != "":
			if err == nil || err.Error() != c.err || got != -1 {
				t.Errorf("%v: got error %v (action ran: %v), want %q before the action", c.args, err, got != -1, c.err)
			}
		case err != nil || got != c.want:
			t.Errorf("%v (terminal %v): got mode %v, error %v, want %v", c.args, c.terminal, got, err, c.want)
		}
	}
}

// TestResumeHint checks the command an interrupted run prints.
func TestResumeHint(t *testing.T) {
	var m train.ProgressMode
	ie := &train.Interrupted{What: "train", Epoch: 2, Batch: 7, Step: 19, Checkpoint: "my run/a.ckpt", Err: context.Canceled}
	err := probeApp(&m, ie).Run([]string{"autosnn", "--progress=plain", "probe", "--out", "my run/a.ckpt"})
	want := "train: interrupted in epoch 2 after batch 7 (step 19); checkpoint of that point written to my run/a.ckpt\n" +
		"resume with: autosnn --progress=plain probe --out 'my run/a.ckpt' --resume"
	if err == nil || err.Error() != want || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want %q wrapping the cancellation", err, want)
	}
	err = probeApp(&m, ie).Run([]string{"autosnn", "probe", "--resume", "--out", "x"})
	if err == nil || !strings.HasSuffix(err.Error(), "resume with: autosnn probe --resume --out x") {
		t.Errorf("already resuming: got %v", err)
	}
}

// sigintWriter sends SIGINT to this process at the n-th write that draws an
// epoch's bar (a batch done), once.
type sigintWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	n     int
	fired bool
}

func (w *sigintWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte("epoch ")) && !w.fired {
		if w.n--; w.n == 0 {
			w.fired = true
			syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
	}
	return w.buf.Write(p)
}

// TestInterruptTrainResume runs `autosnn train` through run (the signal
// handling of main), sends it SIGINT at a couple of points, runs the
// command it prints, and checks that the final checkpoint equals an
// uninterrupted run's in weights, optimiser and generator state.
func TestInterruptTrainResume(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	args := func(out string) []string {
		return []string{"autosnn", "train", "--arch", "SRB_k3,skip,SCB_k3,skip,SRB_k3", "--data", "mnist", "--C", "2", "--T", "2",
			"--batch", "16", "--limit", "160", "--eval-split", "none", "--epochs", "2", "--out", out}
	}
	ref := filepath.Join(dir, "ref.ckpt")
	if code := run(append(args(ref), "--quiet"), io.Discard, io.Discard); code != 0 {
		t.Fatalf("uninterrupted run: exit %d", code)
	}
	want := checkpointState(t, ref)
	for _, at := range []int{1, 3} { // the first draws of epoch 1 and of epoch 2
		out := filepath.Join(dir, "run.ckpt")
		os.Remove(out)
		w := &sigintWriter{n: at}
		code := run(append(args(out), "--progress=bar"), io.Discard, w)
		if code != exitInterrupted || !w.fired {
			t.Fatalf("stop at bar write %d: exit %d (signal sent: %v), want %d:\n%s", at, code, w.fired, exitInterrupted, w.buf.String())
		}
		lines := strings.Split(w.buf.String(), "\n")
		var msg, hint string
		for i, l := range lines {
			if strings.HasPrefix(l, "resume with: ") && i > 0 {
				msg, hint = lines[i-1], strings.TrimPrefix(l, "resume with: ")
			}
		}
		if !strings.HasPrefix(msg, "autosnn: train: interrupted in epoch ") || !strings.Contains(msg, "written to "+out) {
			t.Fatalf("stop at bar write %d: the message is not on a line of its own before the resume command:\n%q", at, w.buf.String())
		}
		if want := strings.Join(append(args(out)[:len(args(out))], "--progress=bar", "--resume"), " "); hint != want {
			t.Errorf("resume command %q, want %q", hint, want)
		}
		if code := run(append(strings.Fields(hint), "--progress=none"), io.Discard, io.Discard); code != 0 {
			t.Fatalf("resume: exit %d", code)
		}
		if diff := cmp.Diff(want, checkpointState(t, out)); diff != "" {
			t.Errorf("stopped at bar write %d (%s) and resumed: differs from the uninterrupted run (-want +got):\n%s", at, msg, diff)
		}
	}
}

// checkpointState is what must be bit-identical after a resume: weights
// (the graph's blob), Adam moments, the generator and the position.
func checkpointState(t *testing.T, path string) map[string]any {
	t.Helper()
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	_, blob, err := ir.Encode(ck.Graph)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"weights": blob, "adam": ck.Adam, "rng": ck.RNG, "pos": [3]int{ck.Epoch, ck.Batch, ck.Step}}
}
