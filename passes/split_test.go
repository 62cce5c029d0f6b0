package passes

import (
	"errors"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes/internal/netgen"
)

// profiles are the built-in test chips every property test runs on.
var testChips = []string{"tiny", "tiny-2chip"}

func lookup(t *testing.T, name string) *backends.Target {
	t.Helper()
	tg, err := backends.Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func randGraph(t *testing.T, seed uint64) *ir.Graph {
	t.Helper()
	g, err := netgen.Graph(seed)
	if err != nil {
		t.Fatalf("netgen.Graph(%d): %v", seed, err)
	}
	return g
}

// bruteFragment counts a fragment's synapses and distinct sources neuron by
// neuron with ir.SynapsesInto, independently of the box arithmetic of
// measure.
func bruteFragment(g *ir.Graph, f *Fragment) (syn int64, fanIn int) {
	p := g.Pops[f.Pop]
	seen := map[[2]int]bool{}
	for _, e := range chipInputs(g, p) {
		si := g.Index(e.Src)
		for c := f.C0; c < f.C1; c++ {
			for h := f.H0; h < f.H1; h++ {
				for w := f.W0; w < f.W1; w++ {
					ir.SynapsesInto(e, (c*p.Shape.H+h)*p.Shape.W+w, func(j, _ int) {
						syn++
						seen[[2]int{si, j}] = true
					})
				}
			}
		}
	}
	return syn, len(seen)
}

// TestSplitProperties: fragments of every population are disjoint and
// cover it, each fits a core on its own, and the counted synapses and
// fan-in agree with a neuron-by-neuron recount.
func TestSplitProperties(t *testing.T) {
	for _, chip := range testChips {
		tg := lookup(t, chip)
		lim := TargetLimits(tg)
		fits := 0
		for seed := uint64(1); seed <= 25; seed++ {
			g := randGraph(t, seed)
			sr, err := Split(g, tg, SplitOptions{})
			if err != nil {
				var fe *FitError
				if !errors.As(err, &fe) {
					t.Fatalf("%s seed %d: Split: %v, want nil or a *FitError", chip, seed, err)
				}
				continue
			}
			fits++
			for i, p := range g.Pops {
				if i == 0 {
					continue
				}
				owner := make([]int, p.Shape.Len())
				for fi := sr.First[i]; fi < sr.Last[i]; fi++ {
					f := &sr.Frags[fi]
					for c := f.C0; c < f.C1; c++ {
						for h := f.H0; h < f.H1; h++ {
							for w := f.W0; w < f.W1; w++ {
								owner[(c*p.Shape.H+h)*p.Shape.W+w]++
							}
						}
					}
					if f.Neurons > lim.Neurons || memBytes(tg, f.Weights) > lim.MemBytes || (lim.FanIn > 0 && f.FanIn > lim.FanIn) {
						t.Errorf("%s seed %d: fragment %+v does not fit a core (%+v)", chip, seed, *f, lim)
					}
					syn, fan := bruteFragment(g, f)
					if syn != f.Synapses || fan != f.FanIn {
						t.Errorf("%s seed %d layer %s fragment %d: synapses %d fan-in %d, want %d and %d", chip, seed, p.Name, fi, f.Synapses, f.FanIn, syn, fan)
					}
				}
				for j, n := range owner {
					if n != 1 {
						t.Fatalf("%s seed %d layer %s: neuron %d in %d fragments, want 1\n%v", chip, seed, p.Name, j, n, g)
					}
				}
			}
		}
		if fits < 15 {
			t.Errorf("%s: %d of 25 random nets split, want >= 15 (the property is barely exercised)", chip, fits)
		}
	}
}

// fitGraph builds input -> dense(out) -> dense(out2) for fit-error cases.
// With out > 1000 it is instead a conv net of about out neurons per layer
// whose every neuron fits a core (fan-in 72) but whose layers do not fit
// the chip.
func fitGraph(t *testing.T, in, out int, model ir.Model) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("fit", ir.Header{T: 2, Classes: 2, Vote: 1})
	n := ir.DefaultPLIF()
	n.Model = model
	blk := ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}
	if out > 1000 {
		side := 1
		for 8*side*side < out || side%2 != 0 {
			side++
		}
		x := b.Input("x", ir.Shape{C: 1, H: side, W: side})
		c1 := b.Layer("conv1", n, blk, ir.ConvBN(x, 8, 3, 1))
		c2 := b.Layer("conv2", n, blk, ir.ConvBN(c1, 8, 3, 1))
		gap := b.Layer("pool", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.AvgPool, c2, side/2))
		b.Layer("head", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(gap, 2))
	} else {
		x := b.Input("x", ir.Shape{C: in, H: 1, W: 1})
		h := b.Layer("hidden", n, blk, ir.Full(x, out))
		h2 := b.Layer("wide", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 2}, ir.Full(h, out))
		b.Layer("head", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(h2, 2))
	}
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var fitCases = []struct {
	name     string
	chip     string
	in, out  int
	model    ir.Model
	layer    string
	resource string
	hint     string
}{
	// 300 sources per neuron: tiny accepts 128 input axons per core.
	{"fan-in", "tiny", 4, 300, ir.PLIF, "wide", "input axons", "would fit"},
	// 2 x 3000 neurons: more than 8 cores x 64 neurons.
	{"cores", "tiny", 4, 3000, ir.PLIF, "", "cores", "chips"},
	{"memory per neuron", "truenorth", 4, 500, ir.PLIF, "wide", "input axons", "chips"},
	{"relu", "tiny", 4, 10, ir.ReLU, "hidden", "", ""},
}

func TestSplitFitErrors(t *testing.T) {
	for _, c := range fitCases {
		t.Run(c.name, func(t *testing.T) {
			g := fitGraph(t, c.in, c.out, c.model)
			_, err := Split(g, lookup(t, c.chip), SplitOptions{})
			if err == nil {
				t.Fatalf("Split: nil error, want one naming layer %q resource %q", c.layer, c.resource)
			}
			msg := err.Error()
			if c.layer != "" && !strings.Contains(msg, "layer "+c.layer) {
				t.Errorf("error %q does not name layer %s", msg, c.layer)
			}
			if c.layer == "" && c.resource != "" && !strings.Contains(msg, "network") {
				t.Errorf("error %q does not blame the network", msg)
			}
			if !strings.Contains(msg, c.resource) || !strings.Contains(msg, c.hint) {
				t.Errorf("error %q, want resource %q and hint %q", msg, c.resource, c.hint)
			}
			var fe *FitError
			if c.resource != "" {
				if !errors.As(err, &fe) || !(fe.Need > fe.Have) {
					t.Errorf("error %v: want a *FitError with need > have", err)
				}
			}
		})
	}
}
