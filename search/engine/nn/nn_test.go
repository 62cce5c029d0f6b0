package nn

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/engine/nn/fixture"
	"github.com/google/go-cmp/cmp"
)

func TestBadInputErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ws := newWS(t)
	cases := []struct {
		name  string
		layer Layer
		x     *Tensor
		want  string // substring of the error
	}{
		{"conv channels", NewConv2d("b.conv1", 3, 4, 3, 1, 1, rng, ws), NewTensor(2, 1, 2, 5, 5), "b.conv1: input has shape [2 1 2 5 5], want [T N 3 H W]"},
		{"conv rank", NewConv2d("c", 3, 4, 3, 1, 1, rng, ws), NewTensor(2, 3, 5), "want [T N 3 H W]"},
		{"conv too small", NewConv2d("c", 3, 4, 5, 1, 0, rng, ws), NewTensor(1, 1, 3, 3, 3), "c:"},
		{"conv short data", NewConv2d("c", 1, 1, 1, 1, 0, rng, ws), &Tensor{Shape: []int{1, 1, 1, 2, 2}, Data: make([]float32, 3)}, "elements"},
		{"linear features", NewLinear("fc", 8, 4, rng, ws), NewTensor(2, 1, 7), "fc: input has shape [2 1 7], want [T N 8]"},
		{"bn channels", NewBatchNorm("bn", 3), NewTensor(2, 2, 4, 2, 2), "bn: input has shape [2 2 4 2 2], want [T N 3 ...]"},
		{"bn one value", NewBatchNorm("bn", 3), NewTensor(2, 1, 3), "more than 1 value per channel"},
		{"neuron empty", NewPLIF("p"), NewTensor(0, 2), "p: input"},
		{"maxpool small", NewMaxPool2d("pool", 2, 2), NewTensor(1, 1, 1, 1, 4), "H, W >= 2"},
		{"avgpool rank", NewAvgPool2d("pool", 2, 2), NewTensor(1, 1, 4), "[T N C H W]"},
		{"gap rank", NewGlobalAvgPool("gap"), NewTensor(1, 1, 4), "[T N C H W]"},
		{"vote groups", NewVote("vote", 10), NewTensor(1, 2, 15), "want [T N K*10]"},
		{"repeat T", NewRepeat("enc", 4), NewTensor(2, 1, 3), "want [1 N ...]"},
		{"flatten rank", NewFlatten("flat"), NewTensor(3), "want [T N ...]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.layer.Forward(c.x)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Forward error: got %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestBackwardErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ws := newWS(t)
	layers := []Layer{
		NewConv2d("conv", 1, 2, 3, 1, 1, rng, ws), NewLinear("fc", 4, 2, rng, ws), NewBatchNorm("bn", 1),
		NewPLIF("plif"), NewReLU("relu"), NewMaxPool2d("mp", 2, 2), NewAvgPool2d("ap", 2, 2),
		NewGlobalAvgPool("gap"), NewFlatten("flat"), NewRepeat("enc", 2), NewVote("vote", 2),
	}
	inputs := map[string]*Tensor{"fc": NewTensor(1, 2, 4), "vote": NewTensor(1, 2, 4), "enc": NewTensor(1, 2, 1, 2, 2)}
	for _, l := range layers {
		t.Run(l.Name(), func(t *testing.T) {
			if _, err := l.Backward(NewTensor(1)); err == nil || !strings.Contains(err.Error(), "without a Forward") {
				t.Errorf("Backward before Forward: got %v, want a 'without a Forward' error", err)
			}
			x := inputs[l.Name()]
			if x == nil {
				x = NewTensor(1, 2, 1, 2, 2)
			}
			y, err := l.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			bad := NewTensor(append(append([]int(nil), y.Shape...), 1)...)
			if _, err := l.Backward(bad); err == nil || !strings.Contains(err.Error(), l.Name()+": output gradient has shape") {
				t.Errorf("Backward with wrong shape: got %v, want an output-gradient shape error", err)
			}
		})
	}
}

func TestLossErrors(t *testing.T) {
	var mse MSERateLoss
	if _, err := mse.Forward(NewTensor(2, 3, 4), []int{0, 1}); err == nil || !strings.Contains(err.Error(), "2 labels for a batch of 3") {
		t.Errorf("label count: got %v", err)
	}
	if _, err := mse.Forward(NewTensor(2, 2, 4), []int{0, 4}); err == nil || !strings.Contains(err.Error(), "label 4 of sample 1 outside [0, 4)") {
		t.Errorf("label range: got %v", err)
	}
	if _, err := mse.Backward(); err == nil {
		t.Error("MSE Backward without a successful Forward: got nil error")
	}
	var ce CrossEntropyLoss
	if _, err := ce.Forward(NewTensor(2, 2, 3), []int{0, 1}); err == nil || !strings.Contains(err.Error(), "[1 N K] or [N K]") {
		t.Errorf("cross-entropy shape: got %v", err)
	}
}

func TestCheckFinite(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, c := range []struct {
		name  string
		data  []float32
		index int // -1: no error
	}{
		{"finite", []float32{0, -1, math.MaxFloat32, -math.MaxFloat32}, -1},
		{"nan", []float32{0, nan, 1}, 1},
		{"+inf", []float32{inf}, 0},
		{"-inf", []float32{1, 2, -inf}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckFinite("blocks.2.bn1", 17, "output", c.data)
			if c.index < 0 {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			var nf *NonFiniteError
			if !errors.As(err, &nf) {
				t.Fatalf("got %v, want *NonFiniteError", err)
			}
			if nf.Layer != "blocks.2.bn1" || nf.Step != 17 || nf.Index != c.index {
				t.Errorf("got layer %q step %d index %d, want blocks.2.bn1 17 %d", nf.Layer, nf.Step, nf.Index, c.index)
			}
			if !strings.Contains(err.Error(), "layer blocks.2.bn1 at step 17") {
				t.Errorf("message %q does not name layer and step", err)
			}
		})
	}
	if err := CheckFiniteScalar("loss", 3, "loss", math.NaN()); err == nil {
		t.Error("CheckFiniteScalar(NaN): got nil")
	}
}

func TestAdamState(t *testing.T) {
	mk := func() []*Param {
		return []*Param{
			{Name: "a", Shape: []int{2}, Data: []float32{1, 2}, Grad: []float32{0.5, -1}},
			{Name: "b", Shape: []int{1}, Data: []float32{3}, Grad: []float32{2}},
		}
	}
	// Two steps in one optimiser equal one step, a state round trip into a
	// fresh optimiser, and a second step.
	p1 := mk()
	a1 := NewAdam(p1, 1e-3)
	a1.Step()
	a1.Step()
	p2 := mk()
	a2 := NewAdam(p2, 1e-3)
	a2.Step()
	p3 := mk()
	copy(p3[0].Data, p2[0].Data)
	copy(p3[1].Data, p2[1].Data)
	a3 := NewAdam(p3, 1e-3)
	if err := a3.SetState(a2.State()); err != nil {
		t.Fatal(err)
	}
	a3.Step()
	for i := range p1 {
		if diff := cmp.Diff(p1[i].Data, p3[i].Data); diff != "" {
			t.Errorf("param %s after resume (-uninterrupted +resumed):\n%s", p1[i].Name, diff)
		}
	}
	// StepIf leaves unselected parameters and their state alone.
	p4 := mk()
	a4 := NewAdam(p4, 1e-3)
	a4.StepIf(func(i int) bool { return i == 0 })
	if p4[1].Data[0] != 3 || a4.State()[1].Step != 0 {
		t.Errorf("unselected param: got value %v step %d, want 3 and 0", p4[1].Data[0], a4.State()[1].Step)
	}
	for _, c := range []struct {
		name string
		st   []AdamState
		want string
	}{
		{"count", a2.State()[:1], "state has 1 parameters, optimiser has 2"},
		{"name", []AdamState{{Name: "x", ExpAvg: make([]float32, 2), ExpAvgSq: make([]float32, 2)}, a2.State()[1]}, `state 0 is for "x", want "a"`},
		{"length", []AdamState{{Name: "a", ExpAvg: make([]float32, 3), ExpAvgSq: make([]float32, 2)}, a2.State()[1]}, `state of "a" has moments of 3 and 2 elements`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := NewAdam(mk(), 1e-3).SetState(c.st); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want error containing %q", err, c.want)
			}
		})
	}
}

