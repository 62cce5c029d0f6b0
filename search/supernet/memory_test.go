package supernet

import (
	"context"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir/heapwatch"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
)

// TestMemoryEstimate compares Memory with the measured peak live heap of
// building a super-network and training it for twelve batches (enough for every candidate to run), at two
// network and batch sizes.
func TestMemoryEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures peak heap of real runs")
	}
	for _, tc := range []struct{ C, B int }{{4, 8}, {8, 32}} {
		base := frontend.Spec{Name: "m", Channels: tc.C, T: 4, Input: []int{1, 16, 16}, Classes: 10, Neuron: "plif"}
		space, err := search.NewSpace("snn1", base)
		if err != nil {
			t.Fatal(err)
		}
		est, err := Memory(space, tc.B, true)
		if err != nil {
			t.Fatal(err)
		}
		got := heapwatch.Peak(func() {
			tr, err := NewTrainer(space, train.Hyper{Epochs: 1, Batch: tc.B, LR: 1e-3, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if err := tr.Run(context.Background(), &synth{shape: []int{1, 16, 16}, classes: 10, n: 12 * tc.B, batch: tc.B}); err != nil {
				t.Fatal(err)
			}
		})
		r := float64(est)/float64(got) - 1
		t.Logf("C=%d batch %d: measured %d bytes, estimated %d (%+.0f%%)", tc.C, tc.B, got, est, 100*r)
		if err := heapwatch.Check(est, got); err != nil {
			t.Errorf("C=%d batch %d: Memory: %v", tc.C, tc.B, err)
		}
	}
}
