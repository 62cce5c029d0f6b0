package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// reference runs the integer reference executor and returns its raster.
func reference(t *testing.T, g *ir.Graph, input []float32) (ir.Result, raster) {
	t.Helper()
	x, err := ir.NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	var r raster
	res, err := x.Run(input, r.observe)
	if err != nil {
		t.Fatal(err)
	}
	return res, r
}

func simulate(t *testing.T, g *ir.Graph, tg *backends.Target, input []float32) (ImageResult, raster) {
	t.Helper()
	s, err := New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	var r raster
	res, err := s.Run(input, r.observe)
	if err != nil {
		t.Fatal(err)
	}
	return res, r
}

var equivalenceCases = []struct {
	name     string
	chip     string
	enc      ir.Encoding
	place    placement
	override NoCOverride
}{
	{"tiny/fill", "tiny", ir.Direct, fill, NoCOverride{}},
	{"tiny/reversed", "tiny", ir.Direct, reversed, NoCOverride{}},
	{"tiny/scattered", "tiny", ir.Direct, scattered, NoCOverride{}},
	{"tiny/scattered/buffer1", "tiny", ir.Direct, scattered, NoCOverride{LinkBufferDepthFlits: 1}},
	{"tiny/scattered/slow-links", "tiny", ir.Direct, scattered, NoCOverride{LinkBandwidthGMsgPerS: 0.01}},
	{"tiny/scattered/fast-links", "tiny", ir.Direct, scattered, NoCOverride{LinkBandwidthGMsgPerS: 100, LinkBufferDepthFlits: 64}},
	{"tiny/frames", "tiny", ir.Frames, scattered, NoCOverride{}},
	{"tiny-2chip/scattered", "tiny-2chip", ir.Direct, scattered, NoCOverride{}},
	{"tiny-2chip/reversed/buffer1", "tiny-2chip", ir.Frames, reversed, NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.05}},
	{"yx-routing", "tiny-2chip", ir.Direct, scattered, NoCOverride{}},
	{"multicast/scattered", "tiny-2chip", ir.Direct, scattered, NoCOverride{MessageMode: backends.MessageMulticastTree}},
	{"multicast/starved", "tiny", ir.Frames, scattered, NoCOverride{MessageMode: backends.MessageMulticastTree, LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02}},
	// Under the drop policy with a drop wait longer than any blocking,
	// nothing is dropped and the chip is exact again.
	{"drop/long-wait", "tiny-2chip", ir.Direct, scattered, NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.05, OverflowPolicy: backends.OverflowDrop, DropWaitNs: ptr(1e6)}},
	{"multicast/drop/long-wait", "tiny", ir.Frames, scattered, NoCOverride{MessageMode: backends.MessageMulticastTree, LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02, OverflowPolicy: backends.OverflowDrop, DropWaitNs: ptr(1e7)}},
}

