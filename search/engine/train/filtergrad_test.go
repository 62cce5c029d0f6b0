package train

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// TestFilterRegMatchesEvents checks that the register-stationary filter
// gradient (filterImagesReg) gives the bits of the event loop it replaces
// (filterImages): the same fused multiply-adds in the same order per
// gradient value, for every chunk size, banded and not, on sparse analog
// inputs (negative values too), on spikes (values 1, which the binary path
// does not read) and on images without events.
func TestFilterRegMatchesEvents(t *testing.T) {
	ws := tensor.NewWorkspace(1)
	defer ws.Close()
	for _, c := range []struct {
		cin, cout, k, h, w, n int
		density               float64
	}{
		{3, 8, 3, 5, 7, 2, 0.2}, {16, 16, 5, 32, 32, 2, 0.1}, {16, 16, 3, 32, 32, 2, 0.02}, {4, 32, 5, 9, 6, 3, 0.25},
		{8, 64, 3, 4, 4, 2, 0.2}, {2, 8, 1, 3, 5, 2, 0.25}, {5, 24, 5, 1, 12, 2, 0.2}, {32, 64, 1, 8, 8, 2, 0.1},
		{64, 64, 5, 8, 8, 2, 0.1}, {6, 72, 1, 6, 6, 2, 0.2}, {3, 16, 3, 6, 6, 3, 0},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			n, chunks, ok := filterPlan(c.k, c.k/2, c.cout)
			if !ok {
				t.Fatalf("filterPlan(%d, %d, %d) does not apply", c.k, c.k/2, c.cout)
			}
			rng := rand.New(rand.NewPCG(uint64(c.cin), uint64(c.cout*10+c.k)))
			conv := nn.NewConv2d("c", c.cin, c.cout, c.k, 1, c.k/2, rng, ws)
			sc := newSpikeConv(conv, ws)
			x := nn.NewTensor(1, c.n, c.cin, c.h, c.w)
			binary := c.cout%16 == 0 // the binary path (values not read) on some shapes
			for i := range x.Data {
				if rng.Float64() < c.density {
					x.Data[i] = 1
					if !binary {
						x.Data[i] = float32(rng.NormFloat64())
					}
				}
			}
			if _, err := sc.Forward(x); err != nil {
				t.Fatal(err)
			}
			if !sc.sparse {
				t.Fatal("dense path taken")
			}
			dy := make([]float32, c.n*c.cout*c.h*c.w)
			for i := range dy {
				dy[i] = float32(rng.NormFloat64())
			}
			want := make([]float32, len(conv.Weight.Data))
			for i := range want {
				want[i] = float32(rng.NormFloat64())
			}
			got := append([]float32(nil), want...)
			sc.filterImages(0, c.n, dy, make([]float32, c.cout*c.h*c.w), want)
			var fb filterBufs
			sc.fromSource = binary // as if listed by spiking neurons
			sc.setFilterTabs(sc.shape.W + 2*sc.Pad)
			sc.filterImagesReg(0, c.n, dy, &fb, got, n, chunks)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("filterImagesReg differs from filterImages (-events +reg):\n%.400s", d)
			}
		})
	}
}

// TestFilterPlan checks the chunking of reversed filter rows.
func TestFilterPlan(t *testing.T) {
	for _, c := range []struct{ k, pad, cout, n, chunks int }{
		{3, 1, 16, 6, 1}, {5, 2, 16, 10, 1}, {3, 1, 32, 12, 1}, {5, 2, 32, 10, 2}, {3, 1, 64, 12, 2},
		{5, 2, 64, 10, 4}, {1, 0, 16, 2, 1}, {1, 0, 64, 8, 1}, {1, 0, 104, 0, 0}, {3, 0, 16, 0, 0},
		{4, 1, 16, 0, 0}, {3, 1, 12, 0, 0},
	} {
		n, chunks, ok := filterPlan(c.k, c.pad, c.cout)
		if n != c.n || chunks != c.chunks || ok != (c.n > 0) {
			t.Errorf("filterPlan(%d, %d, %d) = %d, %d, %v, want %d, %d, %v", c.k, c.pad, c.cout, n, chunks, ok, c.n, c.chunks, c.n > 0)
		}
	}
}

