package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/search/supernet"
)

// oversized are the invocations of issue #19 that crashed with the
// runtime's "out of memory" before the memory check; dir is the output
// directory and model a small MNIST checkpoint.
func oversized(dir, model string) [][]string {
	out := filepath.Join(dir, "out")
	return [][]string{
		{"train", "--arch", "autosnn", "--C", "4096", "--data", "mnist", "--out", out},
		{"train", "--arch", "autosnn", "--C", "4096", "--input", "3,224,224", "--data", "mnist", "--out", out},
		{"train", "--arch", "autosnn", "--C", "100000", "--data", "mnist", "--out", out},
		{"train", "--arch", "autosnn", "--T", "100000", "--data", "mnist", "--out", out},
		{"supernet", "--data", "mnist", "--C", "4096", "--out", out},
		{"supernet", "--data", "mnist", "--T", "100000", "--out", out},
		{"eval", "--model", model, "--batch", "1000000"},
		{"compile", "--model", "autosnn", "--C", "4096", "--random-weights", "1", "--out", out},
		{"compile", "--model", "autosnn", "--C", "100000", "--random-weights", "1", "--out", out},
	}
}

// tinyModel writes an untrained MNIST checkpoint of a small network.
func tinyModel(t *testing.T, dir string) string {
	t.Helper()
	s := frontend.DefaultSpec("SRB_k3", "skip", "skip", "skip", "SRB_k3")
	s.Channels, s.T, s.Input, s.Classes = 2, 2, []int{1, 28, 28}, 10
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewTrainer(g, train.Hyper{Epochs: 1, Batch: 8, LR: 1e-3, Seed: 1, Data: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	path := filepath.Join(dir, "tiny.ckpt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOversizedRefused runs the oversized invocations through the app with
// --max-memory 8GB: each is refused by the memory check with one line
// giving the estimate, the limit and what to lower, before any output is
// written and before the data loads (--data names a missing directory of
// MNIST's standard shape, whose load would fail).
func TestOversizedRefused(t *testing.T) {
	dir := t.TempDir()
	model := tinyModel(t, dir)
	missing := "mnist:" + filepath.Join(dir, "no-such-data")
	for _, args := range oversized(dir, model) {
		args = slices.Clone(args)
		if i := slices.Index(args, "--data"); i >= 0 {
			args[i+1] = missing
		} else if args[0] != "compile" {
			args = append(args, "--data", missing)
		}
		start := time.Now()
		_, _, err := runTrainApp(t, append(args, "--max-memory", "8GB")...)
		var me *pipeline.MemoryError
		switch {
		case !errors.As(err, &me):
			t.Errorf("%v: got error %v, want a *pipeline.MemoryError", args, err)
			continue
		case me.Limit != 8e9 || me.Need <= me.Limit:
			t.Errorf("%v: estimate %d bytes, limit %d; want limit 8e9 below the estimate", args, me.Need, me.Limit)
		case strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "8 GB given by --max-memory") || !strings.Contains(err.Error(), "lower --"):
			t.Errorf("%v: error %q, want one line with the estimate, the limit and what to lower", args, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%v: refused after %v, want a refusal before the work starts", args, d)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
			t.Errorf("%v: %s exists after the refusal", args, filepath.Join(dir, "out"))
		}
	}
}

// TestOversizedUnderAddressLimit runs the oversized invocations as
// processes under an 8 GB address-space limit (ulimit -v 8000000, no
// --max-memory): each exits 1 with one line on stderr, no goroutine dump,
// within half a second of CPU time (measured: 0.04 to 0.05 s each; the
// checks of train, supernet and eval run before MNIST loads, from its
// standard shape).
func TestOversizedUnderAddressLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as subprocesses")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to set ulimit -v")
	}
	dir := t.TempDir()
	model := tinyModel(t, dir)
	for _, args := range oversized(dir, model) {
		cmd := exec.Command(sh, append([]string{"-c", `ulimit -v 8000000 && exec "$@"`, "sh", os.Args[0], "-test.run=^TestHelperMain$"}, args...)...)
		cmd.Env = append(os.Environ(), "AUTOSNN_TEST_MAIN=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("%v: exit %v, want exit status 1; stderr:\n%s", args, err, stderr.String())
			continue
		}
		msg := strings.TrimSuffix(stderr.String(), "\n")
		if strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine") || !strings.HasPrefix(msg, "autosnn: ") ||
			!strings.Contains(msg, "ulimit -v") {
			t.Errorf("%v: stderr %q, want one line naming the address-space limit", args, msg)
		}
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		t.Logf("%v: %v CPU: %s", args, cpu.Round(time.Millisecond), msg)
		if cpu > time.Second/2 {
			t.Errorf("%v: refused after %v of CPU time, want under half a second", args, cpu)
		}
	}
}

// TestHelperMain runs main with the arguments after -test.run when
// AUTOSNN_TEST_MAIN is set (the subprocess of TestOversizedUnderAddressLimit).
func TestHelperMain(t *testing.T) {
	if os.Getenv("AUTOSNN_TEST_MAIN") != "1" {
		t.Skip("runs only as the subprocess of TestOversizedUnderAddressLimit")
	}
	for i, a := range os.Args {
		if strings.HasPrefix(a, "-test.run") {
			os.Args = append([]string{"autosnn"}, os.Args[i+1:]...)
			break
		}
	}
	main()
	os.Exit(0)
}

// TestSupernetCommandsRefused: search and lambda (evaluating candidates)
// and supernet --resume check the super-network's memory from its
// checkpoint before building it and before loading the data: --data names
// a directory that does not exist, so the refusal can only come first.
func TestSupernetCommandsRefused(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join("..", "..", "search", "supernet", "testdata", "tiny-v1.ckpt")
	ck, err := supernet.ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	missing := "mnist:" + filepath.Join(dir, "no-such-data")
	ck.Hyper.Data = missing
	resumed := filepath.Join(dir, "sn.ckpt")
	if err := supernet.WriteCheckpoint(resumed, ck); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		work string
	}{
		{[]string{"search", "--supernet", ckpt, "--data", missing, "--out", filepath.Join(dir, "s")}, "search on the super-network"},
		{[]string{"lambda", "--supernet", ckpt, "--data", missing, "--out", filepath.Join(dir, "l")}, "search on the super-network"},
		{[]string{"supernet", "--resume", "--data", missing, "--out", resumed}, "supernet "},
	} {
		start := time.Now()
		_, _, err := runTrainApp(t, append(c.args, "--max-memory", "1kB")...)
		d := time.Since(start)
		var me *pipeline.MemoryError
		if !errors.As(err, &me) || me.Limit != 1000 || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.work) {
			t.Errorf("%v: got %v, want a one-line *pipeline.MemoryError for %q under 1 kB", c.args, err, c.work)
		}
		t.Logf("%v: refused in %v", c.args[0], d.Round(time.Millisecond))
		if d > time.Second {
			t.Errorf("%v: refused after %v, want well under a second (before the data loads)", c.args, d)
		}
	}
	if _, _, err := runTrainApp(t, "search", "--supernet", ckpt, "--data", missing, "--out", filepath.Join(dir, "s2"), "--max-memory", "1TB"); err == nil ||
		errors.As(err, new(*pipeline.MemoryError)) || !strings.Contains(err.Error(), "no-such-data") {
		t.Errorf("search under 1 TB: got %v, want the missing data's error (the check passes)", err)
	}
}
