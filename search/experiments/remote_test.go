package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
)

// localRemote trains the jobs in this process, last first, on its own copy
// of the data, as a worker would.
type localRemote struct {
	set  *dataset.Set
	dir  string
	jobs []TrainJob
}

func (l *localRemote) TrainRuns(ctx context.Context, jobs []TrainJob) ([]Run, error) {
	l.jobs = append(l.jobs, jobs...)
	runs := make([]Run, len(jobs))
	for i := len(jobs) - 1; i >= 0; i-- {
		run, err := TrainRun(ctx, jobs[i], l.set, filepath.Join(l.dir, fmt.Sprintf("%s-s%d.ckpt", jobs[i].Key, jobs[i].Hyper.Seed)), nil, nil)
		if err != nil {
			return nil, err
		}
		runs[i] = run
	}
	return runs, nil
}

// TestRemoteRuns runs Tables 1, 9 and 2 (runs with an initialisation, with
// a regulariser, and the winners of a search) with their stand-alone runs
// trained by a Remote, and checks the runs and tables equal the local
// ones, and that a second run trains nothing.
func TestRemoteRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks on MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	p, _ := LookupProtocol("tiny")
	p.Limit, p.EvalLimit, p.SupernetLimit = 64, 32, 64
	set, err := dataset.Load(ctx, dataset.Spec{Name: "mnist"}, dataset.Options{T: p.T})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	local, remote := t.TempDir(), t.TempDir()
	rl := &Runner{Out: local, P: p}
	defer rl.Close()
	lr := &localRemote{set: set, dir: t.TempDir()}
	rr := &Runner{Out: remote, P: p, Remote: lr}
	defer rr.Close()
	for _, name := range []string{"table1", "table9", "table2"} {
		e, _ := Lookup(name)
		want, err := rl.Run(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		n := len(lr.jobs)
		got, err := rr.Run(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if len(lr.jobs) == n {
			t.Errorf("%s: no job went to the remote", name)
		}
		if len(got.Rows) != len(want.Rows) {
			t.Fatalf("%s: %d rows, want %d", name, len(got.Rows), len(want.Rows))
		}
		for i := range want.Rows {
			g, w := got.Rows[i], want.Rows[i]
			if g.Accuracy != w.Accuracy || g.Spikes != w.Spikes || !reflect.DeepEqual(g.Cells, w.Cells) || !reflect.DeepEqual(g.Extra, w.Extra) {
				t.Errorf("%s row %d: %v %+v %+v, want the local %v %+v %+v", name, i, g.Cells, g.Accuracy, g.Spikes, w.Cells, w.Accuracy, w.Spikes)
			}
			for k := range w.Runs {
				a, b := g.Runs[k], w.Runs[k]
				a.Seconds, a.CPUSeconds, b.Seconds, b.CPUSeconds = 0, 0, 0, 0
				if !reflect.DeepEqual(a, b) {
					t.Errorf("%s row %d run %d: %+v, want the local %+v", name, i, k, a, b)
				}
			}
		}
		if got.Verdict != want.Verdict {
			t.Errorf("%s verdict: %q, want %q", name, got.Verdict, want.Verdict)
		}
		// A restarted coordinator reads every run back.
		n = len(lr.jobs)
		if _, err := rr.Run(ctx, e); err != nil || len(lr.jobs) != n {
			t.Errorf("%s again: %v, %d more jobs; want none", name, err, len(lr.jobs)-n)
		}
	}
	if _, err := os.Stat(filepath.Join(remote, "runs")); err != nil {
		t.Error(err)
	}
	// A job naming an initialisation no one knows fails.
	if _, err := TrainRun(ctx, TrainJob{Key: "x", Init: "warm-start"}, set, filepath.Join(t.TempDir(), "x.ckpt"), nil, nil); err == nil {
		t.Error("unknown initialisation: no error")
	}
}
