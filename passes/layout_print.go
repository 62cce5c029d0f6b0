package passes

// The layout's printer: what Compile prints after a back-half pass named
// by Config.DumpAfter.

import (
	"fmt"
	"io"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Print writes l as text to w: per candidate its granularity, then (once
// partitioned) its parts with their cores once placed, usage and
// fragments, or before that its fragments by layer; the chosen candidate
// is marked and the others show their message-hops only; then the routing
// tables. g and t must be the graph and target l was built for.
//
//	layout: 2 candidates, chosen granularity 4
//	granularity 4 (chosen): 5 fragments, 6 nets, 2 parts, 0 message-hops per timestep
//	  partition: 2 parts, 16 -> 16 messages per timestep (0 moves, 0 swaps)
//	  place: annealing 0 -> 0 (392 of 2587 moves accepted)
//	  part 0 on core 4 (1,0): 1 fragments, 16 neurons, 0 bytes, 0 input axons
//	    f0 c1[c0:2 h0:4 w0:2]: 16 neurons, 0 synapses, 0 weights, 0 input axons
//	  ...
//	granularity 8: 0 message-hops per timestep (not chosen)
//	routes: 2 sending cores
//	  core 4: 1 entries, 16 axons, 64 bytes -> 5 (16 axons, 0 hops)
//	  ...
//
// (testdata/layout_*.golden hold whole examples).
func (l *Layout) Print(w io.Writer, g *ir.Graph, t *backends.Target) {
	fmt.Fprintf(w, "layout: %d candidates", len(l.Candidates))
	if l.Chosen != nil {
		fmt.Fprintf(w, ", chosen granularity %d", l.Chosen.Granularity)
	}
	fmt.Fprintln(w)
	for _, c := range l.Candidates {
		printCandidate(w, g, t, c, c == l.Chosen)
	}
	if l.Routes != nil {
		printRoutes(w, l.Routes)
	}
}

// printCandidate writes one candidate of Layout.Print.
func printCandidate(w io.Writer, g *ir.Graph, t *backends.Target, c *Candidate, chosen bool) {
	fmt.Fprintf(w, "granularity %d%s", c.Granularity, c.schemeLabel())
	if chosen {
		fmt.Fprint(w, " (chosen)")
	}
	if c.Split == nil || c.Problem == nil {
		if !chosen {
			fmt.Fprintf(w, ": %.6g message-hops per timestep (not chosen)\n", c.MessageHops)
		} else {
			fmt.Fprintln(w, ": no fragments")
		}
		return
	}
	sr, p, pt, pl := c.Split, c.Problem, c.Partition, c.Placement
	fmt.Fprintf(w, ": %d fragments, %d nets", len(sr.Frags), p.NumNets())
	if pt != nil {
		fmt.Fprintf(w, ", %d parts", pt.K)
	}
	if pl != nil {
		fmt.Fprintf(w, ", %.6g message-hops per timestep", c.MessageHops)
	}
	fmt.Fprintln(w)
	frag := func(f int) {
		fr := &sr.Frags[f]
		layer := "?"
		if fr.Pop >= 0 && fr.Pop < len(g.Pops) {
			layer = g.Pops[fr.Pop].Name
		}
		fmt.Fprintf(w, "f%d %s[c%d:%d h%d:%d w%d:%d]: %d neurons, %d synapses, %d weights, %d input axons\n",
			f, layer, fr.C0, fr.C1, fr.H0, fr.H1, fr.W0, fr.W1, fr.Neurons, fr.Synapses, fr.Weights, fr.FanIn)
	}
	if pt == nil || len(pt.Part) != len(sr.Frags) {
		for i, q := range g.Pops {
			if i == 0 || i >= len(sr.First) {
				continue
			}
			tl := sr.Tile[i]
			fmt.Fprintf(w, "  layer %s %dx%dx%d: tiles of %dx%dx%d, fragments %d..%d\n", q.Name, q.Shape.C, q.Shape.H, q.Shape.W, tl.C, tl.H, tl.W, sr.First[i], sr.Last[i]-1)
			for f := sr.First[i]; f < sr.Last[i] && f < len(sr.Frags); f++ {
				fmt.Fprint(w, "    ")
				frag(f)
			}
		}
		return
	}
	fmt.Fprintf(w, "  partition: %d parts, %.6g -> %.6g messages per timestep (%d moves, %d swaps)\n", pt.K, pt.InitialCost, pt.Cost, pt.Moves, pt.Swaps)
	if pl != nil {
		fmt.Fprintf(w, "  place: annealing %.6g -> %.6g (%d of %d moves accepted)\n", pl.StartCost, pl.Cost, pl.Accepted, pl.Moves)
	}
	members := make([][]int, pt.K)
	for f, q := range pt.Part {
		if q >= 0 && int(q) < pt.K {
			members[q] = append(members[q], f)
		}
	}
	for q, fs := range members {
		neurons, mem, fanIn := 0, int64(0), map[int32]bool{}
		for _, f := range fs {
			neurons += p.Neurons[f]
			mem += p.Mem[f]
			for _, x := range p.Sources(f) {
				fanIn[x] = true
			}
		}
		fmt.Fprintf(w, "  part %d", q)
		if pl != nil && q < len(pl.Core) {
			core := int(pl.Core[q])
			if t.ValidCore(core) {
				cc := t.CoreCoord(core)
				fmt.Fprintf(w, " on core %d (%d,%d)", core, cc.X, cc.Y)
			} else {
				fmt.Fprintf(w, " on core %d (invalid)", core)
			}
		}
		fmt.Fprintf(w, ": %d fragments, %d neurons, %d bytes, %d input axons\n", len(fs), neurons, mem, len(fanIn))
		for _, f := range fs {
			fmt.Fprint(w, "    ")
			frag(f)
		}
	}
}

// printRoutes writes the routing tables of Layout.Print.
func printRoutes(w io.Writer, rt *RouteTables) {
	fmt.Fprintf(w, "routes: %d sending cores\n", len(rt.Cores))
	var b strings.Builder
	for _, cr := range rt.Cores {
		b.Reset()
		for i, d := range cr.Dests {
			if i > 0 {
				b.WriteString(", ")
			}
			hops := "hops"
			if d.Hops == 1 {
				hops = "hop"
			}
			fmt.Fprintf(&b, "%d (%d axons, %d %s)", d.Core, d.Axons, d.Hops, hops)
		}
		fmt.Fprintf(w, "  core %d: %d entries, %d axons, %d bytes -> %s\n", cr.Core, cr.Entries, cr.Axons, cr.Bytes, b.String())
	}
	if rt.ChipEntries != nil {
		fmt.Fprintf(w, "  multicast router entries per chip: %v\n", rt.ChipEntries)
	}
}
