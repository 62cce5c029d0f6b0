package passes

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// handNet is one net of a hand-made problem: a source fragment, its
// destination fragments and its rate in spikes per timestep.
type handNet struct {
	src   int32
	dests []int32
	w     float64
}

// handProblem builds a problem of fragments of neurons[i] neurons (no
// synaptic memory) and one-neuron nets; the source neuron of net n has
// global id n.
func handProblem(neurons []int, nets []handNet) *Problem {
	nf := len(neurons)
	p := &Problem{Frags: make([]Fragment, nf), Neurons: neurons, Mem: make([]int64, nf), pinStart: []int32{0}}
	for _, n := range nets {
		p.Src = append(p.Src, n.src)
		p.W = append(p.W, n.w)
		p.NN = append(p.NN, 1)
		p.pins = append(p.pins, n.dests...)
		p.pinStart = append(p.pinStart, int32(len(p.pins)))
	}
	p.srcStart, p.srcNets = csr(nf, len(p.Src), func(n int, emit func(int)) { emit(int(p.Src[n])) })
	p.dstStart, p.dstNets = csr(nf, len(p.Src), func(n int, emit func(int)) {
		for _, x := range p.Dests(n) {
			emit(int(x))
		}
	})
	// The sources of a fragment: the nets into it, in net order.
	p.fanStart = make([]int32, 1, nf+1)
	for v := range nf {
		p.fanSrc = append(p.fanSrc, p.dstNets[p.dstStart[v]:p.dstStart[v+1]]...)
		p.fanStart = append(p.fanStart, int32(len(p.fanSrc)))
	}
	return p
}

// heavyCases are problems on the tiny chip (2 x 2 tiles of 2 cores, 64
// neurons per core) where one part-to-part edge carries the busiest
// link: fragment 0 (64 neurons, a full part on tile (0,0)) sends ws[i]
// spikes per timestep to 16-neuron fragment 1+i (the four a full part
// on tile (1,0)), 40 messages over one link. No fragment move or swap
// between the full parts can split that edge (the 64-neuron source fits
// nowhere else), so SpreadLinks leaves it; SplitHeavyEdges must move
// destination fragments to another core.
var heavyCases = []struct {
	name string
	// extra are more fragments (neurons each) in parts of their own on
	// the cores at extraAt; budget is SplitHeavyEdges's core budget.
	extra   []int
	extraAt [][3]int
	ws      []float64
	budget  int
	// wantMax is the busiest link's load after, at most; wantK the parts.
	wantMax float64
	wantK   int
	split   bool
	// spreads is true when SpreadLinks can lower the link too (a part
	// with room to spare takes single fragments).
	spreads bool
}{
	{name: "free core within budget", ws: even, budget: 3, wantMax: 10, wantK: 3, split: true},
	{name: "no core to spare", ws: even, budget: 2, wantMax: 40, wantK: 2},
	{name: "lightly used core", extra: []int{16}, extraAt: [][3]int{{0, 1, 0}}, ws: even, budget: 3, wantMax: 20, wantK: 3, split: true, spreads: true},
	// Beside the source, a full part without traffic: the best split
	// (fragment 1 to tile (0,1)) lowers the link by 37.5%, short of
	// HeavyGain + 1/3 for a fourth core.
	{name: "free core not worth it", extra: []int{64}, extraAt: [][3]int{{0, 0, 1}}, ws: []float64{25, 5, 5, 5}, budget: 4, wantMax: 40, wantK: 3},
	// The same split onto a used part with room is worth it.
	{name: "uneven onto a used part", extra: []int{64, 16}, extraAt: [][3]int{{0, 0, 1}, {0, 1, 0}}, ws: []float64{25, 5, 5, 5}, budget: 4, wantMax: 25, wantK: 4, split: true, spreads: true},
	{name: "no traffic", ws: []float64{0, 0, 0, 0}, budget: 8, wantMax: 0, wantK: 2},
}

// even is four nets of 10 spikes per timestep.
var even = []float64{10, 10, 10, 10}

