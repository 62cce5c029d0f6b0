package passes

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/autosnn/autosnn/backends"
)

// TestRelieveByHand: on tiny (2 x 2 tiles of 2 cores; cores 0, 1 on tile
// (0,0), 2, 3 on (0,1), 4, 5 on (1,0)) parts 0 and 2 share tile (0,0)
// (heavy traffic both ways) and send one message each to parts 1 and 3 on
// tile (1,0): both cross the link (0,0)E, at the fewest message-hops any
// placement has. Moving part 1 to tile (0,1) sends its message over
// (0,0)N instead: the busiest link halves at the same message-hops, with
// no slack.
func TestRelieveByHand(t *testing.T) {
	tg := lookup(t, "tiny")
	edges := []Edge{{0, 1, 1}, {0, 2, 10}, {2, 0, 10}, {2, 3, 1}}
	core := []int32{0, 4, 1, 5}
	before := Measure(tg, edges, core)
	r, err := Relieve(tg, edges, core, RelieveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	after := Measure(tg, edges, core)
	if before.MaxLinkLoad != 2 || after.MaxLinkLoad != 1 {
		t.Errorf("busiest link %g -> %g, want 2 -> 1 (cores %v)", before.MaxLinkLoad, after.MaxLinkLoad, core)
	}
	if after.RateHops != before.RateHops || before.RateHops != 2 {
		t.Errorf("message-hops %g -> %g, want 2 -> 2", before.RateHops, after.RateHops)
	}
	if want := []int32{0, 2, 1, 5}; !slices.Equal(core, want) {
		t.Errorf("cores %v, want %v", core, want)
	}
	if r.Moves != 1 || r.StartMax != 2 || r.Max != 1 || r.Hops != r.StartHops {
		t.Errorf("got %+v, want 1 move, busiest 2 -> 1, hops unchanged", r)
	}
}

// TestRelieveContract: on random traffic placed by Place, Relieve never
// raises the busiest link, keeps the weighted hops within the slack,
// leaves every part on a distinct core of its chip, agrees with Measure,
// and gives the same placement on every run.
func TestRelieveContract(t *testing.T) {
	for _, chip := range []string{"loihi1", "testdata/loihi1-2x2.yaml"} {
		tg := lookup(t, chip)
		for seed := uint64(1); seed <= 3; seed++ {
			k := 40
			edges := randomEdges(k, seed)
			var chipOf []int32
			if tg.NumChips > 1 {
				chipOf = make([]int32, k)
				for q := range chipOf {
					chipOf[q] = int32(q % 2)
				}
			}
			pl, err := Place(tg, k, edges, PlaceOptions{Seed: seed, Moves: 20000, ChipOf: chipOf})
			if err != nil {
				t.Fatal(err)
			}
			var first []int32
			for run := 0; run < 2; run++ {
				core := slices.Clone(pl.Core)
				before := Measure(tg, edges, core)
				r, err := Relieve(tg, edges, core, RelieveOptions{Slack: 0.02, ChipOf: chipOf})
				if err != nil {
					t.Fatal(err)
				}
				after := Measure(tg, edges, core)
				if r.Max > r.StartMax || after.MaxLinkLoad > before.MaxLinkLoad+1e-9 {
					t.Errorf("%s seed %d: busiest link %g -> %g (Measure %g -> %g), want no higher", chip, seed, r.StartMax, r.Max, before.MaxLinkLoad, after.MaxLinkLoad)
				}
				if diff := after.MaxLinkLoad - r.Max; diff > 1e-9 || diff < -1e-9 {
					t.Errorf("%s seed %d: Relieve's busiest link %g, Measure's %g", chip, seed, r.Max, after.MaxLinkLoad)
				}
				if r.Hops > r.StartHops*1.02+1e-9 {
					t.Errorf("%s seed %d: weighted hops %g -> %g, want <= 2%% more", chip, seed, r.StartHops, r.Hops)
				}
				seen := map[int32]bool{}
				for q, c := range core {
					if seen[c] || !tg.ValidCore(int(c)) {
						t.Fatalf("%s seed %d: part %d on core %d, taken or invalid", chip, seed, q, c)
					}
					seen[c] = true
					if chipOf != nil && chipOfCore(tg, int(c)) != int(chipOf[q]) {
						t.Errorf("%s seed %d: part %d left its chip %d for core %d", chip, seed, q, chipOf[q], c)
					}
				}
				if run == 0 {
					first = core
				} else if !slices.Equal(first, core) {
					t.Errorf("%s seed %d: two runs differ: %v and %v", chip, seed, first, core)
				}
			}
		}
	}
}

// TestRelieveBadInput: a taken core, a negative slack and a wrong chip
// list are errors, not panics.
func TestRelieveBadInput(t *testing.T) {
	tg := lookup(t, "tiny")
	edges := []Edge{{0, 1, 1}}
	for name, tc := range map[string]struct {
		core []int32
		opt  RelieveOptions
	}{
		"taken core":     {[]int32{0, 0}, RelieveOptions{}},
		"invalid core":   {[]int32{0, 99}, RelieveOptions{}},
		"negative slack": {[]int32{0, 1}, RelieveOptions{Slack: -1}},
		"chip list":      {[]int32{0, 1}, RelieveOptions{ChipOf: []int32{0}}},
	} {
		if _, err := Relieve(tg, edges, tc.core, tc.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// chooseCases: candidates as (parts, message-hops, busiest link) with the
// fill's budget, and the index chooseCandidate keeps.
var chooseCases = []struct {
	name   string
	budget int
	cands  [][3]float64
	want   int
}{
	{"fewest hops", 0, [][3]float64{{10, 100, 50}, {10, 90, 60}}, 1},
	{"tie keeps the first", 0, [][3]float64{{10, 90, 50}, {10, 90, 50}}, 0},
	{"within the slack, link 20% lower", 0, [][3]float64{{10, 100, 50}, {10, 103, 40}}, 1},
	{"at the slack's edge, link 20% lower", 0, [][3]float64{{10, 100, 50}, {10, 109, 40}}, 1},
	{"within the slack, link only 5% lower", 0, [][3]float64{{10, 100, 50}, {10, 103, 47.5}}, 0},
	{"link lower but too many hops", 0, [][3]float64{{10, 100, 50}, {10, 111, 10}}, 0},
	{"the lowest link of the near ones", 0, [][3]float64{{10, 100, 50}, {10, 101, 40}, {10, 102, 30}}, 2},
	{"budget first", 10, [][3]float64{{11, 50, 10}, {10, 100, 50}}, 1},
	{"over budget cannot win on link", 10, [][3]float64{{10, 100, 50}, {11, 100, 10}}, 0},
	{"no candidate within budget", 5, [][3]float64{{10, 100, 50}, {11, 90, 60}}, 1},
}

// TestChooseCandidate pins the place pass's choice: fewest message-hops
// within the fill's cores, then a busiest link ChoiceLinkGain lower within
// ChoiceHopSlack more message-hops.
func TestChooseCandidate(t *testing.T) {
	for _, tc := range chooseCases {
		t.Run(tc.name, func(t *testing.T) {
			var cs []*Candidate
			for _, c := range tc.cands {
				cs = append(cs, &Candidate{Partition: &Partition{K: int(c[0])}, MessageHops: c[1], MaxLinkLoad: c[2]})
			}
			got := chooseCandidate(cs, tc.budget)
			if got != cs[tc.want] {
				t.Errorf("kept %+v, want candidate %d %v", *got, tc.want, tc.cands[tc.want])
			}
		})
	}
}

// TestPlaceLinkStagesDeterministic: the place pass with its link stages
// gives the same cores on every run, whatever the number of threads, and
// the chosen candidate's busiest link is what Measure gives its placement.
func TestPlaceLinkStagesDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a zoo network three times")
	}
	run := func(procs int) ([][]int32, *Candidate) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		g := zooNet(t, "snn1-scb3", 4, 16)
		train(g, 1)
		u := newUnit(t, g, "loihi1", samples(g, 2, 1))
		u.Seed = 7
		if err := Compile(context.Background(), u, Config{}); err != nil {
			t.Fatal(err)
		}
		var cores [][]int32
		for _, p := range g.Pops {
			cores = append(cores, p.Core)
		}
		return cores, u.Layout.Chosen
	}
	want, chosen := run(1)
	for _, procs := range []int{2, 4} {
		got, _ := run(procs)
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("GOMAXPROCS %d: population %d placed differently", procs, i)
			}
		}
	}
	if chosen.MaxLinkLoad <= 0 || chosen.MessageHops <= 0 {
		t.Errorf("chosen candidate: %g message-hops, busiest link %g, want both > 0", chosen.MessageHops, chosen.MaxLinkLoad)
	}
}

