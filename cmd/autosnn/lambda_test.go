package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

func TestDemoHelp(t *testing.T) {
	out, err := runApp(t, "demo", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"autosnn demo", "--out", "--chip", "--seed", "report.html"} {
		if !strings.Contains(out, w) {
			t.Errorf("demo --help lacks %q:\n%s", w, out)
		}
	}
	if out, err = runApp(t, "lambda", "--help"); err != nil || !strings.Contains(out, "--budget") || !strings.Contains(out, pipeline.Policy) {
		t.Errorf("lambda --help: %v, want the --budget flag and the policy:\n%s", err, out)
	}
}

func TestLambdaErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ckpt")
	os.WriteFile(bad, []byte("not a checkpoint\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"lambda", "--data", "mnist", "--supernet", bad, "--lambda", "0,x"}, `"x" is not a number`},
		{[]string{"lambda", "--data", "mnist", "--supernet", bad, "--fitness", "log"}, `--fitness "log", want one of power, linear`},
		{[]string{"lambda", "--data", "mnist", "--supernet", bad, "--budget", "watts=3"}, `unknown key "watts"`},
		{[]string{"lambda", "--data", "mnist", "--supernet", bad, "--chip", "loihi9"}, "loihi9"},
		{[]string{"lambda", "--data", "mnist", "--supernet", bad}, "not an autosnn super-network checkpoint"},
		{[]string{"demo", "--budget", "cores=x"}, "cores=x"},
		{[]string{"demo", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		_, err := runApp(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// TestLambdaEndToEnd trains a tiny super-network on MNIST and runs
// `autosnn lambda` with a rank check over it.
func TestLambdaEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "sn.ckpt")
	if _, err := runApp(t, "supernet", "--data", "mnist", "--C", "2", "--T", "2", "--limit", "64", "--batch", "16", "--out", ck, "--quiet"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "lambda")
	stdout, err := runApp(t, "lambda", "--supernet", ck, "--data", "mnist", "--chip", "loihi1", "--lambda", "0,-0.5", "--cost", "energy",
		"--evals", "6", "--rounds", "2", "--pool", "4", "--topk", "2", "--mutations", "1", "--crossovers", "1", "--val-limit", "32",
		"--images", "2", "--profile-samples", "1", "--rank-check", "4", "--budget", "cores=128", "--out", out, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"lambda  architecture", "CHOSEN", "Spearman", "energy"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
	for _, f := range []string{pipeline.TableCSV, pipeline.TableJSON, pipeline.ParetoFile, pipeline.RankFile, "lambda0/best.yaml", "chosen/sim/summary.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
