package chipcost

import (
	"errors"
	"math"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// handNet is the two-layer dense network of TestByHand: 4 inputs (host)
// -> 8 IF neurons h -> 2 output neurons y, T = 2.
func handNet(t *testing.T) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("hand", ir.Header{T: 2, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 4, H: 1, W: 1})
	h := b.Layer("h", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleBlock}, ir.Full(x, 8))
	b.Layer("y", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(h, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestPlacedByHand places the hand network three ways on the tiny chip
// and checks the counts on paper.
func TestPlacedByHand(t *testing.T) {
	tg := target(t, "tiny")
	g := handNet(t)
	h, y := g.Pops[1], g.Pops[2]
	// h's 5 spikes per inference fall on neurons 0, 2 (twice) and 5.
	act := Activity{Spikes: map[string]float64{"h": 5, "y": 1}, NeuronSpikes: map[string][]float64{"h": {1, 0, 2, 0, 0, 2, 0, 0}}}
	cases := []struct {
		name         string
		hCore, yCore []int32
		messages     float64
		hops         float64
		routePJ      float64
		cores        int
	}{
		// As Estimate packs it: h on core 0, y on core 1 (one tile).
		{"one core each", []int32{0, 0, 0, 0, 0, 0, 0, 0}, []int32{1, 1}, 5, 5 * hops(tg, 0, 1), 5 * tg.NetworkEnergyPJ(0, 1), 2},
		// y split over cores 1 and 3: every spike of h sends two messages.
		{"y split", []int32{0, 0, 0, 0, 0, 0, 0, 0}, []int32{1, 3}, 10, 5 * (hops(tg, 0, 1) + hops(tg, 0, 3)), 5 * (tg.NetworkEnergyPJ(0, 1) + tg.NetworkEnergyPJ(0, 3)), 3},
		// h's neurons 4.. on core 2, y with h's first half on core 0: the
		// messages of neurons 0 and 2 stay on their own core.
		{"shared core", []int32{0, 0, 0, 0, 2, 2, 2, 2}, []int32{0, 0}, 5, 2 * hops(tg, 2, 0), 3*tg.NetworkEnergyPJ(0, 0) + 2*tg.NetworkEnergyPJ(2, 0), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.Core, y.Core = tc.hCore, tc.yCore
			c, err := Placed(g, act, tg)
			if err != nil {
				t.Fatal(err)
			}
			e := tg.Profile.Energy
			if c.Spikes != 6 || c.SynOps != 10 || c.NeuronUpdates != 20 || c.ActiveUpdates != 6 || c.Messages != tc.messages ||
				c.Hops != tc.hops || c.Cores != tc.cores || math.Abs(c.Energy.RoutePJ-tc.routePJ) > 1e-9 ||
				c.Energy.MessagePJ != tc.messages*e.MessageOutPJ || c.Energy.SynOpsPJ != 10*tg.SynOpEnergyPJ(backends.Dense) {
				t.Errorf("got %+v, want 6 spikes, 10 synops, 20 updates (6 active), %g messages, %g hops, %g pJ route, %d cores",
					c, tc.messages, tc.hops, tc.routePJ, tc.cores)
			}
			if math.Abs(c.Energy.Total()-c.EnergyPJ) > 1e-9*c.EnergyPJ || c.Pops[0].SynOps != 10 || c.Pops[1].Messages != 0 {
				t.Errorf("breakdown %+v does not add up to %g pJ, or h does not send the synops", c.Pops, c.EnergyPJ)
			}
		})
	}
	// Placed like Estimate's packing, with the spikes spread evenly, both
	// count the same.
	h.Core, y.Core = cases[0].hCore, cases[0].yCore
	even := Activity{Spikes: act.Spikes}
	p, err := Placed(g, even, tg)
	if err != nil {
		t.Fatal(err)
	}
	est, err := Estimate(g, even, tg)
	if err != nil {
		t.Fatal(err)
	}
	if p.SynOps != est.SynOps || p.Messages != est.Messages || p.Hops != est.Hops || p.Cores != est.Cores ||
		math.Abs(p.EnergyPJ-est.EnergyPJ) > 1e-9*est.EnergyPJ || math.Abs(p.LatencyNs-est.LatencyNs) > 1e-9*est.LatencyNs {
		t.Errorf("Placed %+v, Estimate %+v: want the same cost for the same placement", p, est)
	}
}

func hops(t *backends.Target, a, b int) float64 { return float64(t.Hops(a, b).Total()) }

// TestMissingSpikes checks the one rule for missing counts: nil is an
// error, and an assumption travels to the Cost.
func TestMissingSpikes(t *testing.T) {
	tg := target(t, "tiny")
	g := handNet(t)
	g.Pops[1].Core, g.Pops[2].Core = make([]int32, 8), []int32{1, 1}
	if _, err := Estimate(g, Activity{}, tg); !errors.Is(err, ErrNoSpikes) {
		t.Errorf("Estimate without spikes: got %v, want ErrNoSpikes", err)
	}
	if _, err := Placed(g, Activity{}, tg); !errors.Is(err, ErrNoSpikes) {
		t.Errorf("Placed without spikes: got %v, want ErrNoSpikes", err)
	}
	a := Activity{Spikes: UniformSpikes(g, 10), Assumption: "assumed"}
	if a.Spikes["h"] != 8 || a.Spikes["y"] != 2 {
		t.Errorf("UniformSpikes(10) = %v, want h 8, y 2", a.Spikes)
	}
	c, err := Placed(g, a, tg)
	if err != nil || c.Assumption != "assumed" {
		t.Errorf("got %q, %v, want the assumption carried", c.Assumption, err)
	}
	// An empty map is a measurement: everything silent.
	c, err = Placed(g, Activity{Spikes: map[string]float64{}}, tg)
	if err != nil || c.Spikes != 0 || c.Messages != 0 || c.Energy.NeuronPJ != 20*tg.Profile.Energy.NeuronUpdateInactivePJ {
		t.Errorf("silent network: %+v, %v", c, err)
	}
	g.Pops[2].Core = []int32{1}
	if _, err := Placed(g, a, tg); err == nil {
		t.Error("Placed accepted a population with a core entry missing")
	}
	g.Pops[2].Core = []int32{1, 1}
	if _, err := Placed(g, Activity{Spikes: a.Spikes, NeuronSpikes: map[string][]float64{"h": {1}}}, tg); err == nil {
		t.Error("Placed accepted per-neuron spikes of the wrong length")
	}
}
