package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/supernet"
)

func runApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"autosnn"}, args...))
	return out.String(), err
}

func TestSearchErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ckpt")
	os.WriteFile(bad, []byte("not a checkpoint\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"supernet", "--data", "mnist", "--space", "snn9", "--out", filepath.Join(dir, "x")}, `--space "snn9", want one of snn1`},
		{[]string{"supernet", "--data", "mnist", "--C", "0"}, "--C 0, want >= 1"},
		{[]string{"supernet", "--data", "mnist", "--resume", "--out", filepath.Join(dir, "none.ckpt")}, "no such file"},
		{[]string{"search", "--data", "mnist", "--supernet", bad}, "not an autosnn super-network checkpoint"},
		{[]string{"search", "--data", "mnist", "--supernet", bad, "--lambda", "-0.1,x"}, "\"x\" is not a number"},
		{[]string{"search", "--data", "mnist", "--supernet", bad, "--algo", "grid"}, `--algo "grid", want one of evolution, random`},
		{[]string{"search", "--data", "mnist", "--supernet", bad, "--fitness", "log"}, `--fitness "log", want one of power, linear`},
	}
	for _, c := range cases {
		if strings.Contains(strings.Join(c.args, " "), "--space snn9") || strings.Contains(strings.Join(c.args, " "), "--C 0") {
			if _, err := dataset.LocateMNIST(context.Background()); err != nil {
				continue
			}
		}
		_, err := runApp(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// TestSupernetSearchEndToEnd trains a tiny super-network on 64 MNIST
// images, resumes it for a second epoch, and runs a two-lambda search and
// a random search with it.
func TestSupernetSearchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "sn.ckpt")
	common := []string{"--data", "mnist", "--space", "snn1", "--C", "2", "--T", "2", "--batch", "16", "--limit", "64", "--out", ckpt, "--quiet"}
	out, err := runApp(t, append([]string{"supernet", "--epochs", "1"}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "N_avg = ") || !strings.Contains(out, "epoch 1/1") {
		t.Errorf("supernet output lacks the epoch line or N_avg:\n%s", out)
	}
	if out, err = runApp(t, append([]string{"supernet", "--epochs", "2", "--resume"}, common...)...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "resuming") || !strings.Contains(out, "epoch 2/2") {
		t.Errorf("resumed output:\n%s", out)
	}
	ck, err := supernet.ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 2 || !(ck.NAvg > 0) {
		t.Errorf("checkpoint at epoch %d with N_avg %v, want epoch 2 and N_avg > 0", ck.Epoch, ck.NAvg)
	}
	res := filepath.Join(dir, "res")
	small := []string{"--data", "mnist", "--supernet", ckpt, "--evals", "6", "--pool", "3", "--rounds", "2", "--topk", "2",
		"--mutations", "1", "--crossovers", "1", "--val-limit", "32", "--batch", "16", "--quiet", "--out", res}
	out, err = runApp(t, append([]string{"search", "--lambda", "-0.08,0"}, small...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lambda  blocks", "-0.08", "lambda-0.08", "lambda0"} {
		if !strings.Contains(out, want) {
			t.Errorf("search output lacks %q:\n%s", want, out)
		}
	}
	for _, lam := range []string{"lambda-0.08", "lambda0"} {
		for _, f := range []string{"best.yaml", "history.csv", "history.json", "pareto.png"} {
			if _, err := os.Stat(filepath.Join(res, lam, f)); err != nil {
				t.Error(err)
			}
		}
		spec, err := frontend.Resolve(filepath.Join(res, lam, "best.yaml"))
		if err != nil {
			t.Errorf("best.yaml is not a spec: %v", err)
		} else if len(spec.Blocks) != 5 || spec.Channels != 2 || spec.T != 2 {
			t.Errorf("best spec %+v, want 5 blocks, C 2, T 2", spec)
		}
		data, _ := os.ReadFile(filepath.Join(res, lam, "history.json"))
		var h struct {
			Records []json.RawMessage `json:"records"`
		}
		if err := json.Unmarshal(data, &h); err != nil || len(h.Records) != 6 {
			t.Errorf("history.json: %d records (%v), want 6", len(h.Records), err)
		}
	}
	// Determinism: the same search again gives the same history.
	res2 := filepath.Join(dir, "res2")
	small[len(small)-1] = res2
	if _, err := runApp(t, append([]string{"search", "--lambda", "-0.08,0"}, small...)...); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(res, "lambda-0.08", "history.csv"))
	b, _ := os.ReadFile(filepath.Join(res2, "lambda-0.08", "history.csv"))
	if !bytes.Equal(a, b) {
		t.Errorf("two identical searches wrote different histories:\n%s\n---\n%s", a, b)
	}
	small[len(small)-1] = filepath.Join(dir, "rand")
	if out, err = runApp(t, append([]string{"search", "--algo", "random", "--bn-recalib", "1"}, small...)...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "random search") {
		t.Errorf("random search output:\n%s", out)
	}
}

// TestSearchANNSpace pins the paper's Table 7 search without spiking
// neurons: the ann super-network's N_avg is 0, its search takes lambda 0
// (fitness = accuracy alone) and refuses any other lambda naming --lambda.
func TestSearchANNSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ann.ckpt")
	if _, err := runApp(t, "supernet", "--data", "mnist", "--space", "ann", "--C", "2", "--T", "2", "--batch", "16", "--limit", "32",
		"--epochs", "1", "--out", ckpt, "--quiet"); err != nil {
		t.Fatal(err)
	}
	ck, err := supernet.ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if ck.NAvg != 0 {
		t.Fatalf("ann super-network N_avg %v, want 0 (no spikes)", ck.NAvg)
	}
	small := []string{"--data", "mnist", "--supernet", ckpt, "--evals", "4", "--pool", "2", "--rounds", "2", "--topk", "2",
		"--mutations", "1", "--crossovers", "1", "--val-limit", "16", "--batch", "16", "--quiet"}
	res := filepath.Join(dir, "res")
	out, err := runApp(t, append([]string{"search", "--lambda", "0", "--out", res}, small...)...)
	if err != nil {
		t.Fatalf("ann search at lambda 0: %v", err)
	}
	if !strings.Contains(out, "search on ann") {
		t.Errorf("search output:\n%s", out)
	}
	data, err := os.ReadFile(filepath.Join(res, "lambda0", "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Records []struct {
			Acc     float64 `json:"accuracy"`
			Fitness float64 `json:"fitness"`
		} `json:"records"`
	}
	if err := json.Unmarshal(data, &h); err != nil || len(h.Records) != 4 {
		t.Fatalf("history.json: %d records (%v), want 4", len(h.Records), err)
	}
	for i, r := range h.Records {
		if r.Fitness != r.Acc {
			t.Errorf("record %d: fitness %v, want the accuracy %v", i, r.Fitness, r.Acc)
		}
	}
	_, err = runApp(t, append([]string{"search", "--lambda", "0,-0.08", "--out", filepath.Join(dir, "bad")}, small...)...)
	if err == nil || !strings.Contains(err.Error(), "--lambda -0.08") || !strings.Contains(err.Error(), "want --lambda 0") {
		t.Errorf("ann search at lambda -0.08: %v, want an error naming --lambda -0.08", err)
	}
}
