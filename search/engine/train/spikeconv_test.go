package train

import (
	"fmt"
	"github.com/autosnn/autosnn/frontend"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/nn/fixture"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// TestSpikeConvMatchesDense compares the event-driven forward with the
// dense kernel on sparse binary and sparse analog inputs, and checks that
// dense inputs take the dense path.
func TestSpikeConvMatchesDense(t *testing.T) {
	ws := tensor.NewWorkspace(3)
	defer ws.Close()
	for _, c := range []struct{ cin, cout, k, h, w, steps, n int }{
		{4, 16, 3, 8, 8, 2, 3}, {4, 8, 3, 8, 8, 5, 9}, {3, 20, 5, 7, 9, 1, 2}, {5, 7, 1, 6, 6, 2, 2}, {2, 33, 3, 1, 5, 3, 1}, {16, 16, 5, 4, 4, 2, 2},
	} {
		for _, density := range []float64{0.05, 0.25, 0.9} {
			for _, analog := range []bool{false, true} {
				name := fmt.Sprintf("%+v/%v/analog=%v", c, density, analog)
				t.Run(name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(c.cin*100+c.k), uint64(density*100)))
					conv := nn.NewConv2d("c", c.cin, c.cout, c.k, 1, c.k/2, rng, ws)
					sc := newSpikeConv(conv, ws)
					x := nn.NewTensor(c.steps, c.n, c.cin, c.h, c.w)
					for i := range x.Data {
						if rng.Float64() < density {
							x.Data[i] = 1
							if analog {
								x.Data[i] = float32(rng.NormFloat64())
							}
						}
					}
					got, err := sc.Forward(x)
					if err != nil {
						t.Fatal(err)
					}
					if want := density <= maxDensity; sc.sparse != want {
						t.Errorf("sparse path %v, want %v", sc.sparse, want)
					}
					s := sc.shape
					want := make([]float32, s.YLen())
					tensor.Conv2DForward(s, x.Data, conv.Weight.Data, want, ws)
					if e := fixture.MaxRelErr(got.Data, want); e > 1e-5 {
						t.Errorf("max-norm relative error %.3g against the dense kernel, want <= 1e-5", e)
					}
					// Backward: filter and input gradients against the dense kernels.
					dy := nn.NewTensor(got.Shape...)
					for i := range dy.Data {
						dy.Data[i] = float32(rng.NormFloat64())
					}
					clear(conv.Weight.Grad)
					for i := range conv.Weight.Grad {
						conv.Weight.Grad[i] = 0.5 // Backward accumulates
					}
					dx, err := sc.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					wantDW := make([]float32, len(conv.Weight.Data))
					for i := range wantDW {
						wantDW[i] = 0.5
					}
					tensor.Conv2DBackwardFilter(s, x.Data, dy.Data, wantDW, ws)
					if e := fixture.MaxRelErr(conv.Weight.Grad, wantDW); e > 1e-5 {
						t.Errorf("filter gradient: max-norm relative error %.3g against the dense kernel, want <= 1e-5", e)
					}
					wantDX := make([]float32, len(x.Data))
					tensor.Conv2DBackwardData(s, dy.Data, conv.Weight.Data, wantDX, ws)
					if e := fixture.MaxRelErr(dx.Data, wantDX); e > 1e-6 {
						t.Errorf("input gradient: max-norm relative error %.3g, want <= 1e-6", e)
					}
				})
			}
		}
	}
}

// TestAxpy checks the (assembly) AXPY against the portable loop for every
// length across the 32-, 8- and 1-float loops.
func TestAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for n := range 80 {
		x := make([]float32, n+3)
		y := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		want := append([]float32(nil), y...)
		axpyGo(1.5, x, want)
		axpy(1.5, x, y)
		if e := fixture.MaxRelErr(y, want); e > 1e-6 {
			t.Errorf("n=%d: max-norm relative error %.3g, want <= 1e-6", n, e)
		}
	}
}

