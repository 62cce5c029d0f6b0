package passes

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
)

// TestPartitionChipsSwaps checks the refinement on four parts on two
// chips of two cores: dealt in order, the heavy pairs 0-2 and 1-3 straddle
// the chips; one swap puts each pair on one chip.
func TestPartitionChipsSwaps(t *testing.T) {
	prof := lookup(t, "tiny-2chip").Profile
	prof.Mesh.TilesX, prof.Mesh.TilesY = 1, 1 // two chips of one tile of two cores
	tg, err := backends.NewTarget(&prof, "two chips of two cores")
	if err != nil {
		t.Fatal(err)
	}
	edges := []Edge{{0, 1, 1}, {0, 2, 10}, {1, 3, 10}, {2, 3, 1}}
	plan, err := PartitionChips(tg, 4, edges)
	if err != nil {
		t.Fatal(err)
	}
	if plan.InitialInterChip != 20 || plan.InterChip != 2 {
		t.Errorf("inter-chip traffic %g -> %g, want 20 -> 2", plan.InitialInterChip, plan.InterChip)
	}
	if plan.ChipOf[0] != plan.ChipOf[2] || plan.ChipOf[1] != plan.ChipOf[3] || plan.ChipOf[0] == plan.ChipOf[1] {
		t.Errorf("chips of parts %v, want 0 with 2 and 1 with 3 on the other chip", plan.ChipOf)
	}
	if _, err := PartitionChips(tg, 5, edges); err == nil {
		t.Error("5 parts on 4 cores: got no error, want a FitError")
	}
}

// TestPartitionChipsCompile compiles random networks onto the two-chip
// test board: one that needs more cores than a chip has is split across
// both chips, one that fits a chip stays on one, and every per-core,
// per-link and routing limit holds (the verify pass recounts them from
// Population.Core; Compile verifies the layout, chip plan included,
// between passes).
func TestPartitionChipsCompile(t *testing.T) {
	var one, two bool
	for seed := uint64(1); seed <= 20 && !(one && two); seed++ {
		u, ok := compileRandom(t, "tiny-2chip", seed)
		if !ok {
			continue
		}
		c := u.Layout.Chosen
		m := u.Report.Mapping
		per := chipCores(u.Target)
		chips := map[int]bool{}
		for _, core := range c.Placement.Core {
			chips[chipOfCore(u.Target, int(core))] = true
		}
		if c.Chips == nil {
			t.Fatalf("seed %d: no chip plan on a two-chip board", seed)
		}
		if len(chips) != m.ChipsUsed || len(chips) > len(c.Chips.Chips) {
			t.Errorf("seed %d: parts on %d chips, report says %d, plan allows %v", seed, len(chips), m.ChipsUsed, c.Chips.Chips)
		}
		for q, core := range c.Placement.Core {
			if got := chipOfCore(u.Target, int(core)); got != int(c.Chips.ChipOf[q]) {
				t.Errorf("seed %d: part %d on chip %d, plan says %d", seed, q, got, c.Chips.ChipOf[q])
			}
		}
		if m.InterChipMessages > 0 && len(chips) == 1 {
			t.Errorf("seed %d: %g inter-chip messages on one chip", seed, m.InterChipMessages)
		}
		switch {
		case m.CoresUsed <= per:
			one = true
			if len(chips) != 1 {
				t.Errorf("seed %d: %d cores (a chip has %d) spread over %d chips, want 1", seed, m.CoresUsed, per, len(chips))
			}
		default:
			two = true
			if len(chips) != 2 {
				t.Errorf("seed %d: %d cores (a chip has %d) on %d chips, want 2", seed, m.CoresUsed, per, len(chips))
			}
		}
	}
	if !one || !two {
		t.Fatalf("random nets covered one chip %v, two chips %v; want both", one, two)
	}
}

// TestPartitionChipsSingleChip checks that the pass leaves a single-chip
// target's candidates without a chip plan, so their mapping is the flat
// placer's.
func TestPartitionChipsSingleChip(t *testing.T) {
	g := randGraph(t, 3)
	train(g, 3)
	u := &Unit{G: g, Target: lookup(t, "tiny"), Samples: samples(g, 2, 3), Seed: 3}
	if err := Compile(context.Background(), u, Config{Verify: true, StopAfter: "partition-chips"}); err != nil {
		t.Skipf("random net 3 does not fit tiny: %v", err)
	}
	if i := slices.IndexFunc(u.Layout.Candidates, func(c *Candidate) bool { return c.Chips != nil }); i >= 0 {
		t.Errorf("candidate %d has a chip plan on a one-chip target", i)
	}
}

// TestLayoutVerifyChips checks that Layout.Verify catches a placed part
// off the chip its plan gives it and a chip holding more parts than cores.
func TestLayoutVerifyChips(t *testing.T) {
	u := placedUnit(t, "place")
	c := u.Layout.Chosen
	if err := u.Layout.Verify(u.G, u.Target); err != nil {
		t.Fatalf("as placed: %v", err)
	}
	c.Chips.ChipOf[0] = 1 - c.Chips.ChipOf[0]
	c.Chips.Chips = []int{0, 1}
	err := u.Layout.Verify(u.G, u.Target)
	if err == nil || !strings.Contains(err.Error(), "want a core of its chip") {
		t.Errorf("part 0 off its chip: got %v, want a chip error", err)
	}
	for q := range c.Chips.ChipOf {
		c.Chips.ChipOf[q] = 0
	}
	for len(c.Chips.ChipOf) <= chipCores(u.Target) {
		c.Chips.ChipOf = append(c.Chips.ChipOf, 0)
	}
	c.Partition.K = len(c.Chips.ChipOf)
	if err := u.Layout.Verify(u.G, u.Target); err == nil {
		t.Error("a chip with more parts than cores: got no error")
	}
}
