package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir/heapwatch"
)

// TestMemoryEstimate compares Memory with the measured peak live heap of
// training (three batches, Adam) and of an evaluation, at two network
// sizes and two batch sizes.
func TestMemoryEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures peak heap of real runs")
	}
	for _, tc := range []struct{ C, B int }{{4, 8}, {8, 32}} {
		s := frontend.DefaultSpec("SRB_k5", "SRB_k5", "skip", "SRB_k3", "SRB_k5")
		s.Name, s.Channels, s.T, s.Input = "m", tc.C, 4, []int{1, 16, 16}
		g, err := frontend.Lower(s)
		if err != nil {
			t.Fatal(err)
		}
		train := heapwatch.Peak(func() {
			tr, err := NewTrainer(g, Hyper{Epochs: 1, Batch: tc.B, LR: 1e-3, Seed: 1, Data: "synthetic"})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if err := tr.Run(context.Background(), &synth{n: 3 * tc.B, batch: tc.B, seed: 1, nanAt: -1}); err != nil {
				t.Fatal(err)
			}
		})
		eval := heapwatch.Peak(func() {
			net, err := Build(g, rand.New(rand.NewPCG(0, 0)))
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			if _, err := Evaluate(context.Background(), net, &synth{n: 3 * tc.B, batch: tc.B, seed: 1, nanAt: -1}, nil); err != nil {
				t.Fatal(err)
			}
		})
		for _, m := range []struct {
			what     string
			got, est int64
		}{{"train", train, Memory(g, tc.B, true)}, {"eval", eval, Memory(g, tc.B, false)}} {
			r := float64(m.est)/float64(m.got) - 1
			t.Logf("C=%d batch %d %s: measured %d bytes, estimated %d (%+.0f%%)", tc.C, tc.B, m.what, m.got, m.est, 100*r)
			if err := heapwatch.Check(m.est, m.got); err != nil {
				t.Errorf("C=%d batch %d %s: Memory: %v", tc.C, tc.B, m.what, err)
			}
		}
	}
}
