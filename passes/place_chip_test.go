package passes

import "testing"

// TestPlaceTarget: on a board, parts that fit one chip are placed on the
// first chip, whose cores keep their ids and mesh positions; more parts
// than a chip holds use the whole board.
func TestPlaceTarget(t *testing.T) {
	tg := lookup(t, "tiny-2chip")
	perChip := tg.TilesPerChip * tg.Profile.Mesh.CoresPerTile
	sub := PlaceTarget(tg, perChip)
	if sub.NumChips != 1 || sub.NumCores != perChip {
		t.Fatalf("PlaceTarget(%d parts): %d chips, %d cores, want 1 chip of %d cores", perChip, sub.NumChips, sub.NumCores, perChip)
	}
	for c := range perChip {
		if a, b := tg.CoreCoord(c), sub.CoreCoord(c); a.X != b.X || a.Y != b.Y || a.Slot != b.Slot {
			t.Errorf("core %d: board %+v, one chip %+v, want the same position", c, a, b)
		}
	}
	if got := PlaceTarget(tg, perChip+1); got != tg {
		t.Errorf("PlaceTarget(%d parts) is not the board", perChip+1)
	}
	if one := lookup(t, "tiny"); PlaceTarget(one, 2) != one {
		t.Errorf("placeTarget on a single chip is not the chip itself")
	}
	done := 0
	for seed := uint64(1); seed <= 10; seed++ {
		g, p, ok := problemFor(t, "tiny-2chip", seed)
		if !ok {
			continue
		}
		pt, err := PartitionProblem(g, p, TargetLimits(tg), PartitionOptions{Imbalance: 0.03, MaxParts: tg.NumCores})
		if err != nil || pt.K > perChip {
			continue
		}
		done++
		_, pl, err := PlaceAndRefine(p, tg, pt, RefineOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for q, c := range pl.Core {
			if tg.CoreCoord(int(c)).Chip != 0 {
				t.Errorf("seed %d: part %d of %d on core %d of chip %d, want chip 0", seed, q, pt.K, c, tg.CoreCoord(int(c)).Chip)
			}
		}
	}
	if done == 0 {
		t.Fatal("no random net fitted one chip of tiny-2chip")
	}
}