// TestAxpyRows checks the multi-row kernel bit for bit against row-by-row
// AXPYs (same order of additions), with positive and negative strides.
func TestAxpyRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	x := make([]float32, 400)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, c := range []struct{ xoff, xstride, yoff, ystride, n, rows int }{
		{0, 48, 300, -60, 48, 3}, {5, 20, 0, 37, 19, 5}, {390, -50, 10, 50, 9, 4}, {0, 0, 0, 0, 33, 2}, {7, 3, 100, -9, 1, 6},
	} {
		y := make([]float32, 400)
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		want := append([]float32(nil), y...)
		for r := range c.rows {
			xo, yo := c.xoff+r*c.xstride, c.yoff+r*c.ystride
			axpy(0.75, x[xo:xo+c.n], want[yo:yo+c.n])
		}
		axpyRows(0.75, x, c.xoff, c.xstride, y, c.yoff, c.ystride, c.n, c.rows)
		if diff := cmp.Diff(want, y, bitsEqual); diff != "" {
			t.Errorf("%+v (-rows of axpy +axpyRows):\n%s", c, diff)
		}
	}
}

// sparseForward runs the forward pass of a new stride-1 spike convolution
// on one random image with 20% nonzero inputs (normal values if analog,
// else 1) and checks that it took the scanned sparse path; it returns the
// convolution, the input and the random source for more data.
func sparseForward(t *testing.T, ws *tensor.Workspace, cin, cout, k, pad, h, w int, analog bool) (*spikeConv, *nn.Tensor, *rand.Rand) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(cin), uint64(cout*10+k)))
	sc := newSpikeConv(nn.NewConv2d("c", cin, cout, k, 1, pad, rng, ws), ws)
	x := nn.NewTensor(1, 1, cin, h, w)
	for i := range x.Data {
		if rng.Float64() < 0.2 {
			x.Data[i] = 1
			if analog {
				x.Data[i] = float32(rng.NormFloat64())
			}
		}
	}
	if _, err := sc.Forward(x); err != nil {
		t.Fatal(err)
	}
	if !sc.sparse || sc.fromSource {
		t.Fatalf("sparse %v, fromSource %v: want the scanned sparse path", sc.sparse, sc.fromSource)
	}
	return sc, x, rng
}

// TestSpikeEventsAsmMatchesGo checks that the assembly event loop gives the
// same bits as the Go loop, on shapes with border clipping, k1/k3/k5,
// padding 0 and K/2, and sparse analog values. Only the filter direction
// has assembly (the forward one is convEventsTabAVX2's); the forward mode
// stays in the loop so that the random draws are unchanged.
func TestSpikeEventsAsmMatchesGo(t *testing.T) {
	ws := tensor.NewWorkspace(1)
	defer ws.Close()
	for _, c := range []struct{ cin, cout, k, pad, h, w int }{
		{3, 8, 3, 1, 5, 7}, {16, 16, 5, 2, 8, 8}, {4, 32, 5, 0, 9, 6}, {8, 64, 3, 1, 4, 4}, {2, 8, 1, 0, 3, 5}, {5, 24, 5, 2, 1, 12},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			sc, x, rng := sparseForward(t, ws, c.cin, c.cout, c.k, c.pad, c.h, c.w, true)
			s := sc.shape
			plane := s.H * s.W
			divPlane, divW := newDivider(plane, s.Cin*plane), newDivider(s.W, plane)
			events := sc.unitEvents(0)
			hwcLen := s.OutH() * s.OutW() * c.cout
			for _, mode := range []eventMode{eventForward, eventFilter} {
				a1, b1 := make([]float32, len(sc.wrev)), make([]float32, hwcLen)
				for i := range a1 {
					a1[i] = float32(rng.NormFloat64())
				}
				for i := range b1 {
					b1[i] = float32(rng.NormFloat64())
				}
				a2, b2 := append([]float32(nil), a1...), append([]float32(nil), b1...)
				sc.events(s, mode, x.Data, events, a1, b1)
				sc.eventsGo(sc.shape, mode, x.Data, events, a2, b2, divPlane, divW)
				if d := cmp.Diff(a2, a1); d != "" {
					t.Errorf("mode %d: a differs (-go +events):\n%.300s", mode, d)
				}
				if d := cmp.Diff(b2, b1); d != "" {
					t.Errorf("mode %d: b differs (-go +events):\n%.300s", mode, d)
				}
			}
		})
	}
}

