package e2e

import (
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir/heapwatch"
	"github.com/autosnn/autosnn/sim"
)

// TestMemoryEstimate compares sim.Memory with the measured peak live heap
// of building the virtual chip and running two images of the autosnn
// network compiled for loihi1, at two sizes (0.46 and 8.6 million
// synapses).
func TestMemoryEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and measures peak heap")
	}
	tg, err := backends.Resolve("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ C, H int }{{4, 16}, {8, 32}} {
		g := zooGraph(t, "autosnn", tc.C, tc.H, 1)
		in := normalisedInputs(g, 2, 1)
		g = compileReal(t, g, tg, in, 1)
		est := sim.Memory(g)
		got := heapwatch.Peak(func() {
			s, err := sim.New(g, tg)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range in {
				if _, err := s.Run(x, nil); err != nil {
					t.Fatal(err)
				}
			}
		})
		r := float64(est)/float64(got) - 1
		t.Logf("C=%d %dx%d: measured %d bytes, estimated %d (%+.0f%%)", tc.C, tc.H, tc.H, got, est, 100*r)
		if err := heapwatch.Check(est, got); err != nil {
			t.Errorf("C=%d %dx%d: sim.Memory: %v", tc.C, tc.H, tc.H, err)
		}
	}
}
