package passes

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
)

func TestFineTiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    Fragment
		n    int
		want int // pieces
	}{
		{"dense layer, channels", Fragment{Pop: 1, C0: 0, C1: 128, H1: 1, W1: 1}, 4, 4},
		{"offset channels", Fragment{Pop: 1, C0: 10, C1: 21, H1: 1, W1: 1}, 4, 4},
		{"conv tile, rows and channels", Fragment{Pop: 2, C0: 0, C1: 4, H0: 2, H1: 6, W0: 0, W1: 2}, 4, 4},
		{"fewer neurons than pieces", Fragment{Pop: 1, C0: 0, C1: 3, H1: 1, W1: 1}, 4, 3},
		{"single neuron", Fragment{Pop: 1, C0: 5, C1: 6, H0: 1, H1: 2, W0: 1, W1: 2}, 4, 1},
		{"eight pieces", Fragment{Pop: 1, C0: 0, C1: 8, H1: 4, W1: 4}, 8, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fineTiles(tc.f, tc.n)
			if len(got) != tc.want {
				t.Fatalf("%d pieces, want %d: %+v", len(got), tc.want, got)
			}
			seen := map[[3]int]bool{}
			for _, g := range got {
				if g.Pop != tc.f.Pop || g.C0 < tc.f.C0 || g.C1 > tc.f.C1 || g.H0 < tc.f.H0 || g.H1 > tc.f.H1 || g.W0 < tc.f.W0 || g.W1 > tc.f.W1 || g.Len() == 0 {
					t.Fatalf("piece %+v outside %+v or empty", g, tc.f)
				}
				for c := g.C0; c < g.C1; c++ {
					for h := g.H0; h < g.H1; h++ {
						for w := g.W0; w < g.W1; w++ {
							k := [3]int{c, h, w}
							if seen[k] {
								t.Fatalf("neuron %v in two pieces", k)
							}
							seen[k] = true
						}
					}
				}
			}
			if len(seen) != tc.f.Len() {
				t.Errorf("pieces cover %d of %d neurons", len(seen), tc.f.Len())
			}
		})
	}
}

// fineNet is a chain on the tiny chip (64 neurons and 4,096 bytes per
// core): a host-fed layer a of 64 neurons firing every timestep, a dense
// layer b of 64 (a full core: 4,096 one-byte weights) firing at 0.1, and
// a dense head c of cN neurons that does not fire.
func fineNet(t *testing.T, cN int, rateA float32) *ir.Graph {
	t.Helper()
	nr := ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}
	b := ir.NewBuilder("fine", ir.Header{T: 4, Classes: cN / 2, Vote: 2})
	x := b.Input("x", ir.Shape{C: 4, H: 1, W: 1})
	a := b.Layer("a", nr, ir.Role{Kind: ir.RoleStem}, ir.Full(x, 64))
	l := b.Layer("b", nr, ir.Role{Kind: ir.RoleHead}, ir.Full(a, 64))
	b.Layer("c", nr, ir.Role{Kind: ir.RoleHead}, ir.Full(l, cN))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	rates := []float32{rateA, 0.1 * min(rateA, 1), 0}
	for i, p := range g.Pops[1:] {
		p.Rates = make([]float32, p.Shape.Len())
		for j := range p.Rates {
			p.Rates[j] = rates[i]
		}
	}
	return g
}

