package passes

import (
	"fmt"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes/internal/netgen"
)

// tinyNet builds a small spiking network with every op the frontend
// emits: conv+BN from the input (host), a residual block whose shortcut
// is a conv+BN (two batch-norms into one population), an identity
// shortcut, a max-pool relay, an avg-pool into LIF neurons, a global
// average pool and a dense head with voting.
func tinyNet(t *testing.T, enc ir.Encoding) *ir.Graph {
	t.Helper()
	nr := ir.DefaultPLIF()
	blk := func(l int) ir.Role { return ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: l, Choice: "SRB_k3"} }
	b := ir.NewBuilder("tiny", ir.Header{T: 6, Encoding: enc, Classes: 3, Vote: 2})
	x := b.Input("x", ir.Shape{C: 2, H: 8, W: 8})
	s := b.Layer("stem", nr, ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 4, 3, 1))
	l1 := b.Layer("b1.l1", nr, blk(1), ir.ConvBN(s, 6, 3, 1))
	l2 := b.Layer("b1.l2", nr, blk(2), ir.ConvBN(l1, 6, 3, 1), ir.ConvBN(s, 6, 1, 1).Named("b1.l2.shortcut"))
	l3 := b.Layer("b1.l3", ir.Neuron{Model: ir.IF, Threshold: 1}, blk(3), ir.ConvBN(l2, 6, 3, 1), ir.Skip(l2))
	p := b.Layer("pool1", ir.Neuron{Model: ir.Relay}, ir.Role{Kind: ir.RolePool, Block: 1}, ir.Pool(ir.MaxPool, l3, 2))
	a := b.Layer("pool2", ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, ir.Role{Kind: ir.RolePool, Block: 2}, ir.Pool(ir.AvgPool, p, 2))
	gp := b.Layer("gap", nr, ir.Role{Kind: ir.RoleGAP}, ir.GlobalAvgPool(a))
	b.Layer("fc", nr, ir.Role{Kind: ir.RoleHead}, ir.Full(gp, 6))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// zooNet lowers the named zoo network with c channels and an h x h input.
func zooNet(t *testing.T, name string, c, h int) *ir.Graph {
	t.Helper()
	e, ok := frontend.LookupZoo(name)
	if !ok {
		t.Fatalf("zoo has no %s", name)
	}
	e.Spec.Channels = c
	e.Spec.Input[1], e.Spec.Input[2] = h, h
	g, err := frontend.Lower(e.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// train gives g seeded random trained parameters (netgen.Train).
func train(g *ir.Graph, seed uint64) { netgen.Train(g, seed) }

// samples returns n seeded inputs for g (netgen.Samples).
func samples(g *ir.Graph, n int, seed uint64) [][]float32 { return netgen.Samples(g, n, seed) }

func target(t *testing.T, name string) *backends.Target {
	t.Helper()
	tg, err := backends.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// newUnit returns a unit for g on the named chip with a fresh report.
func newUnit(t *testing.T, g *ir.Graph, chip string, s [][]float32) *Unit {
	return &Unit{G: g, Target: target(t, chip), Samples: s, Report: &Report{}}
}

// runPasses runs the named passes in order, verifying before and after
// each, and fails the test on any error.
func runPasses(t *testing.T, u *Unit, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := ir.Verify(u.G); err != nil {
			t.Fatalf("before %s: %v", n, err)
		}
		i := -1
		for j, p := range passes {
			if p.Name == n {
				i = j
			}
		}
		if i < 0 {
			t.Fatalf("no pass %s", n)
		}
		if err := passes[i].Fn(u); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if err := ir.Verify(u.G); err != nil {
			t.Fatalf("after %s: %v\n%s", n, err, u.G)
		}
	}
}

// raster runs x on every input and returns, per input, the output of every
// population at every step (the full spike raster).
func raster(t *testing.T, run func([]float32, ir.StepFunc) (ir.Result, error), ins [][]float32) [][][]float32 {
	t.Helper()
	var all [][][]float32
	for _, in := range ins {
		var steps [][]float32
		if _, err := run(in, func(_, _ int, out []float32) { steps = append(steps, append([]float32(nil), out...)) }); err != nil {
			t.Fatal(err)
		}
		all = append(all, steps)
	}
	return all
}

// rasterDiff returns "" when the rasters are identical, else where they
// first differ (cmp.Diff is too slow for rasters of this size).
func rasterDiff(g *ir.Graph, a, b [][][]float32) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d inputs vs %d", len(a), len(b))
	}
	for k := range a {
		if len(a[k]) != len(b[k]) {
			return fmt.Sprintf("input %d: %d outputs vs %d", k, len(a[k]), len(b[k]))
		}
		for s := range a[k] {
			for j := range a[k][s] {
				if a[k][s][j] != b[k][s][j] {
					n := len(g.Pops)
					return fmt.Sprintf("input %d, step %d, population %s, neuron %d: %g vs %g", k, s/n, g.Pops[s%n].Name, j, a[k][s][j], b[k][s][j])
				}
			}
		}
	}
	return ""
}
