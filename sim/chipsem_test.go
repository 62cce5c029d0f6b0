package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// chainNet: input 2x6x6 -> stem conv3x3 (host, PLIF) -> conv3x3 LIF ->
// sum-pool 2 (OR neurons) -> dense -> PLIF head, 2 classes x 2 votes. A
// chain: every population has one path from the input.
func chainNet(enc ir.Encoding) (*ir.Graph, error) {
	b := ir.NewBuilder("chain", ir.Header{T: 4, Encoding: enc, Classes: 2, Vote: 2})
	x := b.Input("x", ir.Shape{C: 2, H: 6, W: 6})
	conv := func(src *ir.Population, out int) ir.Edge {
		return ir.Edge{Src: src, Op: ir.Conv2D, Out: out, Kernel: 3, Stride: 1, Pad: 1}
	}
	stem := b.Layer("stem", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, conv(x, 4))
	c1 := b.Layer("c1", ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, conv(stem, 4))
	p1 := b.Layer("p1", ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: 1}, ir.Role{Kind: ir.RolePool, Block: 1}, ir.Pool(ir.SumPool, c1, 2))
	b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(p1, 4))
	return b.Graph()
}

// chipStepper is the Chip semantics written out independently of the
// simulator: plain loops over ir.SynapsesFrom and the integer rules of
// ir/quant.go, each population reading its sources' spikes of the step
// one delay back (the previous step, or Delay steps back). It returns the
// raster [step][pop][neuron] of T + D - 1 steps and the output votes over
// the last T steps.
func chipStepper(tb testing.TB, g *ir.Graph, input []float32) (raster, []float32) {
	tb.Helper()
	host, err := ir.NewIntExecutor(g)
	if err != nil {
		tb.Fatal(err)
	}
	np := len(g.Pops)
	idx := map[*ir.Population]int{}
	for i, p := range g.Pops {
		idx[p] = i
	}
	// Shortest and longest paths from the input in steps, by relaxation.
	delay := func(e *ir.Projection) int { return max(e.Delay, 1) }
	first, depth := make([]int, np), make([]int, np)
	for range np {
		for _, e := range g.Projs {
			s, d := idx[e.Src], idx[e.Dst]
			depth[d] = max(depth[d], depth[s]+delay(e))
			if first[d] == 0 || first[s]+delay(e) < first[d] {
				first[d] = first[s] + delay(e)
			}
		}
	}
	D := depth[np-1]
	steps := g.T + D - 1
	n := g.Input().Shape.Len()
	v := make([][]int64, np)
	for i, p := range g.Pops {
		v[i] = make([]int64, p.Shape.Len())
	}
	var hist [][][]float32 // hist[t][pop]: the spikes of step t
	var r raster
	votes := make([]float32, g.Classes)
	for t := 0; t < steps; t++ {
		frame := make([]float32, n)
		if t < g.T {
			frame = input
			if g.Encoding == ir.Frames {
				frame = input[t*n : (t+1)*n]
			}
		}
		out := make([][]float32, np)
		out[0] = frame
		for i := 1; i < np; i++ {
			p := g.Pops[i]
			q := p.Q
			out[i] = make([]float32, p.Shape.Len())
			if t < first[i]-1 {
				continue
			}
			x := make([]int64, p.Shape.Len())
			hc := make([]int32, p.Shape.Len())
			if err := host.HostCurrent(i, frame, hc); err != nil {
				tb.Fatal(err)
			}
			for j := range x {
				x[j] = int64(hc[j])
			}
			for _, e := range g.In(p) {
				if e.Src == g.Input() || t-delay(e) < 0 {
					continue
				}
				for s, sp := range hist[t-delay(e)][idx[e.Src]] {
					if sp == 0 {
						continue
					}
					ir.SynapsesFrom(e, s, func(d, wi int) { x[d] += int64(e.Q.Weights[wi]) })
				}
			}
			hw := p.Shape.H * p.Shape.W
			for j := range x {
				xj := x[j]
				if q.Bias != nil {
					xj += int64(q.Bias[j/hw])
				}
				xj = min(max(xj, int64(q.VMin)), int64(q.VMax))
				var h int64
				if p.Neuron.Model == ir.IF {
					h = v[i][j] + xj
				} else {
					h = v[i][j] + ((xj-(v[i][j]-int64(q.Reset)))*int64(q.Decay))>>q.DecayBits
				}
				h = min(max(h, int64(q.VMin)), int64(q.VMax))
				if h >= int64(q.Threshold) {
					v[i][j] = int64(q.Reset)
					out[i][j] = 1
				} else {
					v[i][j] = h
				}
			}
		}
		for i := range out {
			r.observe(t, i, out[i])
		}
		if t >= D-1 {
			o := out[np-1]
			for c := range votes {
				var sum float32
				for _, s := range o[c*g.Vote : (c+1)*g.Vote] {
					sum += s
				}
				votes[c] += sum / float32(g.Vote)
			}
		}
		hist = append(hist, out)
	}
	return r, votes
}

