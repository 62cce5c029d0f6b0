package passes

// The verify pass's per-core check of axon types: on a chip whose neurons
// hold one weight per axon type (core.distinct_weights_per_neuron;
// TrueNorth: 4), the axons of every core must be given types so that each
// neuron's weights are its per-type weights.

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// axonTypeViolations returns, for every core of g as placed on t
// (Population.Core) whose axons cannot be given K = t's
// core.distinct_weights_per_neuron types, a violation naming the core, its
// layers and the axons in conflict; nil when t has no such limit (K = 0,
// which costs nothing). used[c] is the number of types the colouring of
// core c takes (0 for an unused or illegal core; nil without a limit).
//
// An axon is a distinct chip-side source neuron feeding the core (as
// Analysis.FanIn counts them); the weight of axon a at neuron j is the sum
// of the weights of a's synapses into j (the integer weights once
// quantized). Two axons conflict when some neuron of the core receives
// both with different nonzero weights: they then need different types, so
// the core is legal exactly when its conflict graph has a K-colouring.
// A neuron receiving more than K distinct nonzero weights makes the core
// impossible outright (those axons are a (K+1)-clique). Otherwise the
// graph is coloured by DSatur (deterministic: ties go to the higher degree,
// then the lower axon index). A DSatur failure is conservative: it reports
// a core as illegal that a K-colouring might still exist for, except when
// the failing axon and the K neighbours holding the K types are a
// (K+1)-clique, which proves that none exists, and the violation says so.
func axonTypeViolations(g *ir.Graph, t *backends.Target) (out []string, used []int) {
	k := t.Profile.Core.DistinctWeightsPerNeuron
	if k <= 0 {
		return nil, nil
	}
	at := newAxonTyper(g, t, k)
	used = make([]int, len(at.byCore))
	for c := range at.byCore {
		if len(at.byCore[c]) == 0 {
			continue
		}
		types, v := at.colour(c)
		if v != "" {
			out = append(out, v)
			continue
		}
		for _, ty := range types {
			used[c] = max(used[c], int(ty)+1)
		}
	}
	return out, used
}

// neuronRef is one neuron: population index and C,H,W index.
type neuronRef struct{ pop, j int }

// axonTyper holds the scratch of the per-core colouring, reused from core
// to core so that a core costs no allocation once the buffers have grown.
type axonTyper struct {
	g      *ir.Graph
	k      int
	ins    [][]*ir.Projection
	off    []int         // global id of the first neuron of each population
	byCore [][]neuronRef // neurons per core, in graph order
	stamp  []int32       // per global source id: 1 + the core that numbered it
	local  []int32       // per global source id: its axon index on that core
	axons  []neuronRef   // the core's axons by index
	syn    []axonWeight  // the core's synapses, neuron by neuron
	ends   []int         // end of each neuron's synapses in syn
	nstamp []int32       // per axon: 1 + the neuron that last merged it
	at     []int32       // per axon: its position in merged
	merged []axonWeight  // one neuron's synapses, summed per axon
	vals   []float64     // one neuron's distinct nonzero weights
	group  []int         // per merged synapse: the index of its weight in vals
	words  int           // uint64 words of an axon bitset
	adj    []uint64      // conflict graph: axon a's row is adj[a*words:]
	gset   []uint64      // one bitset per value of vals, then their union
	typ    []int32       // per axon: its type, -1 before it has one
	sat    []uint64      // per axon: the types of its neighbours (satWords each)
	nsat   []int         // per axon: how many types its neighbours hold
	deg    []int         // per axon: its conflicts
	badN   neuronRef     // a neuron with more than k distinct weights
}

type axonWeight struct {
	a int32
	w float64
}

func newAxonTyper(g *ir.Graph, t *backends.Target, k int) *axonTyper {
	at := &axonTyper{g: g, k: k, ins: make([][]*ir.Projection, len(g.Pops)), off: make([]int, len(g.Pops)), byCore: make([][]neuronRef, t.NumCores)}
	total := 0
	for i, p := range g.Pops {
		at.off[i] = total
		total += p.Shape.Len()
		if i == 0 || len(p.Core) != p.Shape.Len() {
			continue // reported by Analyze
		}
		at.ins[i] = chipInputs(g, p)
		for j, c := range p.Core {
			if t.ValidCore(int(c)) {
				at.byCore[c] = append(at.byCore[c], neuronRef{i, j})
			}
		}
	}
	at.stamp, at.local = make([]int32, total), make([]int32, total)
	return at
}

