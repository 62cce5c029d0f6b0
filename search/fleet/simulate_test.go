package fleet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/sim"
)

// tinyMapping compiles a small MNIST network (C=2, T=2) for loihi1 and writes its
// mapping directory.
func tinyMapping(t *testing.T) string {
	t.Helper()
	s, err := frontend.Resolve("SRB_k3,SRB_k3,skip,SRB_k3,SRB_k5")
	if err != nil {
		t.Fatal(err)
	}
	s.Name, s.Channels, s.T, s.Input, s.Classes = "fleettiny", 2, 2, []int{1, 28, 28}, 10
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	frontend.RandomWeights(g, 1)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pipeline.Compile(context.Background(), g, chip, pipeline.CompileOptions{Samples: pipeline.Synthetic(g, 2, 1), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mapping")
	if err := pipeline.WriteMappingDir(dir, c.Unit); err != nil {
		t.Fatal(err)
	}
	return dir
}

// simDir writes a simulation result and returns its files.
func simDir(t *testing.T, r *pipeline.SimResult) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// TestSimulateOnFleet runs a simulation of MNIST images in shards on 3
// workers, one killed at its first job, and checks the summary, steps and
// figure are byte-identical to the local run's for shards of several
// sizes; a restarted coordinator publishes nothing, and a shard whose
// mapping is corrupt fails the run once.
func TestSimulateOnFleet(t *testing.T) {
	dataDir, err := dataset.LocateMNIST(context.Background())
	if err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	mapDir := tinyMapping(t)
	g, tg, _, err := backends.ReadMapping(mapDir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 11
	src, closeData, err := pipeline.OpenDataWith(ctx, "mnist:"+dataDir, dataset.Test, n, g, 1, dataset.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer closeData()
	opt := pipeline.SimOptions{Semantics: sim.Chip, Compare: true}
	local, err := pipeline.Simulate(ctx, g, tg, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := simDir(t, local)
	if local.Sim.Labeled != n || len(want) != 4 {
		t.Fatalf("local run: %d labelled images, %d files; want %d, 4", local.Sim.Labeled, len(want), n)
	}

	c := startCluster(t)
	var killed atomic.Bool
	var closers []func()
	handlers := func() map[string]Handler {
		h, closeH := SimHandler(t.TempDir())
		closers = append(closers, closeH)
		return map[string]Handler{KindSimulate: h}
	}
	stop := c.workersWith(3, handlers, func(i int, j Job, kill func()) {
		if killed.CompareAndSwap(false, true) {
			kill()
		}
	})
	defer func() {
		stop()
		for _, f := range closers {
			f()
		}
	}()
	coord := c.open(0)
	mapping, err := coord.PutDir(ctx, mapDir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := coord.PutDir(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	shards := func(per int) *SimShards {
		return &SimShards{Fleet: coord, PerJob: per, Inputs: map[string]Input{"mapping": mapping, "data": data},
			Spec: SimSpec{Data: "mnist", Split: "test", Images: n, Seed: 1, Semantics: "chip", Compare: true}}
	}
	for _, per := range []int{4, 1, 0} {
		sh := shards(per)
		o := opt
		o.Shards = sh
		r, err := pipeline.Simulate(ctx, g, tg, src, o)
		if err != nil {
			t.Fatalf("%d images per job: %v", per, err)
		}
		got := simDir(t, r)
		for f, b := range want {
			if !bytes.Equal(got[f], b) {
				t.Errorf("%d images per job: %s differs from the local run's", per, f)
			}
		}
		if sh.Stats.Published == 0 && per != 0 {
			t.Errorf("%d images per job: stats %+v, want jobs published", per, sh.Stats)
		}
	}
	if !killed.Load() {
		t.Error("no worker was killed")
	}
	// A restarted coordinator takes every shard from the bucket.
	sh := shards(4)
	o := opt
	o.Shards = sh
	if _, err := pipeline.Simulate(ctx, g, tg, src, o); err != nil || sh.Stats.Published != 0 || sh.Stats.Reused != 3 {
		t.Errorf("restarted coordinator: %v, stats %+v; want 3 jobs reused, none published", err, sh.Stats)
	}

	// A corrupt mapping fails the run once, with the reader's error.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "graph.yaml"), []byte("not: [a graph"), 0o644); err != nil {
		t.Fatal(err)
	}
	badIn, err := coord.PutDir(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	sh = shards(20)
	sh.Inputs = map[string]Input{"mapping": badIn, "data": data}
	o.Shards = sh
	_, err = pipeline.Simulate(ctx, g, tg, src, o)
	var je *JobError
	if !errors.As(err, &je) || je.Kind != KindSimulate || !strings.Contains(err.Error(), "mapping") {
		t.Errorf("corrupt mapping: got %v, want the job's error", err)
	}
}
