package passes

import (
	"cmp"
	"fmt"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Mapping is a placed partition as the post-choice stages take and return
// it.
type Mapping struct {
	// Split and Problem are the fragments and hypergraph of Partition
	// (FineSplitHot replaces both when it cuts fragments finer).
	Split   *SplitResult
	Problem *Problem
	// Partition assigns fragments to parts; Core[q] is part q's core.
	Partition *Partition
	Core      []int32
	// ChipOf[q] is part q's chip under a chip plan (nil without one: the
	// stages then move fragments across chips freely).
	ChipOf []int32
}

// NeuronCores returns, for every population of g (the graph m's problem was
// built from), the core of each of its neurons under m; nil for the input
// population, which is host-side.
func (m Mapping) NeuronCores(g *ir.Graph) [][]int32 {
	cores := make([][]int32, len(g.Pops))
	for i := 1; i < len(g.Pops); i++ {
		c := make([]int32, len(m.Problem.FragOf[i]))
		for j, f := range m.Problem.FragOf[i] {
			c[j] = m.Core[m.Partition.Part[f]]
		}
		cores[i] = c
	}
	return cores
}

// PostChoice runs, on a placed mapping, the stages that the place pass runs
// on its chosen candidate, in order: EmptyParts, SpreadLinks,
// SplitHeavyEdges and FineSplitHot, the last two with at most budget
// cores (the target's when budget <= 0). Each stage starts from what the
// earlier ones kept. It returns the final mapping and its measure; with a
// chip plan, the returned ChipOf is that of the final cores. logf, if not nil, receives one line per stage,
// naming the mapping by label ("granularity 4").
func PostChoice(g *ir.Graph, t *backends.Target, m Mapping, budget int, effort float64, seed uint64, label string, logf func(format string, args ...any)) (Mapping, Metrics) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	lim := TargetLimits(t)
	effort = cmp.Or(effort, 1)
	set := func(pt *Partition, core []int32) {
		m.Partition, m.Core = pt, core
		if m.ChipOf != nil {
			m.ChipOf = make([]int32, len(core))
			for q, c := range core {
				m.ChipOf[q] = int32(chipOfCore(t, int(c)))
			}
		}
	}
	k := m.Partition.K
	if pt, core, n := EmptyParts(m.Problem, t, lim, m.Partition, m.Core, m.ChipOf); n > 0 {
		set(pt, core)
	}
	logf("place: emptying parts of %s: %d -> %d cores", label, k, m.Partition.K)
	pt, core, sp := SpreadLinks(m.Problem, t, lim, m.Partition, m.Core, m.ChipOf, effort, seed+3)
	// Every stage measures the mapping it starts from (Start): the measure
	// of the mapping so far, whatever the stages before it kept.
	end := sp.Start
	kept := "dropped"
	if sp.Kept {
		kept = "kept"
		set(pt, core)
		end = sp.End
	}
	logf("place: link spreading of %s %s (%d moves): %.6g -> %.6g message-hops, busiest link %.6g -> %.6g messages per timestep",
		label, kept, sp.Moves, sp.Start.RateHops, sp.End.RateHops, sp.Start.MaxLinkLoad, sp.End.MaxLinkLoad)
	if budget <= 0 {
		budget = t.NumCores
	}
	k = m.Partition.K
	pt, core, hs := SplitHeavyEdges(m.Problem, t, lim, m.Partition, m.Core, m.ChipOf, max(budget, k))
	if hs.Splits > 0 {
		set(pt, core)
		end = hs.End
	}
	logf("place: heavy-edge splitting of %s: %d splits, %d -> %d cores: %.6g -> %.6g message-hops, busiest link %.6g -> %.6g messages per timestep",
		label, hs.Splits, k, m.Partition.K, hs.Start.RateHops, hs.End.RateHops, hs.Start.MaxLinkLoad, hs.End.MaxLinkLoad)
	k = m.Partition.K
	sr, p, pt, core, fs := FineSplitHot(g, t, lim, m.Split, m.Problem, m.Partition, m.Core, m.ChipOf, max(budget, k), effort, seed+4)
	kept = "dropped"
	if fs.Kept {
		kept = "kept"
		m.Split, m.Problem = sr, p
		set(pt, core)
		end = fs.End
	}
	logf("place: fine re-splitting of %s %s (layers %v, %d fragments cut into %d): %d -> %d cores, %.6g -> %.6g message-hops, busiest link %.6g -> %.6g messages per timestep (tried %.6g, %.6g)",
		label, kept, fs.Pops, fs.Cut, fs.Pieces, k, m.Partition.K, fs.Start.RateHops, fs.End.RateHops, fs.Start.MaxLinkLoad, fs.End.MaxLinkLoad, fs.Tried.RateHops, fs.Tried.MaxLinkLoad)
	return m, end
}

// spreadChosen runs PostChoice on the place pass's chosen candidate c
// (with budget cores at most, the fill's when it is a candidate) and makes
// its result c's mapping: split, problem, partition, placement, chip plan
// and measures.
func spreadChosen(u *Unit, c *Candidate, budget int) {
	m := Mapping{Split: c.Split, Problem: c.Problem, Partition: c.Partition, Core: c.Placement.Core}
	if c.Chips != nil {
		m.ChipOf = c.Chips.ChipOf
	}
	m, end := PostChoice(u.G, u.Target, m, budget, u.Effort, u.Seed, fmt.Sprintf("granularity %d", c.Granularity), u.logf)
	c.Split, c.Problem, c.Partition, c.Placement.Core = m.Split, m.Problem, m.Partition, m.Core
	if c.Chips != nil {
		c.Chips.ChipOf = m.ChipOf
	}
	c.MessageHops, c.MaxLinkLoad = end.RateHops, end.MaxLinkLoad
}
