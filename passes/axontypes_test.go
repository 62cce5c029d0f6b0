package passes

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/ir"
)

// typedTernary sets every chip-side Conv2D and Dense weight of g to
// 0.5 x s(o, ty) with s in {-1, 0, +1}, a function of the target neuron's
// output channel o (Dense: its index) and of ty, the source neuron's
// channel (Dense: its index) mod 4, so that every core colours with 4 axon
// types (ty itself is one colouring) while a neuron sees both signs.
func typedTernary(g *ir.Graph) {
	s := func(o, ty int) float32 { return 0.5 * float32((o*5+ty*7+1)%3-1) }
	for _, e := range g.Projs {
		if hostProj(e) {
			continue
		}
		switch e.Op {
		case ir.Conv2D:
			cin, kk := e.Src.Shape.C, e.Kernel*e.Kernel
			for i := range e.Weights {
				o, ci := i/(cin*kk), i/kk%cin
				e.Weights[i] = s(o, ci%4)
			}
		case ir.Dense:
			in := e.Src.Shape.Len()
			for i := range e.Weights {
				e.Weights[i] = s(i/in, i%in%4)
			}
		}
	}
}

// typedNet is a host dense layer of 16 IF neurons into a chip-side dense
// head of 8 whose weights are typedTernary.
func typedNet(t *testing.T) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("typed", ir.Header{T: 4, Encoding: ir.Direct, Classes: 2, Vote: 4})
	x := b.Input("x", ir.Shape{C: 1, H: 4, W: 4})
	a := b.Layer("a", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Full(x, 16))
	b.Layer("b", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(a, 8))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	train(g, 1)
	typedTernary(g)
	return g
}

var weightValuesCases = []struct {
	name  string
	net   func(t *testing.T) *ir.Graph
	chip  string
	layer string // "" when the check passes
}{
	{"ternary typed dense", typedNet, "truenorth", ""},
	{"ternary typed conv net", func(t *testing.T) *ir.Graph { g := fanOutNet(t, 1, 4); train(g, 1); typedTernary(g); return g }, "truenorth", ""},
	{"float 3x3 conv", func(t *testing.T) *ir.Graph { g := fanOutNet(t, 3, 4); train(g, 1); return g }, "truenorth", "mid"},
	{"snntorch mlp", func(t *testing.T) *ir.Graph { return nirFixture(t, "snntorch_mlp") }, "truenorth", "lif2"},
	{"snntorch mlp on a board", func(t *testing.T) *ir.Graph { return nirFixture(t, "snntorch_mlp") }, "truenorth-ns16e", "lif2"},
	{"loihi1 has no limit", func(t *testing.T) *ir.Graph { return nirFixture(t, "snntorch_mlp") }, "loihi1", ""},
}

// TestWeightValuesFit: the axon-types pass refuses a neuron with more
// distinct quantized weights than the chip's axon types, naming the layer,
// the count and the limit, and suggests only chips the network meets.
func TestWeightValuesFit(t *testing.T) {
	for _, c := range weightValuesCases {
		t.Run(c.name, func(t *testing.T) {
			u := newUnit(t, c.net(t), c.chip, nil)
			runPasses(t, u, "fold-bn", "lower-ops", "quantize")
			err := axonTypesPass(u)
			if c.layer == "" {
				if err != nil {
					t.Fatalf("axon-types on %s: %v, want nil", c.chip, err)
				}
				return
			}
			var fe *FitError
			if !errors.As(err, &fe) {
				t.Fatalf("axon-types on %s: %v, want a *FitError", c.chip, err)
			}
			if fe.Layer != c.layer || fe.Resource != "distinct weights per neuron" || fe.Have != 4 || fe.Need <= 4 {
				t.Errorf("got layer %q resource %q need %g have %g, want layer %q, distinct weights per neuron, need > 4, have 4", fe.Layer, fe.Resource, fe.Need, fe.Have, c.layer)
			}
			if msg := fe.Error(); !strings.Contains(msg, "neuron 0 of "+c.layer) || !strings.Contains(msg, "ternary or 4-level training") ||
				strings.Contains(fe.Hint, "truenorth") || !strings.Contains(fe.Hint, "loihi1") {
				t.Errorf("error %q, want it to name the neuron, the training it needs, and loihi1 but not truenorth as fitting", msg)
			}
		})
	}
}

