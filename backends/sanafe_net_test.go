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

func TestSANAFENetwork(t *testing.T) {
	tg := mustLookup(t, "tiny")
	g := sanafeNet(t, tg)
	in := []float32{0.1, 0.9, 0.4, 0.7, 1, 0, 0.3, 0.5, 0.2, 0.8, 0.6, 0.05, 0.95, 0.35, 0.45, 0.65}
	doc := exportNet(t, g, tg, SANAFEOptions{Input: in})
	net := doc["network"].(map[string]any)
	groups := net["groups"].([]any)
	if got, want := len(groups), len(g.Pops)-1; got != want {
		t.Fatalf("%d groups, want %d", got, want)
	}
	x, err := ir.NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	hostStem := make([]int32, g.Pops[1].Shape.Len())
	if err := x.HostCurrent(1, in, hostStem); err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"stem", "b1_l1", "pool1", "fc"}
	for gi, gr := range groups {
		m := gr.(map[string]any)
		p := g.Pops[gi+1]
		if m["name"] != wantNames[gi] {
			t.Errorf("group %d name %v, want %s", gi, m["name"], wantNames[gi])
		}
		attrs := map[string]any{}
		for _, a := range m["attributes"].([]any) {
			for k, v := range a.(map[string]any) {
				attrs[k] = v
			}
		}
		if got, want := attrs["threshold"].(float64), float64(p.Q.Threshold)-1.0/64; got != want {
			t.Errorf("%s threshold %g, want %g", p.Name, got, want)
		}
		k := 1.0
		if p.Neuron.Model != ir.IF {
			k = float64(p.Q.Decay) / 4096
		}
		if got, want := attrs["leak_decay"].(float64), 1-k+boolF(p.Neuron.Model == ir.IF); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s leak_decay %g, want %g", p.Name, got, want)
		}
		covered := make([]int, p.Shape.Len())
		for _, n := range m["neurons"].([]any) {
			var key string
			var bias float64
			switch v := n.(type) {
			case map[string]any:
				for kk, vv := range v {
					key = kk
					bias = vv.([]any)[0].(map[string]any)["bias"].(float64)
				}
			case map[any]any: // a single neuron: the key is an integer
				for kk, vv := range v {
					key = fmt.Sprint(kk)
					bias = vv.([]any)[0].(map[string]any)["bias"].(float64)
				}
			case string:
				key = v
			case int:
				key = strconv.Itoa(v)
			}
			a, b := parseRange(t, key)
			for j := a; j <= b; j++ {
				covered[j]++
				want := float64(p.Q.Bias[j/(p.Shape.H*p.Shape.W)])
				if gi == 0 {
					want += float64(hostStem[j])
				}
				want = k*want + boolF(p.Neuron.Model != ir.IF)*k*float64(p.Q.Reset)
				if math.Abs(bias-want) > 1e-6 {
					t.Errorf("%s neuron %d bias %g, want %g", p.Name, j, bias, want)
				}
			}
		}
		for j, c := range covered {
			if c != 1 {
				t.Errorf("%s neuron %d listed %d times, want 1", p.Name, j, c)
			}
		}
	}
	// Edges: per-synapse edges for conv/pool/identity, one dense block.
	perSyn := map[string]int{}
	for _, e := range net["edges"].([]any) {
		for key, v := range e.(map[string]any) {
			src, dst, _ := strings.Cut(key, " -> ")
			if !strings.Contains(src, ".") {
				blk := v.(map[string]any)
				if blk["type"] != "dense" || src != "pool1" || dst != "fc" {
					t.Errorf("block edge %q: %v", key, blk)
				}
				w := blk["weight"].([]any)
				fc := g.Proj("fc.dense")
				in, out := fc.Src.Shape.Len(), fc.Dst.Shape.Len()
				if len(w) != in*out {
					t.Fatalf("dense block has %d weights, want %d", len(w), in*out)
				}
				k := float64(fc.Dst.Q.Decay) / 4096
				for s := 0; s < in; s++ {
					for d := 0; d < out; d++ {
						if got, want := w[s*out+d].(float64), k*float64(fc.Q.Weights[d*in+s]); math.Abs(got-want) > 1e-6 {
							t.Fatalf("dense weight [%d->%d] %g, want %g", s, d, got, want)
						}
					}
				}
				continue
			}
			sp, _, _ := strings.Cut(src, ".")
			dp, _, _ := strings.Cut(dst, ".")
			perSyn[sp+"->"+dp]++
		}
	}
	c1 := g.Pop("b1.l1")
	want := map[string]int{
		"stem->b1_l1":  int(ir.ProjCounts(g.In(c1)[0]).Synapses + ir.ProjCounts(g.In(c1)[1]).Synapses),
		"b1_l1->pool1": int(ir.ProjCounts(g.In(g.Pop("pool1"))[0]).Synapses),
	}
	if fmt.Sprint(perSyn) != fmt.Sprint(want) {
		t.Errorf("per-synapse edges %v, want %v", perSyn, want)
	}
	// Mappings: every neuron exactly once, on its core.
	seen := map[string][]int{}
	for i, p := range g.Pops[1:] {
		seen[wantNames[i]] = make([]int, p.Shape.Len())
	}
	for _, mp := range doc["mappings"].([]any) {
		for key, v := range mp.(map[string]any) {
			name, rng, ok := strings.Cut(key, ".")
			pi := 1 + indexOf(wantNames, name)
			p := g.Pops[pi]
			a, b := 0, p.Shape.Len()-1
			if ok {
				a, b = parseRange(t, rng)
			}
			core := v.(map[string]any)["core"].(string)
			for j := a; j <= b; j++ {
				seen[name][j]++
				c := int(p.Core[j])
				if want := fmt.Sprintf("%d.%d", c/2, c%2); core != want {
					t.Errorf("%s neuron %d mapped to %s, want %s", name, j, core, want)
				}
			}
		}
	}
	for name, s := range seen {
		for j, c := range s {
			if c != 1 {
				t.Errorf("mapping of %s neuron %d appears %d times, want 1", name, j, c)
			}
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
	// stem -> b1.l1 -> pool1 -> fc: depth 4, so T + 3.
	if got, want := SANAFETimesteps(g), g.T+3; got != want {
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
		{"frames", "tiny", func(g *ir.Graph) { g.Encoding = ir.Frames }, SANAFEOptions{Input: make([]float32, 16)}, "only Direct inputs"},
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
