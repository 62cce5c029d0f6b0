package passes

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMeasureByHand checks hops, link loads and energy on tiny-2chip
// (tiles 2x2 per chip, 2 cores per tile, chips side by side).
func TestMeasureByHand(t *testing.T) {
	tg := lookup(t, "tiny-2chip")
	// Core 0 is tile (0,0); core 1 the other slot of that tile; core 2 is
	// tile (0,1); core 8 is chip 1's first tile (2,0).
	edges := []Edge{{0, 1, 2}, {0, 2, 1}, {0, 3, 0.5}}
	core := []int32{0, 1, 2, 8}
	m := Measure(tg, edges, core)
	want := Metrics{
		Messages:          3.5,
		RateHops:          0*2 + 1*1 + 2*0.5,
		MeanHops:          2.0 / 3.5,
		MaxLinkLoad:       1,
		BusiestLink:       "(0,0)N",
		InterChipMessages: 0.5,
		// message_out 8 pJ each; within tile 1 pJ; one N hop 3 pJ; two E
		// hops, one on chip (2 pJ) and one crossing chips (10 pJ).
		EnergyPJ: 2*(8+1) + 1*(8+3) + 0.5*(8+2+10),
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Measure (-want +got):\n%s", diff)
	}
}