// TestEquivalence is the differential test: the chip's spike raster equals
// the integer reference executor's, spike for spike, on every image, for
// every placement, buffer depth, bandwidth and board.
func TestEquivalence(t *testing.T) {
	for ci, tc := range equivalenceCases {
		t.Run(tc.name, func(t *testing.T) {
			tg := mustTarget(t, tc.chip)
			if tc.name == "yx-routing" {
				p := tg.Profile
				p.NoC.Routing = backends.RoutingYX
				var err error
				if tg, err = backends.NewTarget(&p, "yx"); err != nil {
					t.Fatal(err)
				}
			}
			tg, err := WithNoC(tg, tc.override)
			if err != nil {
				t.Fatal(err)
			}
			g, err := residualNet(tc.enc)
			if err != nil {
				t.Fatal(err)
			}
			g = compileNet(t, g, tg, tc.place, 1)
			rng := rand.New(rand.NewPCG(uint64(ci), 99))
			totalSpikes := 0
			x, err := ir.NewIntExecutor(g)
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(g, tg)
			if err != nil {
				t.Fatal(err)
			}
			for img := 0; img < 3; img++ {
				in := randomInput(g, rng)
				// Spikes and membrane potentials of every population at every step.
				var want, got raster
				var wantV, gotV [][]int32
				wantRes, err := x.Run(in, func(t, p int, out []float32) {
					want.observe(t, p, out)
					wantV = append(wantV, append([]int32(nil), x.Membrane(p)...))
				})
				if err != nil {
					t.Fatal(err)
				}
				gotRes, err := s.Run(in, func(t, p int, out []float32) {
					got.observe(t, p, out)
					gotV = append(gotV, append([]int32(nil), s.Membrane(p)...))
				})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(wantV, gotV, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("image %d: membrane potentials differ from the reference (-want +got):\n%s", img, diff)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("image %d: raster differs from the reference (-want +got):\n%s", img, diff)
				}
				if diff := cmp.Diff(wantRes, gotRes.Result); diff != "" {
					t.Fatalf("image %d: result differs (-want +got):\n%s", img, diff)
				}
				if got, want := gotRes.Predicted, wantRes.Predict(); got != want {
					t.Errorf("image %d: predicted %d, want %d", img, got, want)
				}
				for _, n := range wantRes.Spikes {
					totalSpikes += n
				}
			}
			if totalSpikes == 0 {
				t.Fatal("the test network never spiked: the comparison is vacuous")
			}
		})
	}
}

// TestEveryLayerSpikes guards the test network: a layer that never fires
// would make the equivalence test blind to its synapses.
func TestEveryLayerSpikes(t *testing.T) {
	tg := mustTarget(t, "tiny")
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, fill, 1)
	res, _ := reference(t, g, randomInput(g, rand.New(rand.NewPCG(1, 2))))
	for i, p := range g.Pops[1:] {
		if n := res.Spikes[i+1]; n == 0 || n == p.Shape.Len()*g.T {
			t.Errorf("population %s fired %d times over %d neurons x %d steps, want some but not all", p.Name, n, p.Shape.Len(), g.T)
		}
	}
}

// TestConservation checks message accounting after every timestep:
// injected = delivered + dropped, nothing in flight, and no drops on a
// lossless mesh; with the drop policy and starved links, drops happen (also
// after a short drop wait, not after a long one) and the books still
// balance.
func TestConservation(t *testing.T) {
	for _, tc := range []struct {
		name      string
		o         NoCOverride
		wantDrops bool
	}{
		{"lossless", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02}, false},
		{"drop", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02, OverflowPolicy: backends.OverflowDrop}, true},
		{"multicast/lossless", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02, MessageMode: backends.MessageMulticastTree}, false},
		{"multicast/drop", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.002, OverflowPolicy: backends.OverflowDrop, MessageMode: backends.MessageMulticastTree}, true},
		{"drop/wait", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02, OverflowPolicy: backends.OverflowDrop, DropWaitNs: ptr(20.0)}, true},
		{"drop/long-wait", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02, OverflowPolicy: backends.OverflowDrop, DropWaitNs: ptr(1e6)}, false},
		{"multicast/drop/wait", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.002, OverflowPolicy: backends.OverflowDrop, MessageMode: backends.MessageMulticastTree, DropWaitNs: ptr(500.0)}, true},
		{"multicast/drop/long-wait", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02, OverflowPolicy: backends.OverflowDrop, MessageMode: backends.MessageMulticastTree, DropWaitNs: ptr(1e7)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := WithNoC(mustTarget(t, "tiny-2chip"), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			g, err := residualNet(ir.Direct)
			if err != nil {
				t.Fatal(err)
			}
			g = compileNet(t, g, tg, scattered, 3)
			res, _ := simulate(t, g, tg, randomInput(g, rand.New(rand.NewPCG(5, 5))))
			for i, st := range res.Steps {
				if st.Messages != st.Delivered+st.Dropped || st.InFlight != 0 {
					t.Errorf("step %d: messages %d, delivered %d, dropped %d, in flight %d: want messages = delivered + dropped and 0 in flight", i, st.Messages, st.Delivered, st.Dropped, st.InFlight)
				}
			}
			if got := res.Total.Dropped > 0; got != tc.wantDrops {
				t.Errorf("dropped %d messages, want drops: %v", res.Total.Dropped, tc.wantDrops)
			}
			if res.Total.Messages == 0 {
				t.Fatal("no messages: vacuous")
			}
			if !tc.wantDrops && res.Total.DeliveredRatio() != 1 {
				t.Errorf("delivered ratio %g, want 1", res.Total.DeliveredRatio())
			}
			if !tc.wantDrops && res.Total.Stalls.BufferFullNs == 0 {
				t.Errorf("no buffer-full stalls on a starved mesh with 1-message buffers")
			}
		})
	}
}