// TestAxonTypesCompile: the ternary typed nets compile on truenorth with
// verify's per-core check passing, the mapping report gives the types
// each core takes, and the types DSatur gives every used core are a valid
// assignment, checked here from the synapses alone.
func TestAxonTypesCompile(t *testing.T) {
	for _, net := range []func(t *testing.T) *ir.Graph{typedNet, weightValuesCases[1].net} {
		g := net(t)
		u := newUnit(t, g, "truenorth", samples(g, 2, 1))
		if err := Compile(context.Background(), u, Config{Verify: true}); err != nil {
			t.Fatalf("compile %s on truenorth: %v", g.Name, err)
		}
		most := 0
		for _, cr := range u.Report.Mapping.PerCore {
			if cr.AxonTypes > 4 {
				t.Errorf("%s core %d: %d axon types reported, want <= 4", g.Name, cr.Core, cr.AxonTypes)
			}
			most = max(most, cr.AxonTypes)
		}
		if most < 2 {
			t.Errorf("%s: at most %d axon types reported on a core, want >= 2 (neurons read both signs)", g.Name, most)
		}
		at := newAxonTyper(g, u.Target, 4)
		used := 0
		for c := range at.byCore {
			if len(at.byCore[c]) == 0 {
				continue
			}
			types, v := at.colour(c)
			if v != "" {
				t.Fatalf("%s core %d: %s", g.Name, c, v)
			}
			used++
			checkTypes(t, g, at.byCore[c], at.axons, types, 4)
		}
		if used == 0 {
			t.Fatalf("%s: no core used", g.Name)
		}
	}
}

// checkTypes fails t unless types (one per axon of axons, in 0..k-1) give
// two axons that reach one neuron of refs with different nonzero weights
// different types.
func checkTypes(t *testing.T, g *ir.Graph, refs []neuronRef, axons []neuronRef, types []int32, k int) {
	t.Helper()
	typeOf := map[neuronRef]int32{}
	for i, a := range axons {
		if types[i] < 0 || int(types[i]) >= k {
			t.Fatalf("axon %v has type %d, want 0..%d", a, types[i], k-1)
		}
		typeOf[a] = types[i]
	}
	for _, r := range refs {
		w := map[neuronRef]int64{}
		for _, e := range chipInputs(g, g.Pops[r.pop]) {
			si := g.Index(e.Src)
			ir.SynapsesInto(e, r.j, func(s, wi int) { w[neuronRef{si, s}] += int64(e.Q.Weights[wi]) })
		}
		perType := map[int32]int64{}
		for a, v := range w {
			ty, ok := typeOf[a]
			if !ok {
				t.Fatalf("axon %v into neuron %v has no type", a, r)
			}
			if v == 0 {
				continue
			}
			if old, ok := perType[ty]; ok && old != v {
				t.Fatalf("neuron %v: type %d carries weights %d and %d", r, ty, old, v)
			}
			perType[ty] = v
		}
	}
}

// placedNet builds x (host) -> a (n neurons) -> b (len(rows) neurons),
// the dense projection a -> b with the given integer weights (rows[o][i])
// and, when skip is nonzero, an identity shortcut a -> b of weight skip;
// a is placed on core 1 and b on core 0 of the chip.
func placedNet(t *testing.T, rows [][]int32, skip int32) *ir.Graph {
	t.Helper()
	n := len(rows[0])
	b := ir.NewBuilder("placed", ir.Header{T: 2, Encoding: ir.Direct, Classes: len(rows), Vote: 1})
	x := b.Input("x", ir.Shape{C: n, H: 1, W: 1})
	a := b.Layer("a", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem}, ir.Full(x, n))
	in := []ir.Edge{ir.Full(a, len(rows))}
	if skip != 0 {
		in = append(in, ir.Skip(a))
	}
	b.Layer("b", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, in...)
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Projs {
		switch {
		case e.Src == g.Input():
			e.Q = &ir.ProjQuant{Host: true}
		case e.Op == ir.Dense:
			e.Q = &ir.ProjQuant{}
			for _, r := range rows {
				e.Q.Weights = append(e.Q.Weights, r...)
			}
		default:
			e.Q = &ir.ProjQuant{Weights: []int32{skip}}
		}
	}
	g.Pop("a").Core = make([]int32, n)
	for i := range g.Pop("a").Core {
		g.Pop("a").Core[i] = 1
	}
	g.Pop("b").Core = make([]int32, len(rows))
	return g
}

// clique5 gives each of the 10 pairs of 5 axons a neuron that reads them
// with weights +1 and -1: every neuron sees 2 values, yet the 5 axons
// pairwise conflict.
func clique5() [][]int32 {
	var rows [][]int32
	for a := range 5 {
		for b := a + 1; b < 5; b++ {
			r := make([]int32, 5)
			r[a], r[b] = 1, -1
			rows = append(rows, r)
		}
	}
	return rows
}

// cycle5 gives each edge of a 5-cycle of axons a neuron that reads its two
// ends with weights +1 and -1: an odd cycle, not 2-colourable, with no
// triangle.
func cycle5() [][]int32 {
	var rows [][]int32
	for a := range 5 {
		r := make([]int32, 5)
		r[a], r[(a+1)%5] = 1, -1
		rows = append(rows, r)
	}
	return rows
}

