package sim_test

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// A two-layer network compiled by hand (the compiler's passes do this for
// real networks): one host-driven neuron on core 0 fans out to two neurons
// on cores 4 and 6 of the tiny test chip, whose routes share the first
// east-bound link.
func Example() {
	b := ir.NewBuilder("fan", ir.Header{T: 2, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 1, W: 1})
	a := b.Layer("a", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Full(x, 1))
	b.Layer("b", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(a, 2))
	g, err := b.Graph()
	if err != nil {
		panic(err)
	}
	g.Projs[0].Weights = []float32{1}
	g.Projs[0].Q = &ir.ProjQuant{Host: true}
	g.Projs[1].Q = &ir.ProjQuant{Weights: []int32{64, 32}}
	for _, p := range g.Pops[1:] {
		p.Q = &ir.PopQuant{Scale: 64, Threshold: 64, VMin: -1 << 15, VMax: 1<<15 - 1}
	}
	g.Pops[1].Core = []int32{0}
	g.Pops[2].Core = []int32{4, 6}

	chip, err := backends.Lookup("tiny")
	if err != nil {
		panic(err)
	}
	s, err := sim.New(g, chip)
	if err != nil {
		panic(err)
	}
	r, err := s.Run([]float32{1}, nil)
	if err != nil {
		panic(err)
	}
	for t, st := range r.Steps {
		fmt.Printf("step %d: %d spikes, %d messages, %d hops, %d synops, %.1f ns + %.0f ns barrier, %.1f pJ\n",
			t, st.Spikes, st.Messages, st.Hops, st.SynOps, st.ComputeNs, st.BarrierNs, st.Energy.Total())
	}
	fmt.Println("output spikes per class:", r.Result.Counter, "predicted class", r.Predicted)
	// Step 0 by hand (tiny: update 2 ns, spike 1 ns, injection and ejection
	// 1 ns, hops 1 ns east-west and 2 ns north-south, a link carries one
	// message per ns, synaptic op 1 ns): a spikes at 3; both messages enter
	// router (0,0) at 4 and leave east at 4 and 5 (one link); the first is
	// ejected at (1,0) at 5 and processed by core 4 from 6 to 7, which then
	// updates b[0] from 7 to 9 and spikes by 10; the second turns north at
	// (1,0) at 6, is ejected at (1,1) at 8 and processed by core 6 from 9 to
	// 10, which updates b[1] from 10 to 12 (no spike). Barrier over 3 tiles:
	// 100 + 100*log2(3)/2 = 179 ns. Energy: 2 synops x 10 + 3 active updates
	// x 5 + 2 spikes x 4 + 2 messages x 8 + hops 2 + 2 + 3 + static 1 mW x
	// 191.2 ns = 257.2 pJ.
	// Output:
	// step 0: 2 spikes, 2 messages, 3 hops, 2 synops, 12.0 ns + 179 ns barrier, 257.2 pJ
	// step 1: 3 spikes, 2 messages, 3 hops, 2 synops, 13.0 ns + 179 ns barrier, 262.2 pJ
	// output spikes per class: [2 1] predicted class 0
}