// TestBalanceLinks: from short annealings of random traffic on loihi1,
// the link stages never raise the busiest link, keep message-hops within
// the slack of each stage, give the same result on every run, and lower
// the busiest link or the message-hops on some seed.
func TestBalanceLinks(t *testing.T) {
	tg := lookup(t, "loihi1")
	improved := 0
	for seed := uint64(1); seed <= 6; seed++ {
		k := 60
		edges := randomEdges(k, seed)
		pl, err := Place(tg, k, edges, PlaceOptions{Seed: seed, Moves: 3000})
		if err != nil {
			t.Fatal(err)
		}
		var first []int32
		for run := 0; run < 2; run++ {
			core := slices.Clone(pl.Core)
			b, err := BalanceLinks(tg, edges, core, BalanceOptions{Seed: seed, Moves: 20000})
			if err != nil {
				t.Fatal(err)
			}
			if b.End != Measure(tg, edges, core) {
				t.Fatalf("seed %d: End %+v, Measure %+v", seed, b.End, Measure(tg, edges, core))
			}
			if b.End.MaxLinkLoad > b.Start.MaxLinkLoad {
				t.Errorf("seed %d: busiest link %g -> %g, want no higher", seed, b.Start.MaxLinkLoad, b.End.MaxLinkLoad)
			}
			if lim := b.Start.RateHops * (1 + DefaultRelieveSlack) * (1 + DefaultRelieveSlack); b.End.RateHops > lim+1e-9 {
				t.Errorf("seed %d: message-hops %g -> %g, want <= %g", seed, b.Start.RateHops, b.End.RateHops, lim)
			}
			if run == 0 {
				first = core
				if b.End.MaxLinkLoad < b.Start.MaxLinkLoad || b.End.RateHops < b.Start.RateHops {
					improved++
				}
			} else if !slices.Equal(first, core) {
				t.Errorf("seed %d: two runs differ", seed)
			}
		}
	}
	if improved == 0 {
		t.Error("the link stages improved no seed")
	}
}

