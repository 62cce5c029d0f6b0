package passes

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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

// TestCompileOneChipOfBoard: a network that fits one chip compiles onto a
// board of such chips exactly as onto the chip alone (the same core for
// every neuron), with the traffic of several cores.
func TestCompileOneChipOfBoard(t *testing.T) {
	for _, net := range []string{"snn1-scb3", "cifarnet-wu"} {
		var cores [2][][]int32
		for i, chip := range []string{"loihi1", "loihi1-kapoho-bay"} {
			g := zooNet(t, net, 4, 32)
			train(g, 1)
			u := &Unit{G: g, Target: lookup(t, chip), Samples: samples(g, 2, 1), Seed: 1, Effort: 0.25}
			if err := Compile(context.Background(), u, Config{StopAfter: "place"}); err != nil {
				t.Fatalf("%s on %s: %v", net, chip, err)
			}
			if k := u.Layout.Chosen.Partition.K; k < 8 {
				t.Fatalf("%s on %s: %d cores, want a test of at least 8", net, chip, k)
			}
			for _, p := range g.Pops[1:] {
				cores[i] = append(cores[i], p.Core)
			}
		}
		if diff := cmp.Diff(cores[0], cores[1]); diff != "" {
			t.Errorf("%s: the cores of the neurons on loihi1-kapoho-bay differ from loihi1's (-loihi1 +loihi1-kapoho-bay):\n%.2000s", net, diff)
		}
	}
}