func TestFixtureDecodeErrors(t *testing.T) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	hdr := func(json string, data int) []byte {
		b := []byte("SNNFIX01")
		n := len(json)
		b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
		b = append(b, json...)
		return append(b, make([]byte, data)...)
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"not gzip", []byte("hello"), "not gzip"},
		{"magic", gz([]byte("SNNFIX02\x00\x00\x00\x00")), "want magic"},
		{"header length", gz([]byte("SNNFIX01\xff\x00\x00\x00{}")), "header length 255 exceeds file"},
		{"json", gz(hdr("{", 0)), "header"},
		{"data length", gz(hdr(`{"tensors":[]}`, 3)), "not a multiple of 4"},
		{"tensor range", gz(hdr(`{"tensors":[{"name":"x","shape":[3],"offset":0}]}`, 8)), `tensor "x": floats [0, 3) outside data of 2 floats`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := fixture.Decode(bytes.NewReader(c.raw))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want error containing %q", err, c.want)
			}
		})
	}
}

// TestSteadyStateAllocs checks that a conv-BN-PLIF-pool chain does not
// allocate once its buffers have grown to the batch shape.
func TestSteadyStateAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	ws := newWS(t)
	w := NewWorkers(2)
	defer w.Close()
	plif1, plif2 := NewPLIF("plif"), NewPLIF("res.plif2")
	plif1.Workers, plif2.Workers = w, w
	net := NewSequential("net",
		NewConv2d("conv", 2, 4, 3, 1, 1, rng, ws), NewBatchNorm("bn", 4), plif1,
		NewResidual("res", NewSequential("res.main", NewConv2d("res.conv", 4, 4, 3, 1, 1, rng, ws), NewBatchNorm("res.bn", 4)), nil, plif2),
		NewMaxPool2d("pool", 2, 2), NewFlatten("flat"), NewLinear("fc", 4*4*4, 20, rng, ws), NewPLIF("fc_plif"), NewVote("vote", 10))
	x := randTensor(rng, 1, 0.5, 4, 3, 2, 8, 8)
	labels := []int{0, 1, 1}
	var loss MSERateLoss
	run := func() {
		h, err := net.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loss.Forward(h, labels); err != nil {
			t.Fatal(err)
		}
		d, _ := loss.Backward()
		if _, err := net.Backward(d); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := testing.AllocsPerRun(5, run); n > 0 {
		t.Errorf("steady-state forward+backward: got %v allocations per run, want 0", n)
	}
}

