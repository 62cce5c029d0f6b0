package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// TestFusedStepMatchesGo checks the AVX2 fused kernel against the Go loop
// bit for bit: every spike, every membrane value and the count, for LIF and
// IF, with and without a second term, on rows of every length mod 8 and
// values straddling the threshold.
func TestFusedStepMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 64, 1027} {
		for _, two := range []bool{false, true} {
			for _, isIF := range []bool{false, true} {
				name := fmt.Sprintf("n%d/two=%v/if=%v", n, two, isIF)
				fc := &fusedConsts{ca: 0.3, sca: 1.7, sha: -0.2, cb: -0.1, scb: 0.9, shb: 0.05, k: 0.62, vth: 1}
				if isIF {
					fc.isIF = 1
				}
				a := make([]float32, n)
				var b []float32
				if two {
					b = make([]float32, n)
				}
				v0 := make([]float32, n)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
					if two {
						b[i] = float32(rng.IntN(2))
					}
					v0[i] = float32(rng.Float64()*1.2 - 0.1)
				}
				vGo, vGot := append([]float32(nil), v0...), append([]float32(nil), v0...)
				yGo, yGot := make([]float32, n), make([]float32, n)
				for step := range 3 { // state carried over steps
					want := fusedStepGo(a, b, vGo, yGo, fc)
					got := fusedStep(a, b, vGot, yGot, fc)
					if got != want {
						t.Errorf("%s step %d: %d spikes, want %d", name, step, got, want)
					}
					if d := cmp.Diff(yGo, yGot); d != "" {
						t.Errorf("%s step %d: spikes differ (-want +got):\n%s", name, step, d)
					}
					if d := cmp.Diff(vGo, vGot); d != "" {
						t.Errorf("%s step %d: membrane differs (-want +got):\n%s", name, step, d)
					}
				}
			}
		}
	}
}

// fusedCase is one network of TestFusedMatchesLayered.
type fusedCase struct {
	macro  string
	blocks []string
	neuron string
	c, hw  int
	fused  int // stages expected to take the fused path (-1: any)
	kept   int // stage outputs expected to stay in cache (-1: any)
}

var fusedCases = []fusedCase{
	// Every SNN_1 block choice at every position kind: equal-channel and
	// channel-changing positions, before a pool and after one. The fused
	// counts include the three max-pool relays (input widths 16, 8 and 4);
	// the kept ones the first layers of SCB/SRB blocks, blocks read only by
	// the next block, and blocks pooled from cache; the stem (static input)
	// counts as fused too.
	{"snn1", []string{"SCB_k3", "SCB_k5", "SRB_k3", "SRB_k5", "skip"}, "plif", 8, 16, 12, 8},
	{"snn1", []string{"SRB_k5", "skip", "SCB_k3", "skip", "SRB_k3"}, "plif", 8, 16, 12, 8},
	{"snn1", []string{"skip", "SRB_k3", "SRB_k5", "SCB_k5", "SCB_k3"}, "plif", 8, 16, 12, 8},
	{"snn1", []string{"SRB_k3", "SRB_k3", "SRB_k3", "SRB_k3", "SRB_k3"}, "lif", 8, 16, 14, 10},
	{"snn1", []string{"SCB_k5", "SRB_k5", "skip", "SRB_k5", "SCB_k3"}, "if", 8, 16, 12, 8},
	// Odd sizes: channel rows not a multiple of 8 (Go tails), 4 channels;
	// max-pools of widths 12 (Go loop) and 6, not of the odd 3x3 map.
	{"snn1", []string{"SRB_k5", "SCB_k3", "SRB_k3", "skip", "SCB_k5"}, "plif", 4, 12, 12, 8},
	// Stride-2 blocks (not fused: dense strided conv) mixed with fused ones,
	// an average-pool + neuron macro and a GAP macro.
	{"snn3", []string{"SRB_k3", "SRB_k3", "SCB_k3", "skip", "SRB_k5", "SCB_k5", "skip", "SRB_k3"}, "plif", 8, 16, -1, -1},
	{"snn4", []string{"SRB_k3", "SCB_k5", "skip", "SRB_k5", "SCB_k3"}, "plif", 8, 16, -1, -1},
	{"snn2", []string{"SCB_k3", "SRB_k3", "SRB_k5", "skip", "SRB_k3"}, "plif", 8, 16, -1, -1},
}

