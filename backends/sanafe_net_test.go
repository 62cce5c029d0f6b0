package backends

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/ir"
)

// sanafeNet is a small compiled network: host conv stem (IF), a conv LIF
// layer with a shortcut, OR sum-pooling and a dense PLIF head; names with
// dots exercise the renaming.
func sanafeNet(t *testing.T, tg *Target) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("net.v1", ir.Header{T: 4, Classes: 3, Vote: 1})
	conv := func(src *ir.Population, out int) ir.Edge {
		return ir.Edge{Src: src, Op: ir.Conv2D, Out: out, Kernel: 3, Stride: 1, Pad: 1}
	}
	x := b.Input("x", ir.Shape{C: 1, H: 4, W: 4})
	s := b.Layer("stem", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, conv(x, 2))
	c := b.Layer("b1.l1", ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, conv(s, 2), ir.Skip(s))
	p := b.Layer("pool1", ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: 1}, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.SumPool, c, 2))
	b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(p, 3))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range g.Projs {
		if e.Src == x {
			e.Weights = make([]float32, e.WeightLen())
			for j := range e.Weights {
				e.Weights[j] = float32(j%4) / 3
			}
			e.Q = &ir.ProjQuant{Host: true}
			continue
		}
		n := max(1, e.WeightLen())
		w := make([]int32, n)
		for j := range w {
			w[j] = int32((i*7+j*5)%23) - 6
		}
		e.Q = &ir.ProjQuant{Weights: w}
	}
	core := 0
	for i, p := range g.Pops[1:] {
		q := &ir.PopQuant{Scale: 32, Threshold: 32, Reset: int32(i % 2), VMin: -1 << 15, VMax: 1<<15 - 1, Bias: make([]int32, p.Shape.C)}
		if p.Neuron.Model != ir.IF {
			q.Decay, q.DecayBits = int32(4096*p.Neuron.K()), 12
		}
		for c := range q.Bias {
			q.Bias[c] = int32(c * 3)
		}
		p.Q = q
		p.Core = make([]int32, p.Shape.Len())
		for j := range p.Core {
			p.Core[j] = int32((core + j/5) % tg.NumCores)
		}
		core += 3
	}
	return g
}

func exportNet(t *testing.T, g *ir.Graph, tg *Target, opt SANAFEOptions) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSANAFENetwork(&buf, g, tg, opt); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, buf.String())
	}
	return doc
}

// parseRange reads "a..b" or "a".
func parseRange(t *testing.T, s string) (int, int) {
	t.Helper()
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		b = a
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || y < x {
		t.Fatalf("bad range %q", s)
	}
	return x, y
}

// TestSANAFENetwork writes the export, checks that it is YAML, reads it back
// with ReadSANAFENetwork and checks that it is the same network: groups
// and their attributes, biases, input events, every synapse of every
// projection with its weight, and every neuron's core.
func TestSANAFENetwork(t *testing.T) {
	tg := mustLookup(t, "tiny")
	g := sanafeNet(t, tg)
	in := []float32{0.1, 0.9, 0.4, 0.7, 1, 0, 0.3, 0.5, 0.2, 0.8, 0.6, 0.05, 0.95, 0.35, 0.45, 0.65}
	opt := SANAFEOptions{Input: in, LogSpikes: true}
	exportNet(t, g, tg, opt) // valid YAML
	var buf bytes.Buffer
	if err := WriteSANAFENetwork(&buf, g, tg, opt); err != nil {
		t.Fatal(err)
	}
	net, err := ReadSANAFENetwork(&buf)
	if err != nil {
		t.Fatal(err)
	}
	checkSANAFERoundTrip(t, g, tg, opt, net)
	run := SANAFERunOf(g, tg, opt)
	// stem -> b1.l1 -> pool1 -> fc: depth 4; one step for the input neurons.
	if run.Depth != 4 || run.Timesteps != g.T+4 || run.InputFirstStep != 1 || run.ChipStepOffset != 2 || len(run.Groups) != len(g.Pops) {
		t.Errorf("run %+v, want depth 4, %d timesteps, input at step 1, offset 2, %d groups", run, g.T+4, len(g.Pops))
	}
	if wantNames := []string{"stem", "b1_l1", "pool1", "fc", "stem_in"}; fmt.Sprint(groupNames(net)) != fmt.Sprint(wantNames) {
		t.Errorf("groups %v, want %v", groupNames(net), wantNames)
	}
	if run.DelaysDropped != nil {
		t.Errorf("delays dropped %v, want none", run.DelaysDropped)
	}
	// A delay the format cannot carry is named, not silently dropped.
	g.Projs[len(g.Projs)-1].Delay = 3
	if got, want := SANAFERunOf(g, tg, opt).DelaysDropped, []string{g.Projs[len(g.Projs)-1].Name + ": 3 steps"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delays dropped %v, want %v", got, want)
	}
}

