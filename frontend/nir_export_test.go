package frontend

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend/internal/hdf5"
	"github.com/autosnn/autosnn/ir"
)

// exportCases are the graphs the round-trip tests export: the zoo autosnn
// net with seeded random weights (batch-norms, PLIF with random W,
// residual identity and conv shortcuts, max-pools, vote 10) and the small
// trained checkpoint.
func exportCases(t *testing.T) map[string]*ir.Graph {
	t.Helper()
	s, err := Resolve("autosnn")
	if err != nil {
		t.Fatal(err)
	}
	zoo, err := Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	RandomWeights(zoo, 7)
	m, err := ReadModel("testdata/tiny-v1.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*ir.Graph{"zoo-autosnn": zoo, "tiny-v1.ckpt": m.Graph}
}

// TestNIRExportRoundTrip checks ImportNIR(ExportNIR(g)) == NIRForm(g):
// every population and projection by name, neurons, biases and weights
// bit for bit; that NIRForm's weights are g's bit for bit where g had no
// batch-norm and ir.FoldBN's where it had; that the file is read back by
// the package's HDF5 reader with the NIR layout; and that the reference
// executor gives the same output, spike for spike, on every population
// both graphs have, on seeded inputs.
func TestNIRExportRoundTrip(t *testing.T) {
	for name, g := range exportCases(t) {
		t.Run(name, func(t *testing.T) {
			opt := NIROptions{T: g.T, Name: g.Name}
			b, err := EncodeNIR(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := NIRForm(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ImportNIR(b, opt)
			if err != nil {
				t.Fatal(err)
			}
			if d := graphDiff(want, got); d != "" {
				t.Fatalf("import of the export differs from NIRForm: %s", d)
			}
			checkFormWeights(t, g, want)
			checkLayout(t, b, want)
			exact := 0
			for _, p := range g.Pops {
				if p.Neuron.Model == ir.PLIF {
					if want.Pop(p.Name).Neuron.K() == p.Neuron.K() {
						exact++
					} else {
						t.Logf("%s: PLIF k %g exported as 1/Tau = %g", p.Name, p.Neuron.K(), want.Pop(p.Name).Neuron.K())
					}
				}
			}
			t.Logf("%d populations, %d bytes; PLIF decays kept exactly: %d", len(want.Pops), len(b), exact)
			if c, s, bad, d := runDiff(t, want, got, 2); bad > 0 || s == 0 {
				t.Fatalf("NIRForm and its import: %d of %d neuron-steps differ (%s), %d spikes", bad, c, d, s)
			}
			// The original with its batch-norms folded (as the compiler's
			// fold-bn pass runs it) gives the import's outputs exactly; the
			// unfolded original differs by the fold's float32 rounding.
			folded := copyGraph(g)
			for _, e := range folded.Projs {
				if err := ir.FoldBN(e); err != nil {
					t.Fatal(err)
				}
			}
			if c, s, bad, d := runDiff(t, folded, got, 2); bad > 0 || s == 0 {
				t.Fatalf("original (BN folded) and import: %d of %d neuron-steps differ (%s), %d spikes", bad, c, d, s)
			} else {
				t.Logf("original (BN folded) and import: %d neuron-steps equal, %d spikes", c, s)
			}
			c, s, bad, d := runDiff(t, g, got, 2)
			t.Logf("original (BN unfolded) and import: %d spikes, %d of %d neuron-steps differ (%s)", s, bad, c, d)
			if dir := os.Getenv("NIR_EXPORT_DIR"); dir != "" {
				os.WriteFile(filepath.Join(dir, name+".nir"), b, 0o644)
			}
		})
	}
}

// graphDiff describes the first difference between a and b, matching
// populations and projections by name; "" when equal.
func graphDiff(a, b *ir.Graph) string {
	if a.Name != b.Name || a.T != b.T || a.Encoding != b.Encoding || a.Classes != b.Classes || a.Vote != b.Vote || a.Loss != b.Loss {
		return fmt.Sprintf("graph %s T=%d %v classes %d vote %d %v vs %s T=%d %v classes %d vote %d %v", a.Name, a.T, a.Encoding, a.Classes, a.Vote, a.Loss, b.Name, b.T, b.Encoding, b.Classes, b.Vote, b.Loss)
	}
	if len(a.Pops) != len(b.Pops) || len(a.Projs) != len(b.Projs) {
		return fmt.Sprintf("%d populations, %d projections vs %d, %d", len(a.Pops), len(a.Projs), len(b.Pops), len(b.Projs))
	}
	if a.Input().Name != b.Input().Name || a.Output().Name != b.Output().Name {
		return fmt.Sprintf("input/output %s/%s vs %s/%s", a.Input().Name, a.Output().Name, b.Input().Name, b.Output().Name)
	}
	for _, p := range a.Pops {
		q := b.Pop(p.Name)
		switch {
		case q == nil:
			return "population " + p.Name + " missing"
		case p.Shape != q.Shape || p.Neuron != q.Neuron || p.Role != q.Role:
			return fmt.Sprintf("population %s: %v %+v %v vs %v %+v %v", p.Name, p.Shape, p.Neuron, p.Role, q.Shape, q.Neuron, q.Role)
		case !sameBits(p.Bias, q.Bias):
			return fmt.Sprintf("population %s: bias %v vs %v", p.Name, p.Bias, q.Bias)
		}
	}
	for _, e := range a.Projs {
		f := b.Proj(e.Name)
		switch {
		case f == nil:
			return "projection " + e.Name + " missing"
		case e.Src.Name != f.Src.Name || e.Dst.Name != f.Dst.Name || e.Op != f.Op || e.Kernel != f.Kernel || e.Stride != f.Stride || e.Pad != f.Pad:
			return fmt.Sprintf("projection %s: %s->%s %v k%d s%d p%d vs %s->%s %v k%d s%d p%d", e.Name, e.Src.Name, e.Dst.Name, e.Op, e.Kernel, e.Stride, e.Pad, f.Src.Name, f.Dst.Name, f.Op, f.Kernel, f.Stride, f.Pad)
		case e.BN != nil || f.BN != nil:
			return "projection " + e.Name + ": a batch-norm left"
		case !sameBits(e.Weights, f.Weights):
			return "projection " + e.Name + ": weights differ"
		}
	}
	return ""
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// checkFormWeights checks NIRForm's weights against g's: bit for bit
// without a batch-norm, ir.FoldBN's result with one.
func checkFormWeights(t *testing.T, g, form *ir.Graph) {
	t.Helper()
	folded := 0
	for _, e := range g.Projs {
		f := form.Proj(e.Name)
		if f == nil { // identity projections are renamed src->dst
			f = form.Proj(e.Src.Name + "->" + e.Dst.Name)
		}
		if f == nil {
			t.Fatalf("projection %s has no counterpart", e.Name)
		}
		want := e.Weights
		if e.BN != nil {
			c := copyGraph(&ir.Graph{Pops: []*ir.Population{e.Src, e.Dst}, Projs: []*ir.Projection{e}})
			if err := ir.FoldBN(c.Projs[0]); err != nil {
				t.Fatal(err)
			}
			want = c.Projs[0].Weights
			folded++
		}
		if !sameBits(want, f.Weights) {
			t.Errorf("projection %s: exported weights are not the original (BN-folded) ones bit for bit", e.Name)
		}
	}
	t.Logf("%d projections, %d batch-norms folded", len(g.Projs), folded)
}

// checkLayout reads the file with the package's HDF5 reader and checks the
// layout the reference nir library writes: /version, /node/type NIRGraph,
// (E, 2) string edges, a group per node with its type.
func checkLayout(t *testing.T, b []byte, form *ir.Graph) {
	t.Helper()
	if !bytes.HasPrefix(b, hdf5.Signature) {
		t.Fatal("no HDF5 signature")
	}
	root, err := hdf5.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := stringAt(root, "version"); err != nil || v != NIRVersion {
		t.Errorf("/version %q (%v)", v, err)
	}
	ng, err := readNIRGraph(b)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, n := range ng.nodes {
		types[n.typ]++
	}
	if types["Input"] != 1 || types["Output"] != 1 {
		t.Errorf("node types %v, want one Input and one Output", types)
	}
	for _, e := range ng.edges {
		if strings.Contains(e[0]+e[1], "/") {
			t.Errorf("edge %v names a path", e)
		}
	}
	t.Logf("node types %v, %d edges", types, len(ng.edges))
}

// runDiff runs g and h (its exported and imported form) on n seeded
// inputs uniform in [-2, 2) and compares every population output both have (by
// name), step by step: it returns the neuron-steps compared, the spikes
// of h among them, how many differ and the first difference.
func runDiff(t *testing.T, g, h *ir.Graph, n int) (compared, spikes, bad int, first string) {
	t.Helper()
	xg, err := ir.NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	xh, err := ir.NewExecutor(h)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < n; k++ {
		frame := make([]float32, g.Input().Shape.Len())
		for i := range frame {
			frame[i] = float32(4*r.Float64() - 2)
		}
		in := frame
		if g.Encoding == ir.Frames { // the same frame every step: what the Direct import is fed
			in = nil
			for range g.T {
				in = append(in, frame...)
			}
		}
		outs := map[string][][]float32{}
		if _, err := xg.Run(in, func(st, p int, out []float32) {
			outs[g.Pops[p].Name] = append(outs[g.Pops[p].Name], append([]float32(nil), out...))
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := xh.Run(frame, func(st, p int, out []float32) {
			want, ok := outs[h.Pops[p].Name]
			if !ok {
				return
			}
			for j, v := range out {
				compared++
				if v != want[st][j] {
					if bad++; first == "" {
						first = fmt.Sprintf("input %d step %d population %s neuron %d: %g before, %g after", k, st, h.Pops[p].Name, j, want[st][j], v)
					}
				}
				if v != 0 && h.Pops[p].Neuron.Model.Spiking() {
					spikes++
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	return compared, spikes, bad, first
}

// TestNIRTau checks, over many decays, that the exported tau gives back
// the exported Tau under the import's arithmetic with weights unscaled
// (float32(tau/dt) = Tau, (dt/tau)/k = 1 exactly), and counts how often
// the decay is kept exactly (float32(1/Tau) = k).
func TestNIRTau(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	exact, n, worst := 0, 20000, 0.0
	for i := range n {
		var k float32
		switch {
		case i == 0:
			k = 1
		case i < n/2:
			k = ir.Neuron{Model: ir.PLIF, W: float32(8*r.Float64() - 4)}.K()
		default:
			k = float32(r.Float64())
		}
		if k == 0 {
			continue
		}
		for _, dt := range []float64{DefaultNIRDT, 1e-3, 0.37} {
			tau32, tau, err := nirTau(k, dt)
			if err != nil {
				t.Fatalf("k %g dt %g: %v", k, dt, err)
			}
			kk := ir.Neuron{Model: ir.LIF, Tau: tau32}.K()
			if float32(tau/dt) != tau32 || dt/tau/float64(kk) != 1 {
				t.Fatalf("k %g dt %g: tau %g s gives Tau %g (want %g) and factor %g", k, dt, tau, float32(tau/dt), tau32, dt/tau/float64(kk))
			}
			if math.Abs(float64(kk)/float64(k)-1) > 1e-6 {
				t.Fatalf("k %g exported as %g", k, kk)
			}
			worst = max(worst, math.Abs(float64(kk)/float64(k)-1))
			if dt == DefaultNIRDT && kk == k {
				exact++
			}
		}
	}
	t.Logf("decay kept exactly for %d of %d (dt %g); largest relative change %.3g", exact, n, DefaultNIRDT, worst)
}

// TestNIRExportRefusals checks that what NIR cannot express is refused
// with the layer named.
func TestNIRExportRefusals(t *testing.T) {
	base := func() *ir.Graph { return exportCases(t)["tiny-v1.ckpt"] }
	for _, tc := range []struct {
		name, want string
		edit       func(g *ir.Graph)
	}{
		{"untrained", "untrained", func(g *ir.Graph) { g.Projs[0].Weights = nil }},
		{"relu", "population tbd1.l1: relu", func(g *ir.Graph) { g.Pop("tbd1.l1").Neuron = ir.Neuron{Model: ir.ReLU} }},
		{"maxpool over analog", "max-pool projection pool1.maxpool reads tbd1.l2, a li population", func(g *ir.Graph) {
			g.Pop("tbd1.l2").Neuron = ir.Neuron{Model: ir.LI, Tau: 2}
		}},
		{"name clash", "used twice", func(g *ir.Graph) { g.Pop("tbd1.l1").Name = "stem.conv2d" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := base()
			tc.edit(g)
			_, err := EncodeNIR(g, NIROptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestNIRExportFixtures re-exports every importable NIR fixture (IF, LI,
// CubaLIF, sum-pool relays, Affine biases, residual joins) and checks
// that the import of the export equals NIRForm of the first import and
// computes the same outputs.
func TestNIRExportFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/nir/*.nir")
	for _, p := range files {
		if strings.Contains(p, "recurrent") {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			g, _, err := ReadNIRFile(p, NIROptions{})
			if err != nil {
				t.Fatal(err)
			}
			opt := NIROptions{T: g.T, Name: g.Name}
			b, err := EncodeNIR(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := NIRForm(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ImportNIR(b, opt)
			if err != nil {
				t.Fatal(err)
			}
			if d := graphDiff(want, got); d != "" {
				t.Fatalf("import of the export differs from NIRForm: %s", d)
			}
			c, s, bad, d := runDiff(t, g, got, 2)
			if bad > 0 {
				t.Fatalf("first import and re-import: %d of %d neuron-steps differ (%s)", bad, c, d)
			}
			t.Logf("%d neuron-steps equal, %d spikes", c, s)
		})
	}
}
