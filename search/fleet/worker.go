package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Worker pulls jobs from a fleet and runs them, one at a time.
type Worker struct {
	Fleet *Fleet
	// Handlers maps a job kind to the function that runs it. A job of
	// another kind is terminated with an error naming the kinds known.
	Handlers map[string]Handler
	// CacheDir holds the downloaded inputs, named by hash.
	CacheDir string
	// MaxJobs > 0 stops Run after that many jobs (run, reused or failed).
	MaxJobs int
	// Logf, when not nil, gets a line per job.
	Logf func(format string, a ...any)
	// Started, when not nil, is called when a job starts running (tests).
	Started func(Job)
	// Done counts the jobs this worker finished.
	Done int
}

// Run pulls and runs jobs until ctx ends (it then returns nil, leaving an
// unfinished job unacknowledged for redelivery) or MaxJobs are done. A
// failed pull (the server restarting) is retried; an error return means a
// result could not be stored.
func (w *Worker) Run(ctx context.Context) error {
	for w.MaxJobs <= 0 || w.Done < w.MaxJobs {
		if ctx.Err() != nil {
			return nil
		}
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		batch, err := w.Fleet.Consumer.Fetch(1, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			// The server may be restarting or the connection reconnecting:
			// wait and pull again rather than end the worker.
			w.logf("fleet: worker: fetch: %v (retrying in 1 s)", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
			continue
		}
		var herr error
		for msg := range batch.Messages() {
			if herr == nil {
				herr = w.handle(ctx, msg)
			}
		}
		cancel()
		if herr != nil {
			if ctx.Err() != nil {
				return nil
			}
			return herr
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			w.logf("fleet: worker: fetch: %v (retrying)", err)
		}
	}
	return nil
}

func (w *Worker) logf(f string, a ...any) {
	if w.Logf != nil {
		w.Logf(f, a...)
	}
}

// handle runs one delivered job. An error return means the worker cannot
// go on (the bucket is unreachable); a failed job is not one.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) error {
	var job Job
	if err := json.Unmarshal(msg.Data(), &job); err != nil {
		w.Done++
		w.logf("fleet: dropping a message that is not a job on %s: %v", msg.Subject(), err)
		return msg.Term()
	}
	h := job.Hash()
	if md, err := msg.Metadata(); err != nil || md.NumDelivered > 1 {
		// A redelivery: an earlier delivery may have stored the result
		// before its worker died. (A first delivery skips the look-up; a
		// job published twice at once may then run twice, to the same
		// result under the same key.)
		if _, err := w.Fleet.Results.Get(ctx, h); err == nil {
			w.Done++
			return msg.Ack() // finished by another delivery: counted once
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			_ = msg.Nak()
			return fmt.Errorf("fleet: worker: reading %s: %w", ResultsBucket, err)
		}
	}
	start := time.Now()
	out, err := w.run(ctx, msg, job)
	if ctx.Err() != nil {
		return ctx.Err() // killed: the job comes back after AckWait
	}
	var te *TransientError
	if errors.As(err, &te) {
		w.logf("fleet: job %s %s: %v (retrying)", job.Kind, h[:12], err)
		return msg.NakWithDelay(time.Second)
	}
	r := result{OK: out}
	if err != nil {
		r = result{Err: err.Error()}
	}
	b, _ := json.Marshal(r)
	if limit := w.Fleet.NC.MaxPayload() - 1024; limit > 0 && int64(len(b)) > limit {
		// Too large for a message: the bytes go to the object store, the
		// bucket holds their hash.
		in, perr := w.Fleet.PutBytes(ctx, out)
		if perr != nil {
			_ = msg.Nak()
			return fmt.Errorf("fleet: worker: storing the result of job %s: %w", h[:12], perr)
		}
		b, _ = json.Marshal(result{Object: in.SHA256})
	}
	if _, perr := w.Fleet.Results.Put(ctx, h, b); perr != nil {
		_ = msg.Nak()
		return fmt.Errorf("fleet: worker: storing the result of job %s: %w", h[:12], perr)
	}
	w.Done++
	if err != nil {
		w.logf("fleet: job %s %s failed: %v", job.Kind, h[:12], err)
		return msg.Term()
	}
	w.logf("fleet: job %s %s done in %s", job.Kind, h[:12], time.Since(start).Round(time.Millisecond))
	return msg.Ack()
}

// run runs job's handler, sending in-progress acks every AckWait/3.
func (w *Worker) run(ctx context.Context, msg jetstream.Msg, job Job) ([]byte, error) {
	if err := job.Check(); err != nil {
		return nil, err
	}
	fn := w.Handlers[job.Kind]
	if fn == nil {
		kinds := make([]string, 0, len(w.Handlers))
		for k := range w.Handlers {
			kinds = append(kinds, k)
		}
		return nil, fmt.Errorf("fleet: this worker runs no job of kind %q (it runs %s)", job.Kind, strings.Join(kinds, ", "))
	}
	if w.Started != nil {
		w.Started(job)
	}
	beat := w.Fleet.AckWait / 3
	if beat <= 0 {
		beat = time.Second
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(beat)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = msg.InProgress()
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return runHandler(ctx, fn, job, &Inputs{f: w.Fleet, cache: w.CacheDir, job: job})
}

// runHandler calls fn, turning a panic into the job's error: a job that
// crashes its worker would otherwise be redelivered to every worker in
// turn and crash each one.
func runHandler(ctx context.Context, fn Handler, job Job, in *Inputs) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("fleet: job %s panicked: %v", job.Kind, r)
		}
	}()
	return fn(ctx, job, in)
}