// setDelays sets the Delay of the projections named in d and verifies g.
func setDelays(tb testing.TB, g *ir.Graph, d map[string]int) {
	tb.Helper()
	found := 0
	for _, e := range g.Projs {
		if k, ok := d[e.Name]; ok {
			e.Delay = k
			found++
		}
	}
	if found != len(d) {
		tb.Fatalf("%d of the projections %v found in %s", found, d, g.Name)
	}
	if err := ir.Verify(g); err != nil {
		tb.Fatal(err)
	}
}

// balanceByHand sets every projection's delay to the difference of the
// longest paths (in synapses) to its destination and its source, so every
// input of a population arrives at the same step (the delay pass's job,
// written out independently).
func balanceByHand(g *ir.Graph) {
	depth := map[*ir.Population]int{}
	for _, e := range g.Projs { // sorted by destination order
		depth[e.Dst] = max(depth[e.Dst], depth[e.Src]+1)
	}
	for _, e := range g.Projs {
		e.Delay = depth[e.Dst] - depth[e.Src]
	}
}

func simulateChip(tb testing.TB, g *ir.Graph, tg *backends.Target, input []float32) (ImageResult, raster) {
	tb.Helper()
	s, err := NewWithOptions(g, tg, Options{Semantics: Chip})
	if err != nil {
		tb.Fatal(err)
	}
	var r raster
	res, err := s.Run(input, r.observe)
	if err != nil {
		tb.Fatal(err)
	}
	return res, r
}

// popSpikes counts the spikes of population p in r.
func popSpikes(r raster, p int) int {
	n := 0
	for t := range r {
		for _, s := range r[t][p] {
			n += int(s)
		}
	}
	return n
}

func spikesIn(r raster) int {
	n := 0
	for t := range r {
		for p := 1; p < len(r[t]); p++ {
			for _, s := range r[t][p] {
				n += int(s)
			}
		}
	}
	return n
}

// TestChipSemanticsStepper: in Chip semantics the simulator's raster and
// votes equal the independent stepper's, on a chain and on a residual net
// (paths of 2 and 3 synapses into r1), for both encodings, placements and
// chips, and on a multicast-tree mesh with 1-message buffers and starved
// links (congestion changes the timing, never the spikes).
func TestChipSemanticsStepper(t *testing.T) {
	nets := map[string]netSpec{"chain": chainNet, "residual": residualNet, "residual-balanced": residualNet, "residual-mixed": residualNet}
	// Delays by projection name: balanced (the skip waits for the conv
	// path) and mixed (stem's messages to a core carry synapses of delay 2
	// and 4 in one group, and r1 hears its paths at different steps).
	delays := map[string]map[string]int{
		"residual-balanced": {"r1.identity": 2},
		"residual-mixed":    {"c1.conv2d": 2, "r1.identity": 4, "p1.sumpool": 3},
	}
	for _, name := range []string{"chain", "residual", "residual-balanced", "residual-mixed"} {
		for _, enc := range []ir.Encoding{ir.Direct, ir.Frames} {
			if delays[name] != nil && enc == ir.Frames {
				continue // the sparse random frames leave r1 silent: the delays would go untested
			}
			for pi, place := range []placement{fill, scattered} {
				for _, chip := range []string{"tiny", "tiny-2chip", "tiny-multicast-starved"} {
					t.Run(fmt.Sprintf("%s/%v/place%d/%s", name, enc, pi, chip), func(t *testing.T) {
						var tg *backends.Target
						if chip == "tiny-multicast-starved" {
							var err error
							tg, err = WithNoC(mustTarget(t, "tiny"), NoCOverride{MessageMode: backends.MessageMulticastTree, LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.02})
							if err != nil {
								t.Fatal(err)
							}
						} else {
							tg = mustTarget(t, chip)
						}
						g, err := nets[name](enc)
						if err != nil {
							t.Fatal(err)
						}
						g = compileNet(t, g, tg, place, 5)
						setDelays(t, g, delays[name])
						in := randomInput(g, rand.New(rand.NewPCG(3, uint64(pi))))
						res, got := simulateChip(t, g, tg, in)
						want, votes := chipStepper(t, g, in)
						if len(got) != len(want) || len(res.Steps) != len(want) {
							t.Fatalf("%d steps observed, %d stats, want %d", len(got), len(res.Steps), len(want))
						}
						if spikesIn(want) == 0 {
							t.Fatal("the stepper fires nothing: a vacuous case")
						}
						if r1 := popSpikes(want, 3); delays[name] != nil && r1 == 0 {
							t.Fatal("the join r1 fires nothing: the delays are not tested")
						}
						if !rastersEqual(got, want) {
							t.Fatalf("raster differs from the stepper's (%d vs %d spikes)", spikesIn(got), spikesIn(want))
						}
						for c := range votes {
							if res.Result.Counter[c] != votes[c] {
								t.Errorf("votes %v, want %v", res.Result.Counter, votes)
								break
							}
						}
					})
				}
			}
		}
	}
}

