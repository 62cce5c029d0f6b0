package sim

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// dropDigest runs two images of the residual network, scattered over
// tiny-2chip with starved links under the drop policy (o), and returns a
// digest of every Stats of every step and the spike raster, with the
// totals for the failure message.
func dropDigest(t *testing.T, o NoCOverride) (string, Stats) {
	t.Helper()
	tg, err := WithNoC(mustTarget(t, "tiny-2chip"), o)
	if err != nil {
		t.Fatal(err)
	}
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, scattered, 3)
	s, err := New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	var tot Stats
	rng := rand.New(rand.NewPCG(5, 5))
	for img := 0; img < 2; img++ {
		var r raster
		res, err := s.Run(randomInput(g, rng), r.observe)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%v|%v|%v\n", res.Steps, r, res.Result)
		tot.Messages += res.Total.Messages
		tot.Dropped += res.Total.Dropped
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:8]), tot
}

// dropDigestCases are the scenarios of TestDropWaitZeroIsImmediate.
var dropDigestCases = []struct {
	name string
	o    NoCOverride
}{
	{"unicast", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02, OverflowPolicy: backends.OverflowDrop}},
	{"multicast", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.002, OverflowPolicy: backends.OverflowDrop, MessageMode: backends.MessageMulticastTree}},
}

// TestDropWaitZeroIsImmediate: without a drop wait (the profile's 0, or an
// explicit 0) the drop policy drops at once, exactly as before drop waits
// existed: the digests of every step's Stats and the raster were recorded
// with the simulator of commit bdcb269, which had no drop wait, and
// re-recorded when a neuron with a nonzero stored potential became an
// active update (#17; the same runs otherwise).
func TestDropWaitZeroIsImmediate(t *testing.T) {
	want := map[string]string{"unicast": "013c1b86a8080d95", "multicast": "4bc0d0b9f8274b59"}
	zero := 0.0
	for _, tc := range dropDigestCases {
		for _, w := range []*float64{nil, &zero} {
			o := tc.o
			o.DropWaitNs = w
			got, tot := dropDigest(t, o)
			if got != want[tc.name] {
				t.Errorf("%s, drop wait %v: digest %s (%d of %d dropped), want %s", tc.name, w, got, tot.Dropped, tot.Messages, want[tc.name])
			}
			if tot.Dropped == 0 {
				t.Errorf("%s: no drops: the comparison is vacuous", tc.name)
			}
		}
	}
}

// mergeNet: 16 host-driven IF neurons (a) that all fire in step 0, each
// projecting onto one head neuron (b). mergeCase places a[0:8] on tile
// (0,0), a[8:16] on tile (1,0) and b on tile (1,1) of tiny, with 1-message
// buffers and 10 ns per message per link: both streams need the north link
// of router (1,0), so the west input buffer of (1,0) drains at half the rate
// router (0,0) feeds it, and the messages from (0,0) find it full.
func mergeCase(t *testing.T, wait float64) (*ir.Graph, *backends.Target) {
	t.Helper()
	b := ir.NewBuilder("merge", ir.Header{T: 1, Encoding: ir.Direct, Classes: 1, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 1, W: 1})
	a := b.Layer("a", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Full(x, 16))
	b.Layer("b", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(a, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	tg, err := WithNoC(mustTarget(t, "tiny"), NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.1,
		OverflowPolicy: backends.OverflowDrop, DropWaitNs: &wait})
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, fill, 1)
	core := func(x, y int) int32 {
		c, ok := tg.CoreAt(x, y, 0)
		if !ok {
			t.Fatalf("tiny has no core at (%d,%d)", x, y)
		}
		return int32(c)
	}
	g.Pops[1].Core = make([]int32, 16)
	for j := range g.Pops[1].Core {
		g.Pops[1].Core[j] = core(j/8, 0)
	}
	g.Pops[2].Core = []int32{core(1, 1)}
	for i := range g.Projs[0].Weights {
		g.Projs[0].Weights[i] = 1
	}
	for i := range g.Projs[1].Q.Weights {
		g.Projs[1].Q.Weights[i] = 1
	}
	return g, tg
}