var axonTypeCases = []struct {
	name   string
	rows   [][]int32
	skip   int32
	chip   string
	k      int      // the limit when not the profile's (0)
	want   []string // substrings of the one violation; nil for none
	fitErr bool     // the early check refuses it too
}{
	{"5-clique of axons", clique5(), 0, "truenorth", 0, []string{"core 0 (b)", "axons a[", "need 5 axon types, want <= 4", "5-clique", "no assignment of axon types exists"}, false},
	{"5 weights at one neuron", [][]int32{{1, 2, 3, 4, 5}, {0, 0, 0, 0, 0}}, 0, "truenorth", 0, []string{"core 0 (b)", "neuron 0 of b receives 5 different nonzero weights, want <= 4"}, true},
	{"ternary typed", [][]int32{{1, -1, 0, 1, 1, -1, 0, 1}, {-1, -1, 1, 0, -1, -1, 1, 0}, {0, 1, 1, -1, 0, 1, 1, -1}, {1, 0, -1, -1, 1, 0, -1, -1}}, 0, "truenorth", 0, nil, false},
	// Dense weights 1..4 at a[0..3] plus an identity of 5 at a[0]: a[0]'s
	// one synapse on chip weighs 6, so neuron 0 sees 4 values, not 5.
	{"summed projections", [][]int32{{1, 2, 3, 4, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}, 5, "truenorth", 0, nil, false},
	// With 2 types an odd cycle has no colouring, but DSatur's 3 axons
	// are no clique: the violation says the failure is conservative.
	{"5-cycle with 2 types", cycle5(), 0, "truenorth", 2, []string{"core 0 (b)", "need 3 axon types, want <= 2", "greedy (DSatur)", "conservative"}, false},
	{"5-cycle with 3 types", cycle5(), 0, "truenorth", 3, nil, false},
	{"loihi1 has no limit", clique5(), 0, "loihi1", 0, nil, false},
}

// TestAxonTypeViolations: verify's legality check (Analysis.Violations)
// reports a core whose axons cannot be typed, names the axons and says
// when they form a clique; the early check misses the clique (each neuron
// sees 2 values), which is why verify checks cores.
func TestAxonTypeViolations(t *testing.T) {
	for _, c := range axonTypeCases {
		t.Run(c.name, func(t *testing.T) {
			g := placedNet(t, c.rows, c.skip)
			tg := target(t, c.chip)
			if c.k > 0 {
				tg.Profile.Core.DistinctWeightsPerNeuron = c.k
			}
			var got []string
			for _, v := range Analyze(g, tg).Violations(g, tg, nil) {
				if strings.Contains(v, "axon") || strings.Contains(v, "weights") {
					got = append(got, v)
				}
			}
			if c.want == nil {
				if len(got) != 0 {
					t.Errorf("violations %q, want none", got)
				}
			} else {
				if len(got) != 1 {
					t.Fatalf("violations %q, want one", got)
				}
				for _, w := range c.want {
					if !strings.Contains(got[0], w) {
						t.Errorf("violation %q, want it to say %q", got[0], w)
					}
				}
			}
			if err := weightValuesFit(tg, g.Projs, true); (err != nil) != c.fitErr {
				t.Errorf("early check: %v, want an error: %v", err, c.fitErr)
			}
		})
	}
}

// TestAxonTypesColouring: the colouring DSatur returns for the legal
// cases is valid (checkTypes) and uses at most the limit of types.
func TestAxonTypesColouring(t *testing.T) {
	for _, c := range axonTypeCases {
		if c.want != nil || c.chip != "truenorth" {
			continue
		}
		k := cmp.Or(c.k, 4)
		g := placedNet(t, c.rows, c.skip)
		at := newAxonTyper(g, target(t, c.chip), k)
		types, v := at.colour(0)
		if v != "" {
			t.Fatalf("%s: %s", c.name, v)
		}
		if len(types) != len(c.rows[0]) {
			t.Fatalf("%s: %d types, want one per axon (%d)", c.name, len(types), len(c.rows[0]))
		}
		checkTypes(t, g, at.byCore[0], at.axons, types, k)
	}
}

// BenchmarkAxonTypesCore times verify's axon-type check per full
// TrueNorth core: 16 cores of 256 neurons, each reading the same 256 axons
// with typed ternary weights (2-3 distinct values per neuron, so every
// neuron adds conflicts and DSatur colours every core); ns/op is per core.
func BenchmarkAxonTypesCore(b *testing.B) {
	const cores = 16
	rows := make([][]int32, 256*cores)
	for o := range rows {
		rows[o] = make([]int32, 256)
		for i := range rows[o] {
			rows[o][i] = int32((o*5+i%4*7+1)%3 - 1)
		}
	}
	t := &testing.T{}
	g := placedNet(t, rows, 0)
	for j := range g.Pop("b").Core {
		g.Pop("b").Core[j] = int32(j / 256)
	}
	g.Pop("a").Core = slices.Repeat([]int32{cores}, 256)
	tg := target(t, "truenorth")
	b.ReportAllocs()
	for b.Loop() {
		if v, _ := axonTypeViolations(g, tg); len(v) != 0 {
			b.Fatal(v)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*cores), "ns/core")
}
