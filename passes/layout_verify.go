package passes

// The layout's verifier: the invariants of the mapping that split,
// partition, place and route hand to each other, checked from what each
// pass set (Compile runs it between passes when Config.Verify is set).

import (
	"fmt"
	"slices"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Verify checks the invariants of l for graph g on target t and returns
// one error listing every violation in got/want form, or nil. It checks
// what the passes have set so far:
//
//   - split: every candidate's fragments of each non-input population lie
//     in its Split.First..Last range, are disjoint and cover it, and each
//     fits one core on its own (neurons, synaptic memory, input axons; on
//     layer-core chips one fragment per population); Problem describes the
//     same fragments and maps every neuron to the fragment holding it.
//   - partition: every fragment is in exactly one part 0..K-1, no part is
//     empty, K is at most the target's cores, and every part is within the
//     per-core neuron, memory and input-axon limits (layer-core chips: one
//     layer per part, fixed on a distinct layer core that can hold it).
//   - place: every part is on a distinct valid core (the fixed ones on
//     layer-core chips), Chosen is one of Candidates, the others are
//     released, and Population.Core is the chosen mapping.
//   - route: the routing tables list exactly the (source core, destination
//     core) pairs of the chosen mapping with their output axons and hops.
func (l *Layout) Verify(g *ir.Graph, t *backends.Target) error {
	r := &reporter{}
	l.check(r, g, t)
	if len(r.out) == 0 {
		return nil
	}
	more := ""
	if r.more > 0 {
		more = fmt.Sprintf("; and %d more", r.more)
	}
	return fmt.Errorf("layout of %s on %s is invalid: %s%s", g.Name, t.Name(), strings.Join(r.out, "; "), more)
}

// reporter collects violations, keeping the first maxShown.
type reporter struct {
	out  []string
	more int
}

func (r *reporter) errorf(format string, args ...any) {
	const maxShown = 20
	if len(r.out) == maxShown {
		r.more++
		return
	}
	r.out = append(r.out, fmt.Sprintf(format, args...))
}

func (l *Layout) check(r *reporter, g *ir.Graph, t *backends.Target) {
	if l.Chosen != nil && !slices.Contains(l.Candidates, l.Chosen) {
		r.errorf("chosen mapping (granularity %d) is not one of the %d candidates, want one of them", l.Chosen.Granularity, len(l.Candidates))
		return
	}
	for _, c := range l.Candidates {
		name := fmt.Sprintf("granularity %d", c.Granularity)
		if l.Chosen != nil && c != l.Chosen {
			if c.Split != nil || c.Problem != nil || c.Partition != nil || c.Placement != nil {
				r.errorf("%s: not chosen but keeps its mapping, want it released after place", name)
			}
			continue
		}
		if c.Split == nil || c.Problem == nil {
			r.errorf("%s: no fragments, want split's fragments and problem", name)
			continue
		}
		if !checkSplit(r, name, g, t, c) {
			continue
		}
		switch {
		case c.Partition != nil:
			if !checkPartition(r, name, g, t, c) || !checkChips(r, name, t, c) {
				continue
			}
		case c.Placement != nil:
			r.errorf("%s: a placement without a partition, want partition before place", name)
			continue
		}
		switch {
		case c.Placement != nil:
			if !checkPlacement(r, name, t, c) {
				continue
			}
		case l.Chosen != nil:
			r.errorf("%s: chosen without a placement, want place's placement", name)
			continue
		}
		if c == l.Chosen {
			if checkCores(r, g, c) && l.Routes != nil {
				checkRoutes(r, t, c, l.Routes)
			}
		}
	}
}

// checkSplit checks c's fragments and problem; it reports whether they
// are sound enough to check the partition.
func checkSplit(r *reporter, name string, g *ir.Graph, t *backends.Target, c *Candidate) bool {
	sr, p := c.Split, c.Problem
	n := len(g.Pops)
	if len(sr.First) != n || len(sr.Last) != n || len(sr.Tile) != n {
		r.errorf("%s: split has %d, %d, %d First, Last, Tile entries, want %d (one per population)", name, len(sr.First), len(sr.Last), len(sr.Tile), n)
		return false
	}
	ok := true
	bad := func(format string, args ...any) {
		r.errorf(name+": "+format, args...)
		ok = false
	}
	lim := TargetLimits(t)
	layerCores := t.Profile.LayerCores != nil
	next := 0
	for i, q := range g.Pops {
		if sr.First[i] != next || sr.Last[i] < sr.First[i] || sr.Last[i] > len(sr.Frags) {
			bad("layer %s has fragments [%d, %d), want [%d, k) with k <= %d (consecutive ranges)", q.Name, sr.First[i], sr.Last[i], next, len(sr.Frags))
			return false
		}
		next = sr.Last[i]
		nf := sr.Last[i] - sr.First[i]
		if i == 0 {
			if nf != 0 {
				bad("input %s has %d fragments, want 0 (the host feeds it)", q.Name, nf)
			}
			continue
		}
		if layerCores && nf != 1 {
			bad("layer %s has %d fragments, want 1 on a layer-core chip", q.Name, nf)
		}
		s := q.Shape
		mark := make([]bool, s.Len())
		covered := 0
		for f := sr.First[i]; f < sr.Last[i]; f++ {
			fr := &sr.Frags[f]
			if fr.Pop != i {
				bad("fragment %d in the range of layer %s belongs to population %d, want %d", f, q.Name, fr.Pop, i)
				continue
			}
			if fr.C0 < 0 || fr.C0 >= fr.C1 || fr.C1 > s.C || fr.H0 < 0 || fr.H0 >= fr.H1 || fr.H1 > s.H || fr.W0 < 0 || fr.W0 >= fr.W1 || fr.W1 > s.W {
				bad("fragment %d of layer %s spans c[%d,%d) h[%d,%d) w[%d,%d), want a non-empty tile of %dx%dx%d", f, q.Name, fr.C0, fr.C1, fr.H0, fr.H1, fr.W0, fr.W1, s.C, s.H, s.W)
				continue
			}
			if fr.Neurons != fr.Len() {
				bad("fragment %d of layer %s counts %d neurons, want %d (its tile)", f, q.Name, fr.Neurons, fr.Len())
			}
			overlap := false
			for ch := fr.C0; ch < fr.C1; ch++ {
				for h := fr.H0; h < fr.H1; h++ {
					for w := fr.W0; w < fr.W1; w++ {
						j := (ch*s.H+h)*s.W + w
						if mark[j] {
							overlap = true
							continue
						}
						mark[j] = true
						covered++
					}
				}
			}
			if overlap {
				bad("fragment %d of layer %s overlaps another fragment, want disjoint fragments", f, q.Name)
			}
			if layerCores {
				continue
			}
			if fr.Neurons > lim.Neurons {
				bad("fragment %d of layer %s holds %d neurons, want <= %d (one core)", f, q.Name, fr.Neurons, lim.Neurons)
			}
			if mb := memBytes(t, fr.Weights); mb > lim.MemBytes {
				bad("fragment %d of layer %s needs %d bytes of synaptic memory, want <= %d (one core)", f, q.Name, mb, lim.MemBytes)
			}
			if lim.FanIn > 0 && fr.FanIn > lim.FanIn {
				bad("fragment %d of layer %s has %d input axons, want <= %d (one core)", f, q.Name, fr.FanIn, lim.FanIn)
			}
		}
		if covered != s.Len() {
			bad("fragments of layer %s cover %d of its %d neurons, want all", q.Name, covered, s.Len())
		}
	}
	if next != len(sr.Frags) {
		bad("%d fragments, want %d (the populations' ranges)", len(sr.Frags), next)
	}
	if len(p.Frags) != len(sr.Frags) || len(p.Neurons) != len(sr.Frags) || len(p.Mem) != len(sr.Frags) {
		bad("problem has %d fragments, %d neuron and %d memory weights, want %d each (split's fragments)", len(p.Frags), len(p.Neurons), len(p.Mem), len(sr.Frags))
		return false
	}
	for f := range sr.Frags {
		if p.Neurons[f] != sr.Frags[f].Neurons {
			bad("problem weighs fragment %d with %d neurons, want %d", f, p.Neurons[f], sr.Frags[f].Neurons)
		}
	}
	if len(p.FragOf) != n {
		bad("problem maps %d populations to fragments, want %d", len(p.FragOf), n)
		return false
	}
	for i, q := range g.Pops[1:] {
		i++
		s := q.Shape
		if len(p.FragOf[i]) != s.Len() {
			bad("problem maps %d neurons of layer %s, want %d", len(p.FragOf[i]), q.Name, s.Len())
			continue
		}
		for j, f := range p.FragOf[i] {
			ch, h, w := j/(s.H*s.W), (j/s.W)%s.H, j%s.W
			if int(f) < sr.First[i] || int(f) >= sr.Last[i] || !sr.Frags[f].Contains(ch, h, w) {
				bad("problem puts neuron %d of layer %s in fragment %d, want the fragment of %s in [%d, %d) that holds it", j, q.Name, f, q.Name, sr.First[i], sr.Last[i])
				break
			}
		}
	}
	return ok
}

// checkPartition checks c's partition; it reports whether it is sound
// enough to check the placement.
func checkPartition(r *reporter, name string, g *ir.Graph, t *backends.Target, c *Candidate) bool {
	pt, p, sr := c.Partition, c.Problem, c.Split
	nf := len(sr.Frags)
	if len(pt.Part) != nf {
		r.errorf("%s: partition assigns %d fragments, want %d", name, len(pt.Part), nf)
		return false
	}
	if pt.K < 1 || pt.K > t.NumCores {
		r.errorf("%s: partition has %d parts, want 1..%d (the target's cores)", name, pt.K, t.NumCores)
		return false
	}
	ok := true
	size := make([]int, pt.K)
	for f, q := range pt.Part {
		if q < 0 || int(q) >= pt.K {
			r.errorf("%s: fragment %d in part %d, want 0..%d", name, f, q, pt.K-1)
			ok = false
			continue
		}
		size[q]++
	}
	if !ok {
		return false
	}
	for q, n := range size {
		if n == 0 {
			r.errorf("%s: part %d holds no fragment, want >= 1", name, q)
			ok = false
		}
	}
	if t.Profile.LayerCores == nil {
		for _, v := range p.PartLimits(pt, TargetLimits(t)) {
			r.errorf("%s: %s", name, v)
			ok = false
		}
		return ok
	}
	if len(pt.Fixed) != pt.K {
		r.errorf("%s: partition fixes %d parts on layer cores, want %d (every part)", name, len(pt.Fixed), pt.K)
		return false
	}
	for q, n := range size {
		if n != 1 {
			r.errorf("%s: part %d holds %d layers, want 1 per layer core", name, q, n)
			ok = false
		}
	}
	for f, q := range pt.Part {
		core := int(pt.Fixed[q])
		if !t.ValidCore(core) {
			continue // reported by checkPlacement
		}
		pop := g.Pops[sr.Frags[f].Pop]
		if _, err := layerShape(g, t, pop, core); err != nil {
			r.errorf("%s: layer %s fixed on layer core %d: %v", name, pop.Name, core, err)
		}
	}
	return ok
}

// checkPlacement checks that c's parts are on distinct valid cores; it
// reports whether they are.
func checkPlacement(r *reporter, name string, t *backends.Target, c *Candidate) bool {
	pt, pl := c.Partition, c.Placement
	if len(pl.Core) != pt.K {
		r.errorf("%s: placement puts %d parts on cores, want %d (every part)", name, len(pl.Core), pt.K)
		return false
	}
	ok := true
	on := map[int32]int{}
	for q, core := range pl.Core {
		if !t.ValidCore(int(core)) {
			r.errorf("%s: part %d on core %d, want 0..%d", name, q, core, t.NumCores-1)
			ok = false
			continue
		}
		if o, dup := on[core]; dup {
			r.errorf("%s: parts %d and %d both on core %d, want distinct cores", name, o, q, core)
			ok = false
			continue
		}
		on[core] = q
	}
	if pt.Fixed != nil && !slices.Equal(pl.Core, pt.Fixed) {
		r.errorf("%s: parts on cores %v, want the layer cores %v the partition fixed", name, pl.Core, pt.Fixed)
		ok = false
	}
	return ok
}

// checkCores checks that Population.Core is the chosen mapping c; it
// reports whether it is.
func checkCores(r *reporter, g *ir.Graph, c *Candidate) bool {
	ok := true
	if in := g.Pops[0]; in.Core != nil {
		r.errorf("input %s has %d core entries, want none (the host feeds it)", in.Name, len(in.Core))
		ok = false
	}
	for i, q := range g.Pops[1:] {
		i++
		if len(q.Core) != q.Shape.Len() {
			r.errorf("layer %s has %d core entries, want %d (one per neuron)", q.Name, len(q.Core), q.Shape.Len())
			ok = false
			continue
		}
		for j, core := range q.Core {
			if want := c.Placement.Core[c.Partition.Part[c.Problem.FragOf[i][j]]]; core != want {
				r.errorf("layer %s: neuron %d on core %d, want %d (the core of its fragment's part)", q.Name, j, core, want)
				ok = false
				break
			}
		}
	}
	return ok
}

// checkRoutes checks that rt holds exactly the routes of mapping c: one
// destination per (source core, destination core) pair that a spike
// travels, own core included, with one output axon per source neuron, and
// the hop count of the target's route.
func checkRoutes(r *reporter, t *backends.Target, c *Candidate, rt *RouteTables) {
	p, part, core := c.Problem, c.Partition.Part, c.Placement.Core
	want := map[[2]int32]int{}
	var seen []int32
	for n := range p.Src {
		s := core[part[p.Src[n]]]
		seen = seen[:0]
		for _, d := range p.Dests(n) {
			if q := core[part[d]]; !slices.Contains(seen, q) {
				seen = append(seen, q)
				want[[2]int32{s, q}] += int(p.NN[n])
			}
		}
	}
	last := -1
	for _, cr := range rt.Cores {
		if cr.Core <= last {
			r.errorf("routes: table of core %d after core %d, want increasing core ids", cr.Core, last)
		}
		last = cr.Core
		axons, lastDst := 0, -1
		for _, d := range cr.Dests {
			if d.Core <= lastDst {
				r.errorf("routes: core %d lists destination %d after %d, want increasing core ids", cr.Core, d.Core, lastDst)
			}
			lastDst = d.Core
			axons += d.Axons
			k := [2]int32{int32(cr.Core), int32(d.Core)}
			w, ok := want[k]
			switch {
			case !ok:
				r.errorf("routes: core %d sends to core %d, want no route (no neuron of core %d feeds core %d)", cr.Core, d.Core, cr.Core, d.Core)
			case d.Axons != w:
				r.errorf("routes: core %d -> %d carries %d output axons, want %d", cr.Core, d.Core, d.Axons, w)
			}
			delete(want, k)
			if t.ValidCore(cr.Core) && t.ValidCore(d.Core) {
				if h := t.Hops(cr.Core, d.Core).Total(); d.Hops != h {
					r.errorf("routes: core %d -> %d takes %d hops, want %d", cr.Core, d.Core, d.Hops, h)
				}
			}
		}
		if cr.Entries != len(cr.Dests) || cr.Axons != axons || cr.Bytes != axons*RoutingEntryBytes {
			r.errorf("routes: core %d counts %d entries, %d axons, %d bytes, want %d, %d, %d (its destinations)", cr.Core, cr.Entries, cr.Axons, cr.Bytes, len(cr.Dests), axons, axons*RoutingEntryBytes)
		}
	}
	missing := make([][2]int32, 0, len(want))
	for k := range want {
		missing = append(missing, k)
	}
	slices.SortFunc(missing, func(a, b [2]int32) int {
		if a[0] != b[0] {
			return int(a[0] - b[0])
		}
		return int(a[1] - b[1])
	})
	for _, k := range missing {
		r.errorf("routes: core %d has no route to core %d, want one carrying %d output axons", k[0], k[1], want[k])
	}
}