func TestNeuronKinds(t *testing.T) {
	// One neuron, constant input 0.6, T = 5: hand-computed traces.
	for _, c := range []struct {
		kind NeuronKind
		want []float32
	}{
		// PLIF tau 2: H = 0.3, 0.45, 0.525, 0.5625, 0.58125: never fires.
		{PLIF, []float32{0, 0, 0, 0, 0}},
		// IF: H = 0.6, 1.2 (fire, reset), 0.6, 1.2 (fire), 0.6.
		{IF, []float32{0, 1, 0, 1, 0}},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			n := NewNeuron("n", c.kind, 2)
			x := &Tensor{Shape: []int{5, 1}, Data: []float32{0.6, 0.6, 0.6, 0.6, 0.6}}
			y, err := n.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, y.Data); diff != "" {
				t.Errorf("spikes (-want +got):\n%s", diff)
			}
		})
	}
	// Equality fires: H exactly 1.
	n := NewNeuron("n", IF, 2)
	y, _ := n.Forward(&Tensor{Shape: []int{1, 1}, Data: []float32{1}})
	if y.Data[0] != 1 || n.Spikes() != 1 {
		t.Errorf("H = V_th: got spike %v (count %d), want 1", y.Data[0], n.Spikes())
	}
}

// TestWorkersDeterministic runs the parallel layers serially and with two
// workers on inputs spanning many tasks and requires bit-identical results.
func TestWorkersDeterministic(t *testing.T) {
	mk := []func() Layer{
		func() Layer { return NewPLIF("plif") },
		func() Layer { return NewBatchNorm("bn", 5) },
		func() Layer { return NewMaxPool2d("pool", 2, 2) },
		func() Layer { return NewMaxPool2d("pool3", 3, 2) },
		func() Layer { return NewAvgPool2d("avg", 2, 2) },
	}
	for _, f := range mk {
		serial, par := f(), f()
		w := NewWorkers(2)
		defer w.Close()
		UseWorkers(par, w)
		t.Run(serial.Name(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 9))
			x := randTensor(rng, 1, 0.5, 3, 4, 5, 33, 31)
			dy := randTensor(rng, 1, 0, x.Shape...)
			var outs [2][]float32
			var grads [2][]float32
			var params [2][]float32
			for i, l := range []Layer{serial, par} {
				y, err := l.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				outs[i] = append([]float32(nil), y.Data...)
				d := dy
				if len(y.Data) != len(dy.Data) {
					d = randTensor(rand.New(rand.NewPCG(1, 1)), 1, 0, y.Shape...)
				}
				dx, err := l.Backward(d)
				if err != nil {
					t.Fatal(err)
				}
				grads[i] = append([]float32(nil), dx.Data...)
				for _, p := range l.Params() {
					params[i] = append(params[i], p.Grad...)
				}
				if s, ok := l.(SpikeCounter); ok && i == 1 && s.Spikes() != serial.(SpikeCounter).Spikes() {
					t.Errorf("spikes: serial %d, parallel %d", serial.(SpikeCounter).Spikes(), s.Spikes())
				}
			}
			if !cmp.Equal(outs[0], outs[1]) || !cmp.Equal(grads[0], grads[1]) || !cmp.Equal(params[0], params[1]) {
				t.Error("serial and parallel results differ")
			}
		})
	}
}

