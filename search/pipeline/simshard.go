package pipeline

// This file runs a simulation in shards of images elsewhere (a fleet of
// workers, search/fleet) and merges them into the run Simulate makes
// locally, bit for bit.

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// SimShard is the simulation of the contiguous images [Lo, Lo+len(Images))
// of a source on a fresh Sim: what Simulate needs of each image to merge
// shards into the run it makes over all of them.
type SimShard struct {
	// Lo is the index of Images[0] in the source.
	Lo     int
	Images []sim.ImageResult
	// LinkLoad is the messages per mesh link over the shard's images
	// (Sim.LinkLoad).
	LinkLoad map[backends.Link]int64
	// Agreement counts the shard's Trained/Chip comparison
	// (SimOptions.Compare; nil otherwise). Only its exported counts are
	// merged.
	Agreement *sim.Agreement
}

// SimShards runs a simulation's images elsewhere: with SimOptions.Shards
// set, Simulate asks it for the shards of its n images instead of running
// them, and merges them in image order.
type SimShards interface {
	// SimulateShards returns shards that cover images [0, n) exactly once,
	// each made by SimulateShard with the options Simulate was given.
	SimulateShards(ctx context.Context, n int) ([]*SimShard, error)
}

// SimulateShard runs images [lo, hi) of src through a fresh Sim of g on t,
// each image exactly as Simulate runs it (opt.Semantics, opt.Compare).
// Images are independent (a Sim starts every image from rest), so shards
// merged in image order are the run over all images.
func SimulateShard(ctx context.Context, g *ir.Graph, t *backends.Target, src Source, lo, hi int, opt SimOptions) (*SimShard, error) {
	if lo < 0 || hi > src.Len() || lo >= hi {
		return nil, fmt.Errorf("pipeline: simulate %s: images [%d, %d) of %d, want 0 <= lo < hi <= %d", g.Name, lo, hi, src.Len(), src.Len())
	}
	if err := checkSimulate(ctx, g, 1, opt.Compare); err != nil {
		return nil, err
	}
	s, trained, agree, err := newSims(g, t, opt)
	if err != nil {
		return nil, err
	}
	sh := &SimShard{Lo: lo, Images: make([]sim.ImageResult, 0, hi-lo), Agreement: agree}
	var chipObs ir.StepFunc
	if agree != nil {
		chipObs = agree.ObserveChip
	}
	var buf []float32
	for i := lo; i < hi; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x, err := src.Input(i, buf)
		if err != nil {
			return nil, err
		}
		buf = x
		var rt sim.ImageResult
		if trained != nil {
			if rt, err = trained.Run(x, agree.ObserveTrained); err != nil {
				return nil, fmt.Errorf("pipeline: simulate %s on %s: image %d (trained semantics): %w", g.Name, t.Name(), i, err)
			}
		}
		r, err := s.Run(x, chipObs)
		if err != nil {
			return nil, fmt.Errorf("pipeline: simulate %s on %s: image %d: %w", g.Name, t.Name(), i, err)
		}
		if trained != nil {
			agree.AddImage(rt, r, src.Label(i))
		}
		sh.Images = append(sh.Images, r)
	}
	sh.LinkLoad = s.LinkLoad()
	return sh, nil
}

// newSims returns the Sim of opt.Semantics and, with opt.Compare, the
// Trained one and the agreement the two fill.
func newSims(g *ir.Graph, t *backends.Target, opt SimOptions) (s, trained *sim.Sim, agree *sim.Agreement, err error) {
	if s, err = sim.NewWithOptions(g, t, sim.Options{Semantics: opt.Semantics}); err != nil {
		return nil, nil, nil, fmt.Errorf("pipeline: simulate %s on %s: %w", g.Name, t.Name(), err)
	}
	if !opt.Compare {
		return s, nil, nil, nil
	}
	if opt.Semantics != sim.Chip {
		return nil, nil, nil, fmt.Errorf("pipeline: simulate %s: comparing semantics needs the chip semantics as the main run, got %v", g.Name, opt.Semantics)
	}
	if trained, err = sim.NewWithOptions(g, t, sim.Options{Semantics: sim.Trained}); err != nil {
		return nil, nil, nil, fmt.Errorf("pipeline: simulate %s on %s: %w", g.Name, t.Name(), err)
	}
	return s, trained, sim.NewAgreement(g), nil
}

// simulateShards is Simulate with opt.Shards: it merges the shards of the
// n images of src in image order into the result the local loop builds
// (the same sums in the same order, so the same bits).
func simulateShards(ctx context.Context, g *ir.Graph, t *backends.Target, src Source, opt SimOptions) (*SimResult, error) {
	n := src.Len()
	s, _, agree, err := newSims(g, t, opt)
	if err != nil {
		return nil, err
	}
	shards, err := opt.Shards.SimulateShards(ctx, n)
	if err != nil {
		return nil, err
	}
	shards = slices.Clone(shards)
	slices.SortFunc(shards, func(a, b *SimShard) int { return a.Lo - b.Lo })
	next := 0
	for _, sh := range shards {
		if sh == nil || sh.Lo != next || len(sh.Images) == 0 {
			return nil, fmt.Errorf("pipeline: simulate %s: the shards do not cover images [0, %d) once: a shard misses or repeats image %d", g.Name, n, next)
		}
		next += len(sh.Images)
		if err := s.AddLinkLoad(sh.LinkLoad); err != nil {
			return nil, fmt.Errorf("pipeline: simulate %s: shard of images from %d: %w", g.Name, sh.Lo, err)
		}
		if agree != nil {
			if sh.Agreement == nil {
				return nil, fmt.Errorf("pipeline: simulate %s: shard of images from %d has no semantics comparison", g.Name, sh.Lo)
			}
			agree.AddCounts(sh.Agreement)
		}
	}
	if next != n {
		return nil, fmt.Errorf("pipeline: simulate %s: the shards cover %d of %d images", g.Name, next, n)
	}
	res := &SimResult{Sim: sim.NewSummary(s), PopSpikes: make([]float64, len(g.Pops)), Agreement: agree}
	var steps bytes.Buffer
	sc := sim.NewStepCSV(&steps)
	for _, sh := range shards {
		for k, r := range sh.Images {
			i := sh.Lo + k
			res.Sim.Add(r, src.Label(i))
			for p, c := range r.Result.Spikes {
				if p < len(res.PopSpikes) {
					res.PopSpikes[p] += float64(c) / float64(n)
				}
			}
			if err := sc.Write(i, r); err != nil {
				return nil, err
			}
		}
	}
	if err := res.finish(s, n, sc, &steps); err != nil {
		return nil, err
	}
	return res, nil
}
