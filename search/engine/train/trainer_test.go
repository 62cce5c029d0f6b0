package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// synth is a deterministic synthetic dataset: 1x16x16 images of noise plus
// a bright 4x4 square whose position encodes the class (10 classes).
type synth struct {
	n, batch int
	seed     uint64
	// nanAt, when >= 0, puts a NaN into the batch with that index.
	nanAt int
	// stopAfter, when > 0, calls cancel after that many batches in total.
	stopAfter int
	cancel    func()
	served    int
}

func (s *synth) sample(rng *rand.Rand, x []float32) int {
	c := rng.IntN(10)
	for i := range x {
		x[i] = float32(rng.Float64() * 0.3)
	}
	oy, ox := 2+(c/5)*8, 1+(c%5)*3
	for y := oy; y < oy+4; y++ {
		for xx := ox; xx < ox+3; xx++ {
			x[y*16+xx] = 1
		}
	}
	return c
}

type synthIter struct {
	s    *synth
	rng  *rand.Rand
	left int
	b    dataset.Batch
	idx  int
}

func (s *synth) iter(epoch int) *synthIter {
	return &synthIter{s: s, rng: rand.New(rand.NewPCG(s.seed, uint64(epoch))), left: s.n, idx: -1}
}

func (s *synth) Train(ctx context.Context, epoch int) (Batches, error) { return s.iter(epoch + 1), nil }
func (s *synth) Eval(ctx context.Context) (Batches, error)             { return s.iter(0), nil }

func (it *synthIter) Next() bool {
	if it.left == 0 {
		return false
	}
	n := min(it.s.batch, it.left)
	it.left -= n
	it.idx++
	it.b = dataset.Batch{X: make([]float32, n*256), Labels: make([]int, n), Shape: []int{n, 1, 16, 16}, Index: it.idx}
	for i := range n {
		it.b.Labels[i] = it.s.sample(it.rng, it.b.X[i*256:(i+1)*256])
	}
	if it.idx == it.s.nanAt {
		it.b.X[7] = float32(math.NaN())
	}
	it.s.served++
	if it.s.stopAfter > 0 && it.s.served == it.s.stopAfter {
		it.s.cancel()
	}
	return true
}
func (it *synthIter) Batch() *dataset.Batch { return &it.b }
func (it *synthIter) Err() error            { return nil }
func (it *synthIter) Close()                {}
func (it *synthIter) Len() int              { return (it.s.n + it.s.batch - 1) / it.s.batch }

func tinyGraph(t *testing.T) *ir.Graph {
	t.Helper()
	s := frontend.DefaultSpec("SRB_k3", "skip", "SCB_k3", "skip", "SRB_k3")
	s.Name, s.Channels, s.T, s.Input = "tiny", 2, 2, []int{1, 16, 16}
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var tinyHyper = Hyper{Epochs: 2, Batch: 8, LR: 1e-2, Seed: 42, Data: "synthetic"}

// state returns every parameter, buffer and optimiser moment of a trainer.
func state(t *Trainer) map[string][]float32 {
	m := map[string][]float32{}
	for _, p := range append(append([]*nn.Param(nil), t.Net.Params()...), t.Net.Buffers()...) {
		m[p.Name] = append([]float32(nil), p.Data...)
	}
	for _, s := range t.Opt.State() {
		m["adam/"+s.Name+"/m"] = s.ExpAvg
		m["adam/"+s.Name+"/v"] = s.ExpAvgSq
	}
	return m
}

// bitsEqual compares float32 maps bit for bit (NaN-safe).
var bitsEqual = cmp.Comparer(func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) })