// colour gives the axons of core c types 0..k-1 by DSatur and returns
// them (types[i] is the type of axon axons[i] in at.axons), or a
// violation when it finds none. The returned slice is scratch, valid
// until the next call.
func (at *axonTyper) colour(c int) ([]int32, string) {
	if !at.collect(c) {
		p := at.g.Pops[at.badN.pop]
		return nil, fmt.Sprintf("%s: neuron %d of %s receives %d different nonzero weights, want <= %d (core.distinct_weights_per_neuron, one weight per axon type): no assignment of axon types exists",
			at.who(c), at.badN.j, p.Name, len(at.vals), at.k)
	}
	n := len(at.axons)
	at.typ = grow(at.typ, n)
	for i := range at.typ {
		at.typ[i] = -1
	}
	if n <= at.k {
		for i := range at.typ {
			at.typ[i] = int32(i)
		}
		return at.typ, ""
	}
	sw := (at.k + 63) / 64
	at.sat, at.nsat, at.deg = grow(at.sat, n*sw), grow(at.nsat, n), grow(at.deg, n)
	clear(at.sat)
	clear(at.nsat)
	for a := range n {
		d := 0
		for _, w := range at.adj[a*at.words : (a+1)*at.words] {
			d += bits.OnesCount64(w)
		}
		at.deg[a] = d
	}
	for range n {
		v := -1
		for a := range n {
			if at.typ[a] < 0 && (v < 0 || at.nsat[a] > at.nsat[v] || at.nsat[a] == at.nsat[v] && at.deg[a] > at.deg[v]) {
				v = a
			}
		}
		ty := -1
		for w, m := range at.sat[v*sw : (v+1)*sw] {
			if ^m != 0 {
				ty = w*64 + bits.TrailingZeros64(^m)
				break
			}
		}
		if ty < 0 || ty >= at.k {
			return nil, at.conflict(c, v)
		}
		at.typ[v] = int32(ty)
		for w, m := range at.adj[v*at.words : (v+1)*at.words] {
			for ; m != 0; m &= m - 1 {
				u := w*64 + bits.TrailingZeros64(m)
				if at.typ[u] < 0 && at.sat[u*sw+ty/64]&(1<<(ty%64)) == 0 {
					at.sat[u*sw+ty/64] |= 1 << (ty % 64)
					at.nsat[u]++
				}
			}
		}
	}
	return at.typ, ""
}

// conflict describes the failure of DSatur at axon v of core c: v and, for
// each type, the first neighbour holding it.
func (at *axonTyper) conflict(c, v int) string {
	clique := []int{v}
	for ty := range at.k {
		for w, m := range at.adj[v*at.words : (v+1)*at.words] {
			found := false
			for ; m != 0; m &= m - 1 {
				if u := w*64 + bits.TrailingZeros64(m); at.typ[u] == int32(ty) {
					clique, found = append(clique, u), true
					break
				}
			}
			if found {
				break
			}
		}
	}
	isClique := true
	for i, a := range clique {
		for _, b := range clique[:i] {
			isClique = isClique && at.adj[a*at.words+b/64]&(1<<(b%64)) != 0
		}
	}
	names := make([]string, len(clique))
	for i, a := range clique {
		r := at.axons[a]
		names[i] = fmt.Sprintf("%s[%d]", at.g.Pops[r.pop].Name, r.j)
	}
	why := "a greedy (DSatur) colouring found no assignment of axon types (conservative: one may exist)"
	if isClique {
		why = fmt.Sprintf("they form a %d-clique (each pair reaches a neuron of the core with different weights), so no assignment of axon types exists", len(clique))
	}
	return fmt.Sprintf("%s: axons %s need %d axon types, want <= %d (core.distinct_weights_per_neuron); %s",
		at.who(c), strings.Join(names, ", "), len(clique), at.k, why)
}