// TestChipChainIsDelayedTrained: on a chain, and on a residual net whose
// join is balanced by delays (balanceByHand), with the bias held during
// the fill-in steps, population i at depth d spikes at step t+d-1 in Chip
// semantics exactly as at step t in Trained semantics, and the votes
// agree, with biases and without. On the unbalanced residual net they do
// not (the join sees its paths at different steps): the test checks that
// the difference is visible.
func TestChipChainIsDelayedTrained(t *testing.T) {
	tg := mustTarget(t, "tiny")
	spec := map[string]netSpec{"chain": chainNet, "residual": residualNet, "residual-balanced": residualNet}
	for _, name := range []string{"chain", "residual", "residual-balanced"} {
		for _, bias := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/bias=%v", name, bias), func(t *testing.T) {
				g, err := spec[name](ir.Direct)
				if err != nil {
					t.Fatal(err)
				}
				g = compileNet(t, g, tg, scattered, 11)
				if !bias {
					for _, p := range g.Pops[1:] {
						p.Q.Bias = nil
					}
				}
				if name == "residual-balanced" {
					balanceByHand(g)
					if err := ir.Verify(g); err != nil {
						t.Fatal(err)
					}
				}
				in := randomInput(g, rand.New(rand.NewPCG(4, 4)))
				tr, trR := simulate(t, g, tg, in)
				ch, chR := simulateChip(t, g, tg, in)
				first, depth := ir.Depths(g, true)
				if name == "residual-balanced" && !slices.Equal(first, depth) {
					t.Fatalf("balanced: first arrival %v, want the depths %v", first, depth)
				}
				same, diffs := true, 0
				for step := 0; step < g.T; step++ {
					for p := 1; p < len(g.Pops); p++ {
						a, b := trR[step][p], chR[step+depth[p]-1][p]
						for j := range a {
							if a[j] != b[j] {
								same = false
								diffs++
							}
						}
					}
				}
				if popSpikes(trR, 3) == 0 {
					t.Fatal("population 3 never fires in Trained semantics: vacuous")
				}
				switch name {
				case "chain", "residual-balanced":
					if !same {
						t.Errorf("Chip raster is not the Trained raster delayed by depth-1: %d spikes differ", diffs)
					}
					for c := range tr.Result.Counter {
						if tr.Result.Counter[c] != ch.Result.Counter[c] {
							t.Errorf("votes %v in Chip semantics, want the Trained %v", ch.Result.Counter, tr.Result.Counter)
							break
						}
					}
				case "residual":
					if same {
						t.Errorf("Chip raster equals the delayed Trained raster without balancing; the join test is vacuous")
					}
				}
			})
		}
	}
}