func TestResumeBitIdentical(t *testing.T) {
	dir := t.TempDir()
	// Uninterrupted: two epochs.
	a, err := NewTrainer(tinyGraph(t), tinyHyper)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Run(context.Background(), &synth{n: 40, batch: 8, seed: 1, nanAt: -1}); err != nil {
		t.Fatal(err)
	}
	want := state(a)

	t.Run("epoch boundary", func(t *testing.T) {
		h := tinyHyper
		h.Epochs = 1
		b, err := NewTrainer(tinyGraph(t), h)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		b.Checkpoint = filepath.Join(dir, "b.ckpt")
		if err := b.Run(context.Background(), &synth{n: 40, batch: 8, seed: 1, nanAt: -1}); err != nil {
			t.Fatal(err)
		}
		c, err := ReadCheckpoint(b.Checkpoint)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Resume(c, tinyGraph(t), 2)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Epoch != 1 || r.Batch != 0 || r.Step != 5 {
			t.Errorf("resumed at epoch %d batch %d step %d, want 1, 0, 5", r.Epoch, r.Batch, r.Step)
		}
		if err := r.Run(context.Background(), &synth{n: 40, batch: 8, seed: 1, nanAt: -1}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, state(r), bitsEqual); diff != "" {
			t.Errorf("1 epoch + resume 1 differs from 2 straight epochs (-want +got):\n%s", diff)
		}
		if len(r.History) != 2 || r.History[1].Samples != 40 {
			t.Errorf("history %+v, want 2 epochs of 40 samples", r.History)
		}
	})

	t.Run("mid-epoch after cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b, err := NewTrainer(tinyGraph(t), tinyHyper)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		b.Checkpoint = filepath.Join(dir, "c.ckpt")
		b.CheckpointEvery = 3
		// Stop during epoch 2 after its 4th batch: the checkpoint of its
		// 3rd batch is the last one written.
		err = b.Run(ctx, &synth{n: 40, batch: 8, seed: 1, nanAt: -1, stopAfter: 9, cancel: cancel})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got error %v, want cancellation", err)
		}
		c, err := ReadCheckpoint(b.Checkpoint)
		if err != nil {
			t.Fatal(err)
		}
		if c.Epoch != 1 || c.Batch != 3 {
			t.Fatalf("checkpoint at epoch %d batch %d, want 1 and 3", c.Epoch, c.Batch)
		}
		r, err := Resume(c, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.Run(context.Background(), &synth{n: 40, batch: 8, seed: 1, nanAt: -1}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, state(r), bitsEqual); diff != "" {
			t.Errorf("resumed mid-epoch run differs from 2 straight epochs (-want +got):\n%s", diff)
		}
		if got, want := r.History[1].Samples, 40; got != want {
			t.Errorf("resumed epoch saw %d samples, want %d", got, want)
		}
	})
}

func TestNaNStopsTraining(t *testing.T) {
	dir := t.TempDir()
	tr, err := NewTrainer(tinyGraph(t), tinyHyper)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Checkpoint = filepath.Join(dir, "n.ckpt")
	// Epoch 1 is clean and checkpointed; batch 2 of epoch 2 holds a NaN.
	src := &synth{n: 40, batch: 8, seed: 1, nanAt: -1}
	tr.Hyper.Epochs = 1
	if err := tr.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(tr.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	tr.Hyper.Epochs = 2
	src.nanAt = 2
	err = tr.Run(context.Background(), src)
	var nf *nn.NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("got error %v, want a *nn.NonFiniteError", err)
	}
	if nf.Layer != "stem.plif" || nf.Step != 7 {
		t.Errorf("non-finite error names layer %q step %d, want stem.plif and step 7 (%v)", nf.Layer, nf.Step, err)
	}
	if !strings.Contains(err.Error(), "epoch 2 batch 2") {
		t.Errorf("error %q does not name the epoch and batch", err)
	}
	after, err := os.ReadFile(tr.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("the last good checkpoint changed after the NaN")
	}
	if _, err := ReadCheckpoint(tr.Checkpoint); err != nil {
		t.Errorf("last good checkpoint unreadable: %v", err)
	}
}

func TestCheckpointRefused(t *testing.T) {
	dir := t.TempDir()
	tr, err := NewTrainer(tinyGraph(t), tinyHyper)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	path := filepath.Join(dir, "m.ckpt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	other := frontend.DefaultSpec("SRB_k5", "skip", "SCB_k3", "skip", "SRB_k3")
	other.Name, other.Channels, other.T, other.Input = "other", 2, 2, []int{1, 16, 16}
	og, err := frontend.Lower(other)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(c, og, 0); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("resume with another architecture: got %v, want an architecture error", err)
	}
	corrupt := func(f func([]byte) []byte) string {
		p := filepath.Join(dir, "bad.ckpt")
		if err := os.WriteFile(p, f(append([]byte(nil), good...)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
		want string
	}{
		{"version", func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "autosnn-checkpoint v1", "autosnn-checkpoint v9", 1))
		}, "format version 9"},
		{"magic", func(b []byte) []byte { return append([]byte("hello\n"), b...) }, "not an autosnn checkpoint"},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, "checksum"},
		{"flipped", func(b []byte) []byte { b[len(b)/3] ^= 0x40; return b }, "checksum"},
		{"empty", func(b []byte) []byte { return nil }, "not an autosnn checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCheckpoint(corrupt(tc.mod))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.ckpt") {
				t.Errorf("got error %v, want one naming the file and containing %q", err, tc.want)
			}
		})
	}
	// The stored graph is the compiler's input: weighted, executable.
	if _, err := ir.NewExecutor(c.Graph); err != nil {
		t.Errorf("checkpoint graph does not run on the reference executor: %v", err)
	}
}