// stageOutputs copies every stage's output (nil for a stage whose output
// a fused group kept in cache) and spike count.
func stageOutputs(n *Net) (outs [][]float32, spikes []int64) {
	for _, st := range n.seg.stages {
		var o []float32
		if st.out != nil {
			o = append([]float32(nil), st.out.Data...)
		}
		outs = append(outs, o)
		spikes = append(spikes, st.popSpikes())
	}
	return outs, spikes
}

// fusedRuns counts the stages whose last forward took the fused path.
func fusedRuns(n *Net) int {
	c := 0
	for _, st := range n.seg.stages {
		if st.fz != nil && st.fz.last {
			c++
		}
	}
	return c
}

// TestFusedMatchesLayered runs networks covering every block choice in
// evaluation mode on the fused path and on the layered path (the fused
// path is off while Env.CheckFinite is on) and requires every stage output,
// spike count and class counter to be bit-identical.
func TestFusedMatchesLayered(t *testing.T) {
	for i, fc := range fusedCases {
		t.Run(fmt.Sprintf("%d-%s-%s-%s", i, fc.macro, fc.neuron, fc.blocks[0]), func(t *testing.T) {
			s := frontend.DefaultSpec(fc.blocks...)
			s.Name, s.Macro, s.Channels, s.T, s.Input, s.Neuron = "fused", fc.macro, fc.c, 4, []int{3, fc.hw, fc.hw}, fc.neuron
			g, err := frontend.Lower(s)
			if err != nil {
				t.Fatal(err)
			}
			n, err := Build(g, rand.New(rand.NewPCG(uint64(i), 1)))
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			rng := rand.New(rand.NewPCG(uint64(i), 2))
			// Two training steps move the batch-norm running statistics.
			step(t, n, 4, rng)
			step(t, n, 4, rng)
			n.SetTraining(false)
			x := randomInput(n, 5, rng)
			n.Env().CheckFinite = true // layered
			if _, err := n.Forward(x, nil); err != nil {
				t.Fatal(err)
			}
			if got := fusedRuns(n); got != 0 {
				t.Fatalf("%d stages fused with CheckFinite on, want 0", got)
			}
			wantOut, wantSpk := stageOutputs(n)
			wantCounter := append([]float32(nil), n.Counter().Data...)
			n.Env().CheckFinite = false // fused where possible
			if _, err := n.Forward(x, nil); err != nil {
				t.Fatal(err)
			}
			gotOut, gotSpk := stageOutputs(n)
			runs := fusedRuns(n)
			if fc.fused >= 0 && runs != fc.fused {
				t.Errorf("%d stages fused, want %d", runs, fc.fused)
			}
			if runs == 0 {
				t.Errorf("no stage fused")
			}
			kept := 0
			for j, st := range n.seg.stages {
				if gotOut[j] == nil {
					// Kept in cache by its group: only later stages of
					// the group read it, and their outputs are compared.
					if st.fz == nil || !st.fz.last || st.fz.lastReader <= j || j == len(n.seg.stages)-1 {
						t.Errorf("stage %s has no output, want one unless a fused group kept it", st.pop.Name)
					}
					kept++
					continue
				}
				if d := cmp.Diff(wantOut[j], gotOut[j]); d != "" {
					t.Errorf("stage %s (fused %v): output differs (-layered +fused):\n%.2000s", st.pop.Name, st.fz != nil && st.fz.last, d)
				}
			}
			if d := cmp.Diff(wantSpk, gotSpk); d != "" {
				t.Errorf("spike counts differ (-layered +fused):\n%s", d)
			}
			if fc.macro == "snn1" {
				lists := 0
				for _, st := range n.seg.stages {
					if st.fz == nil {
						continue
					}
					for _, tm := range st.fz.terms {
						if tm.ev != nil {
							lists++
						}
					}
				}
				if lists == 0 {
					t.Errorf("no convolution took its input's recorded nonzero lists")
				}
			}
			if fc.kept >= 0 && kept != fc.kept {
				t.Errorf("%d stage outputs kept in cache, want %d", kept, fc.kept)
			}
			if d := cmp.Diff(wantCounter, n.Counter().Data); d != "" {
				t.Errorf("class counter differs (-layered +fused):\n%s", d)
			}
			// Back in training mode the layered path runs and trains.
			n.SetTraining(true)
			step(t, n, 4, rng)
			if got := fusedRuns(n); got != 0 {
				t.Errorf("%d stages fused in training mode, want 0", got)
			}
		})
	}
}

