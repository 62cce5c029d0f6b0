package passes

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// routeGraph is input -> a (4 neurons, dense) -> b (2 neurons, dense) with
// a on cores aCore and b on cores bCore.
func routeGraph(t *testing.T, aCore, bCore []int32) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("route", ir.Header{T: 2, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 2, H: 1, W: 1})
	a := b.Layer("a", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, ir.Full(x, 4))
	o := b.Layer("b", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(a, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	a.Core, o.Core = aCore, bCore
	return g
}

// variant returns a target built from a built-in profile changed by edit.
func variant(t *testing.T, name string, edit func(p *backends.Profile)) *backends.Target {
	t.Helper()
	p := lookup(t, name).Profile
	p.Name = name + "-variant"
	edit(&p)
	tg, err := backends.NewTarget(&p, "test:"+p.Name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestBuildRoutes(t *testing.T) {
	tg := lookup(t, "tiny-2chip")
	// Core 0 and 1 share tile (0,0); core 2 is tile (0,1); core 8 is on
	// chip 1 at (2,0).
	g := routeGraph(t, []int32{0, 0, 1, 2}, []int32{8, 0})
	a := Analyze(g, tg)
	rt := BuildRoutes(tg, a)
	want := &RouteTables{Cores: []CoreRoutes{
		{Core: 0, Dests: []Dest{{Core: 0, Axons: 2, Hops: 0}, {Core: 8, Axons: 2, Hops: 2}}, Entries: 2, Axons: 4, Bytes: 16},
		{Core: 1, Dests: []Dest{{Core: 0, Axons: 1, Hops: 0}, {Core: 8, Axons: 1, Hops: 2}}, Entries: 2, Axons: 2, Bytes: 8},
		{Core: 2, Dests: []Dest{{Core: 0, Axons: 1, Hops: 1}, {Core: 8, Axons: 1, Hops: 3}}, Entries: 2, Axons: 2, Bytes: 8},
	}}
	if diff := cmp.Diff(want, rt); diff != "" {
		t.Errorf("BuildRoutes (-want +got):\n%s", diff)
	}
	if v := rt.Violations(tg); len(v) > 0 {
		t.Errorf("Violations on tiny-2chip: %v, want none", v)
	}
	// Every neuron of a sends to both cores of b: 4 x 2 output axons, plus
	// one message per timestep and neuron (uniform rates) to core 8 and,
	// from cores 1 and 2, to core 0.
	if got, want := a.Traffic[[2]int32{0, 8}]+a.Traffic[[2]int32{1, 0}]+a.Traffic[[2]int32{1, 8}]+a.Traffic[[2]int32{2, 0}]+a.Traffic[[2]int32{2, 8}], 6.0; got != want {
		t.Errorf("inter-core traffic %g, want %g", got, want)
	}
}

func TestRouteLimits(t *testing.T) {
	g := routeGraph(t, []int32{0, 0, 1, 2}, []int32{8, 0})
	cases := []struct {
		name string
		tg   *backends.Target
		want string
	}{
		{"entries", variant(t, "tiny-2chip", func(p *backends.Profile) { p.Core.RoutingTableEntries = 1 }),
			"core 0 routing table has 2 destination entries, want <= 1"},
		{"bytes", variant(t, "tiny-2chip", func(p *backends.Profile) { p.Core.RoutingTableBytes = 12 }),
			"core 0 routing table needs 16 bytes (4 output axons x 4 bytes), want <= 12"},
		{"chip router", variant(t, "tiny-2chip", func(p *backends.Profile) {
			p.NoC.MessageMode = backends.MessageMulticastTree
			p.NoC.RoutingTableEntriesPerChip = 2
		}), "chip 0 router holds 3 multicast entries, want <= 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt := BuildRoutes(c.tg, Analyze(g, c.tg))
			got := strings.Join(rt.Violations(c.tg), "; ")
			if !strings.Contains(got, c.want) {
				t.Errorf("Violations = %q, want %q", got, c.want)
			}
			u := &Unit{G: g, Target: c.tg}
			if err := routePass(u); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("route pass: %v, want an error containing %q", err, c.want)
			}
		})
	}
}
