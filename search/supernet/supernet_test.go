package supernet

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/train"
)

func mkTrainer(t *testing.T, space search.Space, h train.Hyper) *Trainer {
	t.Helper()
	tr, err := NewTrainer(space, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// snapshot returns every parameter and buffer by name.
func snapshot(net *SuperNet) map[string][]float32 {
	m := map[string][]float32{}
	for _, p := range append(append([]*nn.Param(nil), net.Params()...), net.Buffers()...) {
		m[p.Name] = append([]float32(nil), p.Data...)
	}
	return m
}

func TestSamplingSeeded(t *testing.T) {
	run := func(seed uint64) ([]string, map[string][]float32) {
		h := tinyHyper(1)
		h.Seed = seed
		tr := mkTrainer(t, tinySpace(t, "snn1"), h)
		var paths []string
		tr.Paths = func(step int, a search.Arch) { paths = append(paths, a.Key()) }
		if err := tr.Run(context.Background(), tinyData()); err != nil {
			t.Fatal(err)
		}
		return paths, snapshot(tr.Net)
	}
	p1, w1 := run(3)
	p2, w2 := run(3)
	if d := cmp.Diff(p1, p2); d != "" {
		t.Errorf("same seed, different paths (-first +second):\n%s", d)
	}
	if d := cmp.Diff(w1, w2); d != "" {
		t.Errorf("same seed, different super-network weights (-first +second):\n%s", d)
	}
	p3, _ := run(4)
	if cmp.Equal(p1, p3) {
		t.Errorf("seeds 3 and 4 sampled the same paths %v", p1)
	}
	// The trainer draws its paths from the documented generator.
	sp := tinySpace(t, "snn1")
	rng := rand.New(rand.NewPCG(3, pathStream))
	for i, k := range p1 {
		if want := sp.Random(rng).Key(); k != want {
			t.Fatalf("path %d: got %s, want %s (PCG(seed, 0x%x))", i, k, want, pathStream)
		}
	}
}

func TestSamplingUniform(t *testing.T) {
	// Each position's candidate is uniform: chi-square over 5 x 5 cells
	// of 10,000 draws of the generator the trainer uses.
	sp := tinySpace(t, "snn1")
	rng := rand.New(rand.NewPCG(11, pathStream))
	const n = 10000
	counts := make([][]int, sp.Positions)
	for i := range counts {
		counts[i] = make([]int, len(sp.Candidates))
	}
	for range n {
		for pos, c := range sp.Random(rng) {
			counts[pos][c]++
		}
	}
	exp := float64(n) / float64(len(sp.Candidates))
	for pos, row := range counts {
		var chi float64
		for _, c := range row {
			chi += (float64(c) - exp) * (float64(c) - exp) / exp
		}
		// 4 degrees of freedom: P(chi2 > 18.47) = 0.001.
		if chi > 18.47 {
			t.Errorf("position %d: counts %v, chi-square %.1f, want <= 18.47", pos+1, row, chi)
		}
	}
}

func TestOnlySampledParamsChange(t *testing.T) {
	tr := mkTrainer(t, tinySpace(t, "snn1"), tinyHyper(1))
	data := tinyData()
	data.n = data.batch // one step
	var path search.Arch
	tr.Paths = func(step int, a search.Arch) { path = a }
	before := snapshot(tr.Net)
	if err := tr.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	after := snapshot(tr.Net)
	changed := 0
	for i, p := range tr.Net.Params() {
		same := cmp.Equal(before[p.Name], after[p.Name])
		if !tr.Net.OnPath(i, path) && !same {
			t.Errorf("parameter %s is off path %s but changed", p.Name, path.Key())
		}
		if !same {
			changed++
		}
		st := tr.Opt.State()[i]
		if on := tr.Net.OnPath(i, path); (st.Step == 1) != on {
			t.Errorf("parameter %s (on path %s: %v): Adam step %d", p.Name, path.Key(), on, st.Step)
		}
	}
	if changed == 0 {
		t.Errorf("no parameter changed after a step on path %s", path.Key())
	}
	for _, b := range tr.Net.Buffers() {
		if strings.HasPrefix(b.Name, "blocks.") && !onPathName(tr.Net, b.Name, path) && !cmp.Equal(before[b.Name], after[b.Name]) {
			t.Errorf("batch-norm statistic %s is off path %s but changed", b.Name, path.Key())
		}
	}
}

// onPathName reports whether a block tensor name ("blocks.<pos>.<cand>....")
// is on path a.
func onPathName(net *SuperNet, name string, a search.Arch) bool {
	parts := strings.SplitN(name, ".", 4)
	for pos := range a {
		if parts[1] == string(rune('0'+pos)) && parts[2] == net.Space().Candidates[a[pos]] {
			return true
		}
	}
	return false
}

// randomArchs returns n distinct random architectures of sp drawn with
// seed.
func randomArchs(sp search.Space, n int, seed uint64) []search.Arch {
	return sp.RandomDistinct(rand.New(rand.NewPCG(seed, 1)), n)
}

func TestPrefixSharingExact(t *testing.T) {
	tr := mkTrainer(t, tinySpace(t, "snn1"), tinyHyper(1))
	if err := tr.Run(context.Background(), tinyData()); err != nil {
		t.Fatal(err)
	}
	archs := randomArchs(tr.Net.Space(), 40, 5)
	archs = append(archs, archs[3]) // a duplicate shares a leaf
	for _, recal := range []int{0, 2} {
		shared := &Evaluator{Net: tr.Net, Data: tinyData(), Recalib: recal}
		got, err := shared.Evaluate(context.Background(), archs)
		if err != nil {
			t.Fatal(err)
		}
		alone := &Evaluator{Net: tr.Net, Data: tinyData(), Recalib: recal, NoShare: true}
		want, err := alone.Evaluate(context.Background(), archs)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("recalib %d: prefix sharing differs from unshared evaluation (-unshared +shared):\n%s", recal, d)
		}
		// One call per architecture, too.
		for i, a := range archs[:6] {
			one, err := (&Evaluator{Net: tr.Net, Data: tinyData(), Recalib: recal}).Evaluate(context.Background(), []search.Arch{a})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want[i], one[0]); d != "" {
				t.Errorf("recalib %d, arch %s: batch evaluation differs from evaluating it alone (-batch +alone):\n%s", recal, a.Key(), d)
			}
		}
		if shared.Stats.BlockRuns >= alone.Stats.BlockRuns {
			t.Errorf("recalib %d: shared evaluation ran %d blocks, unshared %d: want fewer", recal, shared.Stats.BlockRuns, alone.Stats.BlockRuns)
		}
	}
}

