package chipcost

import (
	"math"
	"testing"
)

// TestPlacedInterChip places the hand network across the chip boundary
// of tiny-2chip (h on chip 0, y on chip 1): every message crosses one
// inter-chip link, and the route energy charges that hop the board's
// inter_chip_hop_pj (10) and the on-chip hops their direction's energy,
// computed here from the hop counts and the profile, not through
// Target.NetworkEnergyPJ.
func TestPlacedInterChip(t *testing.T) {
	tg := target(t, "tiny-2chip")
	g := handNet(t)
	h, y := g.Pops[1], g.Pops[2]
	far := -1
	for c := range tg.NumCores {
		if tg.CoreCoord(c).ChipX == 1 {
			far = c
			break
		}
	}
	if far < 0 {
		t.Fatal("tiny-2chip has no core on chip 1")
	}
	h.Core = []int32{0, 0, 0, 0, 0, 0, 0, 0}
	y.Core = []int32{int32(far), int32(far)}
	act := Activity{Spikes: map[string]float64{"h": 5, "y": 1}}
	c, err := Placed(g, act, tg)
	if err != nil {
		t.Fatal(err)
	}
	hc := tg.Hops(0, far)
	if hc.InterChip() != 1 {
		t.Fatalf("core 0 -> core %d crosses %d chip boundaries, want 1", far, hc.InterChip())
	}
	e := tg.Profile.Energy
	perMsg := float64(hc.OnChipEW())*e.HopEWPJ + float64(hc.OnChipNS())*e.HopNSPJ + float64(hc.InterChip())*e.InterChipHopPJ
	if c.Messages != 5 || c.Hops != 5*float64(hc.Total()) || math.Abs(c.Energy.RoutePJ-5*perMsg) > 1e-9 {
		t.Errorf("got %g messages, %g hops, %g pJ route; want 5, %d, %g (one inter-chip hop of %g pJ each)",
			c.Messages, c.Hops, c.Energy.RoutePJ, 5*hc.Total(), 5*perMsg, e.InterChipHopPJ)
	}
	if lat := tg.Profile.NoC.InterChipHopLatencyNs; !(c.LatencyNs >= lat) {
		t.Errorf("latency %g ns, want at least the inter-chip hop's %g ns", c.LatencyNs, lat)
	}
}