// TestFusedDenseFallback makes a stage fire everywhere so the convolution
// after it sees an input above maxDensity: the fused path must give way to
// the layered path (which then uses the dense kernel) and the result must
// still be the layered path's.
func TestFusedDenseFallback(t *testing.T) {
	s := frontend.DefaultSpec("SCB_k3", "SRB_k3", "skip", "SCB_k3", "skip")
	s.Name, s.Channels, s.T, s.Input = "dense", 8, 3, []int{3, 16, 16}
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Build(g, rand.New(rand.NewPCG(5, 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// tbd1.l1 fires everywhere: its batch-norm shift is large.
	st := n.seg.byPop[n.Graph().Pop("tbd1.l1")]
	for i := range st.projs[0].bn.Bias.Data {
		st.projs[0].bn.Bias.Data[i] = 50
	}
	n.SetTraining(false)
	x := randomInput(n, 3, rand.New(rand.NewPCG(5, 2)))
	n.Env().CheckFinite = true
	if _, err := n.Forward(x, nil); err != nil {
		t.Fatal(err)
	}
	wantOut, wantSpk := stageOutputs(n)
	n.Env().CheckFinite = false
	if _, err := n.Forward(x, nil); err != nil {
		t.Fatal(err)
	}
	gotOut, gotSpk := stageOutputs(n)
	l2 := n.seg.byPop[n.Graph().Pop("tbd1.l2")]
	if l2.fz == nil || l2.fz.last {
		t.Errorf("tbd1.l2 took the fused path on a dense input, want the layered path")
	}
	// tbd1.l1 starts a group with tbd1.l2, which gives way as a whole.
	if st.fz.last {
		t.Errorf("tbd1.l1 took the fused path, want the layered path (its group gave way)")
	}
	if sp := st.popSpikes(); sp != int64(len(st.out.Data)) {
		t.Errorf("tbd1.l1 fired %d times, want all %d", sp, len(st.out.Data))
	}
	fused := 0
	for j := range gotOut {
		if gotOut[j] == nil {
			continue
		}
		if n.seg.stages[j].fz != nil && n.seg.stages[j].fz.last {
			fused++
		}
		if d := cmp.Diff(wantOut[j], gotOut[j]); d != "" {
			t.Errorf("stage %s: outputs differ (-layered +fused):\n%.2000s", n.seg.stages[j].pop.Name, d)
		}
	}
	if fused == 0 {
		t.Errorf("no stage after the dense one took the fused path")
	}
	if d := cmp.Diff(wantSpk, gotSpk); d != "" {
		t.Errorf("spike counts differ (-layered +fused):\n%s", d)
	}
}

// TestFusedBackwardRefused checks that a fused evaluation forward leaves
// the neurons unable to run a backward pass (nothing was saved), as an
// evaluation Forward of the layer does.
func TestFusedBackwardRefused(t *testing.T) {
	s := frontend.DefaultSpec("SCB_k3", "skip", "skip", "skip", "skip")
	s.Name, s.Channels, s.T, s.Input = "refuse", 8, 2, []int{3, 16, 16}
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Build(g, rand.New(rand.NewPCG(6, 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.SetTraining(false)
	n.Env().CheckFinite = false
	if _, err := n.Forward(randomInput(n, 2, rand.New(rand.NewPCG(6, 2))), nil); err != nil {
		t.Fatal(err)
	}
	st := n.seg.byPop[n.Graph().Pop("tbd1.l2")]
	if !st.fz.last {
		t.Fatalf("tbd1.l2 did not take the fused path")
	}
	if st.out != nil {
		t.Errorf("tbd1.l2 output written, want it pooled from cache")
	}
	shape := []int{2, 2, 8, 16, 16}
	dy := &nn.Tensor{Shape: shape, Data: make([]float32, 2*2*8*16*16)}
	if _, err := st.neuron.Backward(dy); err == nil {
		t.Errorf("neuron Backward after a fused evaluation forward succeeded, want an error")
	}
}

// TestMaxPool2x2MatchesGo checks the AVX2 pool against the Go loop on spike
// maps of every width the kernel takes and some it does not.
func TestMaxPool2x2MatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	for _, w := range []int{2, 4, 8, 12, 16, 32, 48} {
		for _, q := range []int{1, 2, 3, 8, 33} {
			in := make([]float32, 2*q*w)
			for i := range in {
				if rng.IntN(5) == 0 {
					in[i] = 1
				}
			}
			want, got := make([]float32, q*w/2), make([]float32, q*w/2)
			wc := maxPool2x2Go(in, want, q, w)
			gc := maxPool2x2(in, got, q, w)
			if gc != wc {
				t.Errorf("w %d q %d: %d nonzero outputs, want %d", w, q, gc, wc)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("w %d q %d: outputs differ (-want +got):\n%s", w, q, d)
			}
			var n int64
			for i, v := range want {
				r, j := i/(w/2), i%(w/2)
				m := max(in[2*r*w+2*j], in[2*r*w+2*j+1], in[(2*r+1)*w+2*j], in[(2*r+1)*w+2*j+1])
				if v != m {
					t.Fatalf("w %d q %d: Go output %d is %v, want %v", w, q, i, v, m)
				}
				if v != 0 {
					n++
				}
			}
			if n != wc {
				t.Errorf("w %d q %d: Go count %d, want %d", w, q, wc, n)
			}
		}
	}
}

// TestFusedHWCMatchesRows checks the transposing kernel against a transpose
// followed by the Go row loop: outputs, membranes and counts bit for bit,
// and hwc left all zero.
func TestFusedHWCMatchesRows(t *testing.T) {
	if unsafe.Sizeof(fusedConsts{}) != 40 || unsafe.Offsetof(fusedConsts{}.isIF) != 32 {
		t.Fatalf("fusedConsts is %d bytes with isIF at %d, want 40 and 32 (the kernels' layout)", unsafe.Sizeof(fusedConsts{}), unsafe.Offsetof(fusedConsts{}.isIF))
	}
	rng := rand.New(rand.NewPCG(23, 23))
	for _, sz := range [][2]int{{64, 8}, {64, 16}, {256, 32}, {64, 64}, {1024, 16}, {128, 24}} {
		for _, two := range []bool{false, true} {
			for _, isIF := range []bool{false, true} {
				plane, cout := sz[0], sz[1]
				name := fmt.Sprintf("%dx%d/two=%v/if=%v", plane, cout, two, isIF)
				n := plane * cout
				fc := make([]fusedConsts, cout)
				for ch := range fc {
					fc[ch] = fusedConsts{ca: float32(rng.NormFloat64()) * 0.1, sca: 1 + float32(rng.Float64()), sha: float32(rng.NormFloat64()) * 0.3,
						cb: float32(rng.NormFloat64()) * 0.1, scb: 1 + float32(rng.Float64()), shb: float32(rng.NormFloat64()) * 0.3, k: 0.55, vth: 1}
					if isIF {
						fc[ch].isIF = 1
					}
				}
				hwc := make([]float32, n)
				var b []float32
				if two {
					b = make([]float32, n)
				}
				v0 := make([]float32, n)
				for i := range hwc {
					hwc[i] = float32(rng.NormFloat64()) * 1.5
					if two {
						b[i] = float32(rng.IntN(2))
					}
					v0[i] = float32(rng.Float64()*1.1 - 0.05)
				}
				a := make([]float32, n)
				transposeGo(hwc, a, plane, cout)
				vWant, yWant := append([]float32(nil), v0...), make([]float32, n)
				var want int64
				for ch := range cout {
					r := ch * plane
					var br []float32
					if two {
						br = b[r : r+plane]
					}
					want += fusedStepGo(a[r:r+plane], br, vWant[r:r+plane], yWant[r:r+plane], &fc[ch])
				}
				vs := hwcStride(plane, cout)
				if vs == 0 {
					if hasFusedAVX2 {
						t.Fatalf("%s: hwcStride 0, want the kernel to apply", name)
					}
					t.Skip("no AVX2")
				}
				vPad := make([]float32, cout*vs)
				for ch := range cout {
					copy(vPad[ch*vs:ch*vs+plane], v0[ch*plane:(ch+1)*plane])
				}
				yGot := make([]float32, n)
				var got int64
				if !fusedHWC(hwc, make([]float32, 524), b, vPad, yGot, plane, cout, fc, &got) {
					t.Fatalf("%s: fusedHWC declined", name)
				}
				vGot := make([]float32, n)
				for ch := range cout {
					copy(vGot[ch*plane:(ch+1)*plane], vPad[ch*vs:ch*vs+plane])
				}
				if got != want {
					t.Errorf("%s: %d spikes, want %d", name, got, want)
				}
				if d := cmp.Diff(yWant, yGot); d != "" {
					t.Errorf("%s: spikes differ (-want +got):\n%.1000s", name, d)
				}
				if d := cmp.Diff(vWant, vGot); d != "" {
					t.Errorf("%s: membranes differ (-want +got):\n%.1000s", name, d)
				}
				if d := cmp.Diff(make([]float32, n), hwc); d != "" {
					t.Errorf("%s: hwc not cleared:\n%.500s", name, d)
				}
			}
		}
	}
}

// TestReverseIntoLayout checks the shared-out weight reversal against its
// definition, in two input-channel ranges.
func TestReverseIntoLayout(t *testing.T) {
	c := nn.NewConv2d("c", 5, 7, 3, 1, 1, rand.New(rand.NewPCG(24, 24)), nil)
	got := make([]float32, len(c.Weight.Data))
	reverseInto(c, got, 0, 2)
	reverseInto(c, got, 2, 5)
	want := make([]float32, len(got))
	for co := range 7 {
		for ci := range 5 {
			for kh := range 3 {
				for kw := range 3 {
					want[((ci*3+kh)*3+(2-kw))*7+co] = c.Weight.Data[((co*5+ci)*3+kh)*3+kw]
				}
			}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("reversed weights differ (-definition +reverseInto):\n%s", d)
	}
}

// TestNonzeroMatches checks nonzero (the table scan on amd64) against the
// Go loop, including NaN (counts), -0 (does not) and lengths not a
// multiple of 8.
func TestNonzeroMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 25))
	nan := float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	for _, n := range []int{0, 1, 7, 8, 9, 64, 1000, 4099} {
		for _, density := range []int{0, 1, 5, 50, 100} {
			x := make([]float32, n)
			for i := range x {
				switch r := rng.IntN(100); {
				case r < density:
					x[i] = 1
				case r == 99:
					x[i] = nan
				case r == 98:
					x[i] = negz
				}
			}
			want := make([]int32, n)
			want = want[:nonzeroGo(x, want, 0)]
			got := make([]int32, n)
			got = got[:nonzero(x, got)]
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("n %d density %d%%: indices differ (-want +got):\n%.500s", n, density, d)
			}
		}
	}
}

// TestEventImageFastMatches checks eventImageFast, without a table
// (spikeConv.events) and with one (the one-call table loop), against
// eventsGo bit for bit on random spike images, kernels 1, 3 and 5,
// paddings 0..2 (border clipping) and several channel counts.
func TestEventImageFastMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 26))
	for _, c := range []struct{ cin, cout, k, pad, h, w int }{
		{16, 16, 3, 1, 32, 32}, {16, 32, 5, 2, 16, 16}, {32, 64, 1, 0, 8, 8}, {8, 8, 3, 0, 9, 7}, {4, 16, 5, 1, 6, 11}, {3, 8, 3, 2, 5, 5},
	} {
		name := fmt.Sprintf("%+v", c)
		conv := nn.NewConv2d("c", c.cin, c.cout, c.k, 1, c.pad, rng, nil)
		sc := &spikeConv{Conv2d: conv}
		wrev := make([]float32, len(conv.Weight.Data))
		reverseInto(conv, wrev, 0, c.cin)
		s := tensor.ConvShape{N: 1, Cin: c.cin, H: c.h, W: c.w, Cout: c.cout, KH: c.k, KW: c.k, Stride: 1, Pad: c.pad}
		oimg := c.cout * s.OutH() * s.OutW()
		for _, density := range []int{1, 10, 40} {
			xn := make([]float32, c.cin*c.h*c.w)
			for i := range xn {
				if rng.IntN(100) < density {
					xn[i] = 1
				}
			}
			idx := make([]int32, len(xn))
			idx = idx[:nonzeroGo(xn, idx, 0)]
			want, got, gotTab := make([]float32, oimg), make([]float32, oimg), make([]float32, oimg)
			sc.eventsGo(s, eventForward, xn, idx, wrev, want, newDivider(c.h*c.w, len(xn)), newDivider(c.w, c.h*c.w))
			sc.eventImageFast(s, xn, idx, got, wrev, nil)
			sc.eventImageFast(s, xn, idx, gotTab, wrev, sc.pixTable(s, nil))
			// The event sums against a plain direct convolution (another
			// order of the same products, so a tolerance).
			ref := directConv(conv, s, xn)
			for i := range ref {
				if d := math.Abs(float64(ref[i] - want[i])); d > 1e-5*(1+math.Abs(float64(ref[i]))) {
					t.Fatalf("%s density %d%%: output %d is %v, direct convolution %v", name, density, i, want[i], ref[i])
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s density %d%%: outputs differ (-eventsGo +fast):\n%.500s", name, density, d)
			}
			if d := cmp.Diff(want, gotTab); d != "" {
				t.Errorf("%s density %d%%: outputs differ (-eventsGo +table):\n%.500s", name, density, d)
			}
		}
	}
}