// TestChipLatencyHandComputed: a chain a -> b -> c of one neuron each on
// three tiles, T = 2, every neuron firing on its input. In step 1 of the
// Chip run a and b update at once (c is held: its first input arrives in
// step 1 for step 2), so the step costs
//
//	active + spike-out + max(L(a,b), L(b,c)) + syn-op + barrier,
//
// where L is the zero-load message latency, not the sum over the layers.
func TestChipLatencyHandComputed(t *testing.T) {
	tg := mustTarget(t, "tiny")
	b := ir.NewBuilder("chain3", ir.Header{T: 2, Encoding: ir.Direct, Classes: 1, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 1, W: 1})
	pa := b.Layer("a", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Full(x, 1))
	pb := b.Layer("b", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, ir.Full(pa, 1))
	b.Layer("c", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(pb, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, fill, 1)
	ca, cb, cc := 0, 2, 4 // three tiles of the 2 x 2 mesh
	g.Pops[1].Core, g.Pops[2].Core, g.Pops[3].Core = []int32{int32(ca)}, []int32{int32(cb)}, []int32{int32(cc)}
	g.Projs[0].Weights = []float32{2}
	for _, e := range g.Projs[1:] {
		e.Q.Weights = []int32{64}
	}
	for _, p := range g.Pops[1:] {
		p.Q.Bias = nil
	}
	if err := ir.Verify(g); err != nil {
		t.Fatal(err)
	}
	res, r := simulateChip(t, g, tg, []float32{1})
	if len(res.Steps) != 4 {
		t.Fatalf("%d steps, want T + D - 1 = 4", len(res.Steps))
	}
	if r[1][1][0] != 1 || r[1][2][0] != 1 || r[1][3][0] != 0 || r[2][3][0] != 1 {
		t.Fatalf("raster %v: want a and b firing in step 1, c first in step 2", r)
	}
	tm := tg.Profile.Timing
	st := res.Steps[1]
	want := tm.NeuronUpdateActiveNs + tm.SpikeOutNs + math.Max(tg.MessageLatencyNs(ca, cb), tg.MessageLatencyNs(cb, cc)) + tm.SynOpNs
	if math.Abs(st.ComputeNs-want) > 1e-9 {
		t.Errorf("step 1 compute %g ns, want %g (slowest core)", st.ComputeNs, want)
	}
	if bar := tg.SyncNs(3); st.BarrierNs != bar || math.Abs(st.LatencyNs-(want+bar)) > 1e-9 {
		t.Errorf("step 1 latency %g ns (barrier %g), want %g + %g", st.LatencyNs, st.BarrierNs, want, bar)
	}
	// The same mapping in Trained semantics runs the layers one after the
	// other inside a step: its first step takes longer than the slowest core.
	tr, _ := simulate(t, g, tg, []float32{1})
	if tr.Steps[0].ComputeNs <= want {
		t.Errorf("Trained step 0 compute %g ns, want more than the Chip step's %g", tr.Steps[0].ComputeNs, want)
	}
}

func TestSemanticsOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		want Semantics
		ok   bool
	}{{"trained", Trained, true}, {"chip", Chip, true}, {"sanafe", 0, false}} {
		got, err := ParseSemantics(c.name)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSemantics(%q) = %v, %v", c.name, got, err)
		}
		if c.ok && got.String() != c.name {
			t.Errorf("String() = %q, want %q", got.String(), c.name)
		}
	}
	g, err := pairNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	tg := mustTarget(t, "tiny")
	g = compileNet(t, g, tg, fill, 1)
	if _, err := NewWithOptions(g, tg, Options{Semantics: 7}); err == nil {
		t.Error("semantics 7 accepted")
	}
	s, err := NewWithOptions(g, tg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Semantics() != Trained || s.Steps() != g.T || s.OutputOffset() != 0 {
		t.Errorf("default options: %v, %d steps, offset %d; want trained, %d, 0", s.Semantics(), s.Steps(), s.OutputOffset(), g.T)
	}
}

// TestChipAccumulatorForms: Chip semantics equals the stepper in each
// accumulator form (compact, wide int32, wide int64, which swap different
// buffers), over two images on one Sim (the buffers start clean).
func TestChipAccumulatorForms(t *testing.T) {
	for _, tc := range accumulatorForms {
		t.Run(tc.name, func(t *testing.T) {
			tg := mustTarget(t, "tiny-2chip")
			g := scaledResidualNet(t, tg, ir.Frames, tc.scale)
			s, err := NewWithOptions(g, tg, Options{Semantics: Chip})
			if err != nil {
				t.Fatal(err)
			}
			if s.compact != tc.compact || s.narrow != tc.narrow {
				t.Fatalf("compact %v narrow %v, want %v %v", s.compact, s.narrow, tc.compact, tc.narrow)
			}
			rng := rand.New(rand.NewPCG(8, 8))
			for img := 0; img < 2; img++ {
				in := randomInput(g, rng)
				want, _ := chipStepper(t, g, in)
				var got raster
				if _, err := s.Run(in, got.observe); err != nil {
					t.Fatal(err)
				}
				if spikesIn(want) == 0 {
					t.Fatal("the stepper fires nothing: vacuous")
				}
				if !rastersEqual(got, want) {
					t.Fatalf("image %d: raster differs from the stepper's (%d vs %d spikes)", img, spikesIn(got), spikesIn(want))
				}
			}
		})
	}
}

