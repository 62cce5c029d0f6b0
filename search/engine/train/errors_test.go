package train

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// tinyIR builds a 3-layer graph with the DSL of package ir; mod changes it
// before verification.
func tinyIR(t *testing.T, h ir.Header, mod func(b *ir.Builder, x *ir.Population) *ir.Population) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("tiny", h)
	x := b.Input("x", ir.Shape{C: 1, H: 8, W: 8})
	c := mod(b, x)
	b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(c, h.Classes*h.Vote))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestBuildErrors(t *testing.T) {
	h := ir.Header{T: 2, Classes: 2, Vote: 1}
	conv := func(n ir.Neuron) func(b *ir.Builder, x *ir.Population) *ir.Population {
		return func(b *ir.Builder, x *ir.Population) *ir.Population {
			return b.Layer("c1", n, ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 2, 3, 1))
		}
	}
	for _, c := range []struct {
		name string
		g    func() *ir.Graph
		want string
	}{
		{"reset", func() *ir.Graph {
			return tinyIR(t, h, conv(ir.Neuron{Model: ir.PLIF, Threshold: 1, Reset: -0.5}))
		}, "reset potential -0.5"},
		{"lif tau 1", func() *ir.Graph {
			return tinyIR(t, h, conv(ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: 1}))
		}, "LIF tau 1, want > 1"},
		{"sumpool", func() *ir.Graph {
			return tinyIR(t, h, func(b *ir.Builder, x *ir.Population) *ir.Population {
				c := b.Layer("c1", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 2, 3, 1))
				return b.Layer("p1", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RolePool, Block: 1}, ir.Pool(ir.SumPool, c, 2))
			})
		}, "sumpool is a compiler op"},
		{"cross-entropy with T 2", func() *ir.Graph {
			return tinyIR(t, ir.Header{T: 2, Classes: 2, Vote: 1, Loss: ir.CrossEntropy}, conv(ir.DefaultPLIF()))
		}, "want T = 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(c.g(), rand.New(rand.NewPCG(1, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := Build(tinyIR(t, h, conv(ir.DefaultPLIF())), nil); err == nil {
		t.Error("Build with a nil generator: got no error")
	}
}

func TestForwardErrors(t *testing.T) {
	g := tinyIR(t, ir.Header{T: 2, Classes: 2, Vote: 1}, func(b *ir.Builder, x *ir.Population) *ir.Population {
		return b.Layer("c1", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 2, 3, 1))
	})
	n, err := Build(g, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, c := range []struct {
		name   string
		x      *nn.Tensor
		labels []int
		want   string
	}{
		{"shape", nn.NewTensor(2, 3, 8, 8), nil, "input has shape [2 3 8 8], want [N 1 8 8]"},
		{"labels", nn.NewTensor(2, 1, 8, 8), []int{0}, "1 labels for a batch of 2"},
		{"label range", nn.NewTensor(2, 1, 8, 8), []int{0, 5}, "label 5 of sample 1 outside [0, 2)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := n.Forward(c.x, c.labels)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
	if err := n.Backward(); err == nil || !strings.Contains(err.Error(), "without a Forward") {
		t.Errorf("Backward after failed forwards: got %v, want a 'without a Forward' error", err)
	}
}
