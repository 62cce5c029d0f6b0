package passes

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEmptyParts: on random nets partitioned with room to spare and placed,
// EmptyParts keeps every fragment on one of the placed cores (on its chip)
// within every limit, never raises the busiest link nor the weighted
// message-hops beyond EmptySlack, returns its input when it empties
// nothing, is deterministic, and empties parts on some nets.
func TestEmptyParts(t *testing.T) {
	for _, chip := range []string{"tiny", "tiny-2chip"} {
		tg := lookup(t, chip)
		lim := TargetLimits(tg)
		m := newMesh(tg)
		done, emptied := 0, 0
		for seed := uint64(1); seed <= 16; seed++ {
			g, p, ok := problemFor(t, chip, seed)
			if !ok {
				continue
			}
			// Half-full parts: room for a part's fragments elsewhere.
			half := lim
			half.Neurons /= 2
			half.MemBytes /= 2
			pt, err := PartitionProblem(g, p, half, PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores})
			if err != nil || pt.K < 2 {
				continue
			}
			pt.BudgetNeurons, pt.BudgetMem = lim.Neurons, lim.MemBytes
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
			got, cores, n := EmptyParts(p, tg, lim, pt, pl.Core, chipOf)
			if v := p.PartLimits(got, lim); len(v) > 0 {
				t.Errorf("%s seed %d: limits violated: %v", chip, seed, v)
			}
			if got.K != pt.K-n || len(cores) != got.K || len(got.Part) != len(p.Frags) {
				t.Fatalf("%s seed %d: %d parts on %d cores after emptying %d of %d", chip, seed, got.K, len(cores), n, pt.K)
			}
			at := map[int32]int32{}
			for q, c := range pl.Core {
				at[c] = int32(q)
			}
			for v, q := range got.Part {
				old, ok := at[cores[q]]
				if !ok || chipOf[old] != chipOf[pt.Part[v]] {
					t.Fatalf("%s seed %d: fragment %d on core %d: not a placed core of its chip", chip, seed, v, cores[q])
				}
			}
			start, end := Measure(tg, es, pl.Core), Measure(tg, Edges(p.Traffic(got.Part)), cores)
			if end.MaxLinkLoad > start.MaxLinkLoad {
				t.Errorf("%s seed %d: busiest link %g -> %g", chip, seed, start.MaxLinkLoad, end.MaxLinkLoad)
			}
			if h0, h1 := mappingHops(m, p, pt.Part, pl.Core), mappingHops(m, p, got.Part, cores); h1 > h0*(1+EmptySlack)+1e-9 {
				t.Errorf("%s seed %d: weighted message-hops %g -> %g, beyond the slack", chip, seed, h0, h1)
			}
			if n == 0 && (got != pt || !cmp.Equal(cores, pl.Core)) {
				t.Errorf("%s seed %d: nothing emptied but the partition changed", chip, seed)
			}
			emptied += n
			again, againCores, _ := EmptyParts(p, tg, lim, pt, pl.Core, chipOf)
			if diff := cmp.Diff([][]int32{got.Part, cores}, [][]int32{again.Part, againCores}); diff != "" {
				t.Errorf("%s seed %d: not deterministic (-first +second):\n%s", chip, seed, diff)
			}
		}
		if done < 8 {
			t.Fatalf("%s: %d random nets, want >= 8", chip, done)
		}
		if emptied == 0 {
			t.Errorf("%s: no part emptied on %d nets", chip, done)
		}
		t.Logf("%s: %d parts emptied on %d nets", chip, emptied, done)
	}
}