// who names core c and its layers.
func (at *axonTyper) who(c int) string {
	var pops []string
	for _, r := range at.byCore[c] {
		if name := at.g.Pops[r.pop].Name; len(pops) == 0 || pops[len(pops)-1] != name {
			pops = append(pops, name)
		}
	}
	return fmt.Sprintf("core %d (%s)", c, strings.Join(pops, ", "))
}

// collect numbers the axons of core c, walks its synapses once and builds
// the conflict graph in at.adj. It returns false, with at.badN and at.vals
// set, when a neuron receives more than k distinct nonzero weights.
func (at *axonTyper) collect(c int) bool {
	at.axons, at.syn, at.ends = at.axons[:0], at.syn[:0], at.ends[:0]
	tag := int32(c) + 1
	for _, r := range at.byCore[c] {
		for _, e := range at.ins[r.pop] {
			if len(e.Src.Core) != e.Src.Shape.Len() {
				continue // reported by Analyze
			}
			si := at.g.Index(e.Src)
			base := at.off[si]
			ir.SynapsesInto(e, r.j, func(s, wi int) {
				gid := base + s
				if at.stamp[gid] != tag {
					at.stamp[gid], at.local[gid] = tag, int32(len(at.axons))
					at.axons = append(at.axons, neuronRef{si, s})
				}
				at.syn = append(at.syn, axonWeight{at.local[gid], synWeight(e, wi, true)})
			})
		}
		at.ends = append(at.ends, len(at.syn))
	}
	n := len(at.axons)
	at.words = (n + 63) / 64
	at.adj = grow(at.adj, n*at.words)
	clear(at.adj)
	at.nstamp, at.at = grow(at.nstamp, n), grow(at.at, n)
	clear(at.nstamp)
	at.gset = grow(at.gset, (at.k+1)*at.words)
	start := 0
	for i, end := range at.ends {
		// Sum one neuron's synapses per axon (one source through several
		// projections is one synapse on chip).
		at.merged = at.merged[:0]
		for _, s := range at.syn[start:end] {
			if at.nstamp[s.a] == int32(i)+1 {
				at.merged[at.at[s.a]].w += s.w
				continue
			}
			at.nstamp[s.a], at.at[s.a] = int32(i)+1, int32(len(at.merged))
			at.merged = append(at.merged, s)
		}
		start = end
		// Group the axons by weight; every pair across groups conflicts.
		at.vals, at.group = at.vals[:0], grow(at.group, len(at.merged))
		for m, s := range at.merged {
			at.group[m] = -1
			if s.w == 0 {
				continue
			}
			gi := -1
			for x, v := range at.vals {
				if v == s.w {
					gi = x
					break
				}
			}
			if gi < 0 {
				if len(at.vals) == at.k {
					at.badN = at.byCore[c][i]
					at.vals = append(at.vals, s.w)
					for _, s2 := range at.merged[m+1:] { // the full count, for the message
						if s2.w != 0 && !slices.Contains(at.vals, s2.w) {
							at.vals = append(at.vals, s2.w)
						}
					}
					return false
				}
				gi = len(at.vals)
				at.vals = append(at.vals, s.w)
			}
			at.group[m] = gi
		}
		if len(at.vals) < 2 {
			continue
		}
		gs := at.gset[:(len(at.vals)+1)*at.words]
		clear(gs)
		union := gs[len(at.vals)*at.words:]
		for m, s := range at.merged {
			if gi := at.group[m]; gi >= 0 {
				gs[gi*at.words+int(s.a)/64] |= 1 << (s.a % 64)
				union[int(s.a)/64] |= 1 << (s.a % 64)
			}
		}
		for m, s := range at.merged {
			gi := at.group[m]
			if gi < 0 {
				continue
			}
			row, own := at.adj[int(s.a)*at.words:(int(s.a)+1)*at.words], gs[gi*at.words:(gi+1)*at.words]
			for w := range row {
				row[w] |= union[w] &^ own[w]
			}
		}
	}
	return true
}

// grow returns s resliced to length n, reallocated when its capacity is
// short (contents are not kept).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
