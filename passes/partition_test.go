package passes

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes/internal/netgen"
)

// problemFor splits a random net with random rates; ok is false when the
// net does not fit the chip.
func problemFor(t *testing.T, chip string, seed uint64) (*ir.Graph, *Problem, bool) {
	t.Helper()
	g := randGraph(t, seed)
	netgen.Rates(g, seed, 0.5)
	_, p, err := SplitAndBuild(g, lookup(t, chip), SplitOptions{})
	if err != nil {
		return g, nil, false
	}
	return g, p, true
}

// TestPartitionProperties: every fragment in exactly one part, parts within
// every limit, refinement never worse than the packing, Cost consistent,
// and the result deterministic.
func TestPartitionProperties(t *testing.T) {
	for _, chip := range testChips {
		tg := lookup(t, chip)
		lim := TargetLimits(tg)
		done, coarsened := 0, 0
		for seed := uint64(1); seed <= 20; seed++ {
			g, p, ok := problemFor(t, chip, seed)
			if !ok {
				continue
			}
			for _, levels := range []int{0, -1} {
				// The multilevel run may use any number of parts: on the
				// tiny chips a coarse packing often needs more than the
				// 8 or 16 cores, and falls back to the flat scheme.
				opt := PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores, Levels: levels}
				if levels != 0 {
					opt.MaxParts = 0
				}
				pt, err := PartitionProblem(g, p, lim, opt)
				if err != nil {
					continue // a *FitError: more parts than cores
				}
				done++
				if pt.Levels > 0 {
					coarsened++
				}
				if len(pt.Part) != len(p.Frags) {
					t.Fatalf("%s seed %d: %d assignments, want %d", chip, seed, len(pt.Part), len(p.Frags))
				}
				used := make([]bool, pt.K)
				for v, q := range pt.Part {
					if q < 0 || int(q) >= pt.K {
						t.Fatalf("%s seed %d: fragment %d in part %d, want 0..%d", chip, seed, v, q, pt.K-1)
					}
					used[q] = true
				}
				for q, u := range used {
					if !u {
						t.Errorf("%s seed %d: part %d empty, want parts numbered densely", chip, seed, q)
					}
				}
				if v := p.PartLimits(pt, lim); len(v) > 0 {
					t.Errorf("%s seed %d: limits violated: %v", chip, seed, v)
				}
				if pt.Cost > pt.InitialCost+1e-9 {
					t.Errorf("%s seed %d: refined cost %g > initial %g", chip, seed, pt.Cost, pt.InitialCost)
				}
				if c := p.Cost(pt.Part); c != pt.Cost {
					t.Errorf("%s seed %d: Cost = %g, recomputed %g", chip, seed, pt.Cost, c)
				}
				again, err := PartitionProblem(g, p, lim, opt)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(pt.Part, again.Part); diff != "" {
					t.Errorf("%s seed %d levels %d: partition not deterministic (-first +second):\n%s", chip, seed, levels, diff)
				}
			}
		}
		if coarsened == 0 {
			t.Errorf("%s: no multilevel run coarsened", chip)
		}
		if done < 20 {
			t.Errorf("%s: %d random nets partitioned (flat and multilevel), want >= 20", chip, done)
		}
	}
}

// TestMetisGraph: the exported graph is valid METIS input whose vertex
// weights are the fragments' neurons and memory.
func TestMetisGraph(t *testing.T) {
	_, p, ok := problemFor(t, "tiny", 3)
	if !ok {
		t.Skip("seed 3 does not fit tiny")
	}
	mg := p.MetisGraph()
	if err := mg.Check(); err != nil {
		t.Fatal(err)
	}
	for v := range p.Frags {
		if got, want := mg.VWeights[v], []int64{int64(p.Neurons[v]), p.Mem[v]}; !cmp.Equal(got, want) {
			t.Errorf("vertex %d weights %v, want %v", v, got, want)
		}
	}
	part := make([]int, len(p.Frags))
	for v := range part {
		part[v] = v % 3
	}
	pt, err := p.ImportPartition(part, 3)
	if err != nil {
		t.Fatal(err)
	}
	if pt.K != min(3, len(p.Frags)) || pt.Cost != p.Cost(pt.Part) {
		t.Errorf("imported K %d cost %g, want %d and %g", pt.K, pt.Cost, min(3, len(p.Frags)), p.Cost(pt.Part))
	}
	if _, err := p.ImportPartition(part[1:], 3); err == nil {
		t.Errorf("ImportPartition of a short list: nil error")
	}
}

