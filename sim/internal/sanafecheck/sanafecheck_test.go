package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// testNet is a small IF network placed on loihi1-sanafe (SANA-FE's own Loihi): a host conv stem, a
// padded conv with a shortcut from the stem (a residual join: paths of
// one and two synapses), a sum-pool and a dense head. IF neurons make
// SANA-FE's arithmetic exact, so every count must agree exactly.
func testNet(t *testing.T) (*ir.Graph, *backends.Target) {
	t.Helper()
	tg, err := backends.Lookup("loihi1-sanafe")
	if err != nil {
		t.Fatal(err)
	}
	b := ir.NewBuilder("check", ir.Header{T: 4, Classes: 4, Vote: 1})
	conv := func(src *ir.Population, out int) ir.Edge {
		return ir.Edge{Src: src, Op: ir.Conv2D, Out: out, Kernel: 3, Stride: 1, Pad: 1}
	}
	x := b.Input("x", ir.Shape{C: 1, H: 8, W: 8})
	s := b.Layer("stem", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, conv(x, 4))
	c := b.Layer("b1.l1", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, conv(s, 4), ir.Skip(s))
	p := b.Layer("pool", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.SumPool, c, 2))
	b.Layer("fc", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(p, 4))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range g.Projs {
		if e.Src == x {
			e.Weights = make([]float32, e.WeightLen())
			for j := range e.Weights {
				e.Weights[j] = float32((j*7)%11-3) / 4
			}
			e.Q = &ir.ProjQuant{Host: true}
			continue
		}
		w := make([]int32, max(1, e.WeightLen()))
		for j := range w {
			w[j] = int32((i*13+j*5)%17) - 5
		}
		if e.Op == ir.SumPool {
			w[0] = 8
		}
		e.Q = &ir.ProjQuant{Weights: w}
	}
	core := 0
	for _, p := range g.Pops[1:] {
		p.Q = &ir.PopQuant{Scale: 16, Threshold: 16, VMin: -1 << 20, VMax: 1<<20 - 1, Bias: make([]int32, p.Shape.C)}
		p.Core = make([]int32, p.Shape.Len())
		for j := range p.Core {
			p.Core[j] = int32((core + j/40) % tg.NumCores)
		}
		core += 5
	}
	return g, tg
}