func TestKaimingInit(t *testing.T) {
	ws := newWS(t)
	a := NewConv2d("c", 16, 32, 3, 1, 1, rand.New(rand.NewPCG(3, 3)), ws)
	b := NewConv2d("c", 16, 32, 3, 1, 1, rand.New(rand.NewPCG(3, 3)), ws)
	if !cmp.Equal(a.Weight.Data, b.Weight.Data) {
		t.Error("same seed gave different weights")
	}
	bound := 1 / math.Sqrt(16*9)
	var sum, sq float64
	for _, w := range a.Weight.Data {
		if math.Abs(float64(w)) > bound {
			t.Fatalf("weight %v outside [-%v, %v]", w, bound, bound)
		}
		sum += float64(w)
		sq += float64(w) * float64(w)
	}
	n := float64(len(a.Weight.Data))
	// U(-b, b) has variance b^2/3; with 4608 samples the estimate is within 5%.
	if v := sq/n - (sum/n)*(sum/n); math.Abs(v/(bound*bound/3)-1) > 0.05 {
		t.Errorf("weight variance %.4g, want %.4g (U(-1/sqrt(fan_in), 1/sqrt(fan_in)))", v, bound*bound/3)
	}
	l := NewLinear("fc", 64, 100, rand.New(rand.NewPCG(3, 3)), ws)
	for _, w := range l.Weight.Data {
		if math.Abs(float64(w)) > 1.0/8 {
			t.Fatalf("linear weight %v outside [-1/8, 1/8]", w)
		}
	}
	if p := NewPLIF("p"); p.W.Data[0] != 0 || p.K() != 0.5 {
		t.Errorf("PLIF init: got w %v k %v, want 0 and 0.5", p.W.Data[0], p.K())
	}
}

// TestNeuronEvalMode checks that evaluation mode computes the same spikes
// without saving state, and refuses Backward.
func TestNeuronEvalMode(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x := randTensor(rng, 1, 0.6, 4, 3, 5000) // more than one chunk
	n := NewPLIF("p")
	n.W.Data[0] = 0.3
	y, err := n.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	want, wantSpikes := append([]float32(nil), y.Data...), n.Spikes()
	n.SetTraining(false)
	if y, err = n.Forward(x); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(want, y.Data) || n.Spikes() != wantSpikes {
		t.Errorf("eval forward differs from training forward (spikes %d vs %d)", n.Spikes(), wantSpikes)
	}
	fresh := NewPLIF("fresh") // never ran in training mode
	fresh.W.Data[0] = 0.3
	fresh.SetTraining(false)
	if y, err := fresh.Forward(x); err != nil || !cmp.Equal(want, y.Data) {
		t.Errorf("eval forward of a fresh neuron differs from training forward (err %v)", err)
	}
	if _, err := n.Backward(y); err == nil || !strings.Contains(err.Error(), "evaluation mode") {
		t.Errorf("Backward after eval Forward: got %v, want an evaluation-mode error", err)
	}
	n.SetTraining(true)
	if _, err := n.Forward(x); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Backward(y); err != nil {
		t.Errorf("Backward after returning to training: %v", err)
	}
}

func TestFirstNonFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	ws := newWS(t)
	conv := NewConv2d("blocks.0.conv1", 1, 2, 3, 1, 1, rng, ws)
	net := NewSequential("net", conv, NewBatchNorm("blocks.0.bn1", 2), NewPLIF("blocks.0.plif1"))
	x := randTensor(rng, 1, 0, 2, 2, 1, 4, 4)
	if _, err := net.Forward(x); err != nil {
		t.Fatal(err)
	}
	if err := FirstNonFinite(net, 3); err != nil {
		t.Errorf("finite network: got %v", err)
	}
	conv.Weight.Data[4] = float32(math.Inf(1))
	if _, err := net.Forward(x); err != nil {
		t.Fatal(err)
	}
	var nf *NonFiniteError
	if err := FirstNonFinite(net, 3); !errors.As(err, &nf) || nf.Layer != "blocks.0.conv1" || nf.Step != 3 {
		t.Errorf("got %v, want a NonFiniteError in blocks.0.conv1 at step 3", err)
	}
	if err := CheckParams(net.Params(), 3); !errors.As(err, &nf) || nf.Layer != "blocks.0.conv1.weight" || nf.What != "value" {
		t.Errorf("CheckParams: got %v, want the conv weight's value", err)
	}
}

// TestWorkersAdd checks Workers.Add against the left-to-right sum, for a
// nil pool and a pool of three, sizes around the task chunk, and dst
// aliasing the first source.
func TestWorkersAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	pool := NewWorkers(3)
	defer pool.Close()
	for _, w := range []*Workers{nil, pool} {
		for _, c := range []struct{ n, srcs int }{{0, 2}, {5, 1}, {chunk, 2}, {chunk + 3, 3}, {3*chunk - 1, 4}} {
			srcs := make([][]float32, c.srcs)
			for i := range srcs {
				srcs[i] = make([]float32, c.n)
				for j := range srcs[i] {
					srcs[i][j] = float32(rng.NormFloat64())
				}
			}
			want := make([]float32, c.n)
			for j := range want {
				v := srcs[0][j]
				for _, s := range srcs[1:] {
					v += s[j]
				}
				want[j] = v
			}
			got := make([]float32, c.n)
			w.Add(got, srcs...)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("workers %v, %+v (-want +got):\n%.300s", w != nil, c, d)
			}
			// In place: dst is the first source.
			w.Add(srcs[0], srcs...)
			if d := cmp.Diff(want, srcs[0]); d != "" {
				t.Errorf("workers %v, %+v in place (-want +got):\n%.300s", w != nil, c, d)
			}
		}
	}
}