// TestSpikeConvNeuronEvents checks that the spike convolutions take their
// event lists from the neurons or max-pools that feed them (nn.EventList)
// in training,
// and that this gives the same bits as scanning the input: loss, every
// gradient, and an evaluation-mode forward afterwards (where the lists are
// not used).
func TestSpikeConvNeuronEvents(t *testing.T) {
	spec := frontend.DefaultSpec("SRB_k3", "SCB_k5", "skip", "SCB_k3", "SRB_k5")
	spec.Channels = 8
	spec.Input = []int{3, 16, 16}
	spec.T = 3
	g, err := frontend.Lower(spec)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		loss  float64
		grads [][]float32
		eval  []float32
	}
	run := func(useEvents bool) (result, int, int) {
		net, err := Build(g, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		defer net.Close()
		if !useEvents {
			for _, l := range net.seg.layers() {
				if sc, ok := l.(*spikeConv); ok {
					sc.src = nil
				}
			}
		}
		rng := rand.New(rand.NewPCG(6, 6))
		x := randomInput(net, 4, rng)
		var r result
		r.loss, err = net.Forward(x, []int{1, 2, 3, 4})
		if err != nil {
			t.Fatal(err)
		}
		from, sparse := 0, 0
		for _, l := range net.seg.layers() {
			if sc, ok := l.(*spikeConv); ok && sc.sparse {
				sparse++
				if sc.fromSource {
					from++
				}
			}
		}
		nn.ZeroGrad(net.Params())
		if err := net.Backward(); err != nil {
			t.Fatal(err)
		}
		for _, p := range net.Params() {
			r.grads = append(r.grads, append([]float32(nil), p.Grad...))
		}
		net.SetTraining(false)
		if _, err := net.Forward(x, nil); err != nil {
			t.Fatal(err)
		}
		r.eval = append(r.eval, net.Counter().Data...)
		return r, from, sparse
	}
	want, _, _ := run(false)
	got, from, sparse := run(true)
	if from == 0 || from != sparse {
		t.Errorf("%d of %d event-driven convolutions took their events from the neurons or max-pools feeding them, want all", from, sparse)
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(result{})); d != "" {
		t.Errorf("with neuron event lists (-scan +lists):\n%.500s", d)
	}
}

// TestPixEventsMatches checks the pixel-grouped forward loop: assembly and
// Go bit for bit, both against the event loop within float tolerance (the
// same sums in another order), and that inputs that are not binary are
// refused by pixelMasks.
func TestPixEventsMatches(t *testing.T) {
	ws := tensor.NewWorkspace(1)
	defer ws.Close()
	for _, c := range []struct{ cin, cout, k, pad, h, w int }{
		{3, 8, 3, 1, 5, 7}, {16, 16, 5, 2, 32, 32}, {4, 32, 5, 0, 9, 6}, {64, 64, 5, 2, 8, 8}, {2, 8, 1, 0, 3, 5},
		{5, 24, 5, 2, 1, 12}, {32, 64, 3, 1, 16, 16}, {64, 40, 3, 1, 5, 3}, {7, 12, 3, 1, 6, 6},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			sc, x, rng := sparseForward(t, ws, c.cin, c.cout, c.k, c.pad, c.h, c.w, false)
			s := sc.shape
			plane := s.H * s.W
			masks := make([]uint64, plane)
			if !sc.pixelMasks(0, masks, newDivider(plane, s.Cin*plane)) {
				t.Fatal("binary input refused")
			}
			hwcLen := s.OutH() * s.OutW() * c.cout
			b0 := make([]float32, hwcLen)
			for i := range b0 {
				b0[i] = float32(rng.NormFloat64())
			}
			bAsm, bGo, bEv := append([]float32(nil), b0...), append([]float32(nil), b0...), append([]float32(nil), b0...)
			var list [64]int64
			sc.pixEvents(s, masks, sc.ptab, sc.wrev, bAsm, &list)
			sc.pixEventsGo(s, masks, sc.ptab, sc.wrev, bGo)
			if d := cmp.Diff(bGo, bAsm); d != "" {
				t.Errorf("pixEvents differs from pixEventsGo (-go +pixEvents):\n%.300s", d)
			}
			sc.events(s, eventForward, x.Data, sc.unitEvents(0), sc.wrev, bEv)
			if e := fixture.MaxRelErr(bAsm, bEv); e > 1e-6 {
				t.Errorf("max-norm relative error %.3g against events, want <= 1e-6", e)
			}
			// One analog value: the masks cannot stand for the input.
			x.Data[sc.unitEvents(0)[0]] = 0.5
			if sc.pixelMasks(0, masks, newDivider(plane, s.Cin*plane)) {
				t.Error("input with a value 0.5 accepted")
			}
		})
	}
}