// TestAgainstSANAFE runs the check on testNet when SANA-FE is installed
// ($SANAFE_BIN; $SANAFECHECK_OUT keeps the export and SANA-FE's traces):
// spikes, synaptic events, messages and hops must agree
// exactly per layer and the energies within 5%.
func TestAgainstSANAFE(t *testing.T) {
	bin := os.Getenv("SANAFE_BIN")
	if bin == "" {
		t.Skip("SANAFE_BIN is not set (docs/simulator.md: building SANA-FE)")
	}
	g, tg := testNet(t)
	out := os.Getenv("SANAFECHECK_OUT") // keep SANA-FE's traces there
	if out == "" {
		out = t.TempDir()
	}
	rep, err := check(g, tg, config{Bin: bin, Mode: "detailed", Out: out, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.write(&buf); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	if rep.Total.Ours.Spikes == 0 {
		t.Fatal("the network is silent: the check proves nothing")
	}
	for _, rw := range append(rep.Rows, rep.Total) {
		if rw.Ours != rw.Theirs {
			t.Errorf("%s: autosnn %+v, SANA-FE %+v", rw.Name, rw.Ours, rw.Theirs)
		}
	}
	if _, e, _ := rep.Goals(); e > 0.05 {
		t.Errorf("energy differs by %.1f%%, want <= 5%%", 100*e)
	}
}

// TestCompareSelf lines a run up with a SANA-FE run made from its own
// counts: every ratio is 1 and the input rows are taken out.
func TestCompareSelf(t *testing.T) {
	g, tg := testNet(t)
	input := make([]float32, g.Input().Shape.Len())
	for i := range input {
		input[i] = float32(i%5) / 4
	}
	ours, err := runOurs(g, tg, input)
	if err != nil {
		t.Fatal(err)
	}
	if ours.Total.Spikes == 0 {
		t.Fatal("silent network")
	}
	run := backends.SANAFERunOf(g, tg, backends.SANAFEOptions{Input: input})
	sf := &sanafeRun{Layers: map[string]*layerCounts{}, Raster: map[string]map[int][]int{}, LoopSeconds: 1}
	groups := map[string]string{}
	for _, gr := range run.Groups {
		if !gr.Input {
			groups[gr.Population] = gr.Group
		}
	}
	for i, p := range g.Pops[1:] {
		l := ours.Layers[i+1]
		sf.Layers[groups[p.Name]] = &l
		sf.Raster[groups[p.Name]] = map[int][]int{}
		for step, js := range ours.Raster[i+1] {
			sf.Raster[groups[p.Name]][step+run.ChipStepOffset] = js
		}
	}
	sf.Layers["stem_in"] = &layerCounts{Spikes: 10, Messages: 10, SynEvents: 10}
	for i, s := range ours.Steps {
		sf.Steps = append(sf.Steps, sanafeStep{Step: i + run.ChipStepOffset, Fired: s.Spikes, Packets: s.Messages, Hops: s.Hops, Spikes: s.SynOps,
			SimTime: s.LatencyNs * 1e-9, Synapse: s.Energy.SynapsePJ * 1e-12, Soma: s.Energy.NeuronPJ * 1e-12, Network: s.Energy.NetworkPJ * 1e-12})
	}
	sf.Steps = append([]sanafeStep{{Step: 1, Fired: 10, Packets: 10, Spikes: 10,
		Synapse: 10 * tg.SynOpEnergyPJ(backends.Conv) * 1e-12, Network: 10 * tg.Profile.Energy.MessageOutPJ * 1e-12}}, sf.Steps...)
	rep := compare(g, tg, run, ours, sf)
	c, e, l := rep.Goals()
	if c > 1e-12 || e > 1e-9 || l > 1e-9 {
		t.Errorf("deviations %g, %g, %g; want 0", c, e, l)
	}
	for _, rw := range rep.Rows {
		if rw.Shared != rw.Ours.Spikes {
			t.Errorf("%s: %d of %d spikes shared, want all", rw.Name, rw.Shared, rw.Ours.Spikes)
		}
	}
	var buf bytes.Buffer
	if err := rep.write(&buf); err != nil || !strings.Contains(buf.String(), "| b1.l1 |") {
		t.Errorf("table: %v\n%s", err, buf.String())
	}
}

// TestReadTraces reads SANA-FE trace files of the format its sources
// write (chip.cpp), placeholders included.
func TestReadTraces(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"perf.csv": "timestep,fired,updated,packets,hops,spikes,sim_time,synapse_energy,dendrite_energy,soma_energy,network_energy,total_energy\n" +
			"1,3,10,4,6,20,1.5e-06,2e-11,0,3e-11,1e-11,6e-11\n",
		"spikes.csv":   "neuron,timestep\nstem.3,1\nstem.4,1\nb1_l1.0,2\n",
		"messages.csv": "timestep,mid,src_neuron,src_hw,dest_hw,hops,spikes,send_timestamp\n1,0,stem.3,0.0,0.1,1,9,0\n1,1,stem.3,0.0,x.x,0,0,0\n2,2,b1_l1.0,0.1,1.0,2,4,0\n",
		"run_summary.yaml": "build_git_version: 'x'\ntimesteps_executed: 1\nenergy:\n  synapse:2e-11\nwall_time:\n  neuron_processing: 0.5\n" +
			"  message_processing: 0.25\n  scheduler: 0.125\n  setup: 73786888285.9\n  energy: 0.125\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &sanafeRun{Layers: map[string]*layerCounts{}, Raster: map[string]map[int][]int{}}
	steps, err := readPerf(filepath.Join(dir, "perf.csv"))
	if err != nil || len(steps) != 1 || steps[0].Spikes != 20 || steps[0].SimTime != 1.5e-6 || steps[0].Soma != 3e-11 {
		t.Errorf("perf: %+v, %v", steps, err)
	}
	if err := r.readSpikes(filepath.Join(dir, "spikes.csv")); err != nil {
		t.Fatal(err)
	}
	if err := r.readMessages(filepath.Join(dir, "messages.csv")); err != nil {
		t.Fatal(err)
	}
	if got := *r.Layers["stem"]; got != (layerCounts{Spikes: 2, Messages: 1, Hops: 1, SynEvents: 9}) {
		t.Errorf("stem %+v", got)
	}
	if got := *r.Layers["b1_l1"]; got != (layerCounts{Spikes: 1, Messages: 1, Hops: 2, SynEvents: 4}) {
		t.Errorf("b1_l1 %+v", got)
	}
	if len(r.Raster["stem"][1]) != 2 {
		t.Errorf("raster %v", r.Raster)
	}
	if s, err := readLoopSeconds(filepath.Join(dir, "run_summary.yaml")); err != nil || s != 1 {
		t.Errorf("loop seconds %g, %v; want 1", s, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("timestep,fired\n1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readPerf(filepath.Join(dir, "bad.csv")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad perf.csv: got %v, want an error naming line 2", err)
	}
}

// TestDropDelays checks the handling of synaptic delays, which SANA-FE
// cannot carry: they are named, and unless kept autosnn runs the mapping
// exactly as the same network without them, as SANA-FE runs the export;
// kept, they change autosnn's run.
func TestDropDelays(t *testing.T) {
	input := make([]float32, 64)
	for i := range input {
		input[i] = float32(i%7) / 6
	}
	plain, tg := testNet(t)
	want, err := runOurs(plain, tg, input)
	if err != nil {
		t.Fatal(err)
	}
	delayed := func() (*ir.Graph, string) {
		g, _ := testNet(t)
		for _, e := range g.Projs {
			if e.Op == ir.Identity {
				e.Delay = 2
				return g, e.Name + ": 2 steps"
			}
		}
		t.Fatal("testNet has no shortcut")
		return nil, ""
	}
	for _, keep := range []bool{false, true} {
		g, name := delayed()
		if got := dropDelays(g, tg, keep); fmt.Sprint(got) != fmt.Sprint([]string{name}) {
			t.Errorf("keep=%v: dropped %v, want [%s]", keep, got, name)
		}
		got, err := runOurs(g, tg, input)
		if err != nil {
			t.Fatal(err)
		}
		same := fmt.Sprint(got.Raster) == fmt.Sprint(want.Raster) && got.Total.SynOps == want.Total.SynOps
		if same == keep {
			t.Errorf("keep=%v: run equal to the network without delays: %v, want %v (spikes %d, %d)", keep, same, !keep, got.Total.Spikes, want.Total.Spikes)
		}
		rep := &report{DelaysDropped: []string{name}, DelaysKept: keep}
		var buf bytes.Buffer
		if err := rep.write(&buf); err != nil || !strings.Contains(buf.String(), "synaptic delays the SANA-FE export cannot carry (dropped from it): "+name) {
			t.Errorf("keep=%v: report %v\n%s", keep, err, buf.String())
		}
	}
	g, _ := testNet(t)
	if got := dropDelays(g, tg, false); got != nil {
		t.Errorf("no delays: dropped %v, want none", got)
	}
}
