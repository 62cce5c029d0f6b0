package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference gradient checks. Each case defines a scalar
// L = sum(y * r) for a fixed random r, takes the analytic gradients from
// Backward(r), and compares them with central differences
// (L(v + eps) - L(v - eps)) / (2 eps) evaluated in float32 forward passes,
// on up to fdSamples coordinates of the input and of every parameter.
// Because the forward runs in float32 the bound is loose (fdTol, relative to
// the largest analytic gradient of the tensor); a wrong formula is off by
// O(1).
//
// Spiking neurons have no derivative (the step function); the reference
// defines their gradient by the ATan surrogate. The check therefore runs the
// neuron in a test-only "smooth" mode whose output is the surrogate's
// antiderivative atan(pi/2 alpha (H - 1))/pi + 1/2, while the reset keeps
// the hard step. The backward pass is unchanged, so it must then be the exact
// gradient of the forward, provided no H is within eps of the threshold
// (where the hard reset would jump); such inputs are re-drawn.
const (
	fdEps     = 1e-2
	fdTol     = 2e-2
	fdSamples = 24
)

func randTensor(rng *rand.Rand, scale, shift float32, shape ...int) *Tensor {
	t := NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())*scale + shift
	}
	return t
}

func lossOf(t *testing.T, l Layer, x *Tensor, r []float32) float64 {
	t.Helper()
	y, err := l.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	var s float64
	for i, v := range y.Data {
		s += float64(v) * float64(r[i])
	}
	return s
}

func fdCheck(t *testing.T, l Layer, x *Tensor, rng *rand.Rand) {
	t.Helper()
	y, err := l.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]float32, len(y.Data))
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	ZeroGrad(l.Params())
	dx, err := l.Backward(&Tensor{Shape: y.Shape, Data: r})
	if err != nil {
		t.Fatal(err)
	}
	type target struct {
		name      string
		val, grad []float32
	}
	targets := []target{{"input", x.Data, append([]float32(nil), dx.Data...)}}
	for _, p := range l.Params() {
		targets = append(targets, target{p.Name, p.Data, append([]float32(nil), p.Grad...)})
	}
	for _, tg := range targets {
		var scale float64
		for _, g := range tg.grad {
			scale = math.Max(scale, math.Abs(float64(g)))
		}
		for s := 0; s < fdSamples && s < len(tg.val); s++ {
			i := s
			if len(tg.val) > fdSamples {
				i = rng.IntN(len(tg.val))
			}
			old := tg.val[i]
			tg.val[i] = old + fdEps
			lp := lossOf(t, l, x, r)
			tg.val[i] = old - fdEps
			lm := lossOf(t, l, x, r)
			tg.val[i] = old
			num := (lp - lm) / (2 * fdEps)
			if d := math.Abs(num - float64(tg.grad[i])); d > fdTol*scale+1e-6 {
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (|diff| %.3g > %.3g)", tg.name, i, tg.grad[i], num, d, fdTol*scale)
			}
		}
	}
}

func TestFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	ws := newWS(t)
	distinct := func(shape ...int) *Tensor {
		// Values spaced 0.05 apart in random order: no max-pool window has a
		// near-tie that a perturbation of fdEps could flip.
		x := NewTensor(shape...)
		perm := rng.Perm(len(x.Data))
		for i, p := range perm {
			x.Data[i] = float32(p)*0.05 - float32(len(perm))*0.025 + 0.0125
		}
		return x
	}
	bnEval := NewBatchNorm("bn_eval", 3)
	for i := range 3 {
		bnEval.RunningMean.Data[i] = float32(i) * 0.1
		bnEval.RunningVar.Data[i] = 1 + float32(i)*0.5
	}
	bnEval.SetTraining(false)
	cases := []struct {
		name  string
		layer Layer
		x     *Tensor
	}{
		{"conv_k3_s1", NewConv2d("conv", 2, 3, 3, 1, 1, rng, ws), randTensor(rng, 1, 0, 2, 2, 2, 5, 5)},
		{"conv_k5_s2", NewConv2d("conv", 2, 3, 5, 2, 2, rng, ws), randTensor(rng, 1, 0, 2, 2, 2, 7, 7)},
		{"conv_k1_s2", NewConv2d("conv", 2, 3, 1, 2, 0, rng, ws), randTensor(rng, 1, 0, 2, 2, 2, 6, 6)},
		{"linear", NewLinear("fc", 6, 4, rng, ws), randTensor(rng, 1, 0, 2, 3, 6)},
		{"bn2d_train", NewBatchNorm("bn", 3), randTensor(rng, 2, 0.5, 2, 3, 3, 3, 3)},
		{"bn2d_eval", bnEval, randTensor(rng, 2, 0.5, 2, 3, 3, 3, 3)},
		{"bn1d_train", NewBatchNorm("bn", 4), randTensor(rng, 1, 0, 3, 5, 4)},
		{"maxpool2", NewMaxPool2d("pool", 2, 2), distinct(2, 2, 2, 4, 4)},
		{"maxpool3s2", NewMaxPool2d("pool", 3, 2), distinct(2, 1, 2, 5, 5)},
		{"avgpool2", NewAvgPool2d("pool", 2, 2), randTensor(rng, 1, 0, 2, 2, 2, 4, 4)},
		{"gap", NewGlobalAvgPool("gap"), randTensor(rng, 1, 0, 2, 2, 3, 3, 3)},
		{"vote", NewVote("vote", 10), randTensor(rng, 1, 0, 2, 2, 30)},
		{"relu", NewReLU("relu"), distinct(2, 2, 3, 3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if bn, ok := c.layer.(*BatchNorm); ok && bn != bnEval {
				for i := range bn.C { // non-trivial gamma and beta
					bn.Weight.Data[i] = 1 + 0.3*float32(i)
					bn.Bias.Data[i] = 0.1 * float32(i)
				}
			}
			fdCheck(t, c.layer, c.x, rng)
		})
	}
}

// TestFiniteDifferencesNeuron checks the fused BPTT of PLIF (including
// dL/dw), LIF and IF in smooth mode; see the comment at the top of the file.
func TestFiniteDifferencesNeuron(t *testing.T) {
	for _, c := range []struct {
		name string
		kind NeuronKind
		w    float32
	}{{"plif", PLIF, 0.4}, {"plif_neg_w", PLIF, -0.7}, {"lif", LIF, 0}, {"if", IF, 0}} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(c.kind)))
			n := NewNeuron("neuron", c.kind, 2)
			if n.W != nil {
				n.W.Data[0] = c.w
			}
			n.smooth = true
			var x *Tensor
			for range 1000 {
				x = randTensor(rng, 0.8, 0.6, 4, 2, 3)
				if _, err := n.Forward(x); err != nil {
					t.Fatal(err)
				}
				if minMargin(n.h, n.VTh) > 0.05 {
					break
				}
				x = nil
			}
			if x == nil {
				t.Fatal("no input with all membrane potentials away from the threshold")
			}
			fdCheck(t, n, x, rng)
		})
	}
}

func minMargin(h []float32, vth float32) float64 {
	m := math.Inf(1)
	for _, v := range h {
		m = math.Min(m, math.Abs(float64(v-vth)))
	}
	return m
}

// TestFiniteDifferencesLosses checks the two losses against central
// differences of the loss value itself.
func TestFiniteDifferencesLosses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	labels := []int{2, 0, 1}
	x := randTensor(rng, 0.5, 0.3, 4, 3, 3)
	var mse MSERateLoss
	var ce CrossEntropyLoss
	ceX := randTensor(rng, 2, 0, 1, 3, 3)
	for _, c := range []struct {
		name string
		x    *Tensor
		f    func() (float64, error)
		g    func() (*Tensor, error)
	}{
		{"mse_rate", x, func() (float64, error) { return mse.Forward(x, labels) }, mse.Backward},
		{"cross_entropy", ceX, func() (float64, error) { return ce.Forward(ceX, labels) }, ce.Backward},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.f(); err != nil {
				t.Fatal(err)
			}
			g, err := c.g()
			if err != nil {
				t.Fatal(err)
			}
			grad := append([]float32(nil), g.Data...)
			const eps = 1e-3
			for i := range c.x.Data {
				old := c.x.Data[i]
				c.x.Data[i] = old + eps
				lp, _ := c.f()
				c.x.Data[i] = old - eps
				lm, _ := c.f()
				c.x.Data[i] = old
				num := (lp - lm) / (2 * eps)
				if d := math.Abs(num - float64(grad[i])); d > 1e-3*math.Abs(num)+1e-5 {
					t.Errorf("x[%d]: analytic %.6g, numeric %.6g", i, grad[i], num)
				}
			}
		})
	}
}
