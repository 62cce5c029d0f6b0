package passes

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/ir"
)

// fanOutNet is a small net on an 8 x 8 input: a host conv into stem
// (4 x 8 x 8 = 256 neurons), then either a 3 x 3 conv (overlapping windows
// chain all 512 neurons of mid) or a 1 x 1 conv (8 targets per neuron, one
// pixel each), a 2 x 2 average pool (one target per neuron) and a dense
// head of out neurons.
func fanOutNet(t *testing.T, k, out int) *ir.Graph {
	t.Helper()
	nr := ir.DefaultPLIF()
	b := ir.NewBuilder("fanout", ir.Header{T: 4, Encoding: ir.Direct, Classes: 2, Vote: out / 2})
	x := b.Input("x", ir.Shape{C: 1, H: 8, W: 8})
	s := b.Layer("stem", nr, ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 4, 3, 1))
	m := b.Layer("mid", nr, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, ir.ConvBN(s, 8, k, 1))
	p := b.Layer("pool", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RolePool, Block: 1}, ir.Pool(ir.AvgPool, m, 2))
	b.Layer("head", nr, ir.Role{Kind: ir.RoleHead}, ir.Full(p, out))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var fanOutCases = []struct {
	name   string
	k, out int
	chip   string
	layer  string // "" when the check passes
	need   float64
	detail string
}{
	{"1x1 conv fits truenorth", 1, 4, "truenorth", "", 0, ""},
	{"3x3 conv chains 512 targets", 3, 4, "truenorth", "stem", 2, "chains 512 target neurons (mid and on)"},
	{"dense head of 300", 1, 300, "truenorth", "pool", 2, "reaches 300 target neurons"},
	{"loihi has no limit", 3, 300, "loihi1", "", 0, ""},
}

func TestFanOutFit(t *testing.T) {
	for _, c := range fanOutCases {
		t.Run(c.name, func(t *testing.T) {
			g := fanOutNet(t, c.k, c.out)
			train(g, 1)
			u := newUnit(t, g, c.chip, nil)
			runPasses(t, u, "fold-bn", "lower-ops")
			err := fanOutPass(u)
			if c.layer == "" {
				if err != nil {
					t.Fatalf("fan-out on %s: %v, want nil", c.chip, err)
				}
				return
			}
			var fe *FitError
			if !errors.As(err, &fe) {
				t.Fatalf("fan-out on %s: %v, want a *FitError", c.chip, err)
			}
			if fe.Layer != c.layer || fe.Resource != "destination cores per neuron" || fe.Need != c.need || fe.Have != 1 {
				t.Errorf("got layer %q resource %q need %g have %g, want layer %q, destination cores per neuron, need %g, have 1", fe.Layer, fe.Resource, fe.Need, fe.Have, c.layer, c.need)
			}
			if !strings.Contains(fe.Error(), c.detail) || strings.Contains(fe.Hint, "truenorth") {
				t.Errorf("error %q, want it to say %q and not to suggest truenorth", fe.Error(), c.detail)
			}
		})
	}
}

// TestFanOutCompile: a net that passes the check compiles on truenorth with
// every limit holding (verify recounts one destination core per neuron;
// its weights are ternary and typed, as truenorth's 4 axon types need);
// a zoo net is refused by the fan-out pass, before split.
func TestFanOutCompile(t *testing.T) {
	g := fanOutNet(t, 1, 4)
	train(g, 1)
	typedTernary(g)
	u := newUnit(t, g, "truenorth", samples(g, 2, 1))
	if err := Compile(context.Background(), u, Config{Verify: true}); err != nil {
		t.Fatalf("compile on truenorth: %v", err)
	}
	if m := u.Report.Mapping; m == nil {
		t.Fatal("no mapping report")
	}

	z := zooNet(t, "snn2-scb3", 4, 16)
	train(z, 1)
	u = newUnit(t, z, "truenorth", nil)
	err := Compile(context.Background(), u, Config{})
	var fe *FitError
	if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "passes: fan-out: layer ") {
		t.Fatalf("compile snn2-scb3 on truenorth: %v, want a fan-out FitError", err)
	}
	if last := u.Report.Passes[len(u.Report.Passes)-1].Name; last != "fan-out" {
		t.Errorf("last pass run %s, want fan-out", last)
	}
}

// TestFitHintSkipsFanOut: the "would fit" chips of a network too large
// for tiny do not name truenorth when its fan-out cannot meet truenorth's
// one destination core per neuron.
func TestFitHintSkipsFanOut(t *testing.T) {
	g := fitGraph(t, 1, 3000, ir.PLIF)
	train(g, 1)
	u := newUnit(t, g, "tiny", nil)
	runPasses(t, u, "fold-bn", "lower-ops")
	if err := fanOutFit(target(t, "truenorth"), g.Projs); err == nil {
		t.Fatal("fixture fits truenorth's fan-out; the test needs one that does not")
	}
	chips := chipsByBound(g, u.Target)
	if len(chips) == 0 || strings.Contains(strings.Join(chips, ","), "truenorth") {
		t.Errorf("chips by bound %v, want some chips and no truenorth", chips)
	}
}
