package chipcost

import (
	"errors"
	"math"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

func target(t *testing.T, name string) *backends.Target {
	t.Helper()
	tg, err := backends.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestByHand checks a two-layer dense network small enough to cost on
// paper: 4 inputs (host) -> 8 IF neurons -> 2 output neurons, on the tiny
// chip with room for both layers in one core each.
func TestByHand(t *testing.T) {
	b := ir.NewBuilder("hand", ir.Header{T: 2, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 4, H: 1, W: 1})
	h := b.Layer("h", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleBlock}, ir.Full(x, 8))
	b.Layer("y", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(h, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	tg := target(t, "tiny")
	c, err := Estimate(g, Activity{Spikes: map[string]float64{"h": 5, "y": 1}}, tg)
	if err != nil {
		t.Fatal(err)
	}
	e := tg.Profile.Energy
	// h on core 0, y on core 1: 5 spikes x fan-out 2 synops, one message
	// each to core 1.
	hop := tg.NetworkEnergyPJ(0, 1)
	wantE := 10*2*e.NeuronUpdateInactivePJ + 6*(e.NeuronUpdateActivePJ-e.NeuronUpdateInactivePJ+e.SpikeOutPJ) +
		10*tg.SynOpEnergyPJ(backends.Dense) + 5*(e.MessageOutPJ+hop)
	if c.Cores != 2 || c.SynOps != 10 || c.Messages != 5 || c.Spikes != 6 || c.NeuronUpdates != 20 ||
		c.Hops != 5*float64(tg.Hops(0, 1).Total()) || math.Abs(c.EnergyPJ-tg.StaticEnergyPJ(c.LatencyNs)-wantE) > 1e-9 {
		t.Errorf("got %+v, want 2 cores, 10 synops, 5 messages, 6 spikes, 20 updates, dynamic energy %g pJ", c, wantE)
	}
}

func TestAutoSNNOnChips(t *testing.T) {
	e, _ := frontend.LookupZoo("autosnn")
	g, err := frontend.Lower(e.Spec)
	if err != nil {
		t.Fatal(err)
	}
	spikes := map[string]float64{}
	for _, p := range g.Pops[1:] {
		spikes[p.Name] = 0.1 * float64(g.T) * float64(p.Shape.Len()) // 10% firing
	}
	// Loihi 2 holds 8,192 neurons per core; Loihi 1 1,024 (both share conv
	// kernels). The compiler maps C=16 AutoSNN onto 90 Loihi 1 cores.
	for name, cores := range map[string][2]int{"loihi2": {14, 40}, "loihi1": {82, 128}} {
		c, err := Estimate(g, Activity{Spikes: spikes}, target(t, name))
		if err != nil {
			t.Fatalf("autosnn on %s: %v (cost %+v)", name, err, c)
		}
		if c.Cores < cores[0] || c.Cores > cores[1] || c.Messages <= 0 || c.Hops <= 0 || c.EnergyPJ <= 0 || c.LatencyNs <= 0 {
			t.Errorf("autosnn on %s: implausible %+v, want %d..%d cores", name, c, cores[0], cores[1])
		}
	}
	// SANA-FE's Loihi model expands convolutions into 9-bit synapses: a 5x5
	// conv over 64 channels has fan-in 1,600, so 128 KB holds only 72 such
	// neurons and the network needs more than one chip.
	c, err := Estimate(g, Activity{Spikes: spikes}, target(t, "loihi1-sanafe"))
	if !errors.Is(err, ErrDoesNotFit) || c.Cores <= 128 {
		t.Errorf("autosnn on loihi1-sanafe: got %v with %d cores, want ErrDoesNotFit with > 128 cores", err, c.Cores)
	}
	// Twice the spikes cost more energy and messages.
	for k := range spikes {
		spikes[k] *= 2
	}
	c2, _ := Estimate(g, Activity{Spikes: spikes}, target(t, "loihi1-sanafe"))
	if !(c2.EnergyPJ > c.EnergyPJ && c2.Messages > c.Messages && c2.SynOps == 2*c.SynOps) {
		t.Errorf("doubling spikes: %+v -> %+v", c, c2)
	}
	// It cannot fit the tiny test chip.
	if _, err := Estimate(g, Activity{Spikes: spikes}, target(t, "tiny")); !errors.Is(err, ErrDoesNotFit) {
		t.Errorf("got %v, want ErrDoesNotFit", err)
	}
}

func TestMetric(t *testing.T) {
	c := Cost{SynOps: 1, EnergyPJ: 2, LatencyNs: 3, Hops: 4}
	for m, want := range map[Metric]float64{MetricSynOps: 1, MetricEnergy: 2, MetricLatency: 3, MetricHops: 4} {
		if v, err := c.Value(m); err != nil || v != want {
			t.Errorf("%s: got %g, %v", m, v, err)
		}
	}
	if _, err := c.Value("joy"); err == nil {
		t.Error("unknown metric accepted")
	}
}

func BenchmarkEstimateAutoSNN(b *testing.B) {
	e, _ := frontend.LookupZoo("autosnn")
	g, _ := frontend.Lower(e.Spec)
	tg, _ := backends.Lookup("loihi1")
	spikes := map[string]float64{}
	for _, p := range g.Pops[1:] {
		spikes[p.Name] = 0.1 * float64(g.T*p.Shape.Len())
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Estimate(g, Activity{Spikes: spikes}, tg)
	}
}
