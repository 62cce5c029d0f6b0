package backends

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// boardChips names the chip each built-in board is made of.
var boardChips = map[string]string{
	"loihi1-kapoho-bay":    "loihi1",
	"loihi1-nahuku32":      "loihi1",
	"loihi1-pohoiki-beach": "loihi1",
	"loihi2-kapoho-point":  "loihi2",
	"spinnaker1-spin5":     "spinnaker1",
	"truenorth-ns16e":      "truenorth",
	"tiny-2chip":           "tiny",
}

// TestBoardsMatchTheirChip checks that every built-in board has more than
// one chip, charges inter-chip hops, and copies its chip's on-chip figures
// exactly (core limits, precision, on-chip NoC, energy, timing, sync), so
// that a board cannot drift from the chip profile it cites.
func TestBoardsMatchTheirChip(t *testing.T) {
	for _, name := range Builtins() {
		tg := mustLookup(t, name)
		chip, isBoard := boardChips[name]
		if tg.NumChips > 1 && !isBoard {
			t.Errorf("%s has %d chips but no entry in boardChips", name, tg.NumChips)
			continue
		}
		if !isBoard {
			continue
		}
		t.Run(name, func(t *testing.T) {
			b, c := tg.Profile, mustLookup(t, chip).Profile
			if tg.NumChips < 2 || b.NoC.InterChipHopLatencyNs <= 0 || b.Energy.InterChipHopPJ <= 0 || b.NoC.InterChipLinkBandwidthGMsgPerS <= 0 {
				t.Errorf("%d chips, inter-chip hop %g ns / %g pJ / %g Gmsg/s: want >= 2 chips and all three > 0", tg.NumChips, b.NoC.InterChipHopLatencyNs, b.Energy.InterChipHopPJ, b.NoC.InterChipLinkBandwidthGMsgPerS)
			}
			bm, cm := b.Mesh, c.Mesh
			if bm.TilesX != cm.TilesX || bm.TilesY != cm.TilesY || bm.CoresPerTile != cm.CoresPerTile {
				t.Errorf("chip mesh %dx%dx%d, want %s's %dx%dx%d", bm.TilesX, bm.TilesY, bm.CoresPerTile, chip, cm.TilesX, cm.TilesY, cm.CoresPerTile)
			}
			bn, cn := b.NoC, c.NoC
			bn.InterChipHopLatencyNs, bn.InterChipLinkBandwidthGMsgPerS, bn.Source, cn.Source = 0, 0, "", ""
			be, ce := b.Energy, c.Energy
			be.InterChipHopPJ, be.Notes, ce.Notes, be.Source, ce.Source = 0, "", "", "", ""
			for _, d := range []struct {
				what      string
				got, want any
			}{
				{"core", b.Core, c.Core}, {"layer_cores", b.LayerCores, c.LayerCores}, {"precision", b.Precision, c.Precision},
				{"noc", bn, cn}, {"energy", be, ce}, {"timing", b.Timing, c.Timing}, {"sync", b.Sync, c.Sync},
				{"clock_mhz", b.ClockMHz, c.ClockMHz}, {"static_power_mw", b.StaticPowerMW, c.StaticPowerMW},
			} {
				if diff := cmp.Diff(d.want, d.got); diff != "" {
					t.Errorf("%s differs from %s's (-chip +board):\n%s", d.what, chip, diff)
				}
			}
		})
	}
}
