package train

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// randomInput returns a batch for n with values in [-1, 2) (frames: event
// counts 0..2).
func randomInput(n *Net, batch int, rng *rand.Rand) *nn.Tensor {
	shape := n.InputShape(batch)
	x := nn.NewTensor(shape...)
	for i := range x.Data {
		if n.Graph().Encoding == ir.Frames {
			x.Data[i] = float32(rng.IntN(3))
		} else {
			x.Data[i] = float32(rng.Float64()*3 - 1)
		}
	}
	return x
}

// step runs one training forward and backward and checks the basics.
func step(t *testing.T, n *Net, batch int, rng *rand.Rand) {
	t.Helper()
	x := randomInput(n, batch, rng)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.IntN(n.Graph().Classes)
	}
	loss, err := n.Forward(x, labels)
	if err != nil {
		t.Fatalf("forward: %v\n%v", err, n.Graph())
	}
	if !(loss >= 0) {
		t.Fatalf("loss %v, want >= 0", loss)
	}
	nn.ZeroGrad(n.Params())
	if err := n.Backward(); err != nil {
		t.Fatalf("backward: %v", err)
	}
	if got := len(n.Counter().Data); got != batch*n.Graph().Classes {
		t.Errorf("counter has %d values, want %d", got, batch*n.Graph().Classes)
	}
}

// TestBuildZoo builds every zoo entry at its real size and checks the
// parameter count against ir.Count, then trains one step of a reduced copy
// (C = 4, T = 2) of each.
func TestBuildZoo(t *testing.T) {
	for _, e := range frontend.Zoo() {
		t.Run(e.Name, func(t *testing.T) {
			g, err := frontend.Lower(e.Spec)
			if err != nil {
				t.Fatal(err)
			}
			n, err := Build(g, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			var got int
			for _, p := range n.Params() {
				if !strings.HasSuffix(p.Name, ".w") { // PLIF w is not a synapse parameter
					got += len(p.Data)
				}
			}
			want := 0
			for _, pr := range g.Projs {
				want += pr.WeightLen()
				if pr.BN != nil {
					want += 2 * pr.Dst.Shape.C
				}
			}
			if got != want {
				t.Errorf("parameters: got %d, want %d (weights + BN gamma/beta)", got, want)
			}
			n.Close()
			if testing.Short() && e.Spec.Channels > 16 {
				return
			}
			s := e.Spec
			s.Channels, s.T = 4, 2
			gs, err := frontend.Lower(s)
			if err != nil {
				t.Fatal(err)
			}
			ns, err := Build(gs, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			defer ns.Close()
			step(t, ns, 2, rand.New(rand.NewPCG(2, 2)))
		})
	}
}

// TestBuildEveryBlock builds every macro with every candidate block in
// every position (uniform block lists), in SNN, ANN and frame-input forms,
// and trains one step.
func TestBuildEveryBlock(t *testing.T) {
	for _, macro := range []string{"snn1", "snn2", "snn3", "snn4", "snn1-8"} {
		nb, _ := frontend.MacroBlocks(macro)
		for _, blk := range frontend.Blocks() {
			for _, mode := range []string{"plif", "ann", "frames", "lif", "if"} {
				name := fmt.Sprintf("%s/%s/%s", macro, blk, mode)
				t.Run(name, func(t *testing.T) {
					blocks := make([]string, nb)
					for i := range blocks {
						blocks[i] = blk
					}
					s := frontend.DefaultSpec(blocks...)
					s.Name, s.Macro, s.Channels, s.T, s.Input = name, macro, 2, 2, []int{3, 16, 16}
					switch mode {
					case "ann", "lif", "if":
						s.Neuron = mode
					case "frames":
						s.Input = []int{2, 16, 16}
					}
					g, err := frontend.Lower(s)
					if err != nil {
						t.Fatal(err)
					}
					n, err := Build(g, rand.New(rand.NewPCG(3, 3)))
					if err != nil {
						t.Fatal(err)
					}
					defer n.Close()
					step(t, n, 2, rand.New(rand.NewPCG(4, 4)))
					if mode == "plif" {
						// Every block position builds on its own too.
						for pos := 1; pos <= nb; pos++ {
							b, err := BuildBlock(g, pos, fmt.Sprintf("cand.%d", pos), rand.New(rand.NewPCG(5, 5)), n.Env())
							if err != nil {
								t.Fatalf("block %d: %v", pos, err)
							}
							for _, p := range b.Params() {
								if !strings.HasPrefix(p.Name, fmt.Sprintf("cand.%d.", pos)) {
									t.Errorf("block %d parameter %s, want prefix cand.%d.", pos, p.Name, pos)
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestBlockMatchesNet checks that a block built on its own computes what the
// same block inside the whole net computes, forward and backward.
func TestBlockMatchesNet(t *testing.T) {
	s := frontend.DefaultSpec("SRB_k3", "SRB_k5", "skip", "SCB_k3", "skip")
	s.Channels, s.T, s.Input = 4, 3, []int{3, 16, 16}
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Build(g, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	step(t, n, 3, rand.New(rand.NewPCG(8, 8)))
	b, err := BuildBlock(g, 2, "", rand.New(rand.NewPCG(9, 9)), n.Env())
	if err != nil {
		t.Fatal(err)
	}
	// Copy the net's block-2 weights into the block.
	own := netTensors(n)
	for _, p := range append(b.Params(), b.Buffers()...) {
		src, ok := own[p.Name]
		if !ok {
			t.Fatalf("block parameter %s not in the net", p.Name)
		}
		copy(p.Data, src.Data)
	}
	n.SetTraining(false)
	b.SetTraining(false)
	if _, err := n.Forward(randomInput(n, 3, rand.New(rand.NewPCG(10, 10))), nil); err != nil {
		t.Fatal(err)
	}
	entry := n.seg.output(n.Graph().Pop("pool1"))
	y, err := b.Forward(entry)
	if err != nil {
		t.Fatal(err)
	}
	want := n.seg.output(n.Graph().Pop("tbd2.l2"))
	if e := maxAbsDiff(y.Data, want.Data); e != 0 {
		t.Errorf("block output differs from the net's by %g, want 0", e)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return 1e30
	}
	var m float64
	for i := range a {
		d := float64(a[i] - b[i])
		if d < 0 {
			d = -d
		}
		m = max(m, d)
	}
	return m
}
