package frontend

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend/internal/hdf5"
	"github.com/autosnn/autosnn/ir"
)

const nirDir = "testdata/nir"

type nirExpected map[string]struct {
	Nodes map[string]map[string]json.RawMessage `json:"nodes"`
	Edges [][2]string                           `json:"edges"`
}

type nirParam struct {
	Shape []int   `json:"shape"`
	Sum   float64 `json:"sum"`
}

func readNIRExpected(t *testing.T) nirExpected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(nirDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e nirExpected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func importFixture(t *testing.T, name string, opt NIROptions) (*ir.Graph, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(nirDir, name+".nir"))
	if err != nil {
		t.Fatal(err)
	}
	return ImportNIR(b, opt)
}

func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

// TestImportNIRFixtures imports every fixture and checks each NIR node's
// IR counterpart: model or op, shape, and parameter sums (weights divided
// by the input scale the target neuron's discretisation folds into them).
func TestImportNIRFixtures(t *testing.T) {
	exp := readNIRExpected(t)
	for file, want := range exp {
		t.Run(file, func(t *testing.T) {
			g, err := importFixture(t, file, NIROptions{})
			if file == "recurrent" {
				if err == nil || !strings.Contains(err.Error(), "recurrent edge rec -> lif") {
					t.Fatalf("recurrent.nir: %v, want an error naming the recurrent edge rec -> lif", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := map[string]map[string]nirParam{}
			types := map[string]string{}
			for node, fields := range want.Nodes {
				p[node] = map[string]nirParam{}
				for k, raw := range fields {
					if k == "type" {
						var s string
						json.Unmarshal(raw, &s)
						types[node] = s
						continue
					}
					var q nirParam
					json.Unmarshal(raw, &q)
					p[node][k] = q
				}
			}
			// scale is the factor the import multiplies a projection into
			// node n by (computed here from expected.json, not the importer).
			scale := func(n string, pop *ir.Population) float64 {
				q := p[n]
				len := float64(pop.Shape.Len())
				r := 1.0
				if x, ok := q["r"]; ok {
					r = x.Sum / len
				}
				switch types[n] {
				case "IF":
					return DefaultNIRDT * r
				case "CubaLIF":
					ts, tm := q["tau_syn"].Sum/len, q["tau_mem"].Sum/len
					return r * DefaultNIRDT / ts * float64(pop.Neuron.SynTau) * DefaultNIRDT / tm * float64(pop.Neuron.Tau)
				}
				return r * DefaultNIRDT / (q["tau"].Sum / len) * float64(pop.Neuron.Tau)
			}
			wantModel := map[string]ir.Model{"Input": ir.Input, "LIF": ir.LIF, "IF": ir.IF, "LI": ir.LI, "CubaLIF": ir.CubaLIF}
			for node, typ := range types {
				q := p[node]
				if m, ok := wantModel[typ]; ok {
					pop := g.Pop(node)
					if pop == nil || pop.Neuron.Model != m {
						t.Errorf("node %s (%s): population %v, want model %v\n%s", node, typ, pop, m, g)
						continue
					}
					n := float64(pop.Shape.Len())
					for k, x := range q {
						if len(x.Shape) > 0 && prod(x.Shape) != pop.Shape.Len() {
							t.Errorf("%s.%s shape %v, population %v", node, k, x.Shape, pop.Shape)
						}
					}
					checks := map[string]float64{"v_threshold": float64(pop.Neuron.Threshold), "v_reset": float64(pop.Neuron.Reset),
						"tau": float64(pop.Neuron.Tau) * DefaultNIRDT, "tau_mem": float64(pop.Neuron.Tau) * DefaultNIRDT}
					if typ == "CubaLIF" {
						checks["tau_syn"] = float64(pop.Neuron.SynTau) * DefaultNIRDT
					}
					for k, v := range checks {
						if x, ok := q[k]; ok && !near(v*n, x.Sum, 1e-6) {
							t.Errorf("%s.%s: IR gives sum %.9g, want %.9g", node, k, v*n, x.Sum)
						}
					}
					continue
				}
				w, ok := q["weight"]
				if !ok {
					continue
				}
				// The weighted projections of node: named node or node->dst.
				found := 0
				for _, e := range g.Projs {
					if e.Name != node && !strings.HasPrefix(e.Name, node+"->") && !strings.HasPrefix(e.Name, node+".") {
						continue
					}
					found++
					if len(e.Weights) != prod(w.Shape) {
						t.Errorf("%s: %d weights, want shape %v", e.Name, len(e.Weights), w.Shape)
					}
					dst := e.Dst.Name
					if e.Dst.Neuron.Model == ir.LI && strings.HasSuffix(dst, ".syn") {
						dst = strings.TrimSuffix(dst, ".syn")
					}
					var sum float64
					for _, x := range e.Weights {
						sum += float64(x)
					}
					s := scale(dst, g.Pop(dst))
					if !near(sum/s, w.Sum, 1e-5) {
						t.Errorf("%s: weight sum %.9g / scale %.9g = %.9g, want %.9g", e.Name, sum, s, sum/s, w.Sum)
					}
					if b, ok := q["bias"]; ok {
						var bs float64
						for _, x := range e.Dst.Bias {
							bs += float64(x)
						}
						if len(g.In(e.Dst)) == 1 && !near(bs/s, b.Sum, 1e-5) {
							t.Errorf("%s: bias sum %.9g / %.9g, want %.9g", e.Dst.Name, bs, s, b.Sum)
						}
					}
				}
				if found != 1 {
					t.Errorf("node %s: %d projections, want 1\n%s", node, found, g)
				}
			}
			// Every edge into a neuron node is a projection into its population.
			for _, e := range want.Edges {
				if _, ok := wantModel[types[e[1]]]; !ok || types[e[1]] == "CubaLIF" {
					continue
				}
				n := 0
				for _, pr := range g.In(g.Pop(e[1])) {
					if pr.Name == e[0] || pr.Name == e[0]+"->"+e[1] || pr.Src.Name == e[0] {
						n++
					}
				}
				if n != 1 {
					t.Errorf("edge %s -> %s: %d projections, want 1", e[0], e[1], n)
				}
			}
			out := ""
			for _, e := range want.Edges {
				if types[e[1]] == "Output" {
					out = e[0]
				}
			}
			if g.Output().Name != out {
				t.Errorf("output population %s, want %s", g.Output().Name, out)
			}
		})
	}
}

// vals is a float parameter for the synthetic graphs below.
func vals(shape []int, v ...float64) *hdf5.Value {
	if len(v) == 1 && prod(shape) > 1 {
		for len(v) < prod(shape) {
			v = append(v, v[0])
		}
	}
	return &hdf5.Value{Class: hdf5.Float, Size: 4, Shape: shape, Floats: v}
}

func ivals(v ...int64) *hdf5.Value {
	return &hdf5.Value{Class: hdf5.Int, Size: 8, Shape: []int{len(v)}, Ints: v}
}

// nirOf builds a nirGraph from nodes (name, type, params) and edges.
func nirOf(nodes []*nirNode, edges ...[2]string) *nirGraph {
	g := &nirGraph{nodes: map[string]*nirNode{}, edges: edges}
	for _, n := range nodes {
		if n.params == nil {
			n.params = map[string]*hdf5.Value{}
		}
		g.nodes[n.name] = n
		g.names = append(g.names, n.name)
	}
	return g
}

func importGraph(ng *nirGraph, opt NIROptions) (*ir.Graph, error) {
	if opt.DT == 0 {
		opt.DT = DefaultNIRDT
	}
	if opt.T == 0 {
		opt.T = DefaultNIRT
	}
	im := &importer{ng: ng, opt: opt, shape: map[string]ir.Shape{}, pop: map[string]*ir.Population{}}
	if err := im.build(); err != nil {
		return nil, err
	}
	return im.g, nil
}

// leaky is an snnTorch Leaky layer of n neurons as its exporter writes it.
func leaky(name string, n int, beta float64) *nirNode {
	tau := float64(float32(DefaultNIRDT / (1 - beta)))
	r := float64(float32(tau / DefaultNIRDT))
	return &nirNode{name: name, typ: "LIF", params: map[string]*hdf5.Value{
		"tau": vals([]int{n}, tau), "r": vals([]int{n}, r), "v_leak": vals([]int{n}, 0),
		"v_threshold": vals([]int{n}, 1), "v_reset": vals([]int{n}, 0)}}
}

// TestNIRLeakyStepsAsSnnTorch checks that an imported snnTorch Leaky layer
// (beta 0.5, driven through a unit Linear) steps exactly as
// v = beta*v + input, spike when v >= 1, reset to 0: with dyadic inputs
// both sides compute without rounding, so the spike trains are equal.
func TestNIRLeakyStepsAsSnnTorch(t *testing.T) {
	const n, T, beta = 4, 64, 0.5
	w := make([]float64, n*n)
	for i := 0; i < n; i++ {
		w[i*n+i] = 1
	}
	ng := nirOf([]*nirNode{
		{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(n)}},
		{name: "fc", typ: "Linear", params: map[string]*hdf5.Value{"weight": vals([]int{n, n}, w...)}},
		leaky("lif", n, beta),
		{name: "out", typ: "Output"},
	}, [2]string{"in", "fc"}, [2]string{"fc", "lif"}, [2]string{"lif", "out"})
	g, err := importGraph(ng, NIROptions{T: T})
	if err != nil {
		t.Fatal(err)
	}
	if k := g.Pop("lif").Neuron.K(); k != 1-beta {
		t.Fatalf("k = %g, want 1-beta = %g", k, 1-beta)
	}
	g.Encoding = ir.Frames
	rng := rand.New(rand.NewSource(7))
	in := make([]float32, T*n)
	for i := range in {
		in[i] = float32(rng.Intn(8)) / 8
	}
	x, err := ir.NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	var got []float32
	lif := g.Index(g.Pop("lif"))
	if _, err := x.Run(in, func(step, p int, out []float32) {
		if p == lif {
			got = append(got, out...)
		}
	}); err != nil {
		t.Fatal(err)
	}
	v := make([]float32, n)
	spikes := 0
	for step := 0; step < T; step++ {
		for j := range v {
			v[j] = beta*v[j] + in[step*n+j]
			s := float32(0)
			if v[j] >= 1 {
				s, v[j] = 1, 0
				spikes++
			}
			if got[step*n+j] != s {
				t.Fatalf("step %d neuron %d: executor %g, beta*v+input stepper %g", step, j, got[step*n+j], s)
			}
		}
	}
	if spikes < T/4 {
		t.Errorf("%d spikes in %d steps: the test input is too weak to test firing", spikes, T)
	}
}

// TestNIRMLPStepper runs the imported snntorch_mlp fixture on a seeded
// input and compares both LIF layers, spike for spike, with a float64
// stepper of the NIR equations (Euler, dt 1e-4) written from the file's
// own parameters.
func TestNIRMLPStepper(t *testing.T) {
	const T = 16
	g, err := importFixture(t, "snntorch_mlp", NIROptions{T: T})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(nirDir, "snntorch_mlp.nir"))
	ng, err := readNIRGraph(b)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	in := make([]float32, 784)
	for i := range in {
		in[i] = float32(rng.Float64() * 2)
	}
	x, err := ir.NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int][]float32{}
	if _, err := x.Run(in, func(step, p int, out []float32) { got[p] = append(got[p], out...) }); err != nil {
		t.Fatal(err)
	}
	layer := func(fc, lif string, src [][]float64) [][]float64 {
		w, sh, _ := ng.nodes[fc].floats("weight")
		bias, _, _ := ng.nodes[fc].floats("bias")
		tau, _, _ := ng.nodes[lif].floats("tau")
		r, _, _ := ng.nodes[lif].floats("r")
		th, _, _ := ng.nodes[lif].floats("v_threshold")
		out := make([][]float64, T)
		v := make([]float64, sh[0])
		for step := 0; step < T; step++ {
			out[step] = make([]float64, sh[0])
			for j := range v {
				cur := bias[j]
				for i := 0; i < sh[1]; i++ {
					cur += w[j*sh[1]+i] * src[step][i]
				}
				v[j] += DefaultNIRDT / tau[j] * (-v[j] + r[j]*cur)
				if v[j] >= th[j] {
					out[step][j], v[j] = 1, 0
				}
			}
		}
		return out
	}
	x0 := make([][]float64, T)
	for step := range x0 {
		for _, v := range in {
			x0[step] = append(x0[step], float64(v))
		}
	}
	s1 := layer("fc1", "lif1", x0)
	s2 := layer("fc2", "lif2", s1)
	total := 0
	for li, s := range map[string][][]float64{"lif1": s1, "lif2": s2} {
		p := g.Index(g.Pop(li))
		n := len(s[0])
		for step := 0; step < T; step++ {
			for j := 0; j < n; j++ {
				total += int(s[step][j])
				if float64(got[p][step*n+j]) != s[step][j] {
					t.Fatalf("%s step %d neuron %d: executor %g, NIR stepper %g", li, step, j, got[p][step*n+j], s[step][j])
				}
			}
		}
	}
	if total == 0 {
		t.Fatal("no spikes: the input does not exercise the layers")
	}
	t.Logf("%d spikes equal over %d steps", total, T)
}

