package nn

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/autosnn/autosnn/search/engine/nn/fixture"
	"github.com/autosnn/autosnn/search/engine/tensor"
	"github.com/google/go-cmp/cmp"
)

// relTol is the parity bound: max-norm relative error against PyTorch.
const relTol = 1e-4

func loadFixture(t *testing.T, name string) *fixture.File {
	t.Helper()
	f, err := fixture.Load(filepath.Join("testdata", name+".fix.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func fixTensor(t *testing.T, f *fixture.File, name string) *Tensor {
	t.Helper()
	ft, err := f.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return &Tensor{Shape: append([]int(nil), ft.Shape...), Data: append([]float32(nil), ft.Data...)}
}

func metaInt(t *testing.T, f *fixture.File, key string) int {
	t.Helper()
	v, ok := f.Meta[key].(float64)
	if !ok {
		t.Fatalf("fixture %s: meta %q missing or not a number", f.Name, key)
	}
	return int(v)
}

// checkClose fails unless got matches the fixture tensor want within relTol
// and has its shape.
func checkClose(t *testing.T, f *fixture.File, want string, got *Tensor) {
	t.Helper()
	w := fixTensor(t, f, want)
	if got == nil {
		t.Errorf("%s: got nil tensor, want shape %v", want, w.Shape)
		return
	}
	if diff := cmp.Diff(w.Shape, got.Shape); diff != "" {
		t.Errorf("%s: shape mismatch (-want +got):\n%s", want, diff)
		return
	}
	checkData(t, want, got.Data, w.Data)
}

func checkData(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if e := fixture.MaxRelErr(got, want); e > relTol {
		t.Errorf("%s: max-norm relative error %.3g, want <= %g", what, e, relTol)
	}
}

func newWS(t *testing.T) *tensor.Workspace {
	ws := tensor.NewWorkspace(2)
	t.Cleanup(ws.Close)
	return ws
}

func TestConvParity(t *testing.T) {
	for _, name := range []string{"conv_k1_s1", "conv_k3_s1", "conv_k5_s1", "conv_k3_s2", "conv_k1_s2", "conv_k5_s2"} {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			c := NewConv2d("conv", metaInt(t, f, "cin"), metaInt(t, f, "cout"), metaInt(t, f, "k"),
				metaInt(t, f, "stride"), metaInt(t, f, "pad"), rand.New(rand.NewPCG(1, 2)), newWS(t))
			copy(c.Weight.Data, fixTensor(t, f, "weight").Data)
			y, err := c.Forward(fixTensor(t, f, "x"))
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "y", y)
			dx, err := c.Backward(fixTensor(t, f, "dy"))
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "dx", dx)
			checkData(t, "dweight", c.Weight.Grad, fixTensor(t, f, "dweight").Data)
		})
	}
}

func TestLinearParity(t *testing.T) {
	f := loadFixture(t, "linear")
	l := NewLinear("fc", metaInt(t, f, "in"), metaInt(t, f, "out"), rand.New(rand.NewPCG(1, 2)), newWS(t))
	copy(l.Weight.Data, fixTensor(t, f, "weight").Data)
	y, err := l.Forward(fixTensor(t, f, "x"))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, f, "y", y)
	dx, err := l.Backward(fixTensor(t, f, "dy"))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, f, "dx", dx)
	checkData(t, "dweight", l.Weight.Grad, fixTensor(t, f, "dweight").Data)
}

func TestBatchNormParity(t *testing.T) {
	for _, name := range []string{"bn2d_train", "bn2d_eval", "bn2d_static", "bn1d_train"} {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			x := fixTensor(t, f, "x")
			b := NewBatchNorm("bn", x.Shape[2])
			copy(b.Weight.Data, fixTensor(t, f, "weight").Data)
			copy(b.Bias.Data, fixTensor(t, f, "bias").Data)
			copy(b.RunningMean.Data, fixTensor(t, f, "running_mean0").Data)
			copy(b.RunningVar.Data, fixTensor(t, f, "running_var0").Data)
			b.SetTraining(f.Meta["train"].(bool))
			y, err := b.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "y", y)
			checkData(t, "running_mean", b.RunningMean.Data, fixTensor(t, f, "running_mean").Data)
			checkData(t, "running_var", b.RunningVar.Data, fixTensor(t, f, "running_var").Data)
			dx, err := b.Backward(fixTensor(t, f, "dy"))
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "dx", dx)
			checkData(t, "dweight", b.Weight.Grad, fixTensor(t, f, "dweight").Data)
			checkData(t, "dbias", b.Bias.Grad, fixTensor(t, f, "dbias").Data)
		})
	}
}

