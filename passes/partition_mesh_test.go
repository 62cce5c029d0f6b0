package passes

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAnnealOnMesh: on random nets, annealing fragments over the mesh
// keeps every fragment in one part on a distinct valid core, respects
// every per-core limit, never ends above its start, is deterministic, and
// over all nets ends below greedy mesh refinement alone.
func TestAnnealOnMesh(t *testing.T) {
	for _, chip := range []string{"tiny", "tiny-2chip"} {
		tg := lookup(t, chip)
		lim := TargetLimits(tg)
		m := newMesh(tg)
		var annealed, greedy float64
		done := 0
		for seed := uint64(1); seed <= 16; seed++ {
			g, p, ok := problemFor(t, chip, seed)
			if !ok {
				continue
			}
			pt, err := PartitionProblem(g, p, lim, PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores})
			if err != nil {
				continue
			}
			pl, err := Place(tg, pt.K, Edges(p.Traffic(pt.Part)), PlaceOptions{Seed: seed, Moves: 5000})
			if err != nil {
				t.Fatal(err)
			}
			done++
			start := mappingHops(m, p, pt.Part, pl.Core)
			got, cores := AnnealOnMesh(p, tg, lim, pt, pl.Core, 0.1, seed)
			if len(got.Part) != len(p.Frags) || len(cores) != got.K {
				t.Fatalf("%s seed %d: %d assignments over %d parts with %d cores, want %d assignments", chip, seed, len(got.Part), got.K, len(cores), len(p.Frags))
			}
			seen := map[int32]bool{}
			for q, c := range cores {
				if !tg.ValidCore(int(c)) || seen[c] {
					t.Fatalf("%s seed %d: part %d on core %d (invalid or taken)", chip, seed, q, c)
				}
				seen[c] = true
			}
			if v := p.PartLimits(got, lim); len(v) > 0 {
				t.Errorf("%s seed %d: limits violated: %v", chip, seed, v)
			}
			hops := mappingHops(m, p, got.Part, cores)
			if hops > start*(1+1e-9) {
				t.Errorf("%s seed %d: annealed %g message-hops > start %g", chip, seed, hops, start)
			}
			again, againCores := AnnealOnMesh(p, tg, lim, pt, pl.Core, 0.1, seed)
			if diff := cmp.Diff([][]int32{got.Part, cores}, [][]int32{again.Part, againCores}); diff != "" {
				t.Errorf("%s seed %d: annealing not deterministic (-first +second):\n%s", chip, seed, diff)
			}
			capped := *pt
			capped.MaxCores = pt.K
			if c, _ := AnnealOnMesh(p, tg, lim, &capped, pl.Core, 0.1, seed); c.K > pt.K {
				t.Errorf("%s seed %d: MaxCores %d: annealed onto %d cores, want <= %d", chip, seed, pt.K, c.K, pt.K)
			}
			gr, grCores := RefineOnMesh(p, tg, lim, pt, pl.Core, 4)
			annealed += hops
			greedy += mappingHops(m, p, gr.Part, grCores)
		}
		if done < 8 {
			t.Fatalf("%s: %d random nets annealed, want >= 8", chip, done)
		}
		if !(annealed < greedy) {
			t.Errorf("%s: annealing %g message-hops over %d nets, want < greedy refinement's %g", chip, annealed, done, greedy)
		}
	}
}

// TestAutoGranularity: a compile without a granularity chooses the better
// (fewer message-hops) of the compiles at each of AutoGranularities, as
// placed when place chooses (the chosen candidate's post-choice stages
// then trade message-hops for the busiest link, so the final mappings
// need not keep that order).
func TestAutoGranularity(t *testing.T) {
	compiled := 0
	for seed := uint64(1); seed <= 6; seed++ {
		hops := map[int]float64{}
		for _, gran := range append([]int{0}, AutoGranularities()...) {
			g := randGraph(t, seed)
			train(g, seed)
			u := &Unit{G: g, Target: lookup(t, "tiny-2chip"), Samples: samples(g, 2, seed), Seed: seed, Granularity: gran}
			if err := Compile(context.Background(), u, Config{StopAfter: "place"}); err != nil {
				t.Logf("seed %d granularity %d: %v", seed, gran, err)
				break // does not fit
			}
			hops[gran] = u.Layout.Chosen.choiceHops
		}
		if len(hops) != 3 {
			continue
		}
		compiled++
		want := min(hops[AutoGranularities()[0]], hops[AutoGranularities()[1]])
		if hops[0] != want {
			t.Errorf("seed %d: auto granularity gives %g message-hops, want the better of %v", seed, hops[0], hops)
		}
	}
	if compiled < 3 {
		t.Errorf("%d random nets compiled at every granularity, want >= 3", compiled)
	}
}

// TestRepairPartition: a partition that breaks limits comes back within
// them with every fragment assigned once; a legal one comes back as it was.
func TestRepairPartition(t *testing.T) {
	tg := lookup(t, "tiny-2chip")
	lim := TargetLimits(tg)
	repaired := 0
	for seed := uint64(1); seed <= 12; seed++ {
		g, p, ok := problemFor(t, "tiny-2chip", seed)
		if !ok {
			continue
		}
		legal, err := PartitionProblem(g, p, lim, PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores})
		if err != nil {
			continue
		}
		same, err := p.RepairPartition(legal, lim, tg.NumCores)
		if err != nil {
			t.Fatalf("seed %d: repair of a legal partition: %v", seed, err)
		}
		if same.Moves != 0 || !cmp.Equal(same.Part, legal.Part) {
			t.Errorf("seed %d: repair of a legal partition made %d moves, want none", seed, same.Moves)
		}
		// Crowd every fragment into two parts.
		bad := &Partition{K: 2, Part: make([]int32, len(p.Frags))}
		for v := range bad.Part {
			bad.Part[v] = int32(v % 2)
		}
		if len(p.PartLimits(bad, lim)) == 0 {
			continue
		}
		fixed, err := p.RepairPartition(bad, lim, tg.NumCores)
		if err != nil {
			continue // needs more cores than the chip has
		}
		repaired++
		if v := p.PartLimits(fixed, lim); len(v) > 0 {
			t.Errorf("seed %d: repaired partition breaks limits: %v", seed, v)
		}
		if len(fixed.Part) != len(p.Frags) || fixed.K > tg.NumCores {
			t.Errorf("seed %d: %d assignments in %d parts, want %d in at most %d", seed, len(fixed.Part), fixed.K, len(p.Frags), tg.NumCores)
		}
		for v, q := range fixed.Part {
			if q < 0 || int(q) >= fixed.K {
				t.Fatalf("seed %d: fragment %d in part %d, want 0..%d", seed, v, q, fixed.K-1)
			}
		}
	}
	if repaired < 4 {
		t.Errorf("%d crowded partitions repaired, want >= 4", repaired)
	}
}