// TestDelayBeyondChip: a projection delayed more than the chip's
// core.max_synaptic_delay_steps is refused with an error naming both.
func TestDelayBeyondChip(t *testing.T) {
	tg := mustTarget(t, "tiny")
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, fill, 1)
	setDelays(t, g, map[string]int{"r1.identity": tg.MaxDelaySteps() + 1})
	_, err = NewWithOptions(g, tg, Options{Semantics: Chip})
	if err == nil || !strings.Contains(err.Error(), "r1.identity") || !strings.Contains(err.Error(), "core.max_synaptic_delay_steps") {
		t.Errorf("New = %v, want an error naming r1.identity and core.max_synaptic_delay_steps", err)
	}
}

// TestAgreement: on the residual net balanced by delays the two semantics
// agree on every aligned spike and every prediction; unbalanced they do
// not, and the counts add up to the runs' spikes.
func TestAgreement(t *testing.T) {
	tg := mustTarget(t, "tiny")
	for _, balanced := range []bool{true, false} {
		g, err := residualNet(ir.Direct)
		if err != nil {
			t.Fatal(err)
		}
		g = compileNet(t, g, tg, scattered, 11)
		if balanced {
			balanceByHand(g)
		}
		a := NewAgreement(g)
		tr, err := NewWithOptions(g, tg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ch, err := NewWithOptions(g, tg, Options{Semantics: Chip})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(4, 4))
		var trSpikes, chSpikes int64
		for img := range 3 {
			in := randomInput(g, rng)
			rt, err := tr.Run(in, a.ObserveTrained)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := ch.Run(in, a.ObserveChip)
			if err != nil {
				t.Fatal(err)
			}
			a.AddImage(rt, rc, img%2)
			trSpikes += rt.Total.Spikes
			chSpikes += rc.Total.Spikes
		}
		if got := a.Matched + a.TrainedOnly; got != trSpikes {
			t.Errorf("balanced=%v: matched + trained-only = %d, want the Trained spikes %d", balanced, got, trSpikes)
		}
		if got := a.Matched + a.ChipOnly + a.ChipAfter; got != chSpikes {
			t.Errorf("balanced=%v: matched + chip-only + after = %d, want the Chip spikes %d", balanced, got, chSpikes)
		}
		if a.Images != 3 || a.Labeled != 3 {
			t.Errorf("images %d labeled %d, want 3 3", a.Images, a.Labeled)
		}
		switch {
		case balanced && (a.SpikeAgreement() != 1 || a.PredictionsEqual != 3 || a.TrainedCorrect != a.ChipCorrect):
			t.Errorf("balanced: %s", a)
		case !balanced && a.SpikeAgreement() == 1:
			t.Errorf("unbalanced: full agreement, the join is not tested: %s", a)
		}
	}
}

// TestChipDelayAllocs: the delay line allocates nothing while running: a
// Chip run of the residual net with mixed delays allocates as often as one
// without delays (the per-run result slices only).
func TestChipDelayAllocs(t *testing.T) {
	tg := mustTarget(t, "tiny")
	allocs := func(d map[string]int) float64 {
		g, err := residualNet(ir.Direct)
		if err != nil {
			t.Fatal(err)
		}
		g = compileNet(t, g, tg, fill, 5)
		setDelays(t, g, d)
		s, err := NewWithOptions(g, tg, Options{Semantics: Chip})
		if err != nil {
			t.Fatal(err)
		}
		in := randomInput(g, rand.New(rand.NewPCG(3, 0)))
		if _, err := s.Run(in, nil); err != nil { // warm the queues and message pool
			t.Fatal(err)
		}
		return testing.AllocsPerRun(5, func() {
			if _, err := s.Run(in, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	plain, delayed := allocs(nil), allocs(map[string]int{"c1.conv2d": 2, "r1.identity": 4, "p1.sumpool": 3})
	if delayed > plain {
		t.Errorf("a run with delays allocates %v times, without %v", delayed, plain)
	}
}
