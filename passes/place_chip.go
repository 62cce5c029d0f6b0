package passes

// The placer's region on a board: a network whose parts fit one chip is
// annealed on the first chip alone.

import "github.com/autosnn/autosnn/backends"

// PlaceTarget returns the target Place anneals k parts on: t itself, or,
// when t is a board and k parts fit one of its chips, t's first chip alone
// (a copy of the profile with one chip). Annealing over the whole board
// scatters a one-chip network over several chips (a larger mesh, hotter
// start, inter-chip routes): on loihi1-kapoho-bay it gave 1.02-1.58x the
// message-hops of a plain greedy placer that stays on one chip
// (docs/performance.md, "Compiler vs a baseline portfolio"). The first
// chip's core ids and mesh positions are the same on both targets.
// PlaceAndRefine uses it; the portfolio benchmark places its baselines
// with it too.
func PlaceTarget(t *backends.Target, k int) *backends.Target {
	if t.NumChips <= 1 || t.Profile.LayerCores != nil || k > t.TilesPerChip*t.Profile.Mesh.CoresPerTile {
		return t
	}
	p := t.Profile
	p.Mesh.ChipsX, p.Mesh.ChipsY = 1, 1
	sub, err := backends.NewTarget(&p, t.File)
	if err != nil {
		return t
	}
	return sub
}