// TestTrainingLearns checks that a few epochs on the synthetic set raise the
// accuracy well above chance (10%).
func TestTrainingLearns(t *testing.T) {
	h := tinyHyper
	h.Epochs = 4
	tr, err := NewTrainer(tinyGraph(t), h)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	src := &synth{n: 160, batch: 16, seed: 3, nanAt: -1}
	if err := tr.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(context.Background(), tr.Net, &synth{n: 64, batch: 16, seed: 4, nanAt: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accuracy < 0.5 {
		t.Errorf("eval accuracy %.3f after %d epochs (history %+v), want >= 0.5", res.Accuracy, h.Epochs, tr.History)
	}
	if res.SpikesPerImage <= 0 || res.NeuronSpikesPerImage <= 0 || res.NeuronSpikesPerImage > res.SpikesPerImage {
		t.Errorf("spikes per image: paper %v neuron %v, want 0 < neuron <= paper", res.SpikesPerImage, res.NeuronSpikesPerImage)
	}
	var sum float64
	for _, l := range res.Layers {
		if l.Counted {
			sum += l.Spikes
		}
		if l.Rate < 0 || l.Rate > 1 {
			t.Errorf("layer %s firing rate %v, want in [0, 1]", l.Layer, l.Rate)
		}
	}
	if math.Abs(sum-res.SpikesPerImage) > 1e-6*sum {
		t.Errorf("per-layer spikes sum to %v, want the total %v", sum, res.SpikesPerImage)
	}
}

// TestWorkersDeterminism checks that training gives the same bits with 1
// and 3 workers (kernel work splits depend only on shapes), so a run can be
// resumed on a machine with another core count.
func TestWorkersDeterminism(t *testing.T) {
	run := func(workers int) map[string][]float32 {
		env := NewEnv(workers)
		defer env.Close()
		pcg := rand.NewPCG(tinyHyper.Seed, 0x5eed)
		net, err := BuildEnv(tinyGraph(t), rand.New(pcg), env)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(net, pcg, tinyHyper)
		tr.Hyper.Epochs = 1
		if err := tr.Run(context.Background(), &synth{n: 32, batch: 16, seed: 5, nanAt: -1}); err != nil {
			t.Fatal(err)
		}
		return state(tr)
	}
	if diff := cmp.Diff(run(1), run(3), bitsEqual); diff != "" {
		t.Errorf("1 worker (-) vs 3 workers (+):\n%s", diff)
	}
}

// TestSpikeRegularisation checks that the regularised run reports the task
// loss plus lambda_reg/(K T) times the neuron spikes per image, and that a
// strong penalty lowers the spike count against an unregularised run.
func TestSpikeRegularisation(t *testing.T) {
	run := func(beta float64) (EpochStats, *Trainer) {
		h := tinyHyper
		h.Epochs, h.SpikeReg = 2, beta
		tr, err := NewTrainer(tinyGraph(t), h)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Run(context.Background(), &synth{n: 64, batch: 16, seed: 6, nanAt: -1}); err != nil {
			t.Fatal(err)
		}
		return tr.History[1], tr
	}
	plain, a := run(0)
	defer a.Close()
	reg, b := run(5)
	defer b.Close()
	if !(reg.Spikes < plain.Spikes) {
		t.Errorf("spikes per image with lambda_reg 5: %.0f, want fewer than without: %.0f", reg.Spikes, plain.Spikes)
	}
	// One more forward: the reported loss is task loss + lambda_reg/(K T) * spikes / N.
	it, _ := (&synth{n: 16, batch: 16, seed: 7, nanAt: -1}).Eval(context.Background())
	it.Next()
	bt := it.Batch()
	task, err := b.Net.Forward(&nn.Tensor{Shape: bt.Shape, Data: bt.X}, bt.Labels)
	if err != nil {
		t.Fatal(err)
	}
	var spikes int64
	for _, n := range b.Net.Neurons() {
		spikes += n.Spikes()
	}
	got := b.reg.value(b.Net.Neurons(), 16)
	if want := 5 * float64(spikes) / 16 / neuronSteps(b.Net.Neurons(), 16); math.Abs(got-want) > 1e-12*want || task <= 0 {
		t.Errorf("regulariser value %v, want %v (task loss %v)", got, want, task)
	}
}

// TestNaNInDeferredStage checks the screen of a stage whose neurons apply
// a deferred batch-norm (where the pass over the input current is skipped
// while the batch statistics are finite): a NaN weight in one of its
// convolutions must stop the forward with an error naming its neurons.
func TestNaNInDeferredStage(t *testing.T) {
	net, err := Build(tinyGraph(t), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	var target *stage
	for _, st := range net.seg.stages {
		if st.neuron != nil && st.neuron.In != nil && len(st.dynamic) == 1 && st.dynamic[0].conv != nil {
			target = st
		}
	}
	if target == nil {
		t.Fatal("no stage with a deferred batch-norm")
	}
	target.dynamic[0].conv.Weight.Data[0] = float32(math.NaN())
	x := nn.NewTensor(net.InputShape(4)...)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 3
	}
	_, err = net.Forward(x, []int{0, 1, 2, 3})
	var nf *nn.NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("got error %v, want a *nn.NonFiniteError", err)
	}
	if nf.Layer != target.name {
		t.Errorf("non-finite error names layer %q, want %q (%v)", nf.Layer, target.name, err)
	}
}
