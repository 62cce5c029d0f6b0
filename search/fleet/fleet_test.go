package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cluster is an embedded JetStream server for a test.
type cluster struct {
	t   *testing.T
	url string
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	s, err := StartServer(t.TempDir(), "127.0.0.1", -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return &cluster{t: t, url: s.ClientURL()}
}

// open connects a new client (each worker has its own connection, as a
// process would) with the given ack deadline.
func (c *cluster) open(ackWait time.Duration) *Fleet {
	c.t.Helper()
	nc, err := Dial(c.url, Security{}, "test")
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(nc.Close)
	f, err := Open(context.Background(), nc, Config{AckWait: ackWait})
	if err != nil {
		c.t.Fatal(err)
	}
	return f
}

// workers runs n workers with handlers until the returned stop is called;
// started, when not nil, is called with the worker's index and a kill
// function when a job starts.
func (c *cluster) workers(n int, handlers map[string]Handler, started func(i int, job Job, kill func())) (stop func()) {
	c.t.Helper()
	return c.workersWith(n, func() map[string]Handler { return handlers }, started)
}

// workersWith is workers with each worker's own handlers.
func (c *cluster) workersWith(n int, handlers func() map[string]Handler, started func(i int, job Job, kill func())) (stop func()) {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var kills []context.CancelFunc
	cache := c.t.TempDir()
	for i := range n {
		f := c.open(time.Second)
		wctx, kill := context.WithCancel(ctx)
		kills = append(kills, kill)
		w := &Worker{Fleet: f, Handlers: handlers(), CacheDir: cache}
		if started != nil {
			w.Started = func(j Job) { started(i, j, func() { kill(); f.NC.Close() }) }
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(wctx); err != nil {
				c.t.Errorf("worker %d: %v", i, err)
			}
		}()
	}
	return func() {
		cancel()
		for _, k := range kills {
			k()
		}
		wg.Wait()
	}
}

func echoHandlers() map[string]Handler { return map[string]Handler{KindEcho: Echo} }

func TestRunOrderAndResume(t *testing.T) {
	c := startCluster(t)
	defer c.workers(3, echoHandlers(), nil)()
	f := c.open(time.Second)
	n := 0
	for deadline := time.Now().Add(5 * time.Second); n != 3 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if n, err = f.Workers(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n != 3 {
		t.Errorf("Workers: %d, want 3 (each idle worker keeps a pull request)", n)
	}
	jobs := append(EchoJobs(0, 50, 0), EchoJobs(10, 5, 0)...) // 5 duplicates
	out, st, err := f.Run(context.Background(), jobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Published != 50 || st.Reused != 0 {
		t.Errorf("stats %+v, want 50 published (duplicates once), 0 reused", st)
	}
	for i, b := range out {
		var s EchoSpec
		if err := json.Unmarshal(b, &s); err != nil || s.N != jobs[i].specN(t) {
			t.Fatalf("result %d: %s (%v), want the echo of job %d", i, b, err, jobs[i].specN(t))
		}
	}
	// A second coordinator finds everything in the bucket.
	out2, st2, err := c.open(time.Second).Run(context.Background(), jobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Published != 0 || st2.Reused != 50 {
		t.Errorf("rerun stats %+v, want 0 published, 50 reused", st2)
	}
	for i := range out {
		if string(out[i]) != string(out2[i]) {
			t.Errorf("rerun result %d: %s, want %s", i, out2[i], out[i])
		}
	}
}

func (j Job) specN(t *testing.T) int {
	var s EchoSpec
	if err := json.Unmarshal(j.Spec, &s); err != nil {
		t.Fatal(err)
	}
	return s.N
}

// TestBadJobFailsOnce checks that a failing job ends the run with its
// error after one attempt, and that a later run tries it again.
var odd0 = Job{Kind: "echo", Spec: json.RawMessage(`{}`)}

func TestBadJobFailsOnce(t *testing.T) {
	c := startCluster(t)
	var runs atomic.Int32
	h := map[string]Handler{KindEcho: func(ctx context.Context, j Job, in *Inputs) ([]byte, error) {
		runs.Add(1)
		return Echo(ctx, j, in)
	}}
	defer c.workers(2, h, nil)()
	bad, _ := NewJob(KindEcho, EchoSpec{N: 7, Fail: "layer conv1 has 0 channels"}, nil)
	jobs := append(EchoJobs(0, 4, 0), bad)
	f := c.open(time.Second)
	_, _, err := f.Run(context.Background(), jobs, nil)
	var je *JobError
	if !errors.As(err, &je) || je.Index != 4 || !strings.Contains(err.Error(), "layer conv1 has 0 channels") {
		t.Fatalf("got error %v, want job 4's error", err)
	}
	time.Sleep(1500 * time.Millisecond) // past AckWait: a redelivery would show
	if n := runs.Load(); n != 5 {
		t.Errorf("handler ran %d times, want 5 (the bad job once, not redelivered)", n)
	}
	if _, _, err := f.Run(context.Background(), jobs, nil); !errors.As(err, &je) {
		t.Errorf("second run: got %v, want the job's error again (retried)", err)
	}
	if n := runs.Load(); n != 6 {
		t.Errorf("handler ran %d times after the second run, want 6", n)
	}
	// A result too large for a message goes through the object store.
	big, _ := NewJob(KindEcho, EchoSpec{N: 8, Pad: strings.Repeat("x", 900<<10)}, nil)
	if out, _, err := f.Run(context.Background(), []Job{big}, nil); err != nil {
		t.Errorf("a result larger than a message: %v", err)
	} else if string(out[0]) != string(big.Spec) {
		t.Errorf("a result larger than a message: %d bytes back, want the job's %d", len(out[0]), len(big.Spec))
	}
	if n := runs.Load(); n != 7 {
		t.Errorf("handler ran %d times after the large job, want 7 (once)", n)
	}
	// A handler that panics fails its job instead of its worker.
	if _, err := runHandler(context.Background(), func(context.Context, Job, *Inputs) ([]byte, error) { panic("index out of range") }, odd0, nil); err == nil || !strings.Contains(err.Error(), "panicked: index out of range") {
		t.Errorf("panicking handler: got %v", err)
	}
	// A job of a kind no worker runs fails too, naming the kinds.
	odd := Job{Kind: "train", Spec: json.RawMessage(`{}`)}
	if _, _, err := f.Run(context.Background(), []Job{odd}, nil); err == nil || !strings.Contains(err.Error(), `no job of kind "train"`) {
		t.Errorf("unknown kind: got %v", err)
	}
	if _, _, err := f.Run(context.Background(), []Job{{Kind: "Bad Kind", Spec: json.RawMessage(`{}`)}}, nil); err == nil || !strings.Contains(err.Error(), "want lower-case") {
		t.Errorf("bad kind: got %v", err)
	}
}

// TestKilledWorker kills the worker that starts job 0 and checks the job is
// redelivered to another worker after AckWait and counted once; a job
// longer than AckWait survives thanks to the heartbeats.
func TestKilledWorker(t *testing.T) {
	c := startCluster(t)
	var once sync.Once
	var starts atomic.Int32
	stop := c.workers(3, echoHandlers(), func(i int, j Job, kill func()) {
		starts.Add(1)
		if j.specN(t) == 0 {
			once.Do(kill)
		}
	})
	defer stop()
	jobs := EchoJobs(0, 3, 1500*time.Millisecond) // longer than AckWait (1 s)
	start := time.Now()
	out, _, err := c.open(time.Second).Run(context.Background(), jobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range out {
		if out[i] == nil {
			t.Errorf("result %d missing", i)
		}
	}
	if n := starts.Load(); n != 4 {
		t.Errorf("%d job starts, want 4 (3 jobs, job 0 twice: once on the killed worker); heartbeats should stop other redeliveries", n)
	}
	t.Logf("3 jobs of 1.5 s with a worker killed: %s", time.Since(start).Round(time.Millisecond))
}

// TestThroughput measures trivial jobs per second through one coordinator.
func TestThroughput(t *testing.T) {
	c := startCluster(t)
	defer c.workers(4, echoHandlers(), nil)()
	f := c.open(time.Second)
	n := 2000
	if testing.Short() {
		n = 300
	}
	start := time.Now()
	if _, _, err := f.Run(context.Background(), EchoJobs(0, n, 0), nil); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("%d trivial jobs, 4 workers, file storage: %s, %.0f jobs/s", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
}