// TestSANAFENetworkConv2D: an unpadded convolution becomes one conv2d
// hyperedge whose synapses (as SANA-FE expands them) are the projection's.
func TestSANAFENetworkConv2D(t *testing.T) {
	tg := mustLookup(t, "tiny")
	b := ir.NewBuilder("valid", ir.Header{T: 3, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 5, W: 5})
	s := b.Layer("stem", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Edge{Src: x, Op: ir.Conv2D, Out: 2, Kernel: 1, Stride: 1})
	c := b.Layer("c", ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1},
		ir.Edge{Src: s, Op: ir.Conv2D, Out: 3, Kernel: 3, Stride: 2})
	b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(c, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	quantizeForTest(g, tg, x)
	opt := SANAFEOptions{Input: make([]float32, 25)}
	for i := range opt.Input {
		opt.Input[i] = float32(i%7) / 6
	}
	var buf bytes.Buffer
	if err := WriteSANAFENetwork(&buf, g, tg, opt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "stem -> c: {type: conv2d, input_height: 5, input_width: 5, input_channels: 2, kernel_count: 3, kernel_height: 3") {
		t.Errorf("no conv2d edge stem -> c:\n%s", buf.String())
	}
	net, err := ReadSANAFENetwork(&buf)
	if err != nil {
		t.Fatal(err)
	}
	checkSANAFERoundTrip(t, g, tg, opt, net)
}

func groupNames(net *SANAFENet) []string {
	var out []string
	for _, g := range net.Groups {
		out = append(out, g.Name)
	}
	return out
}

// quantizeForTest gives g made-up integer weights and biases and a
// placement, as sanafeNet does.
func quantizeForTest(g *ir.Graph, tg *Target, x *ir.Population) {
	for i, e := range g.Projs {
		if e.Src == x {
			e.Weights = make([]float32, e.WeightLen())
			for j := range e.Weights {
				e.Weights[j] = float32(j%4+1) / 3
			}
			e.Q = &ir.ProjQuant{Host: true}
			continue
		}
		w := make([]int32, max(1, e.WeightLen()))
		for j := range w {
			w[j] = int32((i*7+j*5)%23) - 6
		}
		e.Q = &ir.ProjQuant{Weights: w}
	}
	for i, p := range g.Pops[1:] {
		q := &ir.PopQuant{Scale: 32, Threshold: 32, Reset: int32(i % 2), VMin: -1 << 15, VMax: 1<<15 - 1, Bias: make([]int32, p.Shape.C)}
		if p.Neuron.Model != ir.IF {
			q.Decay, q.DecayBits = int32(4096*p.Neuron.K()), 12
		}
		for c := range q.Bias {
			q.Bias[c] = int32(c * 3)
		}
		p.Q = q
		p.Core = make([]int32, p.Shape.Len())
		for j := range p.Core {
			p.Core[j] = int32((3*i + j/5) % tg.NumCores)
		}
	}
}

