package passes

import (
	"context"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir/heapwatch"
)

// TestMemoryEstimate compares Memory with the measured peak live heap of
// compiling the autosnn network for loihi1 (four profiling samples) at two
// sizes: 0.46 and 8.6 million synapses, within heapwatch's bounds, which are wide because
// the measured bytes per synapse vary with the shape and with which of the
// concurrent granularities overlap (29 to 42 MB over runs of the larger).
func TestMemoryEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures peak heap of real compiles")
	}
	tg, err := backends.Resolve("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ C, H int }{{4, 16}, {8, 32}} {
		g := zooNet(t, "autosnn", tc.C, tc.H)
		train(g, 1)
		s := samples(g, 4, 1)
		est := Memory(g, len(s))
		got := heapwatch.Peak(func() {
			u := &Unit{G: g, Target: tg, Samples: s, Seed: 1}
			if err := Compile(context.Background(), u, Config{}); err != nil {
				t.Fatal(err)
			}
		})
		r := float64(est)/float64(got) - 1
		t.Logf("C=%d %dx%d: measured %d bytes, estimated %d (%+.0f%%)", tc.C, tc.H, tc.H, got, est, 100*r)
		if err := heapwatch.Check(est, got); err != nil {
			t.Errorf("C=%d %dx%d: Memory: %v", tc.C, tc.H, tc.H, err)
		}
	}
}
