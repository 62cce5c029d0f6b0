package passes

import (
	"bytes"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// withMaxDelay returns a copy of the named built-in target whose
// core.max_synaptic_delay_steps is d.
func withMaxDelay(t *testing.T, name string, d int) *backends.Target {
	t.Helper()
	p := target(t, name).Profile
	p.Core.MaxSynapticDelaySteps = d
	tg, err := backends.NewTarget(&p, name+" (test delays)")
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// arrivals returns, per population, the set of steps (path length in
// delays from the input) at which its inputs arrive.
func arrivals(g *ir.Graph) map[string]map[int]bool {
	at := map[*ir.Population]int{}
	out := map[string]map[int]bool{}
	for _, e := range g.Projs { // sorted by destination: sources are final
		a := at[e.Src] + e.DelaySteps()
		if out[e.Dst.Name] == nil {
			out[e.Dst.Name] = map[int]bool{}
		}
		out[e.Dst.Name][a] = true
		at[e.Dst] = max(at[e.Dst], a)
	}
	return out
}

// TestDelayBalancesJoins: on a chip with enough delay range every input of
// every population arrives at one step, b1.l2's 1x1 shortcut from the stem
// waits 2 steps for the 2-synapse conv path, and a second run changes
// nothing; the zoo AutoSNN net (skip blocks, several joins) balances too.
func TestDelayBalancesJoins(t *testing.T) {
	for _, tc := range []struct {
		name  string
		g     func(*testing.T) *ir.Graph
		chip  string
		joins int
	}{
		{"tiny", func(t *testing.T) *ir.Graph { return tinyNet(t, ir.Direct) }, "loihi1", 1},
		{"autosnn", func(t *testing.T) *ir.Graph { return zooNet(t, "autosnn", 4, 16) }, "truenorth", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g(t)
			train(g, 1)
			var log bytes.Buffer
			u := newUnit(t, g, tc.chip, nil)
			u.Log = &log
			runPasses(t, u, "fold-bn", "lower-ops", "delay")
			for pop, steps := range arrivals(g) {
				if len(steps) != 1 {
					t.Errorf("population %s: inputs arrive at steps %v, want one step\n%s", pop, steps, g)
				}
			}
			rep := u.Report.Delay
			if rep == nil || len(rep.Joins) == 0 || rep.Delayed == 0 {
				t.Fatalf("report %+v, want joins and delayed projections", rep)
			}
			if tc.joins >= 0 && len(rep.Joins) != tc.joins {
				t.Errorf("%d joins %v, want %d", len(rep.Joins), rep.Joins, tc.joins)
			}
			for _, j := range rep.Joins {
				if j.Residual != 0 || j.Spread < 1 {
					t.Errorf("join %v: want spread >= 1, residual 0", j)
				}
			}
			if strings.Contains(log.String(), "warning") {
				t.Errorf("log warns on a balanced net:\n%s", log.String())
			}
			if tc.name == "tiny" {
				for _, e := range g.Projs {
					want := 1
					if e.Name == "b1.l2.shortcut" {
						want = 2
					}
					if e.DelaySteps() != want {
						t.Errorf("projection %s: delay %d, want %d", e.Name, e.DelaySteps(), want)
					}
				}
			}
			before := map[string]int{}
			for _, e := range g.Projs {
				before[e.Name] = e.Delay
			}
			runPasses(t, u, "delay")
			for _, e := range g.Projs {
				if e.Delay != before[e.Name] {
					t.Errorf("second run: projection %s delay %d, want %d (idempotent)", e.Name, e.Delay, before[e.Name])
				}
			}
		})
	}
}

// longSkipNet: stem -> c1 -> c2 -> c3 with a skip from the stem into c3,
// a join whose paths differ by 2 steps.
func longSkipNet(t *testing.T) *ir.Graph {
	t.Helper()
	nr := ir.DefaultPLIF()
	blk := func(l int) ir.Role { return ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: l} }
	b := ir.NewBuilder("longskip", ir.Header{T: 4, Encoding: ir.Direct, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 6, W: 6})
	s := b.Layer("stem", nr, ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 2, 3, 1))
	c1 := b.Layer("c1", nr, blk(1), ir.ConvBN(s, 2, 3, 1))
	c2 := b.Layer("c2", nr, blk(2), ir.ConvBN(c1, 2, 3, 1))
	c3 := b.Layer("c3", nr, blk(3), ir.ConvBN(c2, 2, 3, 1), ir.Skip(s))
	b.Layer("fc", nr, ir.Role{Kind: ir.RoleHead}, ir.Full(c3, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestDelayStatesMismatch: on a chip without programmable delays (speck's
// profile says none) and on one whose range falls short, every delay stays
// within the chip, and each unbalanced join is reported with its residual
// mismatch in steps and a warning line naming it.
func TestDelayStatesMismatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		g        func(*testing.T) *ir.Graph
		maxDelay int
	}{
		{"none", func(t *testing.T) *ir.Graph { return zooNet(t, "autosnn", 4, 16) }, 0},
		{"short", longSkipNet, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g(t)
			train(g, 1)
			tg := withMaxDelay(t, "loihi1", tc.maxDelay)
			var log bytes.Buffer
			u := &Unit{G: g, Target: tg, Report: &Report{}, Log: &log}
			runPasses(t, u, "fold-bn", "lower-ops", "delay")
			for _, e := range g.Projs {
				if e.DelaySteps() > tg.MaxDelaySteps() {
					t.Errorf("projection %s: delay %d beyond the chip's %d", e.Name, e.DelaySteps(), tg.MaxDelaySteps())
				}
			}
			rep := u.Report.Delay
			unbalanced := 0
			for _, j := range rep.Joins {
				want := max(j.Spread-(tg.MaxDelaySteps()-1), 0)
				if j.Residual != want {
					t.Errorf("join %v: residual %d, want %d", j, j.Residual, want)
				}
				if j.Residual > 0 {
					unbalanced++
					if !strings.Contains(log.String(), "join "+j.Pop+" ") || !strings.Contains(j.String(), j.Short) {
						t.Errorf("join %s unbalanced by %d steps but not named in the log:\n%s", j.Pop, j.Residual, log.String())
					}
				}
			}
			if unbalanced == 0 {
				t.Fatalf("joins %v: no unbalanced join; the case is vacuous", rep.Joins)
			}
		})
	}
}

// TestDelayVerify: the verify pass refuses a delay beyond the chip's range
// with an error naming the projection and the profile field.
func TestDelayVerify(t *testing.T) {
	g := zooNet(t, "autosnn", 4, 16)
	train(g, 1)
	u := newUnit(t, g, "loihi1", nil)
	runPasses(t, u, "fold-bn", "lower-ops", "delay")
	a := Analyze(g, u.Target)
	var e *ir.Projection
	for _, p := range g.Projs {
		if p.Delay > 1 {
			e = p
		}
	}
	if e == nil {
		t.Fatal("no delayed projection")
	}
	e.Delay = u.Target.MaxDelaySteps() + 1
	found := false
	for _, v := range a.Violations(g, u.Target, nil) {
		if strings.Contains(v, "projection "+e.Name+": delay") && strings.Contains(v, "core.max_synaptic_delay_steps") {
			found = true
		}
	}
	if !found {
		t.Errorf("violations %v, want one naming %s's delay", a.Violations(g, u.Target, nil), e.Name)
	}
}
