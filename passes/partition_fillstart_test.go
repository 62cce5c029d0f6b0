package passes

import (
	"strings"
	"testing"

	"github.com/autosnn/autosnn/ir"
)

// TestFillBoxes: the tiles of every channels-last interval of a few shapes
// cover it exactly (every position once, none outside), one row at most
// per tile when rows is set, at most five tiles otherwise.
func TestFillBoxes(t *testing.T) {
	for _, s := range []ir.Shape{{C: 1, H: 1, W: 1}, {C: 3, H: 4, W: 5}, {C: 8, H: 2, W: 2}, {C: 10, H: 1, W: 1}} {
		n := s.Len()
		for a := 0; a < n; a++ {
			for b := a + 1; b <= n; b++ {
				for _, rows := range []bool{true, false} {
					seen := make([]int, n)
					tiles := 0
					fillBoxes(s, a, b, rows, func(c0, c1, h0, h1, w0, w1 int) {
						tiles++
						if c0 >= c1 || h0 >= h1 || w0 >= w1 || c1 > s.C || h1 > s.H || w1 > s.W || (rows && h1-h0 != 1) {
							t.Fatalf("%v [%d,%d) rows %v: tile c[%d,%d) h[%d,%d) w[%d,%d), want a non-empty tile of the shape", s, a, b, rows, c0, c1, h0, h1, w0, w1)
						}
						for c := c0; c < c1; c++ {
							for h := h0; h < h1; h++ {
								for w := w0; w < w1; w++ {
									seen[(h*s.W+w)*s.C+c]++
								}
							}
						}
					})
					for x, k := range seen {
						want := 0
						if x >= a && x < b {
							want = 1
						}
						if k != want {
							t.Fatalf("%v [%d,%d) rows %v: position %d covered %d times, want %d", s, a, b, rows, x, k, want)
						}
					}
					if !rows && tiles > 5 {
						t.Fatalf("%v [%d,%d): %d tiles, want <= 5", s, a, b, tiles)
					}
				}
			}
		}
	}
}

// TestFillCandidate: the fill's candidate puts every neuron in the fill's
// part, passes Layout.Verify with its partition, and split, partition,
// partition-chips and place with automatic granularities keep a mapping
// that verify accepts, whichever candidate wins.
func TestFillCandidate(t *testing.T) {
	done := 0
	for _, chip := range testChips {
		tg := lookup(t, chip)
		for seed := uint64(1); seed <= 6; seed++ {
			g := randGraph(t, seed)
			fill, k, err := FillChannelsLast(g, tg, FillOptions{})
			if err != nil {
				continue
			}
			c, err := fillCandidate(g, tg, fill, k)
			if err != nil {
				if !strings.Contains(err.Error(), "fill candidate") {
					t.Fatalf("%s seed %d: %v, want an error naming the fill candidate", chip, seed, err)
				}
				continue
			}
			done++
			for i := 1; i < len(g.Pops); i++ {
				for j, f := range c.Problem.FragOf[i] {
					if c.Partition.Part[f] != fill[i][j] {
						t.Fatalf("%s seed %d: %s neuron %d in part %d, want the fill's %d", chip, seed, g.Pops[i].Name, j, c.Partition.Part[f], fill[i][j])
					}
				}
			}
			l := &Layout{Candidates: []*Candidate{c}}
			if err := l.Verify(g, tg); err != nil {
				t.Fatalf("%s seed %d: %v", chip, seed, err)
			}
			var log strings.Builder
			u := &Unit{G: g, Target: tg, Seed: 1, Log: &log}
			for _, pass := range []func(*Unit) error{splitPass, partitionPass, partitionChipsPass, placePass} {
				if err := pass(u); err != nil {
					t.Fatalf("%s seed %d: %v", chip, seed, err)
				}
			}
			if !strings.Contains(log.String(), "fill candidate") {
				t.Fatalf("%s seed %d: the partition pass's log does not mention the fill candidate:\n%s", chip, seed, log.String())
			}
			if err := u.Layout.Verify(g, tg); err != nil {
				t.Fatalf("%s seed %d: %v", chip, seed, err)
			}
			a := Analyze(g, tg)
			if v := a.Violations(g, tg, BuildRoutes(tg, a)); len(v) > 0 {
				t.Fatalf("%s seed %d: chosen granularity %d breaks %d limits, first: %s", chip, seed, u.Layout.Chosen.Granularity, len(v), v[0])
			}
		}
	}
	if done == 0 {
		t.Fatal("no fill gave a candidate")
	}
}