func TestNeuronParity(t *testing.T) {
	kinds := map[string]NeuronKind{"plif": PLIF, "lif": LIF, "if": IF}
	for _, name := range []string{"plif", "plif_w0", "plif_static", "lif", "if", "plif_reg"} {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			kind := kinds[f.Meta["layer"].(string)]
			n := NewNeuron("neuron", kind, 2)
			if kind == PLIF {
				n.W.Data[0] = fixTensor(t, f, "w").Data[0]
			}
			beta, hasReg := f.Meta["reg_beta"].(float64)
			reg := SpikeRegularizer{Beta: beta}
			if hasReg {
				reg.Apply([]*Neuron{n})
			}
			x := fixTensor(t, f, "x")
			in := x
			var rep *Repeat
			if f.Meta["static"].(bool) {
				rep = NewRepeat("encode", 4)
				var err error
				if in, err = rep.Forward(x); err != nil {
					t.Fatal(err)
				}
			}
			y, err := n.Forward(in)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "y", y)
			wantSpikes, err := f.Int("spikes")
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Spikes(); got != wantSpikes {
				t.Errorf("spikes: got %d, want %d", got, wantSpikes)
			}
			if hasReg {
				want, _ := f.Scalar("reg")
				if got := reg.Value([]*Neuron{n}, x.Shape[1]); fixture.MaxRelErr([]float32{float32(got)}, []float32{float32(want)}) > relTol {
					t.Errorf("reg value: got %v, want %v", got, want)
				}
			}
			dx, err := n.Backward(fixTensor(t, f, "dy"))
			if err != nil {
				t.Fatal(err)
			}
			if rep != nil {
				if dx, err = rep.Backward(dx); err != nil {
					t.Fatal(err)
				}
			}
			checkClose(t, f, "dx", dx)
			if kind == PLIF {
				checkData(t, "dw", n.W.Grad, fixTensor(t, f, "dw").Data)
			}
		})
	}
}

func TestReLUParity(t *testing.T) {
	f := loadFixture(t, "relu")
	r := NewReLU("relu")
	y, err := r.Forward(fixTensor(t, f, "x"))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, f, "y", y)
	dx, err := r.Backward(fixTensor(t, f, "dy"))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, f, "dx", dx)
}

func TestPoolParity(t *testing.T) {
	for _, name := range []string{"maxpool2", "maxpool2_spikes", "maxpool3s2_spikes", "avgpool2", "gap"} {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			var l Layer
			switch f.Meta["layer"] {
			case "maxpool":
				l = NewMaxPool2d("pool", metaInt(t, f, "k"), metaInt(t, f, "stride"))
			case "avgpool":
				l = NewAvgPool2d("pool", metaInt(t, f, "k"), metaInt(t, f, "stride"))
			case "gappool":
				l = NewGlobalAvgPool("gap")
			default:
				t.Fatalf("unknown layer %v", f.Meta["layer"])
			}
			y, err := l.Forward(fixTensor(t, f, "x"))
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "y", y)
			if f.Meta["binary"].(bool) {
				want, err := f.Int("spikes")
				if err != nil {
					t.Fatal(err)
				}
				if got := l.(SpikeCounter).Spikes(); got != want {
					t.Errorf("pooled spikes: got %d, want %d", got, want)
				}
			}
			dx, err := l.Backward(fixTensor(t, f, "dy"))
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "dx", dx)
		})
	}
}

func TestVoteMSEParity(t *testing.T) {
	f := loadFixture(t, "vote_mse")
	labels, err := f.Ints("labels")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVote("vote", 10)
	y, err := v.Forward(fixTensor(t, f, "x"))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, f, "vote", y)
	var loss MSERateLoss
	got, err := loss.Forward(y, labels)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.Scalar("loss")
	checkData(t, "loss", []float32{float32(got)}, []float32{float32(want)})
	checkClose(t, f, "counter", loss.Counter())
	wantPred, _ := f.Ints("pred")
	if diff := cmp.Diff(wantPred, Predict(loss.Counter(), nil)); diff != "" {
		t.Errorf("predictions (-want +got):\n%s", diff)
	}
	g, err := loss.Backward()
	if err != nil {
		t.Fatal(err)
	}
	dx, err := v.Backward(g)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, f, "dx", dx)
}

func TestCrossEntropyParity(t *testing.T) {
	f := loadFixture(t, "cross_entropy")
	labels, _ := f.Ints("labels")
	var ce CrossEntropyLoss
	got, err := ce.Forward(fixTensor(t, f, "x"), labels)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.Scalar("loss")
	checkData(t, "loss", []float32{float32(got)}, []float32{float32(want)})
	dx, err := ce.Backward()
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, f, "dx", dx)
}

func TestAdamParity(t *testing.T) {
	f := loadFixture(t, "adam")
	p1 := &Param{Name: "p1", Shape: []int{3, 4}, Data: fixTensor(t, f, "p1.init").Data, Grad: make([]float32, 12)}
	p2 := &Param{Name: "p2", Shape: []int{5}, Data: fixTensor(t, f, "p2.init").Data, Grad: make([]float32, 5)}
	opt := NewAdam([]*Param{p1, p2}, 1e-3)
	for step := range 3 {
		copy(p1.Grad, fixTensor(t, f, fmt.Sprintf("p1.grad%d", step)).Data)
		copy(p2.Grad, fixTensor(t, f, fmt.Sprintf("p2.grad%d", step)).Data)
		opt.Step()
		checkData(t, fmt.Sprintf("p1 after step %d", step), p1.Data, fixTensor(t, f, fmt.Sprintf("p1.after%d", step)).Data)
		checkData(t, fmt.Sprintf("p2 after step %d", step), p2.Data, fixTensor(t, f, fmt.Sprintf("p2.after%d", step)).Data)
	}
	st := opt.State()
	wantStep, _ := f.Int("step")
	for i, name := range []string{"p1", "p2"} {
		if st[i].Step != wantStep {
			t.Errorf("%s step: got %d, want %d", name, st[i].Step, wantStep)
		}
		checkData(t, name+".exp_avg", st[i].ExpAvg, fixTensor(t, f, name+".exp_avg").Data)
		checkData(t, name+".exp_avg_sq", st[i].ExpAvgSq, fixTensor(t, f, name+".exp_avg_sq").Data)
	}
}
