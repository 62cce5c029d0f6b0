package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// RunStats counts what a Fleet.Run did.
type RunStats struct {
	Jobs      int // jobs given (duplicates included)
	Reused    int // distinct jobs whose result was already in the bucket
	Published int // distinct jobs published
}

// Run publishes the jobs whose results are not in the results bucket yet,
// waits for every result and returns them in the order of jobs. Identical
// jobs (the same hash) run once. The first failed job ends the run with its
// *JobError (its stored error is removed, so a later run retries it); so
// does ctx. logf, when not nil, is told when no result came for 30 s.
func (f *Fleet) Run(ctx context.Context, jobs []Job, logf func(format string, a ...any)) ([][]byte, RunStats, error) {
	st := RunStats{Jobs: len(jobs)}
	hashes := make([]string, len(jobs))
	where := map[string][]int{}
	for i, j := range jobs {
		if err := j.Check(); err != nil {
			return nil, st, fmt.Errorf("fleet: job %d: %w", i, err)
		}
		hashes[i] = j.Hash()
		where[hashes[i]] = append(where[hashes[i]], i)
	}
	out := make([][]byte, len(jobs))
	left := len(where)
	// Watch before looking, so no result lands unseen between the two.
	w, err := f.Results.WatchAll(ctx, jetstream.UpdatesOnly(), jetstream.IgnoreDeletes())
	if err != nil {
		return nil, st, fmt.Errorf("fleet: watching %s: %w", ResultsBucket, err)
	}
	defer w.Stop()
	take := func(key string, val []byte) error {
		idx, ok := where[key]
		if !ok || out[idx[0]] != nil {
			return nil // another run's, or seen already
		}
		var r result
		if err := json.Unmarshal(val, &r); err != nil {
			return fmt.Errorf("fleet: result %s in %s: %w", key[:12], ResultsBucket, err)
		}
		if r.Err != "" {
			_ = f.Results.Delete(ctx, key) // reported once; a later run retries
			return &JobError{Index: idx[0], Kind: jobs[idx[0]].Kind, Hash: key, Msg: r.Err}
		}
		if r.Object != "" {
			b, err := f.GetBytes(ctx, r.Object)
			if err != nil {
				return fmt.Errorf("fleet: result of job %d (%s %s): %w", idx[0], jobs[idx[0]].Kind, key[:12], err)
			}
			r.OK = b
		}
		if r.OK == nil {
			r.OK = []byte{}
		}
		for _, i := range idx {
			out[i] = r.OK
		}
		left--
		return nil
	}
	for h := range where {
		e, err := f.Results.Get(ctx, h)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, st, fmt.Errorf("fleet: reading %s: %w", ResultsBucket, err)
		}
		if err := take(h, e.Value()); err != nil {
			return nil, st, err
		}
		st.Reused++
	}
	// The message ID lets the server drop a duplicate publish of this
	// run (a client retry); a later run republishing a job it retries (an
	// error was reported) is not a duplicate, hence the run's nonce.
	nonce := nuid.Next()
	var acks []jetstream.PubAckFuture
	for i, j := range jobs {
		h := hashes[i]
		if idx := where[h]; idx[0] != i || out[i] != nil {
			continue
		}
		b, _ := json.Marshal(j)
		msg := &nats.Msg{Subject: JobsSubject + "." + j.Kind, Data: b, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, h+"."+nonce)
		a, err := f.JS.PublishMsgAsync(msg)
		if err != nil {
			return nil, st, fmt.Errorf("fleet: publishing job %d: %w", i, err)
		}
		acks = append(acks, a)
		st.Published++
	}
	select {
	case <-f.JS.PublishAsyncComplete():
	case <-ctx.Done():
		return nil, st, ctx.Err()
	}
	for _, a := range acks {
		select {
		case err := <-a.Err():
			return nil, st, fmt.Errorf("fleet: publishing a job: %w", err)
		default:
		}
	}
	last := time.Now()
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for left > 0 {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, st, fmt.Errorf("fleet: the watch of %s ended with %d results awaited", ResultsBucket, left)
			}
			if e == nil {
				continue // end of the (empty) initial values
			}
			if err := take(e.Key(), e.Value()); err != nil {
				return nil, st, err
			}
			last = time.Now()
		case <-tick.C:
			if logf != nil && time.Since(last) >= 30*time.Second {
				// Jobs a worker holds (delivered, not yet acked) are long
				// ones, not a missing worker.
				if ci, err := f.Consumer.Info(ctx); err == nil && ci.NumAckPending > 0 {
					logf("fleet: no result for %s, %d of %d jobs awaited, %d of them being run by workers",
						time.Since(last).Round(time.Second), left, len(where), ci.NumAckPending)
				} else {
					logf("fleet: no result for %s, %d of %d jobs awaited (is a worker running? autosnn worker --nats URL)",
						time.Since(last).Round(time.Second), left, len(where))
				}
			}
		case <-ctx.Done():
			return nil, st, ctx.Err()
		}
	}
	return out, st, nil
}