// TestPlaceHotLoopsAllocationFree: the allocations of Place (with and
// without LoadFloor) and of Relieve do not grow with their moves.
func TestPlaceHotLoopsAllocationFree(t *testing.T) {
	tg := lookup(t, "loihi1")
	k := 60
	edges := randomEdges(k, 1)
	start, err := Place(tg, k, edges, PlaceOptions{Seed: 1, Moves: 2000})
	if err != nil {
		t.Fatal(err)
	}
	for _, floor := range []float64{0, 0.5} {
		allocs := func(moves int) float64 {
			return testing.AllocsPerRun(3, func() {
				if _, err := Place(tg, k, edges, PlaceOptions{Seed: 2, Moves: moves, Start: start.Core, LoadFloor: floor}); err != nil {
					t.Fatal(err)
				}
			})
		}
		if few, many := allocs(1000), allocs(50000); many > few {
			t.Errorf("Place, floor %g: %g allocations with 50,000 moves, %g with 1,000", floor, many, few)
		}
	}
	allocs := func(moves int) float64 {
		return testing.AllocsPerRun(3, func() {
			core := slices.Clone(start.Core)
			if _, err := Relieve(tg, edges, core, RelieveOptions{Slack: 0.05, MaxMoves: moves}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if few, many := allocs(1), allocs(100); many > few {
		t.Errorf("Relieve: %g allocations with 100 moves, %g with 1", many, few)
	}
}

// BenchmarkPlace measures one annealing of 60 parts on loihi1, with and
// without LoadFloor.
func BenchmarkPlace(b *testing.B) {
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		b.Fatal(err)
	}
	edges := randomEdges(60, 1)
	for _, floor := range []float64{0, 0.5} {
		b.Run(fmt.Sprintf("floor=%g", floor), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Place(tg, 60, edges, PlaceOptions{Seed: 1, Moves: 100000, LoadFloor: floor}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
