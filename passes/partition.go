package passes

// This file implements the partition pass: fragments are assigned to parts
// (future cores) minimising rate-weighted inter-core spike messages, counted
// multicast-aware as one message per (source neuron, destination core), under
// every per-core limit.

import (
	"fmt"
	"math"
	"slices"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// MultilevelGranularity is the granularity (fragments per core's worth)
// from which split gives a candidate the multilevel scheme (coarsening,
// FM refinement at every level): on fragments of a sixteenth of a core
// and smaller it gives fewer messages than the flat packing and than
// METIS (docs/performance.md, "Multilevel partition").
const MultilevelGranularity = 16

// PartitionOptions tune Partition.
type PartitionOptions struct {
	// Imbalance is the allowed neuron imbalance over the average part
	// (0.03 = 3%), applied on top of the hard per-core limits.
	Imbalance float64
	// Passes is the number of refinement sweeps (default 8).
	Passes int
	// MaxParts bounds the number of parts (the target's cores).
	MaxParts int
	// Levels bounds the coarsening levels of the multilevel scheme
	// (partition_multilevel.go: coarsening, then FM and swap refinement at
	// every level); 0 (the default) partitions the fragments directly,
	// which measured better for fragments of a quarter core and coarser;
	// the partition pass sets it for the candidates of the multilevel
	// scheme (see docs/performance.md). Negative means DefaultLevels.
	Levels int
	// Cores, if > 0, is the core budget (the cores of the channels-last
	// fill): when the packing opens more parts, the smallest are dissolved
	// into the others (up to the per-core limits, not the balance) while
	// every limit holds; the result may still have more parts.
	Cores int
	// Seed orders the multilevel scheme's moves of equal gain.
	Seed uint64
	// Balanced packs to the core budget's average rather than to the
	// per-core limits: while packing, a part holds at most (1+Imbalance)
	// x the total neurons (and memory) / Cores, or the largest fragment's
	// when that is more, never more than a core's limit; so the packing
	// opens about Cores parts, each with room left, as a k-way partition
	// into the budget's cores does. The refinement after it may fill parts
	// up to the limits. Without a budget (Cores 0) it does nothing.
	Balanced bool
}

// partScheme names how the partition pass partitions a candidate.
type partScheme int

const (
	// schemeFlat packs to the per-core limits, then refines (partitionFlat).
	schemeFlat partScheme = iota
	// schemeMultilevel is the multilevel scheme (PartitionOptions.Levels):
	// split gives it to every candidate from MultilevelGranularity on and
	// to one more at MultilevelCandidate.
	schemeMultilevel
	// schemeBalanced is the flat scheme with PartitionOptions.Balanced.
	schemeBalanced
)

func (s partScheme) String() string {
	switch s {
	case schemeMultilevel:
		return "multilevel"
	case schemeBalanced:
		return "balanced packing"
	}
	return "flat"
}

// Partition is an assignment of fragments to parts.
type Partition struct {
	// Part is the part of each fragment, 0..K-1.
	Part []int32
	// K is the number of parts.
	K int
	// BudgetNeurons and BudgetMem are the per-part limits used (capacity
	// and balance combined).
	BudgetNeurons int
	BudgetMem     int64
	// InitialCost and Cost are the messages per timestep after the initial
	// packing and after refinement.
	InitialCost, Cost float64
	// Moves and Swaps count the accepted refinement steps.
	Moves, Swaps int
	// Fixed, when not nil, is the core of each part decided by the
	// partitioner itself (layer-core chips); place then keeps it.
	Fixed []int32
	// Levels is the number of coarsening levels used.
	Levels int
	// MaxCores, if > 0, bounds the cores AnnealOnMesh may spread the parts
	// over (never below K): the partition pass sets it to the cores of the
	// channels-last layer fill (FillChannelsLast), so that the compile
	// never takes more cores than that simplest legal mapping.
	MaxCores int
}

// PartitionProblem assigns the fragments of p to at most opt.MaxParts parts under
// the limits lim: a locality-preserving greedy packing (fragments in layer
// and tile order fill a part until a limit would be exceeded) followed by
// k-way refinement sweeps that move single fragments, or swap pairs, to the
// neighbouring part with the best positive gain that keeps every limit.
// It returns a *FitError when more parts than opt.MaxParts are needed.
func PartitionProblem(g *ir.Graph, p *Problem, lim Limits, opt PartitionOptions) (*Partition, error) {
	if opt.Passes == 0 {
		opt.Passes = 8
	}
	if opt.Levels != 0 {
		return partitionMultilevel(g, p, lim, opt)
	}
	return partitionFlat(g, p, lim, opt)
}

// partitionFlat packs and refines p without coarsening.
func partitionFlat(g *ir.Graph, p *Problem, lim Limits, opt PartitionOptions) (*Partition, error) {
	pt, err := packAndRefine(g, p, lim, opt)
	if err != nil && opt.Balanced {
		// The balanced packing's windowed greedy can open more parts than
		// the cores; the packing to the limits may still fit.
		opt.Balanced = false
		return packAndRefine(g, p, lim, opt)
	}
	return pt, err
}

// packAndRefine is partitionFlat's packing and refinement.
func packAndRefine(g *ir.Graph, p *Problem, lim Limits, opt PartitionOptions) (*Partition, error) {
	s := newPState(p, lim)
	var totalN int
	var totalM int64
	for v := range p.Frags {
		totalN += p.Neurons[v]
		totalM += p.Mem[v]
	}
	s.budN, s.budM = lim.Neurons, lim.MemBytes
	if opt.Balanced && opt.Cores > 0 {
		s.budN = min(lim.Neurons, max(int(math.Ceil((1+opt.Imbalance)*float64(totalN)/float64(opt.Cores))), slices.Max(p.Neurons)))
		s.budM = min(lim.MemBytes, max(int64(math.Ceil((1+opt.Imbalance)*float64(totalM)/float64(opt.Cores))), slices.Max(p.Mem)))
	}
	fo := map[int32]int64{}
	// Pack consumers first: when a fragment is packed, every fragment its
	// neurons reach already has its part, so its fan-out is exact. Each
	// fragment goes to the open part (the last few made) where it fits
	// with the best gain, or opens a new part.
	const window = 6
	for v := len(p.Frags) - 1; v >= 0; v-- {
		vv := int32(v)
		best, bestGain := int32(-1), math.Inf(-1)
		for q := int32(max(0, s.nparts-window)); q < int32(s.nparts); q++ {
			g := s.gain(vv, q, fo)
			if g > bestGain+1e-12 && s.feasible(vv, q, fo) {
				best, bestGain = q, g
			}
		}
		if best < 0 {
			best = s.newPart()
			s.gain(vv, best, fo)
			if !s.feasible(vv, best, fo) {
				return nil, fragFitError(g, p, s, vv, best, fo)
			}
		}
		s.gain(vv, best, fo)
		s.apply(vv, best, fo)
	}
	if opt.MaxParts > 0 && s.nparts > opt.MaxParts {
		return nil, &FitError{Resource: "cores", Need: float64(s.nparts), Have: float64(opt.MaxParts), Unit: "cores",
			Detail: fmt.Sprintf("packing the %d fragments of %s under every per-core limit (neurons %d, synaptic memory %d bytes, fan-in %d, fan-out %d) takes %d cores",
				len(p.Frags), g.Name, lim.Neurons, lim.MemBytes, lim.FanIn, lim.FanOut, s.nparts),
			Hint: "more chips (a larger board), a smaller network (lower C), or a chip with more or larger cores"}
	}
	k := s.nparts
	// Balance: neurons per part within (1+Imbalance) of the average, never
	// above the capacity, never below what the packing already holds.
	bal := int(math.Ceil((1 + opt.Imbalance) * float64(totalN) / float64(k)))
	maxN := slices.Max(s.neur)
	s.budN = min(lim.Neurons, max(bal, maxN))
	s.budM = lim.MemBytes
	res := &Partition{K: k, BudgetNeurons: s.budN, BudgetMem: s.budM}
	res.InitialCost = p.Cost(s.part)
	s.refine(opt.Passes, res)
	if opt.Cores > 0 && k > opt.Cores {
		s.budN = lim.Neurons
		s.shrink(opt.Cores)
		s.refine(opt.Passes, res)
		res.BudgetNeurons = s.budN
	}
	s.compact()
	res.Part = s.part
	res.K = s.nparts
	res.Cost = p.Cost(s.part)
	return res, nil
}

// fragFitError explains why fragment v does not fit an empty part.
func fragFitError(g *ir.Graph, p *Problem, s *pstate, v, to int32, fo map[int32]int64) error {
	name := g.Pops[p.Frags[v].Pop].Name
	if s.lim.FanOut > 0 {
		if d := fo[to]; d > int64(s.lim.FanOut) {
			return &FitError{Layer: name, Resource: "output axons (fan-out)", Need: float64(d), Have: float64(s.lim.FanOut), Unit: "per core",
				Detail: fmt.Sprintf("a fragment of %d neurons reaches %d (neuron, destination core) pairs", p.Neurons[v], d),
				Hint:   "a chip with more output axons per core or fewer, larger consumer layers"}
		}
	}
	if s.lim.DestCores > 0 {
		for _, n := range p.dstNets[p.dstStart[v]:p.dstStart[v+1]] {
			if l, _ := s.afterMove(n, s.part[v], to, -1); l > s.lim.DestCores {
				src := g.Pops[p.Frags[p.Src[n]].Pop].Name
				return &FitError{Layer: src, Resource: "destination cores per neuron", Need: float64(l), Have: float64(s.lim.DestCores), Unit: "cores",
					Detail: "a neuron's spikes must reach more cores than the chip allows (splitter neurons are not inserted)",
					Hint:   "a chip without the one-target rule (loihi1, loihi2, spinnaker2)"}
			}
		}
	}
	return &FitError{Layer: name, Resource: "core", Need: 1, Have: 0, Unit: "cores", Detail: "a fragment does not fit an empty core"}
}

// partitionPass is the partition pass: it sets Candidate.Partition of
// every candidate of Unit.Layout and drops those that do not fit.
func partitionPass(u *Unit) error {
	if u.Layout == nil || len(u.Layout.Candidates) == 0 {
		return fmt.Errorf("no fragments: the split pass did not run")
	}
	fill, budget := fillOf(u.G, u.Target)
	u.eachCandidate(func(c *Candidate) {
		if u.Target.Profile.LayerCores != nil {
			c.Partition, c.err = partitionLayerCores(u.G, u.Target, c.Split)
		} else {
			opt := PartitionOptions{Imbalance: 0.03, MaxParts: u.Target.NumCores, Cores: budget, Seed: u.Seed}
			if c.scheme == schemeMultilevel {
				opt.Levels = -1
			}
			opt.Balanced = c.scheme == schemeBalanced
			c.Partition, c.err = PartitionProblem(u.G, c.Problem, TargetLimits(u.Target), opt)
		}
		if c.err == nil {
			pt := c.Partition
			pt.MaxCores = max(budget, pt.K)
			fmt.Fprintf(&c.log, "partition: granularity %d%s: %d cores, %.6g -> %.6g messages per timestep (%d moves, %d swaps, %d coarsening levels)\n", c.Granularity, c.schemeLabel(), pt.K, pt.InitialCost, pt.Cost, pt.Moves, pt.Swaps, pt.Levels)
		}
	})
	if err := u.keepCandidates(); err != nil {
		return err
	}
	// With the granularities chosen automatically, the fill itself is one
	// more candidate (partition_fillstart.go).
	if fill != nil && u.Granularity == 0 {
		c, err := fillCandidate(u.G, u.Target, fill, budget)
		if err != nil {
			u.logf("partition: %v", err)
			return nil
		}
		u.Layout.Candidates = append(u.Layout.Candidates, c)
		u.logf("partition: fill candidate: %d fragments, %d cores, %.6g messages per timestep", len(c.Split.Frags), c.Partition.K, c.Partition.Cost)
	}
	return nil
}

// maxFillSynapses bounds the networks whose channels-last fill the
// partition pass computes for its core budget: the fill walks every
// synapse, which on the largest networks costs more than it saves.
const maxFillSynapses = 200_000_000

// fillOf returns the channels-last layer fill of g on t (the part of every
// neuron, as FillChannelsLast returns it) and its cores, or nil and 0 (no
// budget) when the fill does not apply (layer cores, no fit) or g is too
// large to fill cheaply.
func fillOf(g *ir.Graph, t *backends.Target) ([][]int32, int) {
	if t.Profile.LayerCores != nil {
		return nil, 0
	}
	if graphSynapses(g) > maxFillSynapses {
		return nil, 0
	}
	part, k, err := FillChannelsLast(g, t, FillOptions{})
	if err != nil {
		return nil, 0
	}
	return part, k
}

// partitionLayerCores gives every population of a layer-core chip its own
// core by bipartite matching of layers to the cores that can hold them.
func partitionLayerCores(g *ir.Graph, t *backends.Target, sr *SplitResult) (*Partition, error) {
	n := len(sr.Frags)
	fits := make([][]int, n)
	for f := range sr.Frags {
		fits[f] = layerCoreFits(g, t, g.Pops[sr.Frags[f].Pop])
	}
	owner := make([]int, t.NumCores)
	for i := range owner {
		owner[i] = -1
	}
	var try func(f int, seen []bool) bool
	try = func(f int, seen []bool) bool {
		for _, c := range fits[f] {
			if seen[c] {
				continue
			}
			seen[c] = true
			if owner[c] < 0 || try(owner[c], seen) {
				owner[c] = f
				return true
			}
		}
		return false
	}
	for f := 0; f < n; f++ {
		if !try(f, make([]bool, t.NumCores)) {
			return nil, fmt.Errorf("layer %s: no free layer core of %s can hold it (fits cores %v, all taken by other layers)", g.Pops[sr.Frags[f].Pop].Name, t.Name(), fits[f])
		}
	}
	pt := &Partition{Part: make([]int32, n), K: n, Fixed: make([]int32, n)}
	for c, f := range owner {
		if f >= 0 {
			pt.Part[f] = int32(f)
			pt.Fixed[f] = int32(c)
		}
	}
	return pt, nil
}
