package passes

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// placedUnit compiles the first random net that fits tiny-2chip up to
// stop, verifying the layout after every pass.
func placedUnit(t *testing.T, stop string) *Unit {
	t.Helper()
	for seed := uint64(1); seed < 20; seed++ {
		g := randGraph(t, seed)
		train(g, seed)
		u := &Unit{G: g, Target: lookup(t, "tiny-2chip"), Samples: samples(g, 2, seed), Seed: seed, Granularity: DefaultGranularity}
		err := Compile(context.Background(), u, Config{Verify: true, StopAfter: stop})
		var fe *FitError
		switch {
		case errors.As(err, &fe):
			continue // does not fit
		case err != nil:
			t.Fatalf("seed %d: %v", seed, err)
		case u.Layout.Chosen == nil || u.Layout.Chosen.Partition.K >= 3:
			return u // before place, or enough parts to corrupt
		}
	}
	t.Fatal("no random net fits tiny-2chip")
	return nil
}

// layoutCorruptions break one invariant of a routed layout each; want is
// the got/want message Layout.Verify must give.
var layoutCorruptions = []struct {
	name    string
	corrupt func(u *Unit) // corrupts the layout or the graph
	want    func(u *Unit) string
}{
	{"fragment outside the parts", func(u *Unit) {
		pt := u.Layout.Chosen.Partition
		pt.Part[0] = int32(pt.K)
	}, func(u *Unit) string {
		k := u.Layout.Chosen.Partition.K
		return "fragment 0 in part " + itoa(k) + ", want 0.." + itoa(k-1)
	}},
	{"empty part", func(u *Unit) {
		pt := u.Layout.Chosen.Partition
		for f, q := range pt.Part {
			if q == 1 {
				pt.Part[f] = 0
			}
		}
	}, func(*Unit) string { return "part 1 holds no fragment, want >= 1" }},
	{"overfull part", func(u *Unit) {
		pt := u.Layout.Chosen.Partition
		for f := range pt.Part {
			pt.Part[f] = 0
		}
	}, func(u *Unit) string {
		return "part 0 holds " + itoa(totalNeurons(u.G)) + " neurons, want <= " + itoa(TargetLimits(u.Target).Neurons)
	}},
	{"two parts on one core", func(u *Unit) {
		pl := u.Layout.Chosen.Placement
		pl.Core[1] = pl.Core[0]
	}, func(u *Unit) string {
		return "parts 0 and 1 both on core " + itoa(int(u.Layout.Chosen.Placement.Core[0])) + ", want distinct cores"
	}},
	{"part off the chip", func(u *Unit) {
		u.Layout.Chosen.Placement.Core[2] = int32(u.Target.NumCores)
	}, func(u *Unit) string {
		return "part 2 on core " + itoa(u.Target.NumCores) + ", want 0.." + itoa(u.Target.NumCores-1)
	}},
	{"neuron off its part's core", func(u *Unit) {
		c := u.Layout.Chosen
		p := u.G.Pops[1]
		p.Core[0] = c.Placement.Core[(c.Partition.Part[c.Problem.FragOf[1][0]]+1)%int32(c.Partition.K)]
	}, func(u *Unit) string {
		c := u.Layout.Chosen
		want := c.Placement.Core[c.Partition.Part[c.Problem.FragOf[1][0]]]
		return "layer " + u.G.Pops[1].Name + ": neuron 0 on core " + itoa(int(u.G.Pops[1].Core[0])) + ", want " + itoa(int(want))
	}},
	{"overlapping fragments", func(u *Unit) {
		sr := u.Layout.Chosen.Split
		sr.Frags[sr.First[1]+1] = sr.Frags[sr.First[1]]
	}, func(u *Unit) string {
		return "fragment " + itoa(u.Layout.Chosen.Split.First[1]+1) + " of layer " + u.G.Pops[1].Name + " overlaps another fragment, want disjoint fragments"
	}},
	{"missing route", func(u *Unit) {
		cr := &u.Layout.Routes.Cores[0]
		cr.Dests = cr.Dests[1:]
	}, func(u *Unit) string { return "has no route to core" }},
	{"loser kept", func(u *Unit) {
		u.Layout.Candidates = append(u.Layout.Candidates, &Candidate{Granularity: 99, Split: &SplitResult{}})
	}, func(*Unit) string {
		return "granularity 99: not chosen but keeps its mapping, want it released after place"
	}},
}

func itoa(n int) string { return strconv.Itoa(n) }

func totalNeurons(g *ir.Graph) int {
	n := 0
	for _, p := range g.Pops[1:] {
		n += p.Shape.Len()
	}
	return n
}

