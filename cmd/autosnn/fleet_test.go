package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/experiments"
	"github.com/autosnn/autosnn/search/fleet"
	"github.com/autosnn/autosnn/search/pipeline"
)

func TestWorkerErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"worker"}, "--nats URL is required"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--max-jobs", "-1"}, "--max-jobs -1, want >= 0"},
		{[]string{"worker", "--nats", "nats://user:secret@127.0.0.1:1", "--work-dir", t.TempDir()}, "connect to nats://127.0.0.1:1"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--nats-tls-cert", "c.pem"}, "needs both the certificate and the key"},
		{[]string{"fleet", "up", "--workers", "-2"}, "--workers -2, want >= 0"},
	}
	for _, c := range cases {
		_, err := runApp(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got error %v, want one containing %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: the error shows the password: %v", c.args, err)
		}
	}
}

// TestSearchNATS runs 'autosnn search' locally and with --nats against an
// embedded server and two 'autosnn worker's, and checks the histories
// written are byte-identical.
func TestSearchNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "sn.ckpt")
	if _, err := runApp(t, "supernet", "--data", "mnist", "--space", "snn1", "--C", "2", "--T", "2", "--batch", "16", "--limit", "64",
		"--epochs", "1", "--out", ckpt, "--quiet"); err != nil {
		t.Fatal(err)
	}
	s, err := fleet.StartServer(t.TempDir(), "127.0.0.1", -1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Shutdown(); s.WaitForShutdown() }()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	work := t.TempDir()
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := newApp()
			var out bytes.Buffer
			app.Writer, app.ErrWriter = &out, &out
			if err := app.RunContext(ctx, []string{"autosnn", "worker", "--nats", s.ClientURL(), "--work-dir", work, "--quiet"}); err != nil {
				t.Errorf("worker %d: %v\n%s", i, err, out.String())
			}
		}()
	}
	common := []string{"search", "--data", "mnist", "--supernet", ckpt, "--lambda", "0,-0.3", "--evals", "8", "--rounds", "2", "--pool", "4",
		"--topk", "2", "--mutations", "1", "--crossovers", "1", "--val-limit", "32", "--batch", "16", "--quiet"}
	local, remote := filepath.Join(dir, "local"), filepath.Join(dir, "remote")
	if _, err := runApp(t, append(common, "--out", local)...); err != nil {
		t.Fatal(err)
	}
	if _, err := runApp(t, append(common, "--out", remote, "--nats", s.ClientURL(), "--nats-per-job", "3")...); err != nil {
		t.Fatal(err)
	}
	// lambda: evaluations and the winners' compile and simulation on the workers.
	lam := []string{"lambda", "--supernet", ckpt, "--data", "mnist", "--chip", "loihi1", "--lambda", "0,-0.5",
		"--evals", "6", "--rounds", "2", "--pool", "4", "--topk", "2", "--mutations", "1", "--crossovers", "1", "--val-limit", "32",
		"--images", "2", "--profile-samples", "1", "--quiet"}
	lamLocal, lamRemote := filepath.Join(dir, "lambda-local"), filepath.Join(dir, "lambda-remote")
	if _, err := runApp(t, append(lam, "--out", lamLocal)...); err != nil {
		t.Fatal(err)
	}
	if _, err := runApp(t, append(lam, "--out", lamRemote, "--nats", s.ClientURL())...); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	for _, f := range []string{"lambda0/history.json", "lambda-0.3/history.json", "lambda0/best.yaml"} {
		a, errA := os.ReadFile(filepath.Join(local, f))
		b, errB := os.ReadFile(filepath.Join(remote, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: local and --nats runs differ (%v, %v)", f, errA, errB)
		}
	}
	for _, f := range []string{pipeline.TableCSV, pipeline.TableJSON, pipeline.ParetoFile, "lambda-0.5/history.json", "chosen/sim/summary.yaml",
		"chosen/sim/steps.csv", "chosen/sim/linkload.png", "chosen/mapping/graph.yaml", "chosen/mapping/weights.bin", "chosen/mapping/mapping.json"} {
		a, errA := os.ReadFile(filepath.Join(lamLocal, f))
		b, errB := os.ReadFile(filepath.Join(lamRemote, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("lambda %s: local and --nats runs differ (%v, %v)", f, errA, errB)
		}
	}
}

// startWorkers starts an embedded server and n 'autosnn worker' commands on
// it; stop ends the workers and the server.
func startWorkers(t *testing.T, n int) (url string, stop func()) {
	t.Helper()
	s, err := fleet.StartServer(t.TempDir(), "127.0.0.1", -1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	work := t.TempDir()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := newApp()
			var out bytes.Buffer
			app.Writer, app.ErrWriter = &out, &out
			if err := app.RunContext(ctx, []string{"autosnn", "worker", "--nats", s.ClientURL(), "--work-dir", work, "--quiet"}); err != nil {
				t.Errorf("worker %d: %v\n%s", i, err, out.String())
			}
		}()
	}
	return s.ClientURL(), func() {
		cancel()
		wg.Wait()
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// TestSimulateNATS runs 'autosnn simulate' locally and with --nats (two
// workers, shards of 2 images and the automatic split) in both semantics
// and with a NoC override, and checks the files written are byte-identical.
func TestSimulateNATS(t *testing.T) {
	mapping := tinyMapping(t)
	url, stop := startWorkers(t, 2)
	defer stop()
	dir := t.TempDir()
	for n, extra := range [][]string{{"--semantics", "both"}, {"--semantics", "trained", "--overflow", "drop", "--seed", "4"}} {
		common := append([]string{"simulate", "--mapping", mapping, "--images", "5", "--quiet"}, extra...)
		local := filepath.Join(dir, fmt.Sprint("local", n))
		if _, err := runApp(t, append(common, "--out", local)...); err != nil {
			t.Fatal(err)
		}
		files := []string{"summary.yaml", "steps.csv", "linkload.png"}
		if n == 0 {
			files = append(files, "agreement.yaml")
		}
		for _, per := range []string{"2", "0"} {
			remote := filepath.Join(dir, fmt.Sprint("remote", n, per))
			if _, err := runApp(t, append(common, "--out", remote, "--nats", url, "--nats-per-job", per)...); err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				a, errA := os.ReadFile(filepath.Join(local, f))
				b, errB := os.ReadFile(filepath.Join(remote, f))
				if errA != nil || errB != nil || !bytes.Equal(a, b) {
					t.Errorf("%v, %s images per job: %s: local and --nats runs differ (%v, %v)", extra, per, f, errA, errB)
				}
			}
		}
	}
	if _, err := runApp(t, "simulate", "--mapping", mapping, "--out", filepath.Join(dir, "x"), "--nats", url, "--nats-per-job", "-1"); err == nil || !strings.Contains(err.Error(), "--nats-per-job -1") {
		t.Errorf("--nats-per-job -1: got %v", err)
	}
}

// TestExperimentsNATS runs 'autosnn experiments run table9' locally and
// with --nats (two workers) and checks the tables' numbers, the verdict
// and every run equal; a second --nats run reads every run back.
func TestExperimentsNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks on MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	url, stop := startWorkers(t, 2)
	defer stop()
	dir := t.TempDir()
	common := []string{"experiments", "run", "--protocol", "tiny", "--seeds", "1", "--limit", "64", "--eval-limit", "32", "--quiet"}
	local, remote := filepath.Join(dir, "local"), filepath.Join(dir, "remote")
	if _, err := runApp(t, append(common, "--out", local, "table9")...); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := runApp(t, append(common, "--out", remote, "--nats", url, "table9")...); err != nil {
			t.Fatal(err)
		}
	}
	read := func(dir string) experiments.Result {
		var r experiments.Result
		b, err := os.ReadFile(filepath.Join(dir, "table9.json"))
		if err != nil || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s/table9.json: %v", dir, err)
		}
		for i := range r.Rows {
			r.Rows[i].Seconds, r.Rows[i].CPUSeconds = 0, 0
			for k := range r.Rows[i].Runs {
				r.Rows[i].Runs[k].Seconds, r.Rows[i].Runs[k].CPUSeconds = 0, 0
			}
		}
		return r
	}
	a, b := read(local), read(remote)
	if len(a.Rows) != 7 || !reflect.DeepEqual(a.Rows, b.Rows) || a.Verdict != b.Verdict {
		t.Errorf("local and --nats tables differ:\n%+v\n%+v", a.Rows, b.Rows)
	}
}
