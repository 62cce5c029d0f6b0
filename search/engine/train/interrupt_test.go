package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInterruptResumeBitIdentical stops a run by cancelling its context at
// several points (inside the first epoch, inside the evaluation that ends
// it, inside the second epoch), with no periodic checkpoint: the checkpoint
// written at the stop point must resume to the state of an uninterrupted
// run, bit for bit.
func TestInterruptResumeBitIdentical(t *testing.T) {
	data := func() *synth { return &synth{n: 40, batch: 8, seed: 1, nanAt: -1} }
	a, err := NewTrainer(tinyGraph(t), tinyHyper)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Run(context.Background(), data()); err != nil {
		t.Fatal(err)
	}
	want := state(a)
	// Batches served, training and evaluation alike: epoch 1 trains on
	// 1-5 and evaluates on 6-10, epoch 2 trains on 11-15.
	for _, c := range []struct {
		name                    string
		stopAfter               int
		epoch, batch, step      int // where the checkpoint must stand
		wantEpoch, wantBatchErr int // what the error reports (1-based epoch)
	}{
		{"epoch 1 batch 3", 3, 0, 2, 2, 1, 2},
		{"evaluation after epoch 1", 7, 0, 5, 5, 1, 5},
		{"epoch 2 batch 2", 12, 1, 1, 6, 2, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b, err := NewTrainer(tinyGraph(t), tinyHyper)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			b.Checkpoint, b.EvalEachEpoch = filepath.Join(dir, "run.ckpt"), true
			src := data()
			src.stopAfter, src.cancel = c.stopAfter, cancel
			err = b.Run(ctx, src)
			var ie *Interrupted
			if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
				t.Fatalf("got error %v, want an *Interrupted wrapping the cancellation", err)
			}
			if ie.Checkpoint != b.Checkpoint || ie.Epoch != c.wantEpoch || ie.Batch != c.wantBatchErr || ie.Step != c.step {
				t.Errorf("got %+v, want checkpoint %s, epoch %d, batch %d, step %d", ie, b.Checkpoint, c.wantEpoch, c.wantBatchErr, c.step)
			}
			ck, err := ReadCheckpoint(b.Checkpoint)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Epoch != c.epoch || ck.Batch != c.batch || ck.Step != c.step {
				t.Fatalf("checkpoint at epoch %d batch %d step %d, want %d, %d, %d", ck.Epoch, ck.Batch, ck.Step, c.epoch, c.batch, c.step)
			}
			r, err := Resume(ck, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.Checkpoint, r.EvalEachEpoch = b.Checkpoint, true
			if err := r.Run(context.Background(), data()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, state(r), bitsEqual); diff != "" {
				t.Errorf("interrupted and resumed run differs from an uninterrupted one (-want +got):\n%s", diff)
			}
			if len(r.History) != 2 || r.History[0].Samples != 40 || r.History[1].Samples != 40 {
				t.Errorf("history %+v, want 2 epochs of 40 samples", r.History)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("%s holds %d files, want the checkpoint alone", dir, len(ents))
			}
		})
	}
}

// TestStopAtKeepsFailures checks that an error of a run whose context is
// not done is returned as it is, with nothing saved.
func TestStopAtKeepsFailures(t *testing.T) {
	fail := errors.New("train: NaN")
	saved := false
	save := func(string) error { saved = true; return nil }
	if err := StopAt(context.Background(), fail, "train", 0, 1, 1, "x.ckpt", save); err != fail || saved {
		t.Errorf("StopAt of a failure = %v (saved %v), want the failure unchanged and nothing saved", err, saved)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := StopAt(ctx, fail, "train", 0, 1, 1, "x.ckpt", func(string) error { return errors.New("disk full") })
	if err == nil || errors.As(err, new(*Interrupted)) {
		t.Errorf("StopAt with a failing save = %v, want the save's error", err)
	}
}
