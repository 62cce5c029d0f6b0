package ir

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cubaNet is one cuba_lif neuron (membrane Tau 2, synaptic SynTau 4) fed
// by the input through weight 1, for T = 4 steps.
func cubaNet(t *testing.T, threshold float32) *Graph {
	t.Helper()
	b := NewBuilder("cuba", Header{T: 4, Classes: 1, Vote: 1})
	x := b.Input("x", Shape{C: 1, H: 1, W: 1})
	b.Layer("y", Neuron{Model: CubaLIF, Tau: 2, SynTau: 4, Threshold: threshold}, Role{Kind: RoleHead}, Full(x, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	g.Projs[0].Weights = []float32{1}
	return g
}

// TestCubaLIFFloat steps the float executor against the equations of
// ir.Neuron by hand: with X = 1, ks = 1/4 and k = 1/2 the current is 0.25,
// 0.4375, 0.578125, 0.68359375 and the membrane (threshold 0.25, reset 0)
// charges 0.125, then 0.28125 (fires), 0.2890625 (fires), 0.341796875
// (fires). A spike leaves the current: were it reset, step 2 would charge
// only 0.125. All values are dyadic, exact in float32.
func TestCubaLIFFloat(t *testing.T) {
	x, err := NewExecutor(cubaNet(t, 0.25))
	if err != nil {
		t.Fatal(err)
	}
	var spikes []float32
	if _, err := x.Run([]float32{1}, func(_, p int, out []float32) {
		if p == 1 {
			spikes = append(spikes, out[0])
		}
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{0, 1, 1, 1}, spikes); diff != "" {
		t.Errorf("spikes (-want +got):\n%s", diff)
	}
}

// TestCubaLIFIntByHand checks the integer cuba_lif update of ir/quant.go
// against values computed by hand: host current 10 LSB, SynDecay 1024 and
// Decay 2048 of 2^12. I = I + ((10 - I)*1024)>>12: 2, 4, 5, 6; H = V + ((I -
// V)*2048)>>12: 1, 2, 3, 4 below threshold 5; with threshold 3 the neuron
// fires at steps 2 and 3 (V = 0 after each) because the current survives
// the spike.
func TestCubaLIFIntByHand(t *testing.T) {
	for _, tc := range []struct {
		thr   int32
		wantV []int32
		wantS []float32
	}{
		{5, []int32{1, 2, 3, 4}, []float32{0, 0, 0, 0}},
		{3, []int32{1, 2, 0, 0}, []float32{0, 0, 1, 1}},
	} {
		g := cubaNet(t, 1)
		g.Projs[0].Q = &ProjQuant{Host: true}
		g.Pops[1].Q = &PopQuant{Scale: 10, Threshold: tc.thr, Decay: 2048, SynDecay: 1024, DecayBits: 12, VMin: -100, VMax: 100}
		ix, err := NewIntExecutor(g)
		if err != nil {
			t.Fatal(err)
		}
		var gotV []int32
		var gotS []float32
		if _, err := ix.Run([]float32{1}, func(_, p int, out []float32) {
			if p == 1 {
				gotV = append(gotV, ix.Membrane(1)[0])
				gotS = append(gotS, out[0])
			}
		}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.wantV, gotV); diff != "" {
			t.Errorf("threshold %d: membrane (-want +got):\n%s", tc.thr, diff)
		}
		if diff := cmp.Diff(tc.wantS, gotS); diff != "" {
			t.Errorf("threshold %d: spikes (-want +got):\n%s", tc.thr, diff)
		}
	}
	g := cubaNet(t, 1)
	g.Projs[0].Q = &ProjQuant{Host: true}
	g.Pops[1].Q = &PopQuant{Scale: 10, Threshold: 10, Decay: 2048, DecayBits: 12, VMin: -100, VMax: 100}
	if _, err := NewIntExecutor(g); err == nil {
		t.Error("a cuba_lif population without a synaptic decay was accepted")
	}
}

// TestCubaLIFVerifyAndYAML: the verifier wants SynTau >= 1, and Encode
// and Decode keep SynTau and SynDecay.
func TestCubaLIFVerifyAndYAML(t *testing.T) {
	g := cubaNet(t, 1)
	g.Pops[1].Q = &PopQuant{Scale: 10, Threshold: 10, Decay: 2048, SynDecay: 1024, DecayBits: 12, VMin: -100, VMax: 100}
	doc, blob, err := Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Decode(doc, blob)
	if err != nil {
		t.Fatal(err)
	}
	if y := h.Pops[1]; y.Neuron != g.Pops[1].Neuron || y.Q.SynDecay != 1024 {
		t.Errorf("decoded %v (syn decay %d), want %v (1024)", y.Neuron, y.Q.SynDecay, g.Pops[1].Neuron)
	}
	g.Pops[1].Neuron.SynTau = 0.5
	if err := Verify(g); err == nil {
		t.Error("cuba_lif with synaptic tau 0.5 verified")
	}
}

// TestLIReadoutIntByHand: an LI output population in integer form charges
// V = V + ((X - V)*Decay) >> DecayBits (host current 10 LSB, Decay 2048 of
// 2^12: 5, 7, 8, 9), never fires, outputs V/Scale (0.5, 0.7, 0.8, 0.9) and
// its votes sum them; an LI population that is not the output is refused.
func TestLIReadoutIntByHand(t *testing.T) {
	b := NewBuilder("readout", Header{T: 4, Classes: 1, Vote: 1})
	x := b.Input("x", Shape{C: 1, H: 1, W: 1})
	b.Layer("li", Neuron{Model: LI, Tau: 2}, Role{Kind: RoleHead}, Full(x, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	g.Projs[0].Weights = []float32{1}
	g.Projs[0].Q = &ProjQuant{Host: true}
	g.Pops[1].Q = &PopQuant{Scale: 10, Decay: 2048, DecayBits: 12, VMin: -100, VMax: 100}
	ix, err := NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	var gotV []int32
	var gotOut []float32
	res, err := ix.Run([]float32{1}, func(_, p int, out []float32) {
		if p == 1 {
			gotV = append(gotV, ix.Membrane(1)[0])
			gotOut = append(gotOut, out[0])
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int32{5, 7, 8, 9}, gotV); diff != "" {
		t.Errorf("membrane (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float32{0.5, 0.7, 0.8, 0.9}, gotOut); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if want := float32(0.5) + 0.7 + 0.8 + 0.9; res.Counter[0] != want || res.Spikes[1] != 0 {
		t.Errorf("votes %v, spikes %d; want %g and 0", res.Counter, res.Spikes[1], want)
	}

	b = NewBuilder("inner", Header{T: 4, Classes: 1, Vote: 1})
	x = b.Input("x", Shape{C: 1, H: 1, W: 1})
	li := b.Layer("li", Neuron{Model: LI, Tau: 2}, Role{}, Full(x, 1))
	b.Layer("y", Neuron{Model: IF, Threshold: 1}, Role{Kind: RoleHead}, Full(li, 1))
	if g, err = b.Graph(); err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Projs {
		e.Weights = []float32{1}
		if e.Q = (&ProjQuant{Host: true}); e.Src != g.Input() {
			e.Q = &ProjQuant{Weights: []int32{10}}
		}
	}
	for _, p := range g.Pops[1:] {
		p.Q = &PopQuant{Scale: 10, Threshold: 10, Decay: 2048, DecayBits: 12, VMin: -100, VMax: 100}
	}
	if _, err := NewIntExecutor(g); err == nil || !strings.Contains(err.Error(), "population li is li") {
		t.Errorf("an li population inside the network: %v, want it refused", err)
	}
}