// checkSANAFERoundTrip checks that net, read back from the export of g, is
// g: attributes, biases, input events, synapses and cores.
func checkSANAFERoundTrip(t *testing.T, g *ir.Graph, tg *Target, opt SANAFEOptions, net *SANAFENet) {
	t.Helper()
	names, inNames := sanafeGroupNames(g)
	cpt := tg.Profile.Mesh.CoresPerTile
	coreName := func(c int32) string { return fmt.Sprintf("%d.%d", int(c)/cpt, int(c)%cpt) }
	x, err := ir.NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range g.Pops[1:] {
		i++
		gr := net.Group(names[i])
		if gr == nil {
			t.Fatalf("no group %s for %s", names[i], p.Name)
		}
		k, leak := sanafeLeak(p)
		for key, want := range map[string]float64{"threshold": float64(p.Q.Threshold) - SANAFEThresholdOffset, "reset": float64(p.Q.Reset), "leak_decay": leak} {
			if got, err := strconv.ParseFloat(gr.Attrs[key], 64); err != nil || math.Abs(got-want) > 1e-9 {
				t.Errorf("%s %s = %q, want %g", p.Name, key, gr.Attrs[key], want)
			}
		}
		if opt.LogSpikes != (gr.Attrs["log_spikes"] == "true") {
			t.Errorf("%s log_spikes %q, want %v", p.Name, gr.Attrs["log_spikes"], opt.LogSpikes)
		}
		if len(gr.Bias) != p.Shape.Len() {
			t.Fatalf("%s: %d neurons read back, want %d", p.Name, len(gr.Bias), p.Shape.Len())
		}
		hw := p.Shape.H * p.Shape.W
		for j, b := range gr.Bias {
			want := k*float64(p.Q.Bias[j/hw]) + boolF(p.Neuron.Model != ir.IF)*k*float64(p.Q.Reset)
			if math.Abs(b-want) > 1e-6 {
				t.Errorf("%s neuron %d bias %g, want %g", p.Name, j, b, want)
			}
			if gr.Core[j] != coreName(p.Core[j]) {
				t.Errorf("%s neuron %d on core %s, want %s", p.Name, j, gr.Core[j], coreName(p.Core[j]))
			}
		}
		// Input events: one input neuron per neuron, on its core, each with
		// its own input soma unit; one-to-one synapses carry k*current.
		if inNames[i] == "" {
			continue
		}
		ig := net.Group(inNames[i])
		if ig == nil {
			t.Fatalf("no input group %s", inNames[i])
		}
		if ig.Attrs["model"] != "input" || ig.Attrs["spikes"] != "["+strings.TrimSuffix(strings.Repeat("1, ", g.T), ", ")+"]" {
			t.Errorf("input group attributes %v, want model input and %d spikes", ig.Attrs, g.T)
		}
		units := map[string]bool{}
		for j := range ig.Core {
			if ig.Core[j] != gr.Core[j] {
				t.Errorf("input neuron %d on %s, its target on %s", j, ig.Core[j], gr.Core[j])
			}
			if u := ig.Core[j] + "/" + ig.Soma[j]; ig.Soma[j] == "" || units[u] {
				t.Errorf("input neuron %d: soma unit %q missing or shared on core %s", j, ig.Soma[j], ig.Core[j])
			} else {
				units[u] = true
			}
		}
		host := make([]int32, p.Shape.Len())
		if err := x.HostCurrent(i, opt.Input, host); err != nil {
			t.Fatal(err)
		}
		want := map[[2]int]float64{}
		for j, c := range host {
			if c != 0 {
				want[[2]int{j, j}] = k * float64(c)
			}
		}
		checkSynapses(t, net, inNames[i], names[i], len(ig.Bias), p.Shape.Len(), want, len(want))
	}
	// Projections between the same two groups (a conv and a shortcut) are
	// compared together.
	type pair struct{ src, dst *ir.Population }
	want := map[pair]map[[2]int]float64{}
	count := map[pair]int{}
	for _, e := range g.Projs {
		if e.Q.Host {
			continue
		}
		k, _ := sanafeLeak(e.Dst)
		pr := pair{e.Src, e.Dst}
		if want[pr] == nil {
			want[pr] = map[[2]int]float64{}
		}
		for s := 0; s < e.Src.Shape.Len(); s++ {
			ir.SynapsesFrom(e, s, func(d, wi int) { want[pr][[2]int{s, d}] += k * float64(e.Q.Weights[wi]); count[pr]++ })
		}
	}
	for pr, w := range want {
		checkSynapses(t, net, names[g.Index(pr.src)], names[g.Index(pr.dst)], pr.src.Shape.Len(), pr.dst.Shape.Len(), w, count[pr])
	}
}