// TestZeroLoadLatency sends one message between every pair of cores: its
// latency must be injection + hops x hop latency + ejection (+ within-tile
// latency for hop-free deliveries), as backends.Target.MessageLatencyNs
// states, and its energy the target's message energy.
func TestZeroLoadLatency(t *testing.T) {
	for _, chip := range []string{"tiny", "tiny-2chip"} {
		tg := mustTarget(t, chip)
		for src := 0; src < tg.NumCores; src++ {
			for _, dst := range []int{0, 1, tg.NumCores / 2, tg.NumCores - 1} {
				g, err := pairNet(ir.Direct)
				if err != nil {
					t.Fatal(err)
				}
				g = compileNet(t, g, tg, fill, 1)
				g.Pops[1].Core = []int32{int32(src)}
				g.Pops[2].Core = []int32{int32(dst)}
				g.Projs[0].Weights = []float32{1}
				g.Projs[1].Q.Weights = []int32{1}
				res, _ := simulate(t, g, tg, []float32{2})
				st := res.Steps[0]
				name := fmt.Sprintf("%s %d->%d", chip, src, dst)
				if st.Messages != 1 || st.Delivered != 1 {
					t.Fatalf("%s: %d messages, %d delivered, want 1, 1", name, st.Messages, st.Delivered)
				}
				if got, want := st.MessageLatencyMaxNs, tg.MessageLatencyNs(src, dst); math.Abs(got-want) > 1e-9 {
					t.Errorf("%s: latency %g ns, want %g", name, got, want)
				}
				if got, want := st.Hops, int64(tg.Hops(src, dst).Total()); got != want {
					t.Errorf("%s: hops %d, want %d", name, got, want)
				}
				if got, want := st.Energy.NetworkPJ, tg.MessageEnergyPJ(src, dst); math.Abs(got-want) > 1e-9 {
					t.Errorf("%s: network energy %g pJ, want %g", name, got, want)
				}
			}
		}
	}
}

