package fleet

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/experiments"
)

// TestExperimentOnFleet runs Table 9 (seven stand-alone runs) with its
// runs trained on 3 workers, one killed at its first job, and checks the
// table and every run equal the local ones; a coordinator restarted in a
// fresh directory takes every run from the bucket, and a run that cannot
// be trained fails the experiment once.
func TestExperimentOnFleet(t *testing.T) {
	dataDir, err := dataset.LocateMNIST(context.Background())
	if err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	p, err := experiments.LookupProtocol("tiny")
	if err != nil {
		t.Fatal(err)
	}
	p.Limit, p.EvalLimit, p.Seeds = 64, 32, []uint64{1}
	e, err := experiments.Lookup("table9")
	if err != nil {
		t.Fatal(err)
	}
	local := &experiments.Runner{Out: t.TempDir(), P: p}
	defer local.Close()
	want, err := local.Run(ctx, e)
	if err != nil {
		t.Fatal(err)
	}

	c := startCluster(t)
	var killed atomic.Bool
	var closers []func()
	stop := c.workersWith(3, func() map[string]Handler {
		h, closeH := TrainHandler(t.TempDir())
		closers = append(closers, closeH)
		return map[string]Handler{KindTrain: h}
	}, func(i int, j Job, kill func()) {
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
	data, err := coord.PutDir(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	newRunner := func() (*experiments.Runner, *TrainRemote) {
		tr := &TrainRemote{Fleet: coord, Inputs: map[string]Input{"data": data}}
		return &experiments.Runner{Out: t.TempDir(), P: p, Remote: tr}, tr
	}
	rr, tr := newRunner()
	defer rr.Close()
	got, err := rr.Run(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if !killed.Load() || tr.Stats.Published != 7 {
		t.Errorf("killed %v, stats %+v: want a worker killed and 7 runs published", killed.Load(), tr.Stats)
	}
	sameRows(t, got.Rows, want.Rows)
	if got.Verdict != want.Verdict {
		t.Errorf("verdict %q, want %q", got.Verdict, want.Verdict)
	}
	rr2, tr2 := newRunner()
	defer rr2.Close()
	again, err := rr2.Run(ctx, e)
	if err != nil || tr2.Stats.Published != 0 || tr2.Stats.Reused != 7 {
		t.Fatalf("restarted coordinator: %v, stats %+v; want 7 runs reused, none published", err, tr2.Stats)
	}
	sameRows(t, again.Rows, want.Rows)

	// A run that cannot be trained fails once, with its error.
	bad, _ := newRunner()
	_, err = bad.Remote.TrainRuns(ctx, []experiments.TrainJob{{Key: "x", T: 2, Hyper: train.Hyper{Epochs: 1, Batch: 16, LR: 1e-3, Seed: 1, Limit: 64, Data: "mnist"}, Init: "warm-start"}})
	var je *JobError
	if !errors.As(err, &je) || !strings.Contains(err.Error(), `no initialisation "warm-start"`) {
		t.Errorf("bad run: got %v, want the job's error", err)
	}
}

func sameRows(t *testing.T, got, want []experiments.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Accuracy != want[i].Accuracy || got[i].Spikes != want[i].Spikes || !reflect.DeepEqual(got[i].Extra, want[i].Extra) {
			t.Errorf("row %d: %+v %+v, want the local %+v %+v", i, got[i].Accuracy, got[i].Spikes, want[i].Accuracy, want[i].Spikes)
		}
		for k := range want[i].Runs {
			a, b := got[i].Runs[k], want[i].Runs[k]
			a.Seconds, a.CPUSeconds, b.Seconds, b.CPUSeconds = 0, 0, 0, 0
			if !reflect.DeepEqual(a, b) {
				t.Errorf("row %d run %d differs from the local run:\n got %+v\nwant %+v", i, k, a, b)
			}
		}
	}
}