// TestLayoutVerify: a compiled layout verifies, and each corruption of it
// is reported in got/want form.
func TestLayoutVerify(t *testing.T) {
	for _, c := range layoutCorruptions {
		t.Run(c.name, func(t *testing.T) {
			u := placedUnit(t, "route")
			if err := u.Layout.Verify(u.G, u.Target); err != nil {
				t.Fatalf("before corruption: %v", err)
			}
			c.corrupt(u)
			want := c.want(u)
			err := u.Layout.Verify(u.G, u.Target)
			if err == nil || !strings.Contains(err.Error(), want) {
				var b bytes.Buffer
				u.Layout.Print(&b, u.G, u.Target)
				t.Errorf("Verify = %v, want an error containing %q\n%s", err, want, b.String())
			}
		})
	}
}

// TestLayoutPhases: the layout after each back-half pass holds what that
// pass sets and verifies.
func TestLayoutPhases(t *testing.T) {
	for _, stop := range []string{"split", "partition", "place", "route"} {
		u := placedUnit(t, stop)
		l := u.Layout
		if err := l.Verify(u.G, u.Target); err != nil {
			t.Errorf("after %s: %v", stop, err)
		}
		placed := stop == "place" || stop == "route"
		if got := l.Chosen != nil; got != placed {
			t.Errorf("after %s: chosen %v, want %v", stop, got, placed)
		}
		if got := l.Routes != nil; got != (stop == "route") {
			t.Errorf("after %s: routes %v, want %v", stop, got, stop == "route")
		}
		for _, c := range l.Candidates {
			if got := c.Partition != nil; got != (stop != "split") {
				t.Errorf("after %s: granularity %d partitioned %v, want %v", stop, c.Granularity, got, stop != "split")
			}
		}
	}
}

// dumpNet is input (1x4x4) -> c1 (2x4x4, 3x3 conv) -> c2 (2x4x4, 3x3 conv)
// -> head (2 neurons, dense): a few fragments and parts on tiny.
func dumpNet(t *testing.T) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("dump", ir.Header{T: 2, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 4, W: 4})
	c1 := b.Layer("c1", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 2, 3, 1))
	c2 := b.Layer("c2", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, ir.ConvBN(c1, 2, 3, 1))
	b.Layer("head", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(c2, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestLayoutDump compares the layout Compile prints after place and after
// route on a tiny net with testdata/layout_*.golden (go test -update
// rewrites them).
func TestLayoutDump(t *testing.T) {
	for _, pass := range []string{"place", "route"} {
		g := dumpNet(t)
		train(g, 1)
		var dump bytes.Buffer
		u := &Unit{G: g, Target: lookup(t, "tiny"), Seed: 1}
		if err := Compile(context.Background(), u, Config{Verify: true, DumpAfter: pass, StopAfter: pass, Dump: &dump}); err != nil {
			t.Fatal(err)
		}
		out := dump.String()
		i := strings.Index(out, "# layout after "+pass+"\n")
		if i < 0 {
			t.Fatalf("dump after %s has no layout:\n%s", pass, out)
		}
		got := out[i:]
		file := filepath.Join("testdata", "layout_"+pass+".golden")
		if *update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("layout after %s (-want +got):\n%s", pass, diff)
		}
		for _, s := range []string{"layout: 5 candidates, chosen granularity", "(chosen)", "part 0 on core"} {
			if !strings.Contains(got, s) {
				t.Errorf("layout after %s lacks %q:\n%s", pass, s, got)
			}
		}
		if strings.Contains(got, "routes:") != (pass == "route") {
			t.Errorf("layout after %s: routes printed %v, want %v", pass, !(pass == "route"), pass == "route")
		}
	}
}

// TestCompileVerifiesLayout: with Config.Verify, Compile reports a pass
// that leaves a broken layout as a compiler bug naming the pass.
func TestCompileVerifiesLayout(t *testing.T) {
	seed := placedUnit(t, "place").Seed // a net with >= 3 parts on tiny-2chip
	i := slices.IndexFunc(passes[:], func(p Pass) bool { return p.Name == "place" })
	place := passes[i].Fn
	defer func() { passes[i].Fn = place }()
	passes[i].Fn = func(u *Unit) error {
		err := place(u)
		if err == nil {
			pl := u.Layout.Chosen.Placement
			pl.Core[1] = pl.Core[0]
		}
		return err
	}
	g := randGraph(t, seed)
	train(g, seed)
	u := &Unit{G: g, Target: lookup(t, "tiny-2chip"), Samples: samples(g, 2, seed), Seed: seed, Granularity: DefaultGranularity}
	err := Compile(context.Background(), u, Config{Verify: true})
	want := "passes: layout invalid after place (a compiler bug): "
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "want distinct cores") {
		t.Errorf("Compile = %v, want an error containing %q and %q", err, want, "want distinct cores")
	}
}