// TestCosts recomputes every energy part independently from the raster and
// the target's tables, and checks that the total is the sum of the parts.
func TestCosts(t *testing.T) {
	tg := mustTarget(t, "tiny-2chip")
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, scattered, 9)
	in := randomInput(g, rand.New(rand.NewPCG(9, 9)))
	res, r := simulate(t, g, tg, in)
	e := tg.Profile.Energy
	tm := tg.Profile.Timing
	var want Stats
	var wantNet, wantSyn float64
	// Destination cores and synapse counts per source neuron, from the graph.
	for step := range r {
		for pi, p := range g.Pops {
			if pi == 0 {
				continue
			}
			want.NeuronUpdates += int64(p.Shape.Len())
			for j, v := range r[step][pi] {
				if v == 0 {
					continue
				}
				want.Spikes++
				dst := map[int32]bool{}
				for _, pr := range g.Out(p) {
					ir.SynapsesFrom(pr, j, func(tgt, _ int) {
						dst[pr.Dst.Core[tgt]] = true
						want.SynOps++
						wantSyn += e.SynOpPJ
					})
				}
				for c := range dst {
					want.Messages++
					want.Hops += int64(tg.Hops(int(p.Core[j]), int(c)).Total())
					wantNet += tg.MessageEnergyPJ(int(p.Core[j]), int(c))
				}
			}
		}
	}
	got := res.Total
	if diff := cmp.Diff([]int64{want.Spikes, want.Messages, want.Hops, want.SynOps, want.NeuronUpdates},
		[]int64{got.Spikes, got.Messages, got.Hops, got.SynOps, got.NeuronUpdates}); diff != "" {
		t.Errorf("spikes, messages, hops, synops, updates differ (-want +got):\n%s", diff)
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: got %g, want %g", name, got, want)
		}
	}
	near("synapse energy", got.Energy.SynapsePJ, wantSyn)
	near("network energy", got.Energy.NetworkPJ, wantNet)
	inactive := got.NeuronUpdates - got.ActiveUpdates
	near("neuron energy", got.Energy.NeuronPJ, float64(got.ActiveUpdates)*e.NeuronUpdateActivePJ+float64(inactive)*e.NeuronUpdateInactivePJ+float64(got.Spikes)*e.SpikeOutPJ)
	near("static energy", got.Energy.StaticPJ, tg.StaticEnergyPJ(got.LatencyNs))
	near("total energy", got.Energy.Total(), got.Energy.SynapsePJ+got.Energy.NeuronPJ+got.Energy.NetworkPJ+got.Energy.StaticPJ)
	near("barrier", got.BarrierNs, float64(g.T)*tg.SyncNs(tg.NumTiles))
	near("latency", got.LatencyNs, got.ComputeNs+got.BarrierNs)
	near("cycles", got.LatencyCycles, got.LatencyNs*tg.Profile.ClockMHz/1000)
	// A step takes at least the busiest core's neuron updates.
	if min := float64(64) * math.Min(tm.NeuronUpdateInactiveNs, tm.NeuronUpdateActiveNs); res.Steps[0].ComputeNs < min {
		t.Errorf("step 0 compute %g ns, want >= %g (one full core's updates)", res.Steps[0].ComputeNs, min)
	}
}

// TestDeterminism runs the same image twice on fresh and reused simulators.
func TestDeterminism(t *testing.T) {
	tg, err := WithNoC(mustTarget(t, "tiny-2chip"), NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, scattered, 4)
	in := randomInput(g, rand.New(rand.NewPCG(4, 4)))
	a, _ := simulate(t, g, tg, in)
	s, err := New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		b, err := s.Run(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("run %d differs (-first +again):\n%s", i, diff)
		}
	}
}

// TestCongestionKnee: starving the links makes the timestep slower and
// stalls appear, without changing what is computed.
func TestCongestionKnee(t *testing.T) {
	g0, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	base := mustTarget(t, "tiny")
	g := compileNet(t, g0, base, scattered, 2)
	in := randomInput(g, rand.New(rand.NewPCG(2, 2)))
	var prev ImageResult
	for i, bw := range []float64{10, 1, 0.1, 0.01} {
		tg, err := WithNoC(base, NoCOverride{LinkBandwidthGMsgPerS: bw})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := simulate(t, g, tg, in)
		if i > 0 {
			if res.Total.ComputeNs < prev.Total.ComputeNs {
				t.Errorf("bandwidth %g: compute %g ns, want >= %g (at higher bandwidth)", bw, res.Total.ComputeNs, prev.Total.ComputeNs)
			}
			if res.Total.Spikes != prev.Total.Spikes || res.Total.SynOps != prev.Total.SynOps {
				t.Errorf("bandwidth %g: spikes/synops changed", bw)
			}
		}
		prev = res
	}
	if prev.Total.Stalls.LinkBusyNs+prev.Total.Stalls.BufferFullNs == 0 || prev.Total.LinkUtilMax <= 0 {
		t.Errorf("at 0.01 Gmsg/s: stalls %+v, max link util %g: want congestion", prev.Total.Stalls, prev.Total.LinkUtilMax)
	}
	if prev.Total.LinkUtilMax > 1+1e-9 {
		t.Errorf("max link utilisation %g, want <= 1", prev.Total.LinkUtilMax)
	}
}