// nirRefusals are graphs the importer must refuse, with a word of the
// error each must contain (the node or edge it names).
var nirRefusals = []struct {
	name  string
	nodes []*nirNode
	edges [][2]string
	want  string
}{
	{"delay", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2)}}, {name: "d1", typ: "Delay"}, {name: "out", typ: "Output"}},
		[][2]string{{"in", "d1"}, {"d1", "out"}}, "Delay nodes d1"},
	{"unknown", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2)}}, {name: "x", typ: "Frobnicate"}, {name: "out", typ: "Output"}},
		[][2]string{{"in", "x"}, {"x", "out"}}, `node x: unknown NIR node type "Frobnicate"`},
	{"groups", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2, 4, 4)}},
		{name: "c", typ: "Conv2d", params: map[string]*hdf5.Value{"weight": vals([]int{2, 2, 1, 1}, 1), "groups": ivals(2)}},
		leaky("l", 32, 0.5), {name: "out", typ: "Output"}},
		[][2]string{{"in", "c"}, {"c", "l"}, {"l", "out"}}, "node c (Conv2d): groups 2"},
	{"tau varies", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2)}},
		{name: "l", typ: "LIF", params: map[string]*hdf5.Value{"tau": vals([]int{2}, 1e-3, 2e-3), "r": vals([]int{2}, 1), "v_threshold": vals([]int{2}, 1)}},
		{name: "out", typ: "Output"}},
		[][2]string{{"in", "l"}, {"l", "out"}}, "node l (LIF): tau varies"},
	{"tau below dt", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2)}},
		{name: "l", typ: "LIF", params: map[string]*hdf5.Value{"tau": vals([]int{2}, 1e-5), "r": vals([]int{2}, 1), "v_threshold": vals([]int{2}, 1)}},
		{name: "out", typ: "Output"}},
		[][2]string{{"in", "l"}, {"l", "out"}}, "want tau >= dt"},
	{"flatten into neurons", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(1, 2, 2)}},
		{name: "f", typ: "Flatten"}, leaky("l", 4, 0.5), {name: "out", typ: "Output"}},
		[][2]string{{"in", "f"}, {"f", "l"}, {"l", "out"}}, "node f (Flatten): feeds l (LIF), want Affine or Linear"},
	{"two outputs", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2)}},
		leaky("l", 2, 0.5), {name: "o1", typ: "Output"}, {name: "o2", typ: "Output"}},
		[][2]string{{"in", "l"}, {"l", "o1"}, {"l", "o2"}}, "2 Output nodes"},
	{"dangling", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2)}},
		leaky("l", 2, 0.5), leaky("m", 2, 0.5), {name: "out", typ: "Output"}},
		[][2]string{{"in", "l"}, {"l", "out"}, {"in", "m"}}, "node m feeds nothing"},
	{"self loop", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(2)}},
		leaky("l", 2, 0.5), {name: "out", typ: "Output"}},
		[][2]string{{"in", "l"}, {"l", "l"}, {"l", "out"}}, "recurrent edge l -> l"},
	{"pool into scaled neurons", []*nirNode{{name: "in", typ: "Input", params: map[string]*hdf5.Value{"shape": ivals(1, 4, 4)}},
		{name: "p", typ: "SumPool2d", params: map[string]*hdf5.Value{"kernel_size": ivals(2, 2), "stride": ivals(2, 2), "padding": ivals(0, 0)}},
		leaky("l", 4, 0.5), {name: "out", typ: "Output"}},
		[][2]string{{"in", "p"}, {"p", "l"}, {"l", "out"}}, "node p (SumPool2d): feeds a neuron node whose equations scale its input"},
}