// TestDropWait is the hand-built congestion case: with a drop wait shorter
// than the time the merge takes to free a slot, messages are dropped when
// their wait expires; with a long wait the same traffic loses nothing (it
// waits, as under backpressure) and the spikes equal the reference's.
func TestDropWait(t *testing.T) {
	for _, tc := range []struct {
		wait      float64
		wantDrops bool
	}{
		{0, true},
		{2, true},
		{1000, false},
	} {
		t.Run(fmt.Sprintf("wait=%g", tc.wait), func(t *testing.T) {
			g, tg := mergeCase(t, tc.wait)
			res, got := simulate(t, g, tg, []float32{2})
			st := res.Steps[0]
			t.Logf("messages %d, delivered %d, dropped %d, buffer-full stall %g ns, compute %g ns", st.Messages, st.Delivered, st.Dropped, st.Stalls.BufferFullNs, st.ComputeNs)
			if st.Messages != 16 {
				t.Fatalf("%d messages, want 16 (every neuron of a fires once)", st.Messages)
			}
			if st.Messages != st.Delivered+st.Dropped || st.InFlight != 0 {
				t.Errorf("messages %d, delivered %d, dropped %d, in flight %d: want messages = delivered + dropped, 0 in flight", st.Messages, st.Delivered, st.Dropped, st.InFlight)
			}
			if gotDrops := st.Dropped > 0; gotDrops != tc.wantDrops {
				t.Errorf("dropped %d, want drops: %v", st.Dropped, tc.wantDrops)
			}
			if tc.wait > 0 && st.Stalls.BufferFullNs < float64(st.Dropped)*tc.wait || tc.wait > 0 && st.Stalls.BufferFullNs == 0 {
				t.Errorf("buffer-full stall %g ns with %d drops after a drop wait of %g ns: want >= drops x wait and > 0 (blocked messages wait)", st.Stalls.BufferFullNs, st.Dropped, tc.wait)
			}
			if !tc.wantDrops {
				_, want := reference(t, g, []float32{2})
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("raster differs from the reference without drops (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestWithNoCDropWait: the drop-wait override, and switching a drop-wait
// profile to backpressure clears its wait.
func TestWithNoCDropWait(t *testing.T) {
	s2 := mustTarget(t, "spinnaker2")
	if s2.Profile.NoC.DropWaitNs <= 0 {
		t.Fatalf("spinnaker2: drop_wait_ns %g, want > 0", s2.Profile.NoC.DropWaitNs)
	}
	for _, tc := range []struct {
		name    string
		t       *backends.Target
		o       NoCOverride
		want    float64
		wantErr string
	}{
		{"profile", s2, NoCOverride{}, s2.Profile.NoC.DropWaitNs, ""},
		{"override", s2, NoCOverride{DropWaitNs: ptr(50.0)}, 50, ""},
		{"override to 0", s2, NoCOverride{DropWaitNs: ptr(0.0)}, 0, ""},
		{"backpressure clears", s2, NoCOverride{OverflowPolicy: backends.OverflowBackpressure}, 0, ""},
		{"negative", s2, NoCOverride{DropWaitNs: ptr(-1.0)}, 0, "noc.drop_wait_ns: got -1, want a finite value >= 0"},
		{"on a lossless chip", mustTarget(t, "tiny"), NoCOverride{DropWaitNs: ptr(10.0)}, 0, `noc.drop_wait_ns: got 10 with overflow_policy "backpressure"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nt, err := WithNoC(tc.t, tc.o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("WithNoC() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := nt.Profile.NoC.DropWaitNs; got != tc.want {
				t.Errorf("drop_wait_ns = %g, want %g", got, tc.want)
			}
		})
	}
}
