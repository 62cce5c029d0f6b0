package nn

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/nn/fixture"
	"github.com/autosnn/autosnn/search/tensor"
	"github.com/google/go-cmp/cmp"
)

// This file assembles the whole-network fixtures of search/train/testdata by
// hand from the layers of this package (the real assembler lives in
// search/train) to prove that the layers compose to the reference network:
// direct encoding, residual adds with shortcut BN, per-step BN statistics,
// pooled-spike counting, gradients of every parameter, running statistics
// and eval mode.

type testBlock struct {
	identity, residual bool
	conv1, conv2, sc   *Conv2d
	bn1, bn2, scbn     *BatchNorm
	plif1, plif2       *Neuron
	add                *Add
	x                  *Tensor
}

func (b *testBlock) forward(x *Tensor) (*Tensor, error) {
	if b.identity {
		return x, nil
	}
	b.x = x
	h, err := chain(x, b.conv1, b.bn1, b.plif1)
	if err != nil || b.conv2 == nil {
		return h, err
	}
	if h, err = chain(h, b.conv2, b.bn2); err != nil {
		return nil, err
	}
	if b.residual {
		short := x
		if b.sc != nil {
			if short, err = chain(x, b.sc, b.scbn); err != nil {
				return nil, err
			}
		}
		if h, err = b.add.Forward(h, short); err != nil {
			return nil, err
		}
	}
	return b.plif2.Forward(h)
}

func (b *testBlock) backward(dy *Tensor) (*Tensor, error) {
	if b.identity {
		return dy, nil
	}
	var dshort *Tensor
	d := dy
	var err error
	if b.conv2 != nil {
		if d, err = b.plif2.Backward(d); err != nil {
			return nil, err
		}
		if b.residual {
			if d, dshort, err = b.add.Backward(d); err != nil {
				return nil, err
			}
		}
		if d, err = backChain(d, b.conv2, b.bn2); err != nil {
			return nil, err
		}
	}
	dx, err := backChain(d, b.conv1, b.bn1, b.plif1)
	if err != nil || dshort == nil {
		return dx, err
	}
	if b.sc != nil {
		if dshort, err = backChain(dshort, b.sc, b.scbn); err != nil {
			return nil, err
		}
	}
	return dx, AccumulateGrad(dx, dshort)
}