func TestNIRRefusals(t *testing.T) {
	for _, c := range nirRefusals {
		t.Run(c.name, func(t *testing.T) {
			_, err := importGraph(nirOf(c.nodes, c.edges...), NIROptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestNIRNotHDF5 checks that a file that is not HDF5 is refused.
func TestNIRNotHDF5(t *testing.T) {
	if _, err := ImportNIR([]byte("hello"), NIROptions{}); err == nil || !strings.Contains(err.Error(), "frontend: nir: hdf5") {
		t.Errorf("got %v", err)
	}
}

// TestReadModelNIR checks that ReadGraph recognises a NIR file by its
// content, whatever its name, and that a truncated one is refused by name.
func TestReadModelNIR(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(nirDir, "cuba.nir"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "model.bin")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadModel(p)
	if err != nil || m.Kind != KindNIR || m.Graph == nil || m.Graph.Name != "model" || !m.Graph.Trained() {
		t.Fatalf("ReadModel(%s) = %v, %v; want a trained NIR graph named model", p, m.Kind, err)
	}
	if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadGraph(p); err == nil || !strings.Contains(err.Error(), "NIR file "+p) {
		t.Errorf("truncated NIR file: %v, want an error naming it", err)
	}
}

// TestReadModelNIROptions: ReadModelNIR imports a NIR file with the given
// dt and timesteps (the CLI's --dt and --T), ReadModel with the defaults.
func TestReadModelNIROptions(t *testing.T) {
	p := filepath.Join("testdata", "nir", "snntorch_mlp.nir")
	def, err := ReadModel(p)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadModelNIR(p, NIROptions{DT: 2 * DefaultNIRDT, T: 5})
	if err != nil {
		t.Fatal(err)
	}
	if def.Graph.T != DefaultNIRT || m.Graph.T != 5 {
		t.Errorf("T = %d (default) and %d (T 5), want %d and 5", def.Graph.T, m.Graph.T, DefaultNIRT)
	}
	for _, p := range def.Graph.Pops {
		q := m.Graph.Pop(p.Name)
		if p.Neuron.Model != ir.LIF {
			continue
		}
		if q == nil || q.Neuron.Tau != p.Neuron.Tau/2 {
			t.Errorf("population %s: Tau %v with dt 2e-4, want half of %v (dt 1e-4)", p.Name, q.Neuron.Tau, p.Neuron.Tau)
		}
	}
	if _, err := ReadModelNIR(p, NIROptions{DT: -1}); err == nil || !strings.Contains(err.Error(), "dt") {
		t.Errorf("dt -1: %v, want an error naming dt", err)
	}
}
