package train

import (
	"context"
	"math"
	"testing"

	"github.com/autosnn/autosnn/search/engine/nn"
)

// TestPaperSpikeRegulariser pins the paper's Table 10 term
// lambda_reg / (K T) * sum_t sum_k phi_k[t] on the tiny net, with K counted
// by hand: C = 2, T = 2, 16x16 input, blocks SRB_k3, skip, SCB_k3, skip,
// SRB_k3. Neurons per image: stem 2x16x16 = 512; SRB_k3 two layers of 512;
// (pool to 8x8) skip 2->4 channels, one layer of 4x8x8 = 256; SCB_k3 two of
// 256; (pool to 4x4) skip 4->8, one of 8x4x4 = 128; SRB_k3 two of 128; fc
// 10 classes x 10 = 100. K = 3x512 + 3x256 + 3x128 + 100 = 2788, K T = 5576.
func TestPaperSpikeRegulariser(t *testing.T) {
	const lambda, kt, batch = 0.1, 2 * 2788, 16
	h := tinyHyper
	h.SpikeReg = lambda
	tr, err := NewTrainer(tinyGraph(t), h)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	it, _ := (&synth{n: batch, batch: batch, seed: 7, nanAt: -1}).Eval(context.Background())
	it.Next()
	bt := it.Batch()
	if _, err := tr.Net.Forward(&nn.Tensor{Shape: bt.Shape, Data: bt.X}, bt.Labels); err != nil {
		t.Fatal(err)
	}
	if got := neuronSteps(tr.Net.Neurons(), batch); got != kt {
		t.Fatalf("K T = %v, want %v (counted by hand)", got, kt)
	}
	var spikes int64
	for _, n := range tr.Net.Neurons() {
		spikes += n.Spikes()
	}
	if spikes == 0 {
		t.Fatal("the tiny net fired no spikes: the test would not see the term")
	}
	got := tr.reg.value(tr.Net.Neurons(), batch)
	// Per image: lambda / (K T) times its spikes over all neurons and steps,
	// averaged over the batch = lambda x (mean firing rate).
	want := lambda * float64(spikes) / batch / kt
	if math.Abs(got-want) > 1e-12*want {
		t.Errorf("regulariser %v, want lambda/(K T) x spikes per image = %v", got, want)
	}
	// The backward pass adds d L_reg / d phi = lambda / (K T N) per output.
	for _, n := range tr.Net.Neurons() {
		if w := float32(lambda / kt); n.SpikeRegBeta != w {
			t.Fatalf("%s: gradient coefficient %v, want lambda/(K T) = %v", n.Name(), n.SpikeRegBeta, w)
		}
	}
	// One training step runs with the term (its loss includes it).
	if err := tr.Net.Backward(); err != nil {
		t.Fatal(err)
	}
}