// TestSplitHeavyEdges: on each case, SpreadLinks leaves the heavy edge
// as it is (unless a part has room), and SplitHeavyEdges lowers the
// busiest link (or, without a core to spare or worth its cost, or
// without traffic, returns its input), within the core budget and every
// limit, at message-hops within HeavyTrade, one part per core,
// deterministically.
func TestSplitHeavyEdges(t *testing.T) {
	tg := lookup(t, "tiny")
	lim := TargetLimits(tg)
	at := func(x, y, slot int) int32 {
		c, ok := tg.CoreAt(x, y, slot)
		if !ok {
			t.Fatalf("no core at (%d,%d) slot %d", x, y, slot)
		}
		return int32(c)
	}
	for _, tc := range heavyCases {
		t.Run(tc.name, func(t *testing.T) {
			neurons := append([]int{64, 16, 16, 16, 16}, tc.extra...)
			var nets []handNet
			for i, w := range tc.ws {
				nets = append(nets, handNet{0, []int32{int32(1 + i)}, w})
			}
			p := handProblem(neurons, nets)
			pt := &Partition{Part: []int32{0, 1, 1, 1, 1}, K: 2, BudgetNeurons: lim.Neurons, BudgetMem: lim.MemBytes}
			core := []int32{at(0, 0, 0), at(1, 0, 0)}
			for _, xy := range tc.extraAt {
				pt.Part = append(pt.Part, int32(pt.K))
				pt.K++
				core = append(core, at(xy[0], xy[1], xy[2]))
			}
			es := Edges(p.Traffic(pt.Part))
			start := Measure(tg, es, core)
			if _, _, sp := SpreadLinks(p, tg, lim, pt, core, nil, 1, 1); sp.Kept && !tc.spreads {
				t.Fatalf("SpreadLinks lowered the busiest link %g -> %g: the case does not need SplitHeavyEdges", sp.Start.MaxLinkLoad, sp.End.MaxLinkLoad)
			}
			got, cores, hs := SplitHeavyEdges(p, tg, lim, pt, core, nil, tc.budget)
			end := Measure(tg, Edges(p.Traffic(got.Part)), cores)
			if end.MaxLinkLoad > tc.wantMax+1e-9 || got.K != tc.wantK || len(cores) != got.K {
				t.Errorf("busiest link %g -> %g on %d parts (%d cores), want <= %g on %d parts", start.MaxLinkLoad, end.MaxLinkLoad, got.K, len(cores), tc.wantMax, tc.wantK)
			}
			if (hs.Splits > 0) != tc.split || hs.End != end || hs.NewCores != got.K-pt.K {
				t.Errorf("result %+v, want a split %v and End = %+v", hs, tc.split, end)
			}
			if !tc.split && (got != pt || !cmp.Equal(cores, core)) {
				t.Errorf("no split but the partition changed: %v on %v", got.Part, cores)
			}
			if got.K > max(tc.budget, pt.K) {
				t.Errorf("%d parts, want <= the budget %d", got.K, tc.budget)
			}
			if v := p.PartLimits(got, lim); len(v) > 0 {
				t.Errorf("limits violated: %v", v)
			}
			seen := map[int32]bool{}
			for _, c := range cores {
				if seen[c] {
					t.Errorf("core %d holds two parts: %v", c, cores)
				}
				seen[c] = true
			}
			if fall := 1 - end.MaxLinkLoad/max(start.MaxLinkLoad, 1e-300); end.RateHops > start.RateHops*(1+HeavyTrade*max(fall, 0))+1e-9 {
				t.Errorf("message-hops %g -> %g, beyond the trade for a fall of %g", start.RateHops, end.RateHops, fall)
			}
			again, againCores, _ := SplitHeavyEdges(p, tg, lim, pt, core, nil, tc.budget)
			if diff := cmp.Diff([][]int32{got.Part, cores}, [][]int32{again.Part, againCores}); diff != "" {
				t.Errorf("not deterministic (-first +second):\n%s", diff)
			}
		})
	}
}
