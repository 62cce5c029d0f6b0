package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// withInterChip returns tiny-2chip with its inter-chip hop energy and link
// bandwidth replaced.
func withInterChip(t *testing.T, hopPJ, gmsgPerS float64) *backends.Target {
	t.Helper()
	p := mustTarget(t, "tiny-2chip").Profile
	p.Energy.InterChipHopPJ, p.NoC.InterChipLinkBandwidthGMsgPerS = hopPJ, gmsgPerS
	tg, err := backends.NewTarget(&p, "tiny-2chip (test copy)")
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestInterChipLinks: hops that cross the chip boundary of tiny-2chip are
// counted per link and charged the board's inter-chip hop energy (raising
// it by 1000 pJ raises the network energy by exactly 1000 pJ per
// inter-chip hop), and occupy the link at the board's own inter-chip
// bandwidth (a slower link lengthens the step, spikes unchanged).
func TestInterChipLinks(t *testing.T) {
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, mustTarget(t, "tiny-2chip"), scattered, 6)
	in := randomInput(g, rand.New(rand.NewPCG(6, 6)))
	run := func(tg *backends.Target) (ImageResult, int64) {
		s, err := New(g, tg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Run(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		var inter int64
		for l, n := range s.LinkLoad() {
			if l.InterChip {
				inter += n
			}
		}
		return r, inter
	}
	base, inter := run(withInterChip(t, 10, 0.5))
	if inter == 0 {
		t.Fatal("no message crossed the chip boundary: the test is vacuous")
	}
	dear, inter2 := run(withInterChip(t, 1010, 0.5))
	if inter2 != inter {
		t.Fatalf("inter-chip hops %d with a dearer link, want the same %d", inter2, inter)
	}
	if got, want := dear.Total.Energy.NetworkPJ-base.Total.Energy.NetworkPJ, 1000*float64(inter); math.Abs(got-want) > 1e-6*want {
		t.Errorf("network energy grew by %g pJ over %d inter-chip hops, want %g (1000 pJ each)", got, inter, want)
	}
	slow, inter3 := run(withInterChip(t, 10, 0.005))
	if inter3 != inter || slow.Total.Spikes != base.Total.Spikes {
		t.Fatalf("slow link: %d inter-chip hops and %d spikes, want %d and %d", inter3, slow.Total.Spikes, inter, base.Total.Spikes)
	}
	if !(slow.Total.ComputeNs > base.Total.ComputeNs) {
		t.Errorf("compute time %g ns with a 0.005 Gmsg/s inter-chip link, want more than %g ns at 0.5 Gmsg/s", slow.Total.ComputeNs, base.Total.ComputeNs)
	}
}
