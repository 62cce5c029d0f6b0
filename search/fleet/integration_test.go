package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/pipeline"
)

// tinyEvo is a two-round search of 8 candidates.
var tinyEvo = search.EvoConfig{Rounds: 2, Pool: 4, TopK: 2, Mutations: 1, Crossovers: 1, MutationProb: 0.2, Budget: 8, Seed: 5}

const (
	evalBatch = 16
	valLimit  = 32
)

// tinySupernet trains a C=2, T=2 super-network on 64 MNIST images and
// returns its checkpoint's path and the open data.
func tinySupernet(t *testing.T) (string, string, *dataset.Set) {
	t.Helper()
	dir, err := dataset.LocateMNIST(context.Background())
	if err != nil {
		t.Skip(err)
	}
	set, err := dataset.Open(context.Background(), "mnist", dataset.Options{T: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	h := train.Hyper{Epochs: 1, Batch: 16, LR: 1e-2, Seed: 3, Limit: 64, Data: "mnist"}
	tr, err := pipeline.NewSupernetTrainer(context.Background(), "snn1", 2, 2, set, h, "none")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Checkpoint = filepath.Join(t.TempDir(), "sn.ckpt")
	if err := tr.Run(context.Background(), pipeline.DataSource(set, tr.Hyper, dataset.Train, dataset.Val, 0)); err != nil {
		t.Fatal(err)
	}
	return tr.Checkpoint, dir, set
}

// TestSearchAndSweepOnFleet is issue #21's test: an embedded JetStream
// server and 3 workers run a two-lambda search and a lambda sweep while
// one worker is killed mid-job; the histories and the sweep equal the
// local run's, and a restarted coordinator recomputes nothing.
func TestSearchAndSweepOnFleet(t *testing.T) {
	ckpt, dataDir, set := tinySupernet(t)
	ctx := context.Background()
	net, ck, err := pipeline.OpenSupernet(ctx, ckpt, evalBatch)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	space := net.Space()
	lambdas := []float64{0, -0.5}
	searchCfg := pipeline.SearchConfig{Lambdas: lambdas, NAvg: ck.NAvg, Evo: tinyEvo}
	local := pipeline.NewEvaluator(net, set, ck.Hyper.Seed, evalBatch, valLimit, nil)
	want, err := pipeline.Search(ctx, space, search.NewCache(local), searchCfg)
	if err != nil {
		t.Fatal(err)
	}

	c := startCluster(t)
	var killed atomic.Bool
	var starts atomic.Int32
	var mu sync.Mutex
	var closers []func()
	handlers := func() map[string]Handler {
		h, dep, closeH := EvalHandlers(t.TempDir())
		mu.Lock()
		closers = append(closers, closeH)
		mu.Unlock()
		return map[string]Handler{KindEval: h, KindDeploy: dep}
	}
	stop := c.workersWith(3, handlers, func(i int, j Job, kill func()) {
		starts.Add(1)
		if killed.CompareAndSwap(false, true) {
			kill() // mid-job: delivered, never acknowledged
		}
	})
	defer func() {
		stop()
		for _, f := range closers {
			f()
		}
	}()
	coord := c.open(time.Second)
	sn, err := coord.PutFile(ctx, ckpt)
	if err != nil {
		t.Fatal(err)
	}
	data, err := coord.PutDir(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	newEval := func(perJob int) *Evaluator {
		return &Evaluator{Fleet: coord, PerJob: perJob, Inputs: map[string]Input{"supernet": sn, "data": data},
			Spec: EvalSpec{Data: "mnist", T: 2, Batch: evalBatch, ValLimit: valLimit}}
	}
	fe := newEval(2)
	start := time.Now()
	got, err := pipeline.Search(ctx, space, search.NewCache(fe), searchCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("distributed search: %s, %+v, %d job starts", time.Since(start).Round(time.Millisecond), fe.Stats, starts.Load())
	if !killed.Load() {
		t.Fatal("no worker was killed")
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].History, want[i].History) {
			t.Errorf("lambda %g: the distributed history differs from the local one:\n got %+v\nwant %+v", lambdas[i], got[i].History.Records, want[i].History.Records)
		}
	}
	if fe.Stats.Published != fe.Stats.Jobs-fe.Stats.Reused || fe.Stats.Published == 0 {
		t.Errorf("stats %+v: want every job published once", fe.Stats)
	}

	// A restarted coordinator (a fresh cache) finds every result in the bucket.
	fe2 := newEval(2)
	again, err := pipeline.Search(ctx, space, search.NewCache(fe2), searchCfg)
	if err != nil {
		t.Fatal(err)
	}
	if fe2.Stats.Published != 0 || fe2.Stats.Reused == 0 || !reflect.DeepEqual(again[0].History, want[0].History) {
		t.Errorf("restarted coordinator: stats %+v, want nothing published and the same histories", fe2.Stats)
	}

	// The lambda sweep: evaluations on the fleet, winners compiled here.
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	lcfg := pipeline.LambdaConfig{SweepConfig: pipeline.SweepConfig{Lambdas: lambdas, Evo: tinyEvo, CompileSeed: 1},
		ValLimit: valLimit, EvalBatch: evalBatch, ProfileSamples: 2, SimImages: 2, RankCheck: 3}
	wantSweep, err := pipeline.RunLambda(ctx, net, ck.NAvg, ck.Hyper.Seed, set, chip, lcfg)
	if err != nil {
		t.Fatal(err)
	}
	lcfg.Evaluator = newEval(0) // a round split over the workers
	dep := &Deployer{Fleet: coord, Inputs: map[string]Input{"supernet": sn, "data": data},
		Spec: DeploySpec{EvalSpec: newEval(0).Spec, Chip: "loihi1", ProfileSamples: lcfg.ProfileSamples, SimImages: lcfg.SimImages}}
	lcfg.Deployer = dep // the winners compiled and simulated on the workers
	gotSweep, err := pipeline.RunLambda(ctx, net, ck.NAvg, ck.Hyper.Seed, set, chip, lcfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotSweep.Rows, wantSweep.Rows) || gotSweep.Chosen != wantSweep.Chosen || gotSweep.Evaluations != wantSweep.Evaluations {
		t.Errorf("distributed sweep differs:\n got %+v (chosen %d)\nwant %+v (chosen %d)", gotSweep.Rows, gotSweep.Chosen, wantSweep.Rows, wantSweep.Chosen)
	}
	if len(wantSweep.RankRows) == 0 || !reflect.DeepEqual(gotSweep.RankRows, wantSweep.RankRows) {
		t.Errorf("distributed rank check differs: %d rows, want %d", len(gotSweep.RankRows), len(wantSweep.RankRows))
	}
	if g, w := fmt.Sprint(gotSweep.RankStats), fmt.Sprint(wantSweep.RankStats); g != w { // NaN for a constant quantity
		t.Errorf("distributed rank statistics: %s, want %s", g, w)
	}
	if dep.Stats.Published == 0 {
		t.Errorf("deployer stats %+v: want the winners deployed on the workers", dep.Stats)
	}
	// The written sweeps (table, chosen mapping and simulation) are the same files.
	wantDir, gotDir := t.TempDir(), t.TempDir()
	if err := wantSweep.WriteDir(wantDir); err != nil {
		t.Fatal(err)
	}
	if err := gotSweep.WriteDir(gotDir); err != nil {
		t.Fatal(err)
	}
	// A deployment on a chip no worker knows fails the run once, with its error.
	bad := *dep
	bad.Spec.Chip = "loihi9"
	_, err = bad.DeployArchs(ctx, []search.Arch{wantSweep.Histories[0].BestRecord().Arch}, 1)
	var je *JobError
	if !errors.As(err, &je) || je.Kind != KindDeploy || !strings.Contains(err.Error(), "loihi9") {
		t.Errorf("deployment on an unknown chip: got %v, want the job's error", err)
	}
	if wantSweep.Chosen < 0 {
		t.Error("the sweep chose nothing: no chosen mapping and simulation to compare")
	}
	sameTree(t, wantDir, gotDir)
}

// sameTree checks the files under dir b are those under dir a, byte for byte.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, errX := os.ReadFile(p)
		y, errY := os.ReadFile(filepath.Join(b, rel))
		if errX != nil || errY != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs (%v, %v)", rel, errX, errY)
		}
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Errorf("walking %s: %v, %d files", a, err, n)
	}
}
