package passes

// The layout: the state of the compiler's back half that split, partition,
// place and route hand to each other (fragments -> parts -> cores ->
// routes), one candidate per granularity until place keeps one. Its
// verifier is in layout_verify.go, its printer in layout_print.go.

import (
	"bytes"
	"cmp"
	"sync"
)

// Layout is the mapping under construction in the back half of the
// pipeline. Split creates it with one Candidate per granularity tried;
// partition and place fill the candidates in (concurrently) and drop those
// that fail; place then marks the one with the fewest message-hops as
// Chosen and releases the others' fragments; route adds the routing tables
// of the chosen mapping. Layout.Verify checks its invariants and Compile
// runs it between passes when Config.Verify is set.
type Layout struct {
	// Candidates are the mappings tried, in the order of the granularities
	// split tried (AutoGranularities, or Unit.Granularity alone). After
	// partition and after place every candidate left succeeded so far.
	Candidates []*Candidate
	// Chosen is the candidate place kept (one of Candidates); nil before
	// place. Population.Core is the chosen mapping from then on.
	Chosen *Candidate
	// Routes are the routing tables of the chosen mapping; nil before
	// route.
	Routes *RouteTables
}

// Candidate is one mapping of the graph at one granularity. Its fields
// are set by the pass named on each; after place a candidate that was not
// chosen keeps only Granularity and MessageHops.
type Candidate struct {
	// Granularity is the fragments per core's worth that split aimed at
	// (>= 1), or FillGranularity (0) for the candidate the partition pass
	// makes of the channels-last fill (partition_fillstart.go).
	Granularity int
	// Split holds the fragments (split).
	Split *SplitResult
	// Problem is the partitioning hypergraph of the fragments (split);
	// Problem.Frags is Split.Frags.
	Problem *Problem
	// Partition assigns every fragment to a part, 0..K-1 (partition; place
	// replaces it by the partition it refined on the mesh).
	Partition *Partition
	// Chips groups the parts into chips on a board of several chips
	// (partition-chips; nil on one chip and on layer-core chips); place
	// keeps every part on its chip and sets ChipOf for the parts its
	// fragment moves open.
	Chips *ChipPlan
	// Placement puts every part on a distinct core (place).
	Placement *Placement
	// MessageHops is the rate-weighted hop count of the placed mapping's
	// messages per timestep, the measure place chooses by (place).
	MessageHops float64
	// MaxLinkLoad is the load of the placed mapping's busiest link in
	// messages per timestep (place).
	MaxLinkLoad float64

	// scheme is how the partition pass partitions the candidate (split
	// sets it).
	scheme partScheme
	// choiceHops is MessageHops when place chose among the candidates,
	// before the chosen one's post-choice stages (EmptyParts, SpreadLinks,
	// SplitHeavyEdges, FineSplitHot), which trade message-hops for the
	// busiest link.
	choiceHops float64

	err error        // why the last pass failed on this candidate
	log bytes.Buffer // lines of the pass running on it, written in order
}

// eachCandidate runs fn on every candidate of u.Layout, concurrently, then writes
// their logs to u.Log in candidate order.
func (u *Unit) eachCandidate(fn func(c *Candidate)) {
	var wg sync.WaitGroup
	for _, c := range u.Layout.Candidates {
		c.log.Reset()
		wg.Go(func() { fn(c) })
	}
	wg.Wait()
	for _, c := range u.Layout.Candidates {
		if u.Log != nil {
			u.Log.Write(c.log.Bytes())
		}
	}
}

// keepCandidates drops the candidates that failed; if all failed it
// returns the first one's error.
func (u *Unit) keepCandidates() error {
	l := u.Layout
	ok := l.Candidates[:0]
	var first error
	for _, c := range l.Candidates {
		if c.err != nil {
			first = cmp.Or(first, c.err)
			continue
		}
		ok = append(ok, c)
	}
	l.Candidates = ok
	if len(ok) == 0 {
		return first
	}
	return nil
}

// schemeLabel returns " (scheme)" for a candidate not of the flat scheme,
// else "": what the logs and Layout.Print add after its granularity.
func (c *Candidate) schemeLabel() string {
	if c.scheme == schemeFlat {
		return ""
	}
	return " (" + c.scheme.String() + ")"
}