// TestFusedEvaluationExact checks that the fused inference paths of package
// train (per-image stage groups, pools fed from cache across the block /
// shared-part boundary) give the layered evaluation's results exactly, with
// and without recalibration and prefix sharing.
func TestFusedEvaluationExact(t *testing.T) {
	// The tiny space (2 channels, 8x8) takes the portable kernels; 8
	// channels at 16x16 the AVX2 ones.
	small, err := search.NewSpace("snn1", frontend.Spec{Name: "small", Channels: 8, T: 2, Input: []int{1, 16, 16}, Classes: 3, Neuron: "plif"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sp   search.Space
		data *synth
	}{
		{tinySpace(t, "snn1"), tinyData()},
		{small, &synth{shape: []int{1, 16, 16}, classes: 3, n: 24, batch: 8}},
	} {
		tr := mkTrainer(t, c.sp, tinyHyper(1))
		if err := tr.Run(context.Background(), c.data); err != nil {
			t.Fatal(err)
		}
		archs := randomArchs(tr.Net.Space(), 30, 11)
		for _, recal := range []int{0, 2} {
			for _, noShare := range []bool{false, true} {
				layered, err := (&Evaluator{Net: tr.Net, Data: c.data, Recalib: recal, NoShare: noShare, Layered: true}).Evaluate(context.Background(), archs)
				if err != nil {
					t.Fatal(err)
				}
				fused, err := (&Evaluator{Net: tr.Net, Data: c.data, Recalib: recal, NoShare: noShare}).Evaluate(context.Background(), archs)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(layered, fused); d != "" {
					t.Errorf("%s recalib %d noshare %v: fused evaluation differs from the layered one (-layered +fused):\n%s", c.sp.Name, recal, noShare, d)
				}
			}
		}
	}
}

func TestEvaluateMatchesForward(t *testing.T) {
	// The evaluator's accuracy and spikes equal a plain eval-mode Forward
	// of each path over the validation batches.
	tr := mkTrainer(t, tinySpace(t, "snn1"), tinyHyper(1))
	if err := tr.Run(context.Background(), tinyData()); err != nil {
		t.Fatal(err)
	}
	archs := randomArchs(tr.Net.Space(), 5, 9)
	got, err := (&Evaluator{Net: tr.Net, Data: tinyData()}).Evaluate(context.Background(), archs)
	if err != nil {
		t.Fatal(err)
	}
	net := tr.Net
	for i, a := range archs {
		net.SetTraining(false)
		it, _ := tinyData().Eval(context.Background())
		var correct, images int
		var spikes int64
		var pred []int
		for it.Next() {
			b := it.Batch()
			_, s, err := net.Forward(&nn.Tensor{Shape: b.Shape, Data: b.X}, b.Labels, a)
			if err != nil {
				t.Fatal(err)
			}
			pred = net.Predict(pred)
			for j, p := range pred {
				if p == b.Labels[j] {
					correct++
				}
			}
			images += len(b.Labels)
			spikes += s
		}
		net.SetTraining(true)
		want := search.Evaluation{Acc: float64(correct) / float64(images), Spikes: float64(spikes) / float64(images)}
		if got[i].Acc != want.Acc || got[i].Spikes != want.Spikes {
			t.Errorf("arch %s: evaluator gives acc %v spikes %v, Forward gives %v %v", a.Key(), got[i].Acc, got[i].Spikes, want.Acc, want.Spikes)
		}
		var sum float64
		for _, v := range got[i].PopSpikes {
			sum += v
		}
		// The paper metric is the sum of the spiking and max-pool populations.
		if math.Abs(sum-got[i].Spikes) > 1e-9*math.Max(1, sum) {
			t.Errorf("arch %s: population spikes sum to %v, want %v", a.Key(), sum, got[i].Spikes)
		}
		g, err := frontend.Lower(net.Space().Spec(a))
		if err != nil {
			t.Fatal(err)
		}
		for name := range got[i].PopSpikes {
			if g.Pop(name) == nil {
				t.Errorf("arch %s: PopSpikes names %q, which is not a population of its graph", a.Key(), name)
			}
		}
	}
}

func TestCheckpointNAvgAndResume(t *testing.T) {
	dir := t.TempDir()
	sp := tinySpace(t, "snn1")
	// Uninterrupted: 2 epochs.
	full := mkTrainer(t, sp, tinyHyper(2))
	if err := full.Run(context.Background(), tinyData()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		every int // checkpoint every batches (mid-epoch resume)
		stopE int // stop after this many epochs
	}{{"epoch boundary", 0, 1}, {"mid-epoch", 2, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".ckpt")
			h := tinyHyper(tc.stopE)
			first := mkTrainer(t, sp, h)
			first.Checkpoint = path
			if tc.every > 0 {
				// Run one full epoch, then stop after the first two batches of the next.
				h.Epochs = 2
				first.Hyper.Epochs = 2
				first.CheckpointEvery = tc.every
				ctx, cancel := context.WithCancel(context.Background())
				first.Paths = func(step int, a search.Arch) {
					if step == 8 { // 6 batches per epoch: stop at the 3rd batch of epoch 2
						cancel()
					}
				}
				if err := first.Run(ctx, tinyData()); err == nil {
					t.Fatal("run was not stopped")
				}
				cancel()
			} else if err := first.Run(context.Background(), tinyData()); err != nil {
				t.Fatal(err)
			}
			c, err := ReadCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			if c.NAvg <= 0 || c.NAvg != c.History[len(c.History)-1].Spikes {
				t.Errorf("checkpoint N_avg %v, want the last epoch's spikes/image %v (> 0)", c.NAvg, c.History[len(c.History)-1].Spikes)
			}
			if tc.every > 0 && c.Batch == 0 {
				t.Fatalf("checkpoint is at batch 0 of epoch %d, want mid-epoch", c.Epoch)
			}
			res, err := Resume(c, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			if err := res.Run(context.Background(), tinyData()); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(snapshot(full.Net), snapshot(res.Net)); d != "" {
				t.Errorf("resumed run differs from the uninterrupted one (-full +resumed):\n%s", d)
			}
			if d := cmp.Diff(full.Opt.State(), res.Opt.State()); d != "" {
				t.Errorf("Adam state differs (-full +resumed):\n%s", d)
			}
			fh, rh := full.History, res.History
			for i := range fh {
				fh[i].Seconds, rh[i].Seconds = 0, 0
			}
			if d := cmp.Diff(fh, rh); d != "" {
				t.Errorf("history differs (-full +resumed):\n%s", d)
			}
			if full.NAvg() != res.NAvg() {
				t.Errorf("N_avg: resumed %v, full %v", res.NAvg(), full.NAvg())
			}
		})
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	tr := mkTrainer(t, tinySpace(t, "snn1"), tinyHyper(1))
	good := filepath.Join(dir, "good.ckpt")
	if err := tr.Save(good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	flip := append([]byte(nil), data...)
	flip[len(flip)/2] ^= 0xff
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"other file", "not an autosnn super-network checkpoint", []byte("hello\n")},
		{"version", "format version 9", append([]byte("autosnn-supernet v9\n"), data[len("autosnn-supernet v1\n"):]...)},
		{"truncated", "checksum mismatch", data[:len(data)-10]},
		{"corrupted", "checksum mismatch", flip},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, tc.data, 0o644)
		_, err := ReadCheckpoint(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: got error %v, want one naming %s and saying %q", tc.name, err, p, tc.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	tr := mkTrainer(t, tinySpace(t, "snn1"), tinyHyper(1))
	net := tr.Net
	x := nn.NewTensor(2, 1, 8, 8)
	for _, tc := range []struct {
		name string
		x    *nn.Tensor
		a    search.Arch
		want string
	}{
		{"short arch", x, search.Arch{1, 2}, "has 2 blocks, want 5"},
		{"bad block", x, search.Arch{1, 2, 7, 0, 0}, "block 3 is 7"},
		{"bad shape", nn.NewTensor(2, 3, 8, 8), search.Arch{0, 0, 0, 0, 0}, "want [N 1 8 8]"},
	} {
		_, _, err := net.Forward(tc.x, nil, tc.a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := (&Evaluator{Net: net, Data: tinyData()}).Evaluate(context.Background(), []search.Arch{{9, 0, 0, 0, 0}}); err == nil {
		t.Error("Evaluate accepted block index 9")
	}
}

// TestEverySpaceAndInput builds the super-network of every space and the
// paper's input sizes (MNIST 1x28x28, DVS 2x128x128 frames) and takes a
// training step and an evaluation.
func TestEverySpaceAndInput(t *testing.T) {
	cases := []struct {
		space string
		input []int
		data  *synth
	}{
		{"snn1", []int{1, 28, 28}, &synth{shape: []int{1, 28, 28}, classes: 3, n: 4, batch: 4}},
		{"snn2", []int{1, 8, 8}, nil},
		{"snn3", []int{1, 16, 16}, nil}, // 8x8 would put k5 convs on 1x1 maps (search/engine/tensor panics there)
		{"snn4", []int{1, 8, 8}, nil},
		{"snn1-8", []int{1, 8, 8}, nil},
		{"ann", []int{1, 8, 8}, nil},
		{"snn1", []int{2, 128, 128}, &synth{shape: []int{2, 2, 128, 128}, frames: true, classes: 3, n: 2, batch: 2}},
	}
	if testing.Short() {
		cases = cases[:len(cases)-1]
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%dx%dx%d", tc.space, tc.input[0], tc.input[1], tc.input[2]), func(t *testing.T) {
			base := frontend.Spec{Name: "t", Channels: 2, T: 2, Input: tc.input, Classes: 3}
			sp, err := search.NewSpace(tc.space, base)
			if err != nil {
				t.Fatal(err)
			}
			data := tc.data
			if data == nil {
				data = &synth{shape: tc.input, classes: 3, n: 8, batch: 4}
			}
			tr := mkTrainer(t, sp, tinyHyper(1))
			if err := tr.Run(context.Background(), data); err != nil {
				t.Fatal(err)
			}
			res, err := (&Evaluator{Net: tr.Net, Data: data, Recalib: 1}).Evaluate(context.Background(), randomArchs(sp, 3, 1))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Acc < 0 || r.Acc > 1 || r.Spikes < 0 || math.IsNaN(r.Spikes) {
					t.Errorf("evaluation %+v out of range", r)
				}
				if tc.space == "ann" && r.Spikes != 0 {
					t.Errorf("ANN space: spikes %v, want 0", r.Spikes)
				}
			}
		})
	}
}