// TestGeneratedAssemblyUpToDate fails when an assembly file differs from
// what its generator writes (the generators need only the standard
// library). -short skips it.
func TestGeneratedAssemblyUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	for _, c := range []struct{ gen, file string }{
		{"./internal/filtergen", "filtergrad_amd64.s"},
		{"./internal/pixgen", "pixevents_amd64.s"},
	} {
		out := filepath.Join(t.TempDir(), c.file)
		cmd := exec.Command("go", "run", c.gen, "-out", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("running %s: %v\n%s", c.gen, err, msg)
		}
		want, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./search/engine/train", c.file)
		}
	}
}

// TestBackwardFusedMatchesSeparate checks that the fused backward (one pass
// over the images for the filter and input gradients) gives the bits of
// the separate passes, with several workers, and that shapes without a
// fused path (1x1 kernels, odd sizes) still get both gradients.
func TestBackwardFusedMatchesSeparate(t *testing.T) {
	for _, c := range []struct {
		cin, cout, k, h, w, n int
		fused                 bool
	}{
		{16, 16, 5, 32, 32, 20, true}, {16, 32, 3, 16, 16, 35, true}, {64, 64, 5, 8, 8, 40, true},
		{32, 64, 1, 8, 8, 17, false}, {8, 16, 3, 7, 9, 18, true}, {16, 16, 5, 9, 11, 7, true},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			ws := tensor.NewWorkspace(3)
			defer ws.Close()
			rng := rand.New(rand.NewPCG(uint64(c.cin), uint64(c.n)))
			conv := nn.NewConv2d("c", c.cin, c.cout, c.k, 1, c.k/2, rng, ws)
			sc := newSpikeConv(conv, ws)
			x := nn.NewTensor(1, c.n, c.cin, c.h, c.w)
			for i := range x.Data {
				if rng.IntN(10) == 0 {
					x.Data[i] = 1
				}
			}
			y, err := sc.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			dy := nn.NewTensor(y.Shape...)
			for i := range dy.Data {
				dy.Data[i] = float32(rng.NormFloat64())
			}
			clear(conv.Weight.Grad)
			dx, err := sc.Backward(dy)
			if err != nil {
				t.Fatal(err)
			}
			gotDX := append([]float32(nil), dx.Data...)
			gotDW := append([]float32(nil), conv.Weight.Grad...)
			clear(conv.Weight.Grad)
			// Builds without the Winograd kernels (purego) have no fused path.
			want := c.fused && tensor.HasBackwardDataImages(sc.shape, ws)
			if ran := sc.backwardFused(dy.Data, nil); ran != want {
				t.Errorf("backwardFused ran = %v, want %v", ran, want)
			}
			clear(conv.Weight.Grad)
			sc.backwardFilterSparse(dy.Data)
			wantDX := make([]float32, len(x.Data))
			tensor.Conv2DBackwardData(sc.shape, dy.Data, conv.Weight.Data, wantDX, ws)
			if d := cmp.Diff(wantDX, gotDX); d != "" {
				t.Errorf("input gradient (-separate +Backward):\n%.300s", d)
			}
			if d := cmp.Diff(conv.Weight.Grad, gotDW); d != "" {
				t.Errorf("filter gradient (-separate +Backward):\n%.300s", d)
			}
		})
	}
}

