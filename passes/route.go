package passes

// This file implements the route pass: from the placed graph it builds each
// core's destination list (the routing table of its output axons) and, for
// multicast-tree NoCs, the per-chip router entries, and checks them against
// the target's routing-table limits.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/autosnn/autosnn/backends"
)

// Dest is one entry of a core's destination list.
type Dest struct {
	// Core is the destination core id.
	Core int `yaml:"core" json:"core"`
	// Axons is the number of source neurons of this core that reach it
	// (one output axon each).
	Axons int `yaml:"axons" json:"axons"`
	// Hops is the route length in mesh hops (0 inside a tile).
	Hops int `yaml:"hops" json:"hops"`
}

// CoreRoutes is the routing table of one core.
type CoreRoutes struct {
	// Core is the core id.
	Core int `yaml:"core" json:"core"`
	// Dests are its destination cores in increasing id order (own core
	// included when its neurons feed neurons on the same core).
	Dests []Dest `yaml:"dests" json:"dests"`
	// Entries is len(Dests); Axons is the sum of Dests[].Axons.
	Entries int `yaml:"entries" json:"entries"`
	Axons   int `yaml:"axons" json:"axons"`
	// Bytes is Axons * RoutingEntryBytes.
	Bytes int `yaml:"bytes" json:"bytes"`
}

// RouteTables are the routing tables of a placed graph.
type RouteTables struct {
	// Cores lists the routing table of every core that sends, by core id.
	Cores []CoreRoutes `yaml:"cores" json:"cores"`
	// ChipEntries is, per chip, the multicast router entries: one per
	// source core whose messages enter or cross a router of the chip
	// (only for multicast-tree NoCs; nil otherwise).
	ChipEntries []int `yaml:"chip_entries,omitempty" json:"chip_entries,omitempty"`
}

// BuildRoutes builds the routing tables from an analysis of the placed
// graph.
func BuildRoutes(t *backends.Target, a *Analysis) *RouteTables {
	by := map[int]*CoreRoutes{}
	keys := make([][2]int32, 0, len(a.Axons))
	for k := range a.Axons {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]int32) int {
		if x[0] != y[0] {
			return int(x[0] - y[0])
		}
		return int(x[1] - y[1])
	})
	rt := &RouteTables{}
	for _, k := range keys {
		src, dst := int(k[0]), int(k[1])
		cr := by[src]
		if cr == nil {
			rt.Cores = append(rt.Cores, CoreRoutes{Core: src})
			cr = &rt.Cores[len(rt.Cores)-1]
			by[src] = cr
		}
		n := a.Axons[k]
		cr.Dests = append(cr.Dests, Dest{Core: dst, Axons: n, Hops: t.Hops(src, dst).Total()})
		cr.Entries++
		cr.Axons += n
		cr.Bytes += n * RoutingEntryBytes
	}
	if t.Profile.NoC.MessageMode == backends.MessageMulticastTree {
		rt.ChipEntries = make([]int, t.NumChips)
		for _, cr := range rt.Cores {
			chips := map[int]bool{}
			for _, d := range cr.Dests {
				chips[t.CoreCoord(cr.Core).Chip] = true
				for _, l := range t.Route(cr.Core, d.Core) {
					x, y := l.To()
					if c, ok := t.CoreAt(x, y, 0); ok {
						chips[t.CoreCoord(c).Chip] = true
					}
				}
			}
			for c := range chips {
				rt.ChipEntries[c]++
			}
		}
	}
	return rt
}

// Violations returns the routing-table limits the tables exceed.
func (rt *RouteTables) Violations(t *backends.Target) []string {
	var out []string
	c := t.Profile.Core
	for _, cr := range rt.Cores {
		if c.RoutingTableEntries > 0 && cr.Entries > c.RoutingTableEntries {
			out = append(out, fmt.Sprintf("core %d routing table has %d destination entries, want <= %d", cr.Core, cr.Entries, c.RoutingTableEntries))
		}
		if c.RoutingTableBytes > 0 && cr.Bytes > c.RoutingTableBytes {
			out = append(out, fmt.Sprintf("core %d routing table needs %d bytes (%d output axons x %d bytes), want <= %d", cr.Core, cr.Bytes, cr.Axons, RoutingEntryBytes, c.RoutingTableBytes))
		}
	}
	if lim := t.Profile.NoC.RoutingTableEntriesPerChip; lim > 0 {
		for chip, n := range rt.ChipEntries {
			if n > lim {
				out = append(out, fmt.Sprintf("chip %d router holds %d multicast entries, want <= %d", chip, n, lim))
			}
		}
	}
	return out
}

// routePass is the route pass: it builds the routing tables of the graph
// as placed by Population.Core, fails when one exceeds the target's limits
// and sets Layout.Routes (making an empty Layout for a graph placed by
// other means).
func routePass(u *Unit) error {
	a := Analyze(u.G, u.Target)
	rt := BuildRoutes(u.Target, a)
	if v := rt.Violations(u.Target); len(v) > 0 {
		return fmt.Errorf("routing tables of %s do not fit %s: %s", u.G.Name, u.Target.Name(), strings.Join(v, "; "))
	}
	if u.Layout == nil {
		u.Layout = &Layout{}
	}
	u.Layout.Routes = rt
	return nil
}