// chain runs layers in order.
func chain(x *Tensor, layers ...Layer) (*Tensor, error) {
	var err error
	for _, l := range layers {
		if x, err = l.Forward(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// backChain runs the backward of layers given in forward order.
func backChain(dy *Tensor, layers ...Layer) (*Tensor, error) {
	var err error
	for i := len(layers) - 1; i >= 0; i-- {
		if dy, err = layers[i].Backward(dy); err != nil {
			return nil, err
		}
	}
	return dy, nil
}

type testNet struct {
	head   []Layer // stem conv, stem bn, repeat, stem plif
	stages []func(*Tensor) (*Tensor, error)
	backs  []func(*Tensor) (*Tensor, error)
	tail   []Layer // [gap, gap plif,] flatten, fc, fc plif, vote
	layers []Layer // every layer, for params, buffers, modes, counters
	loss   MSERateLoss
}

func buildTestNet(t *testing.T, f *fixture.File) *testNet {
	t.Helper()
	macro := f.Meta["macro"].(string)
	var blocks []string
	for _, b := range f.Meta["blocks"].([]any) {
		blocks = append(blocks, b.(string))
	}
	c, classes, steps := metaInt(t, f, "C"), metaInt(t, f, "classes"), metaInt(t, f, "T")
	hw := int(f.Meta["input"].([]any)[1].(float64))
	rng := rand.New(rand.NewPCG(1, 1))
	ws := tensor.NewWorkspace(2)
	t.Cleanup(ws.Close)
	n := &testNet{}
	add := func(l Layer) Layer { n.layers = append(n.layers, l); return l }
	stemConv := NewConv2d("stem.conv", 3, c, 3, 1, 1, rng, ws)
	stemConv.NoInputGrad = true
	n.head = []Layer{add(stemConv), add(NewBatchNorm("stem.bn", c)), add(NewRepeat("encode", steps)), add(NewPLIF("stem.plif"))}
	chans, strides := []int{c, 2 * c, 2 * c, 4 * c, 4 * c}, []int{1, 1, 1, 1, 1}
	order := []string{"b0", "p0", "b1", "b2", "p1", "b3", "b4", "p2"}
	if macro == "SNN_3" {
		chans = []int{c, 2 * c, 2 * c, 2 * c, 4 * c, 4 * c, 4 * c, 8 * c}
		strides = []int{1, 2, 1, 1, 2, 1, 1, 2}
		order = []string{"b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"}
	}
	cin := c
	for _, o := range order {
		i := int(o[1] - '0')
		if o[0] == 'p' {
			name := fmt.Sprintf("pools.%d", i)
			if macro == "SNN_4" {
				ls := []Layer{add(NewAvgPool2d(name+".avg", 2, 2)), add(NewPLIF(name + ".plif"))}
				n.stages = append(n.stages, func(x *Tensor) (*Tensor, error) { return chain(x, ls...) })
				n.backs = append(n.backs, func(d *Tensor) (*Tensor, error) { return backChain(d, ls...) })
			} else {
				l := add(NewMaxPool2d(name, 2, 2))
				n.stages = append(n.stages, l.Forward)
				n.backs = append(n.backs, l.Backward)
			}
			continue
		}
		kind, cout, st := blocks[i], chans[i], strides[i]
		name := fmt.Sprintf("blocks.%d", i)
		b := &testBlock{identity: kind == "skip" && cin == cout && st == 1}
		if !b.identity {
			k := map[string]int{"skip": 1, "SCB_k3": 3, "SCB_k5": 5, "SRB_k3": 3, "SRB_k5": 5}[kind]
			b.conv1 = add(NewConv2d(name+".conv1", cin, cout, k, st, k/2, rng, ws)).(*Conv2d)
			b.bn1 = add(NewBatchNorm(name+".bn1", cout)).(*BatchNorm)
			b.plif1 = add(NewPLIF(name + ".plif1")).(*Neuron)
			if kind != "skip" {
				b.conv2 = add(NewConv2d(name+".conv2", cout, cout, k, 1, k/2, rng, ws)).(*Conv2d)
				b.bn2 = add(NewBatchNorm(name+".bn2", cout)).(*BatchNorm)
				b.plif2 = add(NewPLIF(name + ".plif2")).(*Neuron)
				b.residual = strings.HasPrefix(kind, "SRB")
				b.add = NewAdd(name + ".add")
				if b.residual && (cin != cout || st != 1) {
					b.sc = add(NewConv2d(name+".shortcut.conv", cin, cout, 1, st, 0, rng, ws)).(*Conv2d)
					b.scbn = add(NewBatchNorm(name+".shortcut.bn", cout)).(*BatchNorm)
				}
			}
		}
		n.stages = append(n.stages, b.forward)
		n.backs = append(n.backs, b.backward)
		cin = cout
	}
	res := hw / 8
	feat := cin * res * res
	if macro == "SNN_2" {
		n.tail = append(n.tail, add(NewGlobalAvgPool("gap")), add(NewPLIF("gap.plif")))
		feat = cin
	}
	n.tail = append(n.tail, add(NewFlatten("flatten")), add(NewLinear("fc", feat, 10*classes, rng, ws)),
		add(NewPLIF("fc_plif")), add(NewVote("vote", 10)))
	return n
}

func (n *testNet) forward(x *Tensor, labels []int) (float64, error) {
	h, err := chain(x, n.head...)
	if err != nil {
		return 0, err
	}
	for _, s := range n.stages {
		if h, err = s(h); err != nil {
			return 0, err
		}
	}
	if h, err = chain(h, n.tail...); err != nil {
		return 0, err
	}
	return n.loss.Forward(h, labels)
}

func (n *testNet) backward() error {
	d, err := n.loss.Backward()
	if err != nil {
		return err
	}
	if d, err = backChain(d, n.tail...); err != nil {
		return err
	}
	for i := len(n.backs) - 1; i >= 0; i-- {
		if d, err = n.backs[i](d); err != nil {
			return err
		}
	}
	_, err = backChain(d, n.head...)
	return err
}

func (n *testNet) tensors() map[string]*Param {
	out := map[string]*Param{}
	for _, l := range n.layers {
		for _, p := range l.Params() {
			out[p.Name] = p
		}
		if b, ok := l.(Buffered); ok {
			for _, p := range b.Buffers() {
				out[p.Name] = p
			}
		}
	}
	return out
}

func (n *testNet) spikes() map[string]int64 {
	out := map[string]int64{}
	for _, l := range n.layers {
		if c, ok := l.(SpikeCounter); ok {
			out[l.Name()] = c.Spikes()
		}
	}
	return out
}

func TestNetworkFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "train", "testdata", "*.fix.gz"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no network fixtures found (err %v)", err)
	}
	for _, path := range paths {
		f, err := fixture.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(f.Name, func(t *testing.T) {
			net := buildTestNet(t, f)
			params := net.tensors()
			// Every initial tensor of the fixture is loaded into a parameter
			// or buffer of the same name, and every one of those is loaded.
			var missing []string
			loaded := map[string]bool{}
			for _, name := range f.TensorNames() {
				pn, ok := strings.CutPrefix(name, "init/")
				if !ok {
					continue
				}
				p, ok := params[pn]
				if !ok {
					missing = append(missing, pn)
					continue
				}
				copy(p.Data, fixTensor(t, f, name).Data)
				loaded[pn] = true
			}
			for pn := range params {
				if !loaded[pn] {
					missing = append(missing, "(net) "+pn)
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Fatalf("names not matched between fixture and network: %v", missing)
			}
			x := fixTensor(t, f, "input")
			x.Shape = append([]int{1}, x.Shape...)
			labels, _ := f.Ints("labels")
			loss, err := net.forward(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := f.Scalar("loss")
			checkData(t, "loss", []float32{float32(loss)}, []float32{float32(want)})
			checkClose(t, f, "counter", net.loss.Counter())
			wantSpikes := map[string]int64{}
			for _, k := range f.IntNames() {
				if name, ok := strings.CutPrefix(k, "spikes/"); ok {
					wantSpikes[name], _ = f.Int(k)
				}
			}
			if diff := cmp.Diff(wantSpikes, net.spikes()); diff != "" {
				t.Errorf("spikes per layer (-want +got):\n%s", diff)
			}
			ZeroGrad(paramList(params))
			if err := net.backward(); err != nil {
				t.Fatal(err)
			}
			for _, name := range f.TensorNames() {
				if pn, ok := strings.CutPrefix(name, "grad/"); ok {
					checkData(t, name, params[pn].Grad, fixTensor(t, f, name).Data)
				}
				if pn, ok := strings.CutPrefix(name, "after/"); ok {
					checkData(t, name, params[pn].Data, fixTensor(t, f, name).Data)
				}
			}
			for _, l := range net.layers {
				l.SetTraining(false)
			}
			if _, err := net.forward(x, labels); err != nil {
				t.Fatal(err)
			}
			checkClose(t, f, "eval/counter", net.loss.Counter())
			wantEval := map[string]int64{}
			for _, k := range f.IntNames() {
				if name, ok := strings.CutPrefix(k, "eval_spikes/"); ok {
					wantEval[name], _ = f.Int(k)
				}
			}
			if diff := cmp.Diff(wantEval, net.spikes()); diff != "" {
				t.Errorf("eval spikes per layer (-want +got):\n%s", diff)
			}
		})
	}
}

func paramList(m map[string]*Param) []*Param {
	var out []*Param
	for _, p := range m {
		if p.Grad != nil {
			out = append(out, p)
		}
	}
	return out
}