// TestBackwardConvBNFused checks that a spike convolution and its
// batch-norm give, through the fused backward (the convolution applying the
// batch-norm's gradient map image by image), the bits of the layer-by-layer
// backward: input, filter, and batch-norm weight and bias gradients, in
// training (batch statistics) and evaluation.
func TestBackwardConvBNFused(t *testing.T) {
	for _, training := range []bool{true, false} {
		t.Run(fmt.Sprintf("training=%v", training), func(t *testing.T) {
			ws := tensor.NewWorkspace(2)
			defer ws.Close()
			workers := nn.NewWorkers(2)
			defer workers.Close()
			const steps, batch, cin, cout, k, hw = 3, 6, 16, 16, 5, 8
			var grads [2][][]float32
			for pass := range 2 {
				r := rand.New(rand.NewPCG(8, 8))
				conv := nn.NewConv2d("c", cin, cout, k, 1, k/2, r, ws)
				sc := newSpikeConv(conv, ws)
				sc.SetTraining(training)
				bn := nn.NewBatchNorm("bn", cout)
				bn.Workers = workers
				for i := range bn.Weight.Data {
					bn.Weight.Data[i] = float32(1 + r.NormFloat64()/4)
					bn.Bias.Data[i] = float32(r.NormFloat64() / 4)
					bn.RunningMean.Data[i] = float32(r.NormFloat64() / 4)
					bn.RunningVar.Data[i] = float32(1 + r.Float64())
				}
				bn.SetTraining(training)
				m := &projMod{conv: conv, bn: bn, layers: []nn.Layer{sc, bn}}
				x := nn.NewTensor(steps, batch, cin, hw, hw)
				for i := range x.Data {
					if r.IntN(10) == 0 {
						x.Data[i] = 1
					}
				}
				if _, err := m.forward(x); err != nil {
					t.Fatal(err)
				}
				dy := nn.NewTensor(steps, batch, cout, hw, hw)
				for i := range dy.Data {
					dy.Data[i] = float32(r.NormFloat64())
				}
				var dx *nn.Tensor
				var err error
				if pass == 0 {
					dx, err = m.backward(dy)
				} else {
					var d *nn.Tensor
					if d, err = bn.Backward(dy); err == nil {
						dx, err = sc.Backward(d)
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				if pass == 0 && !sc.canFuse() {
					if !tensor.HasBackwardDataImages(sc.shape, ws) {
						t.Skip("no fused path on this build")
					}
					t.Fatal("the fused path does not apply")
				}
				grads[pass] = [][]float32{append([]float32(nil), dx.Data...), conv.Weight.Grad, bn.Weight.Grad, bn.Bias.Grad}
			}
			for i, what := range []string{"input", "filter", "bn weight", "bn bias"} {
				if d := cmp.Diff(grads[1][i], grads[0][i]); d != "" {
					t.Errorf("%s gradient (-layer by layer +fused):\n%.300s", what, d)
				}
			}
		})
	}
}

// TestStepBackwardMatchesLayered checks that the timestep-by-timestep
// backward of convolution stages (segment.backwardStageSteps) gives the
// bits of the layer-by-layer pass: loss, every parameter gradient, and the
// next step's loss after an Adam update, on a net with several such
// stages; and that it ran.
func TestStepBackwardMatchesLayered(t *testing.T) {
	probe := tensor.NewWorkspace(1)
	defer probe.Close()
	if !tensor.HasBackwardDataImages(tensor.ConvShape{N: 1, Cin: 8, H: 8, W: 8, Cout: 8, KH: 3, KW: 3, Stride: 1, Pad: 1}, probe) {
		t.Skip("no one-pass convolution backward on this build (purego), so no step-by-step stages")
	}
	spec := frontend.DefaultSpec("SRB_k3", "SCB_k5", "skip", "SCB_k3", "SRB_k5")
	spec.Channels, spec.Input, spec.T = 8, []int{3, 16, 16}, 3
	g, err := frontend.Lower(spec)
	if err != nil {
		t.Fatal(err)
	}
	run := func(noSteps bool) ([]float64, [][]float32, int) {
		env := NewEnv(2)
		defer env.Close()
		env.NoStepBackward = noSteps
		net, err := BuildEnv(g, rand.New(rand.NewPCG(4, 4)), env)
		if err != nil {
			t.Fatal(err)
		}
		opt := nn.NewAdam(net.Params(), 1e-2)
		x := randomInput(net, 8, rand.New(rand.NewPCG(6, 6)))
		labels := []int{1, 2, 3, 4, 5, 6, 7, 8}
		var losses []float64
		var grads [][]float32
		for range 2 {
			loss, err := net.Forward(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, loss)
			nn.ZeroGrad(net.Params())
			if err := net.Backward(); err != nil {
				t.Fatal(err)
			}
			for _, p := range net.Params() {
				grads = append(grads, append([]float32(nil), p.Grad...))
			}
			opt.Step()
		}
		return losses, grads, net.seg.stepRuns
	}
	wantLoss, wantGrads, _ := run(true)
	gotLoss, gotGrads, runs := run(false)
	if runs < 4 { // two steps, at least two such stages each
		t.Fatalf("%d stage passes went step by step, want at least 4", runs)
	}
	if !cmp.Equal(wantLoss, gotLoss) || !cmp.Equal(wantGrads, gotGrads) {
		t.Errorf("step-by-step backward differs from layer by layer: losses %v vs %v", gotLoss, wantLoss)
	}
}
