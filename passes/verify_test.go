package passes

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
)

// compileRandom compiles random net seed onto chip through the whole
// pipeline; ok is false when it does not fit (err then is a *FitError).
func compileRandom(t *testing.T, chip string, seed uint64) (u *Unit, ok bool) {
	t.Helper()
	g := randGraph(t, seed)
	train(g, seed)
	u = &Unit{G: g, Target: lookup(t, chip), Samples: samples(g, 2, seed), Seed: seed}
	err := Compile(context.Background(), u, Config{Verify: true})
	if err != nil {
		var fe *FitError
		if !errors.As(err, &fe) {
			t.Fatalf("%s seed %d: Compile: %v, want nil or a *FitError\n%v", chip, seed, err, g)
		}
		return u, false
	}
	return u, true
}

func coresOf(g *ir.Graph) [][]int32 {
	var out [][]int32
	for _, p := range g.Pops {
		out = append(out, slices.Clone(p.Core))
	}
	return out
}

// TestCompileProperties is the property test over random small networks
// and the test profiles: the mapping is complete and exclusive, every
// limit holds (recounted independently of the partitioner), the report
// adds up, and the same seed gives the same core assignment.
func TestCompileProperties(t *testing.T) {
	for _, chip := range testChips {
		fits := 0
		for seed := uint64(1); seed <= 12; seed++ {
			u, ok := compileRandom(t, chip, seed)
			if !ok {
				continue
			}
			fits++
			g := u.G
			for i, p := range g.Pops {
				if i == 0 {
					if p.Core != nil {
						t.Errorf("%s seed %d: input population has a core assignment", chip, seed)
					}
					continue
				}
				if len(p.Core) != p.Shape.Len() {
					t.Fatalf("%s seed %d layer %s: %d core entries, want %d", chip, seed, p.Name, len(p.Core), p.Shape.Len())
				}
			}
			a := Analyze(g, u.Target)
			if v := a.Violations(g, u.Target, u.Layout.Routes); len(v) > 0 {
				t.Errorf("%s seed %d: violations after a successful compile: %v", chip, seed, v)
			}
			r := u.Report.Mapping
			var neurons int
			for _, c := range r.PerCore {
				neurons += c.Neurons
			}
			if want := ir.Count(g).Neurons + ir.Count(g).RelayNeurons; neurons != want || r.Neurons != want {
				t.Errorf("%s seed %d: report maps %d (per core %d) neurons, want %d", chip, seed, r.Neurons, neurons, want)
			}
			var sum float64
			for _, l := range r.Layers {
				sum += l.Energy.Total
			}
			if d := sum - r.Energy.Total; d > 1e-6*r.Energy.Total || d < -1e-6*r.Energy.Total {
				t.Errorf("%s seed %d: layer energies sum to %g, total %g", chip, seed, sum, r.Energy.Total)
			}
			again, _ := compileRandom(t, chip, seed)
			if diff := cmp.Diff(coresOf(g), coresOf(again.G)); diff != "" {
				t.Errorf("%s seed %d: core assignment not deterministic (-first +second):\n%s", chip, seed, diff)
			}
		}
		if fits < 6 {
			t.Errorf("%s: %d of 12 random nets compiled, want >= 6", chip, fits)
		}
	}
}

// TestVerifyCatches corrupts a valid mapping and checks verify names the
// problem in got/want form.
func TestVerifyCatches(t *testing.T) {
	var u *Unit
	for seed := uint64(1); ; seed++ {
		var ok bool
		if u, ok = compileRandom(t, "tiny", seed); ok {
			break
		}
	}
	cases := []struct {
		name   string
		break_ func(g *ir.Graph)
		want   string
	}{
		{"unmapped", func(g *ir.Graph) { g.Pops[1].Core[0] = -1 }, "on core -1, want 0..7"},
		{"missing", func(g *ir.Graph) { g.Pops[1].Core = nil }, "core entries, want"},
		{"crowded", func(g *ir.Graph) {
			for _, p := range g.Pops[1:] {
				for j := range p.Core {
					p.Core[j] = 0
				}
			}
		}, "neurons, want <= 64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			saved := coresOf(u.G)
			defer func() {
				for i, p := range u.G.Pops {
					p.Core = saved[i]
				}
			}()
			c.break_(u.G)
			_, err := VerifyMapping(u.G, u.Target, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("VerifyMapping: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestVerifyFanIn: two dense layers sharing a core read more distinct
// sources than a tiny core's 128 input axons.
func TestVerifyFanIn(t *testing.T) {
	b := ir.NewBuilder("fanin", ir.Header{T: 2, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 4, H: 1, W: 1})
	blk := ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}
	h1 := b.Layer("h1", ir.DefaultPLIF(), blk, ir.Full(x, 100))
	h2 := b.Layer("h2", ir.DefaultPLIF(), blk, ir.Full(h1, 100))
	h3 := b.Layer("h3", ir.DefaultPLIF(), blk, ir.Full(h2, 100))
	b.Layer("head", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(h3, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	tg := lookup(t, "tiny")
	for _, p := range g.Pops[1:] {
		p.Core = make([]int32, p.Shape.Len())
		for j := range p.Core {
			p.Core[j] = int32(1 + j%7)
		}
	}
	for j := 0; j < 30; j++ {
		h2.Core[j], h3.Core[j] = 0, 0
	}
	_, err = VerifyMapping(g, tg, nil)
	want := "core 0 (h2, h3) has 200 input axons, want <= 128"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("VerifyMapping: %v, want an error containing %q", err, want)
	}
}
