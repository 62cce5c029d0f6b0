package nn

import (
	"math/rand/v2"
	"testing"
)

// TestTinyNetLearns trains a small spiking network (stem conv-BN-PLIF, an
// SRB-style residual block, max-pool, FC-PLIF, voting, MSE on rate) with
// Adam on a synthetic two-class problem (a bright left half or a bright right
// half, plus noise) and requires the loss to fall and the training batch to
// be classified correctly. Everything is seeded, so the outcome is fixed.
func TestTinyNetLearns(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	ws := newWS(t)
	w := NewWorkers(2)
	defer w.Close()
	const batch, steps, classes = 16, 4, 2
	stem := NewConv2d("stem.conv", 1, 4, 3, 1, 1, rng, ws)
	stem.NoInputGrad = true
	net := NewSequential("net",
		stem, NewBatchNorm("stem.bn", 4), NewRepeat("encode", steps), NewPLIF("stem.plif"),
		NewResidual("block",
			NewSequential("block.main", NewConv2d("block.conv1", 4, 4, 3, 1, 1, rng, ws), NewBatchNorm("block.bn1", 4),
				NewPLIF("block.plif1"), NewConv2d("block.conv2", 4, 4, 3, 1, 1, rng, ws), NewBatchNorm("block.bn2", 4)),
			nil, NewPLIF("block.plif2")),
		NewMaxPool2d("pool", 2, 2), NewFlatten("flatten"), NewLinear("fc", 4*4*4, 10*classes, rng, ws),
		NewPLIF("fc_plif"), NewVote("vote", 10))
	UseWorkers(net, w)
	x := NewTensor(1, batch, 1, 8, 8)
	labels := make([]int, batch)
	for i := range batch {
		labels[i] = i % classes
		img := x.Data[i*64 : (i+1)*64]
		for p := range img {
			v := float32(rng.NormFloat64()) * 0.3
			if (p%8 < 4) == (labels[i] == 0) {
				v += 1
			}
			img[p] = v
		}
	}
	opt := NewAdam(net.Params(), 1e-2)
	var loss MSERateLoss
	var first, last float64
	var pred []int
	for it := range 30 {
		ZeroGrad(opt.Params())
		y, err := net.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		l, err := loss.Forward(y, labels)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckFiniteScalar("loss", it, "loss", l); err != nil {
			t.Fatal(err)
		}
		if it == 0 {
			first = l
		}
		last = l
		pred = Predict(loss.Counter(), pred)
		d, _ := loss.Backward()
		if _, err := net.Backward(d); err != nil {
			t.Fatal(err)
		}
		opt.Step()
	}
	correct := 0
	for i, p := range pred {
		if p == labels[i] {
			correct++
		}
	}
	t.Logf("loss %.4f -> %.4f, %d/%d correct", first, last, correct, batch)
	if last > first/2 {
		t.Errorf("loss fell from %.4f to %.4f, want at most half", first, last)
	}
	if correct != batch {
		t.Errorf("got %d/%d training images right after 30 steps, want all", correct, batch)
	}
}