// TestFineSplitHot: layer a (one whole-core fragment on tile (0,0))
// sends all its spikes to b (a full core on tile (1,0)) over one link; c
// sits on tile (0,1). No move of whole fragments lowers that link
// (SpreadLinks and SplitHeavyEdges leave it), but with a cut into
// quarter-core pieces two of them fit beside c and reach b over other
// links, halving the busiest link, or, when c fills its core, pieces of
// a and b swap between their cores. Without traffic nothing changes. The
// result keeps every limit and the layout checks, stays within the
// trade and the budget, and is deterministic.
func TestFineSplitHot(t *testing.T) {
	tg := lookup(t, "tiny")
	lim := TargetLimits(tg)
	at := func(x, y int) int32 {
		c, ok := tg.CoreAt(x, y, 0)
		if !ok {
			t.Fatalf("no core at (%d,%d)", x, y)
		}
		return int32(c)
	}
	for _, tc := range []struct {
		name    string
		cN      int
		rateA   float32
		kept    bool
		wantMax float64 // busiest link after, at most (messages per timestep)
	}{
		{name: "room beside the head", cN: 16, rateA: 1, kept: true, wantMax: 32},
		// Every part full: only swaps of equal pieces move, and a's and
		// b's quarter-core pieces interleave on tiles (0,0) and (1,0), so
		// a's spikes reach b both ways.
		{name: "no room, pieces swap", cN: 64, rateA: 1, kept: true, wantMax: 36},
		{name: "no traffic", cN: 16, rateA: 0, wantMax: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := fineNet(t, tc.cN, tc.rateA)
			sr, err := Split(g, tg, SplitOptions{Granularity: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(sr.Frags) != 3 {
				t.Fatalf("split made %d fragments, want 3 (one per layer)", len(sr.Frags))
			}
			p := BuildProblem(g, tg, sr)
			pt := &Partition{Part: []int32{0, 1, 2}, K: 3, BudgetNeurons: lim.Neurons, BudgetMem: lim.MemBytes}
			core := []int32{at(0, 0), at(1, 0), at(0, 1)}
			start := Measure(tg, Edges(p.Traffic(pt.Part)), core)
			// Without the stage: the earlier stages cannot lower the link.
			pt1, core1, _ := SpreadLinks(p, tg, lim, pt, core, nil, 1, 1)
			pt1, core1, _ = SplitHeavyEdges(p, tg, lim, pt1, core1, nil, 3)
			if m := Measure(tg, Edges(p.Traffic(pt1.Part)), core1); m.MaxLinkLoad < start.MaxLinkLoad-1e-9 {
				t.Fatalf("SpreadLinks and SplitHeavyEdges lowered the busiest link %g -> %g: the case does not need the stage", start.MaxLinkLoad, m.MaxLinkLoad)
			}
			sr2, p2, pt2, core2, fs := FineSplitHot(g, tg, lim, sr, p, pt, core, nil, 3, 1, 1)
			end := Measure(tg, Edges(p2.Traffic(pt2.Part)), core2)
			if fs.Kept != tc.kept || end.MaxLinkLoad > tc.wantMax+1e-9 || fs.End != end || fs.Start != start {
				t.Fatalf("kept %v, busiest link %g -> %g (result %+v), want kept %v and <= %g", fs.Kept, start.MaxLinkLoad, end.MaxLinkLoad, fs, tc.kept, tc.wantMax)
			}
			if !tc.kept {
				if sr2 != sr || p2 != p || pt2 != pt || !cmp.Equal(core2, core) {
					t.Errorf("not kept but the mapping changed")
				}
				return
			}
			if len(sr2.Frags) <= len(sr.Frags) || fs.Cut == 0 || fs.Pieces <= fs.Cut {
				t.Errorf("%d -> %d fragments (%d cut into %d), want finer", len(sr.Frags), len(sr2.Frags), fs.Cut, fs.Pieces)
			}
			if fall := 1 - end.MaxLinkLoad/start.MaxLinkLoad; fall < FineGain || end.RateHops > start.RateHops*(1+FineTrade*fall)+1e-9 {
				t.Errorf("message-hops %g -> %g for a fall of %g, beyond the trade", start.RateHops, end.RateHops, fall)
			}
			if pt2.K > 3 || len(core2) != pt2.K {
				t.Errorf("%d parts on %d cores, want <= 3 (the budget)", pt2.K, len(core2))
			}
			l := &Layout{Candidates: []*Candidate{{Granularity: 1, Split: sr2, Problem: p2, Partition: pt2, Placement: &Placement{Core: core2}}}}
			if err := l.Verify(g, tg); err != nil {
				t.Errorf("refined layout: %v", err)
			}
			_, _, again, againCore, _ := FineSplitHot(g, tg, lim, sr, p, pt, core, nil, 3, 1, 1)
			if diff := cmp.Diff([][]int32{pt2.Part, core2}, [][]int32{again.Part, againCore}); diff != "" {
				t.Errorf("not deterministic (-first +second):\n%s", diff)
			}
		})
	}
}
