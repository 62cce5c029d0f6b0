package passes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes/internal/netgen"
)

// fineProblem splits a random net with random rates at granularity gr;
// ok is false when the net does not fit the chip.
func fineProblem(t *testing.T, chip string, seed uint64, gr int) (*Problem, bool) {
	t.Helper()
	g := randGraph(t, seed)
	netgen.Rates(g, seed, 0.5)
	_, p, err := SplitAndBuild(g, lookup(t, chip), SplitOptions{Granularity: gr})
	if err != nil {
		return nil, false
	}
	if _, err := PartitionProblem(g, p, TargetLimits(lookup(t, chip)), PartitionOptions{Imbalance: 0.03}); err != nil {
		return nil, false
	}
	return p, true
}

// checkState fails unless every part of s is within every per-core limit
// (neurons, memory, input axons, output axons, destination cores) and the
// incremental fan-out agrees with a recount.
func checkState(t *testing.T, name string, s *pstate) {
	t.Helper()
	pt := &Partition{Part: append([]int32(nil), s.part...), K: s.nparts}
	if v := s.p.PartLimits(pt, s.lim); len(v) > 0 {
		t.Fatalf("%s: limits violated: %v", name, v)
	}
	if !s.fanOutOK() {
		t.Fatalf("%s: a part is over %d output axons: %v", name, s.lim.FanOut, s.fanOut[:s.nparts])
	}
	fo := make([]int64, s.nparts)
	for n := range s.p.Src {
		seen := map[int32]bool{}
		for _, d := range s.p.Dests(n) {
			seen[s.part[d]] = true
		}
		fo[s.part[s.p.Src[n]]] += int64(s.p.NN[n]) * int64(len(seen))
		if s.lim.DestCores > 0 && len(seen) > s.lim.DestCores {
			t.Fatalf("%s: net %d reaches %d cores, limit %d", name, n, len(seen), s.lim.DestCores)
		}
	}
	if diff := cmp.Diff(fo, s.fanOut[:s.nparts]); diff != "" {
		t.Fatalf("%s: output axons per part (-recount +state):\n%s", name, diff)
	}
}