// checkSynapses compares the synapses of the edges src -> dst of net with
// want (weights summed per pair) and their number with count.
func checkSynapses(t *testing.T, net *SANAFENet, src, dst string, nSrc, nDst int, want map[[2]int]float64, count int) {
	t.Helper()
	got := map[[2]int]float64{}
	n := 0
	for _, e := range net.Edges {
		if e.Src != src || e.Dst != dst {
			continue
		}
		if err := e.Synapses(nSrc, nDst, func(s, d int, w float64) { got[[2]int{s, d}] += w; n++ }); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(want) || n != count {
		t.Errorf("%s -> %s: %d synapses (%d pairs) read back, want %d (%d)", src, dst, n, len(got), count, len(want))
	}
	for sd, w := range want {
		if g, ok := got[sd]; !ok || math.Abs(g-w) > 1e-6 {
			t.Errorf("%s -> %s synapse %v: weight %g (present %v), want %g", src, dst, sd, g, ok, w)
			return
		}
	}
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -100
}

func TestSANAFETimesteps(t *testing.T) {
	g := sanafeNet(t, mustLookup(t, "tiny"))
	// stem -> b1.l1 -> pool1 -> fc: depth 4, so 1 + T + 3.
	if got, want := SANAFETimesteps(g), g.T+4; got != want {
		t.Errorf("got %d timesteps, want %d", got, want)
	}
}

func TestSANAFENetworkErrors(t *testing.T) {
	tg := mustLookup(t, "tiny")
	for _, c := range []struct {
		name   string
		target string
		mod    func(g *ir.Graph)
		opt    SANAFEOptions
		want   string
	}{
		{"two chips", "tiny-2chip", func(*ir.Graph) {}, SANAFEOptions{}, "has 2 chips, want 1"},
		{"unplaced", "tiny", func(g *ir.Graph) { g.Pops[2].Core = nil }, SANAFEOptions{}, "population b1.l1 has 0 core entries, want 32"},
		{"frames", "tiny", func(g *ir.Graph) { g.Encoding = ir.Frames }, SANAFEOptions{Input: make([]float32, 16)}, "only Direct inputs can become input events"},
		{"short input", "tiny", func(*ir.Graph) {}, SANAFEOptions{Input: make([]float32, 3)}, "frame has 3 values, want 16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := sanafeNet(t, tg)
			c.mod(g)
			var buf bytes.Buffer
			err := WriteSANAFENetwork(&buf, g, mustLookup(t, c.target), c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestReadSANAFENetworkErrors(t *testing.T) {
	head := "network:\n  name: n\n  groups:\n    - name: a\n      attributes: [threshold: 1.0]\n      neurons:\n        - 0..3\n"
	for _, c := range []struct{ text, want string }{
		{head + "        - 5\n", `line 8: neuron range "5" (want one starting at 4)`},
		{head + "  edges:\n    - a -> a: {type: sparse, source_target_pairs: [[0, 1]], weight: [x]}\n", "line 9: weight"},
		{head + "  edges:\n    - a -> a: {type: sparse, source_target_pairs: [[0, 1], weight: [1]}\n", "line 9: unbalanced brackets"},
		{head + "mappings:\n  - b: {core: \"0.0\"}\n", `line 9: mapping of unknown group "b"`},
		{head + "mappings:\n  - a.0..2: {core: \"0.0\"}\n", "group a neuron 3 has no mapping"},
		{head + "mappings:\n  - a: {core: \"0.0\"}\n  - a.1: {core: \"0.1\"}\n", "group a neuron 1 mapped twice"},
		{head + "whatever\n", "line 8: unexpected line"},
	} {
		if _, err := ReadSANAFENetwork(strings.NewReader(c.text)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	net, err := ReadSANAFENetwork(strings.NewReader(head + "  edges:\n    - a -> a: {type: dense, weight: [1.0]}\nmappings:\n  - a: {core: \"0.0\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Edges[0].Synapses(4, 4, func(int, int, float64) {}); err == nil || !strings.Contains(err.Error(), "1 dense weights, want 16") {
		t.Errorf("dense of the wrong size: got %v", err)
	}
}
