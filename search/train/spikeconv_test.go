package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autosnn/autosnn/search/nn"
	"github.com/autosnn/autosnn/search/nn/fixture"
	"github.com/autosnn/autosnn/search/tensor"
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