// runBackHalf runs split..verify on u (no quantize: the back half needs
// connectivity and rates only).
func runBackHalf(u *Unit) error {
	u.Report = &Report{}
	for _, f := range []func(*Unit) error{splitPass, partitionPass, partitionChipsPass, placePass, routePass, verifyPass} {
		if err := f(u); err != nil {
			return err
		}
	}
	return nil
}

// TestLayerCores maps a small conv net onto Speck's layer cores: one
// population per core, each fitting its core's kernel and neuron memory.
func TestLayerCores(t *testing.T) {
	build := func(layers int) *ir.Graph {
		b := ir.NewBuilder("speck", ir.Header{T: 2, Classes: 2, Vote: 1})
		x := b.Input("x", ir.Shape{C: 2, H: 16, W: 16})
		n := ir.Neuron{Model: ir.IF, Threshold: 1}
		cur := b.Layer("c0", n, ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 8, 3, 1))
		for i := 1; i < layers; i++ {
			cur = b.Layer(fmt.Sprintf("c%d", i), n, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: i}, ir.ConvBN(cur, 8, 3, 1))
		}
		pool := b.Layer("pool", n, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.SumPool, cur, 4))
		b.Layer("head", n, ir.Role{Kind: ir.RoleHead}, ir.Full(pool, 2))
		g, err := b.Graph()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	tg := lookup(t, "speck")
	g := build(3)
	u := &Unit{G: g, Target: tg, Seed: 1}
	if err := runBackHalf(u); err != nil {
		t.Fatalf("speck, %d populations: %v", len(g.Pops)-1, err)
	}
	used := map[int32]string{}
	for _, p := range g.Pops[1:] {
		c := p.Core[0]
		for _, x := range p.Core {
			if x != c {
				t.Fatalf("layer %s spread over cores %d and %d, want one layer core", p.Name, c, x)
			}
		}
		if o, ok := used[c]; ok {
			t.Errorf("layers %s and %s share core %d", o, p.Name, c)
		}
		used[c] = p.Name
		if _, err := layerShape(g, tg, p, int(c)); err != nil {
			t.Errorf("layer %s on core %d: %v", p.Name, c, err)
		}
	}
	err := runBackHalf(&Unit{G: build(9), Target: tg, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "layer cores: needs 11 cores, have 9") {
		t.Errorf("11 populations on speck: %v, want a layer-core count error", err)
	}
}

// TestPartitionBalanced: with PartitionOptions.Balanced and a core budget
// above what the flat packing needs, the packing spreads the neurons over
// more parts: the fullest part holds fewer neurons than the flat
// scheme's fullest, every limit holds, and the result is deterministic.
func TestPartitionBalanced(t *testing.T) {
	for _, chip := range testChips {
		tg := lookup(t, chip)
		lim := TargetLimits(tg)
		spread := 0
		for seed := uint64(1); seed <= 20; seed++ {
			g, p, ok := problemFor(t, chip, seed)
			if !ok {
				continue
			}
			flat, err := PartitionProblem(g, p, lim, PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores})
			if err != nil || flat.K < 2 || 2*flat.K > tg.NumCores {
				continue
			}
			opt := PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores, Cores: 2 * flat.K, Balanced: true}
			bal, err := PartitionProblem(g, p, lim, opt)
			if err != nil {
				t.Fatalf("%s seed %d: balanced: %v", chip, seed, err)
			}
			if v := p.PartLimits(bal, lim); len(v) > 0 {
				t.Errorf("%s seed %d: balanced partition breaks limits: %v", chip, seed, v)
			}
			again, _ := PartitionProblem(g, p, lim, opt)
			if diff := cmp.Diff(bal.Part, again.Part); diff != "" {
				t.Errorf("%s seed %d: balanced partition not deterministic:\n%s", chip, seed, diff)
			}
			fu, bu := p.PartUsage(flat), p.PartUsage(bal)
			if slices.Max(bu.Neurons) < slices.Max(fu.Neurons) {
				spread++
			}
		}
		if spread == 0 {
			t.Errorf("%s: the balanced packing never left its fullest part below the flat packing's", chip)
		}
	}
}
