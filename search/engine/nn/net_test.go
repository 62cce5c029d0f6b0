package nn

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/engine/nn/fixture"
	"github.com/autosnn/autosnn/search/engine/tensor"
	"github.com/google/go-cmp/cmp"
)

// This file assembles the whole-network fixtures of search/engine/train/testdata by
// hand from the layers of this package (the real assembler lives in
// search/engine/train) to prove that the layers compose to the reference network:
// direct encoding, residual adds with shortcut BN, per-step BN statistics,
// pooled-spike counting, gradients of every parameter, running statistics
// and eval mode.

// chain runs layers in order.
func chain(x *Tensor, layers ...Layer) (*Tensor, error) {
	return NewSequential("", layers...).Forward(x)
}

// backChain runs the backward of layers given in forward order.
func backChain(dy *Tensor, layers ...Layer) (*Tensor, error) {
	return NewSequential("", layers...).Backward(dy)
}

type testNet struct {
	net  *Sequential
	loss MSERateLoss
}

// buildTestNet assembles the fixture's network from Sequential and Residual
// containers; blocks follow search/engine/train/testdata/README.md.
func buildTestNet(t *testing.T, f *fixture.File) *testNet {
	t.Helper()
	var blocks []string
	for _, b := range f.Meta["blocks"].([]any) {
		blocks = append(blocks, b.(string))
	}
	hw := int(f.Meta["input"].([]any)[1].(float64))
	ws := tensor.NewWorkspace(2)
	t.Cleanup(ws.Close)
	workers := NewWorkers(2)
	t.Cleanup(workers.Close)
	return buildNet(f.Meta["macro"].(string), blocks, metaInt(t, f, "C"), metaInt(t, f, "classes"), hw, metaInt(t, f, "T"), ws, workers)
}

// buildNet assembles an AutoSNN macro network (SNN_1..SNN_4) for hw x hw x 3
// input from the layers of this package.
func buildNet(macro string, blocks []string, c, classes, hw, steps int, ws *tensor.Workspace, workers *Workers) *testNet {
	rng := rand.New(rand.NewPCG(1, 1))
	stemConv := NewConv2d("stem.conv", 3, c, 3, 1, 1, rng, ws)
	stemConv.NoInputGrad = true
	layers := []Layer{stemConv, NewBatchNorm("stem.bn", c), NewRepeat("encode", steps), NewPLIF("stem.plif")}
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
				layers = append(layers, NewAvgPool2d(name+".avg", 2, 2), NewPLIF(name+".plif"))
			} else {
				layers = append(layers, NewMaxPool2d(name, 2, 2))
			}
			continue
		}
		kind, cout, st := blocks[i], chans[i], strides[i]
		name := fmt.Sprintf("blocks.%d", i)
		if kind == "skip" && cin == cout && st == 1 {
			layers = append(layers, NewSequential(name)) // identity
			continue
		}
		k := map[string]int{"skip": 1, "SCB_k3": 3, "SCB_k5": 5, "SRB_k3": 3, "SRB_k5": 5}[kind]
		first := []Layer{NewConv2d(name+".conv1", cin, cout, k, st, k/2, rng, ws), NewBatchNorm(name+".bn1", cout), NewPLIF(name + ".plif1")}
		second := []Layer{NewConv2d(name+".conv2", cout, cout, k, 1, k/2, rng, ws), NewBatchNorm(name+".bn2", cout)}
		switch {
		case kind == "skip":
			layers = append(layers, NewSequential(name, first...))
		case strings.HasPrefix(kind, "SCB"):
			layers = append(layers, NewSequential(name, append(append(first, second...), NewPLIF(name+".plif2"))...))
		default:
			var short Layer
			if cin != cout || st != 1 {
				short = NewSequential(name+".shortcut", NewConv2d(name+".shortcut.conv", cin, cout, 1, st, 0, rng, ws), NewBatchNorm(name+".shortcut.bn", cout))
			}
			layers = append(layers, NewResidual(name, NewSequential(name+".main", append(first, second...)...), short, NewPLIF(name+".plif2")))
		}
		cin = cout
	}
	res := hw / 8
	feat := cin * res * res
	if macro == "SNN_2" {
		layers = append(layers, NewGlobalAvgPool("gap"), NewPLIF("gap.plif"))
		feat = cin
	}
	layers = append(layers, NewFlatten("flatten"), NewLinear("fc", feat, 10*classes, rng, ws), NewPLIF("fc_plif"), NewVote("vote", 10))
	n := &testNet{net: NewSequential("net", layers...)}
	UseWorkers(n.net, workers)
	return n
}

func (n *testNet) forward(x *Tensor, labels []int) (float64, error) {
	h, err := n.net.Forward(x)
	if err != nil {
		return 0, err
	}
	return n.loss.Forward(h, labels)
}

func (n *testNet) backward() error {
	d, err := n.loss.Backward()
	if err != nil {
		return err
	}
	_, err = n.net.Backward(d)
	return err
}

func (n *testNet) tensors() map[string]*Param {
	out := map[string]*Param{}
	for _, p := range append(n.net.Params(), Buffers(n.net)...) {
		out[p.Name] = p
	}
	return out
}

func (n *testNet) spikes() map[string]int64 {
	out := map[string]int64{}
	for _, l := range Leaves(n.net) {
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
			net.net.SetTraining(false)
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