// TestLinkInputUsesLists runs a stem part and a block after it as separate
// segments (as a super-network does) and checks that with LinkInput the
// block takes the stem's recorded nonzero lists, with the same output as
// without the link and as the layered path.
func TestLinkInputUsesLists(t *testing.T) {
	s := frontend.DefaultSpec("SRB_k3", "skip", "skip", "skip", "skip")
	s.Name, s.Channels, s.T, s.Input = "link", 8, 3, []int{3, 16, 16}
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(2)
	defer env.Close()
	rng := rand.New(rand.NewPCG(27, 1))
	stem, err := BuildPart(g, []*ir.Population{g.Pop("stem")}, rng, env)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := BuildBlock(g, 1, "", rng, env)
	if err != nil {
		t.Fatal(err)
	}
	stem.SetTraining(false)
	blk.SetTraining(false)
	x := nn.NewTensor(1, 4, 3, 16, 16)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*3 - 1)
	}
	run := func(link, fused bool) ([]float32, *stage) {
		env.CheckFinite = !fused
		y, err := stem.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if link {
			defer LinkInput(blk, stem)()
		}
		out, err := blk.Forward(y)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), out.Data...), blk.seg.stages[0]
	}
	want, _ := run(false, false)
	plain, st := run(false, true)
	if st.fz.terms[0].ev != nil {
		t.Errorf("block took lists without a link")
	}
	linked, st := run(true, true)
	if st.fz.terms[0].ev == nil {
		t.Errorf("linked block scanned its input, want the stem's lists")
	}
	if st.fz.entry != nil {
		t.Errorf("link not removed")
	}
	if d := cmp.Diff(want, plain); d != "" {
		t.Errorf("fused output differs from the layered one:\n%.500s", d)
	}
	if d := cmp.Diff(want, linked); d != "" {
		t.Errorf("linked output differs from the layered one:\n%.500s", d)
	}
}