// TestFMRefine: from the flat partition (and from a worse start, the
// packing alone), FM keeps every per-core limit, returns the gain it made
// (never a cost above its start), and is deterministic for a seed.
func TestFMRefine(t *testing.T) {
	type tc struct {
		chip string
		gr   int
		seed uint64
	}
	var cases []tc
	for _, chip := range testChips {
		for _, gr := range []int{4, 16} {
			for seed := uint64(1); seed <= 8; seed++ {
				cases = append(cases, tc{chip, gr, seed})
			}
		}
	}
	moved, done := 0, 0
	for _, c := range cases {
		name := fmt.Sprintf("%s g%d seed %d", c.chip, c.gr, c.seed)
		p, ok := fineProblem(t, c.chip, c.seed, c.gr)
		if !ok {
			continue
		}
		done++
		lim := TargetLimits(lookup(t, c.chip))
		flat, err := PartitionProblem(randGraph(t, c.seed), p, lim, PartitionOptions{Imbalance: 0.03, Passes: 1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		run := func(seed uint64) ([]int32, float64, float64) {
			s := stateFrom(p, lim, flat.Part, flat.K, lim.Neurons, lim.MemBytes)
			checkState(t, name+" start", s)
			before := p.Cost(s.part)
			res := &Partition{}
			gain := s.fmRefine(fmOptions{Passes: 4, Seed: seed}, res)
			checkState(t, name+" after FM", s)
			after := p.Cost(s.part)
			if after > before+1e-9*math.Max(1, before) {
				t.Errorf("%s: FM raised the cost %g -> %g", name, before, after)
			}
			if math.Abs((before-after)-gain) > 1e-6*math.Max(1, before) {
				t.Errorf("%s: FM reports gain %g, cost fell by %g", name, gain, before-after)
			}
			moved += res.Moves
			return s.part, after, gain
		}
		part1, cost1, _ := run(7)
		part2, cost2, _ := run(7)
		if cost1 != cost2 || !cmp.Equal(part1, part2) {
			t.Errorf("%s: two FM runs with seed 7 differ (cost %g, %g)", name, cost1, cost2)
		}
	}
	if done < len(cases)/2 {
		t.Errorf("%d of %d cases fit their chip; want at least half", done, len(cases))
	}
	if moved == 0 {
		t.Error("FM kept every fragment in place on every case; want some gain")
	}
}

// plantedProblem is a problem with a known good partition: k clusters of
// m fragments of 4 neurons; each fragment's neuron reaches 3 fragments of
// its cluster at rate 1 and one fragment of another cluster at rate 0.05,
// and fragment ids are shuffled, so that layer order (the flat packing's)
// says nothing about the clusters. Its planted partition costs the
// cross-cluster nets alone, at most 0.05 x k x m.
func plantedProblem(seed uint64, k, m int) *Problem {
	r := rand.New(rand.NewPCG(seed, 5))
	n := k * m
	id := r.Perm(n)
	var nets []handNet
	for v := range n {
		c := v / m
		var d []int32
		for _, j := range r.Perm(m - 1)[:3] {
			u := c*m + (v%m+1+j)%m
			d = append(d, int32(id[u]))
		}
		nets = append(nets, handNet{src: int32(id[v]), dests: d, w: 1})
		far := ((c+1+r.IntN(k-1))%k)*m + r.IntN(m)
		nets = append(nets, handNet{src: int32(id[v]), dests: []int32{int32(id[far])}, w: 0.05})
	}
	neurons := make([]int, n)
	for v := range neurons {
		neurons[v] = 2
	}
	// One neuron per net: a fragment of 2 neurons sources 2 nets.
	return handProblem(neurons, nets)
}

// TestMultilevelBeatsFlat: on planted clusters the multilevel scheme finds
// a partition cheaper than the flat packing's, near the planted one, on
// no more parts than the core budget.
func TestMultilevelBeatsFlat(t *testing.T) {
	cases := []struct {
		seed uint64
		k, m int
	}{{1, 8, 16}, {2, 8, 16}, {3, 12, 24}, {4, 16, 32}}
	flatMissed := 0
	for _, c := range cases {
		p := plantedProblem(c.seed, c.k, c.m)
		lim := Limits{Neurons: 2 * c.m * 9 / 8, MemBytes: 1 << 20}
		g := &ir.Graph{Name: "planted"}
		opt := PartitionOptions{Imbalance: 0.03, Cores: c.k, Seed: 1}
		flat, err := PartitionProblem(g, p, lim, opt)
		if err != nil {
			t.Fatalf("seed %d: flat: %v", c.seed, err)
		}
		opt.Levels = -1
		ml, err := PartitionProblem(g, p, lim, opt)
		if err != nil {
			t.Fatalf("seed %d: multilevel: %v", c.seed, err)
		}
		planted := 0.05 * float64(c.k*c.m)
		t.Logf("seed %d (%d x %d): flat %d parts %.2f, multilevel %d parts %.2f (%d levels), planted <= %.2f", c.seed, c.k, c.m, flat.K, flat.Cost, ml.K, ml.Cost, ml.Levels, planted)
		if v := p.PartLimits(ml, lim); len(v) > 0 {
			t.Errorf("seed %d: multilevel breaks limits: %v", c.seed, v)
		}
		if ml.Cost > planted*(1+1e-9) {
			t.Errorf("seed %d: multilevel cost %g, the planted partition's %g; want at most that", c.seed, ml.Cost, planted)
		}
		if flat.Cost > planted*(1+1e-9) {
			flatMissed++
			if ml.Cost >= flat.Cost {
				t.Errorf("seed %d: multilevel cost %g, flat %g; want lower", c.seed, ml.Cost, flat.Cost)
			}
		}
		if ml.K > c.k {
			t.Errorf("seed %d: multilevel uses %d parts, budget %d", c.seed, ml.K, c.k)
		}
	}
	if flatMissed < 2 {
		t.Errorf("the flat packing found the planted partition on %d of %d cases; the fixture no longer separates the schemes", len(cases)-flatMissed, len(cases))
	}
}