// TestDeferredBatchNorm checks that a BatchNorm with Defer feeding a Neuron
// through In gives the same bits as the two layers run one after the
// other: spikes and input gradients in training, the parameter gradients
// (gamma, beta, PLIF w) and the evaluation-mode output, for PLIF, LIF and
// IF neurons, with channel runs shorter and longer than a task chunk.
func TestDeferredBatchNorm(t *testing.T) {
	pool := NewWorkers(3)
	defer pool.Close()
	for _, kind := range []NeuronKind{PLIF, LIF, IF} {
		// 5x5 and 48x90 images: blocks that do not divide the neuron's
		// chunks; 16x16 and 8x8: the neuron computes the batch-norm's
		// backward sums.
		for _, shape := range [][]int{{3, 2, 4, 5, 5}, {2, 2, 2, 48, 90}, {2, 3, 4, 16, 16}, {3, 2, 3, 8, 8}} {
			rng := rand.New(rand.NewPCG(uint64(kind), uint64(shape[3])))
			x := NewTensor(shape...)
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64()*1.5 + 0.7)
			}
			dy := NewTensor(shape...)
			for i := range dy.Data {
				dy.Data[i] = float32(rng.NormFloat64())
			}
			type result struct {
				y, dx, gw, gb, eval []float32
				dk                  float32
			}
			run := func(deferred bool) result {
				bn := NewBatchNorm("bn", shape[2])
				bn.Workers = pool
				for i := range bn.Weight.Data {
					bn.Weight.Data[i] = 1 + 0.1*float32(i)
					bn.Bias.Data[i] = 0.05 * float32(i)
				}
				n := NewNeuron("n", kind, 2)
				n.Workers = pool
				if deferred {
					bn.Defer = true
					n.In = bn
				}
				z, err := bn.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				y, err := n.Forward(z)
				if err != nil {
					t.Fatal(err)
				}
				var r result
				r.y = append(r.y, y.Data...)
				dz, err := n.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				if sums := bn.blkFor != nil; deferred && sums != (shape[3]*shape[4] <= chunk && chunk%(shape[3]*shape[4]) == 0) {
					t.Errorf("kind %v shape %v: neuron computed the batch-norm sums: %v", kind, shape, sums)
				}
				dx, err := bn.Backward(dz)
				if err != nil {
					t.Fatal(err)
				}
				r.dx = append(r.dx, dx.Data...)
				r.gw, r.gb = append(r.gw, bn.Weight.Grad...), append(r.gb, bn.Bias.Grad...)
				if kind == PLIF {
					r.dk = n.W.Grad[0]
				}
				bn.SetTraining(false)
				n.SetTraining(false)
				if z, err = bn.Forward(x); err != nil {
					t.Fatal(err)
				}
				if y, err = n.Forward(z); err != nil {
					t.Fatal(err)
				}
				r.eval = append(r.eval, y.Data...)
				return r
			}
			want, got := run(false), run(true)
			if d := cmp.Diff(want, got, cmp.AllowUnexported(result{})); d != "" {
				t.Errorf("kind %v shape %v: deferred differs (-layered +deferred):\n%.500s", kind, shape, d)
			}
		}
	}
	// A deferred batch-norm's neuron refuses another input.
	bn := NewBatchNorm("bn", 2)
	bn.Defer = true
	n := NewNeuron("n", PLIF, 2)
	n.In = bn
	x := NewTensor(2, 2, 2, 3, 3)
	if _, err := bn.Forward(x); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Forward(NewTensor(2, 2, 2, 3, 3)); err == nil || !strings.Contains(err.Error(), "deferred batch-norm") {
		t.Errorf("neuron fed another tensor: got %v, want a deferred batch-norm error", err)
	}
}

// TestNeuronEventList checks the spike positions a Neuron records against
// a scan of its output, for images smaller and larger than a task chunk,
// and that the list is not valid after an evaluation-mode Forward or for
// image sizes that do not fit the chunks.
func TestNeuronEventList(t *testing.T) {
	pool := NewWorkers(2)
	defer pool.Close()
	for _, c := range []struct {
		shape []int
		valid bool
	}{
		{[]int{3, 5, 4, 16, 16}, true},  // img 1024 < chunk
		{[]int{2, 3, 16, 32, 32}, true}, // img 16384 > chunk
		{[]int{2, 3, 3, 7, 7}, false},   // img 147 does not divide the chunk
	} {
		rng := rand.New(rand.NewPCG(uint64(len(c.shape)), uint64(c.shape[2])))
		x := NewTensor(c.shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64() + 0.5)
		}
		for _, viaBN := range []bool{false, true} {
			n := NewPLIF("n")
			n.Workers = pool
			n.Events = &EventList{}
			in := x
			if viaBN {
				// Input through a deferred batch-norm: the LIF kernel
				// normalises and lists the spikes itself.
				bn := NewBatchNorm("bn", c.shape[2])
				bn.Workers = pool
				bn.Defer = true
				n.In = bn
				var err error
				if in, err = bn.Forward(x); err != nil {
					t.Fatal(err)
				}
			}
			y, err := n.Forward(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Events.Of(y.Data); got != c.valid {
				t.Fatalf("shape %v (via batch-norm %v): list valid %v, want %v", c.shape, viaBN, got, c.valid)
			}
			if !c.valid {
				continue
			}
			e := n.Events
			img := numel(c.shape[2:])
			for im := 0; im < len(y.Data)/img; im++ {
				var want, got []int32
				for i, v := range y.Data[im*img : (im+1)*img] {
					if v != 0 {
						want = append(want, int32(i))
					}
				}
				for u := im * img / e.Unit; u < (im+1)*img/e.Unit; u++ {
					got = append(got, e.Idx[u*e.Unit:u*e.Unit+e.Counts[u]]...)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("shape %v (via batch-norm %v) image %d (-scan +list):\n%.300s", c.shape, viaBN, im, d)
				}
			}
			if viaBN {
				continue // the evaluation check below needs the batch-norm in evaluation mode too
			}
			n.SetTraining(false)
			if y, err = n.Forward(x); err != nil {
				t.Fatal(err)
			}
			if n.Events.Of(y.Data) {
				t.Errorf("shape %v: list valid after an evaluation-mode Forward", c.shape)
			}
		}
	}
}

