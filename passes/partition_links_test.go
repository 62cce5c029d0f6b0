package passes

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/google/go-cmp/cmp"
)

// TestRouteChanges: the part-level traffic changes of a move, applied to
// the traffic before it, give Problem.Traffic after it, their weighted
// hops are gainHop's gain with the sign turned, and computing them (and
// their link loads) allocates nothing once the scratch has grown.
func TestRouteChanges(t *testing.T) {
	tg := lookup(t, "tiny-2chip")
	lim := TargetLimits(tg)
	m := newMesh(tg)
	checked := 0
	for seed := uint64(1); seed <= 8; seed++ {
		g, p, ok := problemFor(t, "tiny-2chip", seed)
		if !ok {
			continue
		}
		pt, err := PartitionProblem(g, p, lim, PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores})
		if err != nil || pt.K < 2 {
			continue
		}
		core := make([]int32, pt.K)
		for q := range core {
			core[q] = int32(q * tg.NumCores / pt.K)
		}
		s := stateOf(p, lim, pt)
		s.hop = hopFunc(m, core)
		lc := &linkCost{m: m, core: core, hop: s.hop, load: make([]float64, m.w*m.h*backends.NumDirections), floor: 1, beta: 0.5}
		rng := rand.New(rand.NewPCG(seed, 1))
		fo := map[int32]int64{}
		var ch []routeChange
		for range 200 {
			v := rng.Int32N(int32(len(p.Frags)))
			to := rng.Int32N(int32(pt.K))
			if to == s.part[v] {
				continue
			}
			before := p.Traffic(s.part)
			ch = s.routeChanges(v, to, ch[:0])
			var dh float64
			for _, c := range ch {
				before[[2]int32{c.a, c.b}] += c.w
				dh += c.w * s.hop(c.a, c.b)
			}
			if g := s.gainHop(v, to, fo); math.Abs(g+dh) > 1e-9*(1+math.Abs(g)) {
				t.Fatalf("seed %d: move of %d to %d: changes give %g weighted hops, gainHop %g", seed, v, to, dh, -g)
			}
			s.apply(v, to, fo)
			after := p.Traffic(s.part)
			for k, w := range before {
				if math.Abs(w-after[k]) > 1e-9 {
					t.Fatalf("seed %d: move of %d to %d: edge %v carries %g by the changes, %g by Traffic", seed, v, to, k, w, after[k])
				}
			}
			for k, w := range after {
				if _, ok := before[k]; !ok && w != 0 {
					t.Fatalf("seed %d: move of %d to %d: edge %v (%g) missing from the changes", seed, v, to, k, w)
				}
			}
			checked++
		}
		v := int32(0)
		to := (s.part[v] + 1) % int32(pt.K)
		if n := testing.AllocsPerRun(20, func() {
			ch = s.routeChanges(v, to, ch[:0])
			lc.apply(ch, 1)
			lc.apply(ch, -1)
		}); n != 0 {
			t.Errorf("seed %d: %g allocations per move's changes and link loads, want 0", seed, n)
		}
	}
	if checked < 400 {
		t.Fatalf("%d moves checked, want >= 400", checked)
	}
}

