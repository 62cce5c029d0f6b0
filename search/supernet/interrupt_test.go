package supernet

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
)

// TestInterruptResume cancels a super-network run after steps 3 (epoch 1)
// and 8 (epoch 2), with no periodic checkpoint: the run must write the
// stop point itself, and resuming from it must end bit-identical to an
// uninterrupted run.
func TestInterruptResume(t *testing.T) {
	sp := tinySpace(t, "snn1")
	full := mkTrainer(t, sp, tinyHyper(2))
	if err := full.Run(context.Background(), tinyData()); err != nil {
		t.Fatal(err)
	}
	for _, stop := range []int{3, 8} { // 6 batches per epoch
		path := filepath.Join(t.TempDir(), "s.ckpt")
		first := mkTrainer(t, sp, tinyHyper(2))
		first.Checkpoint = path
		ctx, cancel := context.WithCancel(context.Background())
		first.Paths = func(step int, a search.Arch) {
			if step == stop {
				cancel() // seen before the next batch
			}
		}
		err := first.Run(ctx, tinyData())
		cancel()
		var ie *train.Interrupted
		if !errors.As(err, &ie) || ie.Checkpoint != path || ie.Step != stop+1 {
			t.Fatalf("stop after step %d: got %v, want an interruption at step %d written to %s", stop, err, stop+1, path)
		}
		c, err := ReadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.Step != stop+1 || c.Epoch*6+c.Batch != stop+1 {
			t.Fatalf("stop after step %d: checkpoint at epoch %d batch %d step %d", stop, c.Epoch, c.Batch, c.Step)
		}
		res, err := Resume(c, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Run(context.Background(), tinyData()); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(snapshot(full.Net), snapshot(res.Net)); d != "" {
			t.Errorf("stop after step %d: resumed weights differ (-full +resumed):\n%s", stop, d)
		}
		if d := cmp.Diff(full.Opt.State(), res.Opt.State()); d != "" {
			t.Errorf("stop after step %d: Adam state differs (-full +resumed):\n%s", stop, d)
		}
		if full.NAvg() != res.NAvg() {
			t.Errorf("stop after step %d: N_avg resumed %v, full %v", stop, res.NAvg(), full.NAvg())
		}
		res.Close()
	}
}