// TestPathMatchesNet checks a super-network path against the plain
// network of the same architecture (search/engine/train.Build) with the same
// weights: equal loss, predictions, spikes and parameter gradients.
func TestPathMatchesNet(t *testing.T) {
	sp := tinySpace(t, "snn1")
	tr := mkTrainer(t, sp, tinyHyper(1))
	if err := tr.Run(context.Background(), tinyData()); err != nil {
		t.Fatal(err)
	}
	sn := tr.Net
	for _, a := range []search.Arch{{3, 4, 0, 1, 2}, {0, 0, 0, 0, 0}, {4, 3, 2, 1, 4}} {
		g, err := frontend.Lower(sp.Spec(a))
		if err != nil {
			t.Fatal(err)
		}
		net, err := train.Build(g, rand.New(rand.NewPCG(9, 9)))
		if err != nil {
			t.Fatal(err)
		}
		// Copy the path's weights into the net.
		byName := map[string]*nn.Param{}
		for i, p := range sn.Params() {
			if sn.OnPath(i, a) {
				byName[pathName(sn, p.Name)] = p
			}
		}
		for _, p := range sn.Buffers() {
			if !strings.HasPrefix(p.Name, "blocks.") || onPathName(sn, p.Name, a) {
				byName[pathName(sn, p.Name)] = p
			}
		}
		for _, p := range append(append([]*nn.Param(nil), net.Params()...), net.Buffers()...) {
			q := byName[p.Name]
			if q == nil {
				t.Fatalf("arch %s: net parameter %s has no super-network counterpart", a.Key(), p.Name)
			}
			copy(p.Data, q.Data)
		}
		it, _ := tinyData().Eval(context.Background())
		it.Next()
		b := it.Batch()
		x := &nn.Tensor{Shape: b.Shape, Data: b.X}
		nn.ZeroGrad(sn.Params())
		nn.ZeroGrad(net.Params())
		l1, s1, err := sn.Forward(x, b.Labels, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := sn.Backward(); err != nil {
			t.Fatal(err)
		}
		l2, err := net.Forward(x, b.Labels)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.Backward(); err != nil {
			t.Fatal(err)
		}
		p2, _ := net.SpikeMetrics()
		if l1 != l2 || s1 != p2 {
			t.Errorf("arch %s: super-network loss %v spikes %d, net loss %v spikes %d", a.Key(), l1, s1, l2, p2)
		}
		if d := cmp.Diff(net.Predict(nil), sn.Predict(nil)); d != "" {
			t.Errorf("arch %s: predictions differ (-net +supernet):\n%s", a.Key(), d)
		}
		for _, p := range net.Params() {
			if d := cmp.Diff(p.Grad, byName[p.Name].Grad); d != "" {
				t.Errorf("arch %s: gradient of %s differs (-net +supernet):\n%s", a.Key(), p.Name, d)
			}
		}
		net.Close()
	}
}

// pathName maps a super-network tensor name to the plain network's
// ("blocks.2.SRB_k5.conv1.weight" -> "blocks.2.conv1.weight").
func pathName(sn *SuperNet, name string) string {
	parts := strings.SplitN(name, ".", 4)
	if len(parts) == 4 && parts[0] == "blocks" {
		for _, c := range sn.Space().Candidates {
			if parts[2] == c {
				return parts[0] + "." + parts[1] + "." + parts[3]
			}
		}
	}
	return name
}