// TestFusedLongRun runs networks of more qualifying stages in a row than
// one group takes and checks them against the layered path: a chain of
// conv-BN-PLIF layers with a residual every other layer ("pairs"), and
// residual blocks of two layers after one plain layer ("blocks"), so that
// a group ends inside a block: the block's input is then read both by a
// convolution of the group (from the group's own cache) and by the
// shortcut after the group (from memory).
func TestFusedLongRun(t *testing.T) {
	for _, c := range []struct {
		name string
		// skip returns the layer whose output layer i adds as an identity
		// shortcut (-1: none).
		skip func(i int) int
	}{
		{"pairs", func(i int) int {
			if i%2 == 1 {
				return i - 1
			}
			return -1
		}},
		{"blocks", func(i int) int {
			if i > 0 && i%2 == 0 {
				return i - 2
			}
			return -1
		}},
	} {
		t.Run(c.name, func(t *testing.T) { testFusedLongRun(t, c.skip) })
	}
}

func testFusedLongRun(t *testing.T, skip func(i int) int) {
	b := ir.NewBuilder("long", ir.Header{T: 2, Classes: 3, Vote: 1, Loss: ir.MSERate})
	x := b.Input("input", ir.Shape{C: 3, H: 8, W: 8})
	stem := b.Layer("stem", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 8, 3, 1))
	var layers []*ir.Population
	cur := stem
	for i := range 2*maxGroup + 1 {
		r := ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: i + 1}
		if j := skip(i); j >= 0 {
			cur = b.Layer(fmt.Sprintf("l%d", i), ir.DefaultPLIF(), r, ir.ConvBN(cur, 8, 3, 1), ir.Skip(layers[j]))
		} else {
			cur = b.Layer(fmt.Sprintf("l%d", i), ir.DefaultPLIF(), r, ir.ConvBN(cur, 8, 3, 1))
		}
		layers = append(layers, cur)
	}
	b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(cur, 3))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	n, err := Build(g, rand.New(rand.NewPCG(28, 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.SetTraining(false)
	in := randomInput(n, 3, rand.New(rand.NewPCG(28, 2)))
	n.Env().CheckFinite = true
	if _, err := n.Forward(in, nil); err != nil {
		t.Fatal(err)
	}
	_, wantSpk := stageOutputs(n)
	want := append([]float32(nil), n.Counter().Data...)
	n.Env().CheckFinite = false
	if _, err := n.Forward(in, nil); err != nil {
		t.Fatal(err)
	}
	_, gotSpk := stageOutputs(n)
	if d := cmp.Diff(wantSpk, gotSpk); d != "" {
		t.Errorf("spike counts differ (-layered +fused):\n%s", d)
	}
	if d := cmp.Diff(want, n.Counter().Data); d != "" {
		t.Errorf("class counter differs (-layered +fused):\n%s", d)
	}
	run := 0
	for _, st := range n.seg.stages {
		if st.fz != nil && st.fz.last && !st.fz.pool && !st.fz.static {
			run++
		}
	}
	if run <= maxGroup {
		t.Errorf("%d fused stages, want more than one group (%d) so the split is tested", run, maxGroup)
	}
}

// directConv is a plain stride-1 convolution of one CHW image into HWC
// order, for checking the event-driven sums.
func directConv(c *nn.Conv2d, s tensor.ConvShape, x []float32) []float32 {
	oh, ow := s.OutH(), s.OutW()
	out := make([]float32, oh*ow*c.Cout)
	for o := range oh {
		for q := range ow {
			for co := range c.Cout {
				var sum float64
				for ci := range c.Cin {
					for kh := range c.K {
						for kw := range c.K {
							h, w := o+kh-c.Pad, q+kw-c.Pad
							if h < 0 || h >= s.H || w < 0 || w >= s.W {
								continue
							}
							sum += float64(c.Weight.Data[((co*c.Cin+ci)*c.K+kh)*c.K+kw]) * float64(x[(ci*s.H+h)*s.W+w])
						}
					}
				}
				out[(o*ow+q)*c.Cout+co] = float32(sum)
			}
		}
	}
	return out
}