// TestSpreadLinks: on random nets placed by the place pass's stages,
// SpreadLinks keeps every fragment on one of the placed cores within every
// limit, returns its input unless the busiest link falls at no more
// message-hops than SpreadTrade allows, is deterministic, keeps parts on
// their chips, and strictly lowers the busiest link on some nets.
func TestSpreadLinks(t *testing.T) {
	for _, chip := range []string{"tiny", "tiny-2chip"} {
		tg := lookup(t, chip)
		lim := TargetLimits(tg)
		done, kept := 0, 0
		for seed := uint64(1); seed <= 16; seed++ {
			g, p, ok := problemFor(t, chip, seed)
			if !ok {
				continue
			}
			pt, err := PartitionProblem(g, p, lim, PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores})
			if err != nil {
				continue
			}
			es := Edges(p.Traffic(pt.Part))
			pl, err := Place(tg, pt.K, es, PlaceOptions{Seed: seed, Moves: 5000})
			if err != nil {
				t.Fatal(err)
			}
			chipOf := make([]int32, pt.K)
			for q, c := range pl.Core {
				chipOf[q] = int32(chipOfCore(tg, int(c)))
			}
			done++
			got, cores, sp := SpreadLinks(p, tg, lim, pt, pl.Core, chipOf, 0.5, seed)
			start := Measure(tg, es, pl.Core)
			end := Measure(tg, Edges(p.Traffic(got.Part)), cores)
			if sp.Start != start || sp.End != end {
				t.Errorf("%s seed %d: reported %+v -> %+v, measured %+v -> %+v", chip, seed, sp.Start, sp.End, start, end)
			}
			if v := p.PartLimits(got, lim); len(v) > 0 {
				t.Errorf("%s seed %d: limits violated: %v", chip, seed, v)
			}
			if len(got.Part) != len(p.Frags) || len(cores) != got.K || got.K > pt.K {
				t.Fatalf("%s seed %d: %d assignments over %d parts on %d cores, want %d over at most %d", chip, seed, len(got.Part), got.K, len(cores), len(p.Frags), pt.K)
			}
			// Every part stays on one of the placed cores, on its chip.
			at := map[int32]int32{}
			for q, c := range pl.Core {
				at[c] = int32(q)
			}
			for v, q := range got.Part {
				old, ok := at[cores[q]]
				if !ok {
					t.Fatalf("%s seed %d: part %d on core %d, not a placed core", chip, seed, q, cores[q])
				}
				if chipOf[old] != chipOf[pt.Part[v]] {
					t.Errorf("%s seed %d: fragment %d moved from chip %d to chip %d", chip, seed, v, chipOf[pt.Part[v]], chipOf[old])
				}
			}
			if !sp.Kept {
				if !cmp.Equal(got.Part, pt.Part) || !cmp.Equal(cores, pl.Core) {
					t.Errorf("%s seed %d: result not kept but the partition changed", chip, seed)
				}
			} else {
				kept++
				fall := 1 - end.MaxLinkLoad/start.MaxLinkLoad
				if !(fall > 0) || end.RateHops > start.RateHops*(1+SpreadTrade*fall)+1e-9 {
					t.Errorf("%s seed %d: kept busiest link %g -> %g at message-hops %g -> %g, beyond the trade %g", chip, seed, start.MaxLinkLoad, end.MaxLinkLoad, start.RateHops, end.RateHops, SpreadTrade)
				}
			}
			again, againCores, _ := SpreadLinks(p, tg, lim, pt, pl.Core, chipOf, 0.5, seed)
			if diff := cmp.Diff([][]int32{got.Part, cores}, [][]int32{again.Part, againCores}); diff != "" {
				t.Errorf("%s seed %d: not deterministic (-first +second):\n%s", chip, seed, diff)
			}
		}
		if done < 8 {
			t.Fatalf("%s: %d random nets, want >= 8", chip, done)
		}
		if kept == 0 {
			t.Errorf("%s: the busiest link fell on none of %d nets", chip, done)
		}
		t.Logf("%s: kept on %d of %d nets", chip, kept, done)
	}
}

// TestSpreadChosenDeterministic: the place pass runs the link spreading on
// its chosen candidate, and the compile's chosen mapping is the same with
// one worker thread as with two.
func TestSpreadChosenDeterministic(t *testing.T) {
	compiled := 0
	for seed := uint64(1); seed <= 4; seed++ {
		var got [][]int32
		for _, procs := range []int{1, 2} {
			old := runtime.GOMAXPROCS(procs)
			g := randGraph(t, seed)
			train(g, seed)
			var log bytes.Buffer
			u := &Unit{G: g, Target: lookup(t, "tiny-2chip"), Samples: samples(g, 2, seed), Seed: seed, Log: &log}
			err := Compile(context.Background(), u, Config{StopAfter: "place", Verify: true})
			runtime.GOMAXPROCS(old)
			if err != nil {
				t.Logf("seed %d: %v", seed, err)
				break // does not fit
			}
			for _, stage := range []string{"place: link spreading of granularity", "place: fine re-splitting of granularity"} {
				if !strings.Contains(log.String(), stage) {
					t.Errorf("seed %d: no %q in the log:\n%s", seed, stage, log.String())
				}
			}
			c := u.Layout.Chosen
			if v := c.Problem.PartLimits(c.Partition, TargetLimits(u.Target)); len(v) > 0 {
				t.Errorf("seed %d: chosen partition breaks limits: %v", seed, v)
			}
			got = append(got, c.Partition.Part, c.Placement.Core)
		}
		if len(got) < 4 {
			continue
		}
		compiled++
		if diff := cmp.Diff(got[:2], got[2:]); diff != "" {
			t.Errorf("seed %d: chosen mapping differs between 1 and 2 threads (-1 +2):\n%s", seed, diff)
		}
	}
	if compiled < 2 {
		t.Errorf("%d random nets compiled, want >= 2", compiled)
	}
}