// TestBadMapping: a broken mapping is one clear error, never a panic.
func TestBadMapping(t *testing.T) {
	tg := mustTarget(t, "tiny")
	for _, tc := range []struct {
		name   string
		break_ func(g *ir.Graph)
		want   string
	}{
		{"no placement", func(g *ir.Graph) { g.Pops[2].Core = nil }, "population c1: core placement has 0 entries, want 144"},
		{"core out of range", func(g *ir.Graph) { g.Pops[1].Core[3] = 99 }, "population stem neuron 3: core 99, want 0..7"},
		{"core overfull", func(g *ir.Graph) {
			for i := range g.Pops[1].Core {
				g.Pops[1].Core[i] = 0
			}
		}, "core 0 holds"},
		{"not quantized", func(g *ir.Graph) { g.Pops[3].Q = nil }, "population r1 is not quantized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := residualNet(ir.Direct)
			if err != nil {
				t.Fatal(err)
			}
			g = compileNet(t, g, tg, fill, 1)
			for i := 1; i < len(g.Pops); i++ {
				g.Pops[i].Core = append([]int32(nil), g.Pops[i].Core...)
			}
			tc.break_(g)
			_, err = New(g, tg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(compileNet(t, g, tg, fill, 1), tg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(make([]float32, 3), nil); err == nil || !strings.Contains(err.Error(), "input has 3 values, want 72") {
		t.Errorf("short input: got %v", err)
	}
}

// accumulatorForms are the weight scales that put a compiled net in each
// synapse representation: compact (small weights; weights of 17 bits,
// with 15 bits of target offset), wide with int32 sums (weights of more
// than 24 bits), and wide with int64 sums (which also exercises
// saturation of the input current).
var accumulatorForms = []struct {
	name            string
	scale           int64
	compact, narrow bool
}{
	{"compact", 1, true, true},
	{"compact-17-bit-weights", 1000, true, true},
	{"wide-int32", 1 << 19, false, true},
	{"wide-int64", 1 << 24, false, false},
}

// scaledResidualNet compiles residualNet(enc) for tg and scales its
// weights, thresholds and biases by scale (thresholds capped at
// MaxInt32/2, membranes unbounded), so that it computes the same spikes in
// another synapse representation.
func scaledResidualNet(t *testing.T, tg *backends.Target, enc ir.Encoding, scale int64) *ir.Graph {
	t.Helper()
	g, err := residualNet(enc)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, scattered, 8)
	for _, e := range g.Projs {
		if e.Q.Host {
			continue
		}
		for i := range e.Q.Weights {
			e.Q.Weights[i] = int32(int64(e.Q.Weights[i]) * scale)
		}
	}
	for _, p := range g.Pops[1:] {
		p.Q.Threshold = int32(min(int64(p.Q.Threshold)*scale, math.MaxInt32/2))
		p.Q.VMin, p.Q.VMax = math.MinInt32, math.MaxInt32
		p.Q.Scale *= float32(scale)
		for c := range p.Q.Bias {
			p.Q.Bias[c] = int32(int64(p.Q.Bias[c]) * scale)
		}
	}
	return g
}

// TestAccumulatorForms runs the equivalence test with weights scaled so
// that each synapse representation is used: compact (16-bit weights),
// wide with int32 sums, and wide with int64 sums (which also exercises
// saturation of the input current).
func TestAccumulatorForms(t *testing.T) {
	for _, tc := range accumulatorForms {
		t.Run(tc.name, func(t *testing.T) {
			tg := mustTarget(t, "tiny-2chip")
			g := scaledResidualNet(t, tg, ir.Direct, tc.scale)
			s, err := New(g, tg)
			if err != nil {
				t.Fatal(err)
			}
			if s.compact != tc.compact || s.narrow != tc.narrow {
				t.Fatalf("compact %v narrow %v, want %v %v", s.compact, s.narrow, tc.compact, tc.narrow)
			}
			rng := rand.New(rand.NewPCG(8, 8))
			deep := 0
			for img := 0; img < 2; img++ {
				in := randomInput(g, rng)
				wantRes, want := reference(t, g, in)
				var got raster
				if _, err := s.Run(in, got.observe); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("image %d: raster differs (-want +got):\n%s", img, diff)
				}
				for _, n := range wantRes.Spikes[2:] {
					deep += n
				}
			}
			if deep == 0 {
				t.Fatal("no spikes beyond the stem: vacuous")
			}
		})
	}
}

// TestEveryChip is the contract suite over every built-in profile: the
// raster matches the reference, the books balance and energy is the sum
// of its parts, whatever the chip's NoC, sync mode or core kind.
func TestEveryChip(t *testing.T) {
	for _, name := range backends.Builtins() {
		t.Run(name, func(t *testing.T) {
			tg := mustTarget(t, name)
			g, err := residualNet(ir.Direct)
			if err != nil {
				t.Fatal(err)
			}
			g = compileNet(t, g, tg, scattered, 11)
			in := randomInput(g, rand.New(rand.NewPCG(11, 11)))
			_, want := reference(t, g, in)
			res, got := simulate(t, g, tg, in)
			tot := res.Total
			// A dropped message loses its synaptic input, as on the chip.
			if tot.Dropped == 0 && !rastersEqual(want, got) {
				t.Fatal("raster differs from the reference without drops")
			}
			if tot.Dropped > 0 {
				t.Logf("%d of %d messages dropped (overflow policy %s)", tot.Dropped, tot.Messages, tg.Profile.NoC.OverflowPolicy)
			}
			if tot.Messages != tot.Delivered+tot.Dropped || tot.InFlight != 0 {
				t.Errorf("messages %d, delivered %d, dropped %d, in flight %d", tot.Messages, tot.Delivered, tot.Dropped, tot.InFlight)
			}
			if tg.Profile.NoC.OverflowPolicy == backends.OverflowBackpressure && tot.Dropped != 0 {
				t.Errorf("%d drops on a lossless mesh", tot.Dropped)
			}
			e := tot.Energy
			if e.Total() != e.SynapsePJ+e.NeuronPJ+e.NetworkPJ+e.StaticPJ || e.SynapsePJ <= 0 || tot.LatencyNs <= 0 {
				t.Errorf("energy %+v, latency %g ns", e, tot.LatencyNs)
			}
		})
	}
}

// TestMulticastTree sends one spike to two cores whose XY routes share the
// first link: the packet crosses it once (2 hops in all, against 3 for
// two unicast messages), is injected once, and each destination gets the
// zero-load latency of its own route (two unicast messages contend for the
// shared link).
func TestMulticastTree(t *testing.T) {
	for _, tc := range []struct {
		mode          string
		packets, hops int64
		networkPJ     float64
		waitNs        float64 // the second unicast message waits one link slot for the shared link
	}{
		{backends.MessagePerCore, 2, 3, 2*8 + 2 + (2 + 3), 1},
		{backends.MessageMulticastTree, 1, 2, 8 + 2 + 3, 0},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			tg, err := WithNoC(mustTarget(t, "tiny"), NoCOverride{MessageMode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			b := ir.NewBuilder("fan", ir.Header{T: 1, Classes: 2, Vote: 1})
			x := b.Input("x", ir.Shape{C: 1, H: 1, W: 1})
			a := b.Layer("a", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Full(x, 1))
			b.Layer("b", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(a, 2))
			g, err := b.Graph()
			if err != nil {
				t.Fatal(err)
			}
			g = compileNet(t, g, tg, fill, 1)
			g.Projs[0].Weights = []float32{1}
			g.Projs[1].Q.Weights = []int32{100, 100}
			// tiny: tile 0 at (0,0), tile 2 at (1,0), tile 3 at (1,1); 2 cores per tile.
			g.Pops[1].Core = []int32{0}
			g.Pops[2].Core = []int32{4, 6}
			res, r := simulate(t, g, tg, []float32{2})
			st := res.Steps[0]
			if got := r[0][2]; got[0] != 1 || got[1] != 1 {
				t.Fatalf("targets fired %v, want both", got)
			}
			if st.Packets != tc.packets || st.Hops != tc.hops || st.Messages != 2 || st.Delivered != 2 {
				t.Errorf("packets %d hops %d messages %d delivered %d, want %d %d 2 2", st.Packets, st.Hops, st.Messages, st.Delivered, tc.packets, tc.hops)
			}
			if st.Energy.NetworkPJ != tc.networkPJ {
				t.Errorf("network energy %g pJ, want %g", st.Energy.NetworkPJ, tc.networkPJ)
			}
			if got, want := st.MessageLatencySumNs, tg.MessageLatencyNs(0, 4)+tg.MessageLatencyNs(0, 6)+tc.waitNs; math.Abs(got-want) > 1e-9 {
				t.Errorf("summed latency %g ns, want %g", got, want)
			}
		})
	}
}

// TestRandomChips draws chip variants (board, routing, bandwidth, buffer
// depth, message size, message mode) and placements at random: the raster
// always equals the reference and the books always balance.
func TestRandomChips(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	for i := 0; i < 24; i++ {
		base := mustTarget(t, []string{"tiny", "tiny-2chip"}[r.IntN(2)])
		p := base.Profile
		p.NoC.Routing = []string{backends.RoutingXY, backends.RoutingYX}[r.IntN(2)]
		p.NoC.LinkBandwidthGMsgPerS = math.Pow(10, -2+3*r.Float64())
		p.NoC.PacketBits = p.NoC.FlitBits * (1 + r.IntN(2))
		p.NoC.LinkBufferDepthFlits = p.NoC.PacketBits / p.NoC.FlitBits * (1 + r.IntN(4))
		p.NoC.MessageMode = []string{backends.MessagePerCore, backends.MessageMulticastTree}[r.IntN(2)]
		tg, err := backends.NewTarget(&p, fmt.Sprintf("random-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		enc := []ir.Encoding{ir.Direct, ir.Frames}[r.IntN(2)]
		g, err := residualNet(enc)
		if err != nil {
			t.Fatal(err)
		}
		g = compileNet(t, g, tg, scattered, uint64(i))
		in := randomInput(g, r)
		_, want := reference(t, g, in)
		res, got := simulate(t, g, tg, in)
		name := fmt.Sprintf("case %d (%s, %s, %.3g Gmsg/s, %d-flit messages, %d-flit buffers, %s, %v)", i, p.Name, p.NoC.Routing,
			p.NoC.LinkBandwidthGMsgPerS, p.NoC.PacketBits/p.NoC.FlitBits, p.NoC.LinkBufferDepthFlits, p.NoC.MessageMode, enc)
		if !rastersEqual(want, got) {
			t.Errorf("%s: raster differs from the reference", name)
		}
		for s, st := range res.Steps {
			if st.Messages != st.Delivered || st.Dropped != 0 || st.InFlight != 0 {
				t.Errorf("%s step %d: messages %d delivered %d dropped %d", name, s, st.Messages, st.Delivered, st.Dropped)
			}
			if st.MaxBufferOccupancy > p.NoC.LinkBufferDepthFlits/(p.NoC.PacketBits/p.NoC.FlitBits) {
				t.Errorf("%s step %d: buffer held %d messages, more than its depth", name, s, st.MaxBufferOccupancy)
			}
		}
	}
}

// TestNotesSynapticMemory: a mapping whose expanded synapses overflow a
// core's synaptic memory is flagged (the simulation still runs it).
func TestNotesSynapticMemory(t *testing.T) {
	tg := mustTarget(t, "tiny")
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, fill, 1)
	s, err := New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Notes(); len(n) != 0 {
		t.Fatalf("notes %q, want none", n)
	}
	p := tg.Profile
	p.Core.SynapticMemoryBytes = 64
	small, err := backends.NewTarget(&p, "small memory")
	if err != nil {
		t.Fatal(err)
	}
	if s, err = New(g, small); err != nil {
		t.Fatal(err)
	}
	n := s.Notes()
	if len(n) != 1 || !strings.Contains(n[0], "hold more expanded synapses than their synaptic memory") || !strings.Contains(n[0], "want <= 64") {
		t.Errorf("notes %q, want one synaptic-memory note", n)
	}
}