// TestWorkersCheckFinite checks that the parallel screen reports the same
// first non-finite value as CheckFinite.
func TestWorkersCheckFinite(t *testing.T) {
	pool := NewWorkers(3)
	defer pool.Close()
	data := make([]float32, 5*finiteBlock+77)
	for _, w := range []*Workers{nil, pool} {
		for _, bad := range []int{-1, 3, finiteBlock + 5, 4*finiteBlock + 100, len(data) - 1} {
			clear(data)
			if bad >= 0 {
				data[bad] = float32(math.Inf(-1))
				data[len(data)-1-bad/2] = float32(math.NaN()) // a later one
				if len(data)-1-bad/2 < bad {
					data[len(data)-1-bad/2] = 0
				}
			}
			want := CheckFinite("l", 7, "x", data)
			got := w.CheckFinite("l", 7, "x", data)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("workers %v, bad %d (-serial +parallel):\n%s", w != nil, bad, d)
			}
		}
	}
}

// TestBackwardSum checks that the neurons' and max-pool's backward passes
// on a gradient given as two tensors give the bits of Backward on their
// sum, and that a second gradient of the wrong shape is refused.
func TestBackwardSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	shape := []int{3, 2, 4, 6, 6} // T N C H W: several chunks of work
	for _, mk := range []func() Layer{
		func() Layer { return NewPLIF("plif") },
		func() Layer { return NewNeuron("if", IF, 2) },
		func() Layer { return NewMaxPool2d("pool", 2, 2) },
	} {
		l := mk()
		t.Run(l.Name(), func(t *testing.T) {
			x := randTensor(rng, 1, 0.5, shape...)
			y, err := l.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			dy, dy2 := randTensor(rng, 1, 0, y.Shape...), randTensor(rng, 1, 0, y.Shape...)
			sum := NewTensor(y.Shape...)
			for i := range sum.Data {
				sum.Data[i] = dy.Data[i] + dy2.Data[i]
			}
			want, err := l.Backward(sum)
			if err != nil {
				t.Fatal(err)
			}
			want = &Tensor{Shape: want.Shape, Data: append([]float32(nil), want.Data...)}
			var got *Tensor
			switch l := l.(type) {
			case *Neuron:
				got, err = l.BackwardSum(dy, dy2)
			case *MaxPool2d:
				got, err = l.BackwardSum(dy, dy2)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(bits(want.Data), bits(got.Data)); d != "" {
				t.Errorf("BackwardSum differs from Backward on the sum (-want +got):\n%.500s", d)
			}
			bad := NewTensor(2, 2)
			switch l := l.(type) {
			case *Neuron:
				_, err = l.BackwardSum(dy, bad)
			case *MaxPool2d:
				_, err = l.BackwardSum(dy, bad)
			}
			if err == nil || !strings.Contains(err.Error(), "second output gradient") {
				t.Errorf("wrong-shape second gradient: got error %v, want one naming it", err)
			}
		})
	}
}
