package passes

import "testing"

// TestPartitionShrink: with a core budget below the packing's parts,
// partition dissolves parts (on at least one of the random nets) and
// never breaks a per-core limit or ends with more parts than without the
// budget.
func TestPartitionShrink(t *testing.T) {
	shrunk := 0
	for _, chip := range testChips {
		tg := lookup(t, chip)
		lim := TargetLimits(tg)
		for seed := uint64(1); seed <= 6; seed++ {
			g := randGraph(t, seed)
			_, p, err := SplitAndBuild(g, tg, SplitOptions{Granularity: 4})
			if err != nil {
				continue
			}
			opt := PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores}
			free, err := PartitionProblem(g, p, lim, opt)
			if err != nil || free.K < 2 {
				continue
			}
			opt.Cores = free.K - 1
			pt, err := PartitionProblem(g, p, lim, opt)
			if err != nil {
				t.Fatalf("%s seed %d: with a budget of %d cores: %v", chip, seed, opt.Cores, err)
			}
			if v := p.PartLimits(pt, lim); len(v) > 0 {
				t.Fatalf("%s seed %d: with a budget of %d cores: %s", chip, seed, opt.Cores, v[0])
			}
			if pt.K > free.K {
				t.Fatalf("%s seed %d: %d parts with a budget of %d, %d without", chip, seed, pt.K, opt.Cores, free.K)
			}
			if pt.K < free.K {
				shrunk++
			}
		}
	}
	if shrunk == 0 {
		t.Fatal("no partition shrank under a budget one core below its parts")
	}
}
