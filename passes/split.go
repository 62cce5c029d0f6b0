package passes

// This file implements the split pass: populations are cut into fragments
// (channel x row x column tiles) that each fit one core of the target on
// their own, with tile shapes chosen to keep fan-in low.

import (
	"cmp"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// DefaultGranularity is how many fragments split aims to make per core's
// worth of neurons or synaptic memory: fragments of about 1/4 core leave
// the partitioner room to pack neighbouring tiles of consecutive layers
// together.
const DefaultGranularity = 4

// graphSynapses returns the explicit synapses of g.
func graphSynapses(g *ir.Graph) int64 {
	var syn int64
	for _, e := range g.Projs {
		syn += ir.Synapses(e)
	}
	return syn
}

// MultilevelCandidate is the granularity of the two more candidates that a
// compile with automatic granularities makes beside the flat candidates of
// AutoGranularities, sharing that granularity's fragments: one partitioned
// by the multilevel scheme (PartitionOptions.Levels), one by the balanced
// packing (PartitionOptions.Balanced); docs/performance.md, "Multilevel
// partition" and "Result (commit add4b6d)", has what each gains.
const MultilevelCandidate = 2 * DefaultGranularity

// AutoGranularities are the granularities a compile tries when none is
// given: split, partition and place run for each (concurrently) and the
// placed mapping with the fewest message-hops is kept. Neither quarter-
// nor eighth-core fragments win on every network (docs/compiler.md,
// "Granularity portfolio", has the measurements).
func AutoGranularities() []int { return []int{DefaultGranularity, 2 * DefaultGranularity} }

// Limits are the per-core resources of a target as split and partition
// use them. Zero means "no limit" for FanIn, FanOut and DestCores.
type Limits struct {
	// Neurons per core.
	Neurons int
	// MemBytes is the synaptic memory per core in bytes.
	MemBytes int64
	// FanIn is the number of distinct input axons (source neurons) per core.
	FanIn int
	// FanOut is the number of (neuron, destination core) pairs per core.
	FanOut int
	// DestCores is how many cores one neuron may reach (TrueNorth: 1).
	DestCores int
	// Sharing is true when convolution kernels are stored once per core.
	Sharing bool
}

// TargetLimits returns the uniform per-core limits of t. Targets with layer
// cores have per-core memories; TargetLimits then returns the largest.
func TargetLimits(t *backends.Target) Limits {
	c := t.Profile.Core
	l := Limits{Neurons: c.MaxNeurons, MemBytes: int64(c.SynapticMemoryBytes), FanIn: c.MaxFanInAxons,
		FanOut: c.MaxFanOutAxons, DestCores: c.MaxDestinationCoresPerNeuron, Sharing: c.ConvWeightSharing}
	if t.Profile.LayerCores != nil {
		for i := 0; i < t.NumCores; i++ {
			l.MemBytes = max(l.MemBytes, int64(t.SynapticMemoryBytes(i)))
		}
	}
	return l
}

// SplitResult is what split produces: the fragments of every non-input
// population, in population order, and per population the index range of
// its fragments.
type SplitResult struct {
	Frags []Fragment
	// First[i], Last[i] delimit the fragments of g.Pops[i] in Frags
	// (First[0] == Last[0] == 0: the input has none).
	First, Last []int
	// Tile is the tile shape the split pass chose per population
	// (channels, rows, cols). FineSplitHot later cuts some fragments of a
	// population finer and leaves Tile as the split pass chose it: the
	// fragments' own extents (Frags) are what the mapping holds.
	Tile []ir.Shape
}

// FitError is a network that does not fit a target, with what would fit.
type FitError struct {
	// Layer names the population ("" for the whole network).
	Layer string
	// Resource is what is short ("synaptic memory", "input axons", "cores").
	Resource string
	// Need and Have are the amounts needed and available, in Unit.
	Need, Have float64
	Unit       string
	// Detail explains the amount; Hint says what would fit.
	Detail, Hint string
}

// Error formats the error as "layer L: RESOURCE: needs N UNIT, have H
// (over by D); DETAIL; would fit: HINT".
func (e *FitError) Error() string {
	var b strings.Builder
	if e.Layer != "" {
		fmt.Fprintf(&b, "layer %s: ", e.Layer)
	} else {
		b.WriteString("network: ")
	}
	fmt.Fprintf(&b, "%s: needs %s %s, have %s (over by %s)", e.Resource, fmtNum(e.Need), e.Unit, fmtNum(e.Have), fmtNum(e.Need-e.Have))
	if e.Detail != "" {
		b.WriteString("; " + e.Detail)
	}
	if e.Hint != "" {
		b.WriteString("; would fit: " + e.Hint)
	}
	return b.String()
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.4g", v)
}

// SplitOptions tune Split.
type SplitOptions struct {
	// Granularity is how many fragments to aim for per core's worth of the
	// binding resource (>= 1; 0 means DefaultGranularity).
	Granularity int
	// MaxNeurons caps the fragment size of individual populations (by index
	// in Graph.Pops); SplitAndBuild lowers it for populations whose
	// fragments would reach too many (neuron, core) pairs.
	MaxNeurons map[int]int
}

// Split cuts every non-input population of g into fragments that fit one
// core of t each (neurons, synaptic memory, input axons), aiming at
// opt.Granularity fragments per core. A population that cannot be cut
// small enough, or a network that needs more cores than t has by a lower
// bound, returns a *FitError naming the layer and resource.
func Split(g *ir.Graph, t *backends.Target, opt SplitOptions) (*SplitResult, error) {
	granularity := opt.Granularity
	if granularity < 1 {
		granularity = DefaultGranularity
	}
	lim := TargetLimits(t)
	if t.Profile.LayerCores != nil {
		return splitLayerCores(g, t)
	}
	r := &SplitResult{First: make([]int, len(g.Pops)), Last: make([]int, len(g.Pops)), Tile: make([]ir.Shape, len(g.Pops))}
	var mark []bool
	for i, p := range g.Pops {
		r.First[i] = len(r.Frags)
		if i == 0 {
			r.Last[i] = len(r.Frags)
			continue
		}
		if p.Neuron.Model == ir.ReLU {
			return nil, fmt.Errorf("layer %s: neuron model relu (ANN mode) has no spiking implementation on %s", p.Name, t.Name())
		}
		in := chipInputs(g, p)
		pl := lim
		if c, ok := opt.MaxNeurons[i]; ok && c < pl.Neurons {
			pl.Neurons = max(c, 1)
		}
		frags, tile, err := splitPop(t, pl, i, p, in, granularity, &mark)
		if err != nil {
			return nil, err
		}
		r.Tile[i] = tile
		r.Frags = append(r.Frags, frags...)
		r.Last[i] = len(r.Frags)
	}
	if err := checkTotal(g, t, lim, r); err != nil {
		return nil, err
	}
	return r, nil
}

// tiling cuts a population of shape s into tiles of shape tl (edge tiles
// smaller) in channel-major, then row, then column order.
func tiling(pop int, s, tl ir.Shape) []Fragment {
	var out []Fragment
	for c := 0; c < s.C; c += tl.C {
		for h := 0; h < s.H; h += tl.H {
			for w := 0; w < s.W; w += tl.W {
				out = append(out, Fragment{Pop: pop, C0: c, C1: min(c+tl.C, s.C), H0: h, H1: min(h+tl.H, s.H), W0: w, W1: min(w+tl.W, s.W)})
			}
		}
	}
	return out
}

// tileSizes returns the distinct values ceil(n/k) for k = 1..n, decreasing.
func tileSizes(n int) []int {
	var out []int
	for k := 1; k <= n; k++ {
		v := (n + k - 1) / k
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// shapeCand is one candidate tile shape with its estimated cost.
type shapeCand struct {
	tile  ir.Shape
	nfrag int
	fanIn int // estimated total fan-in over all tiles (messages into them)
}

// splitPop chooses a tile shape for population p and returns its
// fragments. The shape minimises the number of fragments (each within
// 1/granularity of a core where possible) and then the total fan-in.
func splitPop(t *backends.Target, lim Limits, pi int, p *ir.Population, in []*ir.Projection, granularity int, mark *[]bool) ([]Fragment, ir.Shape, error) {
	s := p.Shape
	// The tightest single neuron decides whether anything fits.
	worst := Fragment{Pop: pi}
	for _, c := range []int{0, s.C / 2} {
		f := Fragment{Pop: pi, C0: c, C1: c + 1, H0: s.H / 2, H1: s.H/2 + 1, W0: s.W / 2, W1: s.W/2 + 1}
		measure(in, &f, lim.Sharing, mark)
		if f.Weights > worst.Weights {
			worst.Weights, worst.Synapses = f.Weights, f.Synapses
		}
		worst.FanIn = max(worst.FanIn, f.FanIn)
	}
	if mb := memBytes(t, worst.Weights); mb > lim.MemBytes {
		return nil, ir.Shape{}, &FitError{Layer: p.Name, Resource: "synaptic memory", Need: float64(mb), Have: float64(lim.MemBytes), Unit: "bytes per core",
			Detail: fmt.Sprintf("one neuron stores %d weights at %d bits and a core of %s holds %d bytes", worst.Weights, t.Profile.Precision.WeightBits, t.Name(), lim.MemBytes),
			Hint:   fitHint(t, p, in, "synaptic memory")}
	}
	if lim.FanIn > 0 && worst.FanIn > lim.FanIn {
		return nil, ir.Shape{}, &FitError{Layer: p.Name, Resource: "input axons", Need: float64(worst.FanIn), Have: float64(lim.FanIn), Unit: "per core",
			Detail: fmt.Sprintf("one neuron reads %d distinct source neurons and a core of %s accepts %d", worst.FanIn, t.Name(), lim.FanIn),
			Hint:   fitHint(t, p, in, "input axons")}
	}
	var cands []shapeCand
	for _, tc := range tileSizes(s.C) {
		for _, th := range tileSizes(s.H) {
			for _, tw := range tileSizes(s.W) {
				if tc*th*tw > lim.Neurons {
					continue
				}
				// Centre tile: the one with the largest halo.
				f := Fragment{Pop: pi, C0: 0, C1: tc}
				f.H0 = (ceilDiv(s.H, th) - 1) / 2 * th
				f.H1 = min(f.H0+th, s.H)
				f.W0 = (ceilDiv(s.W, tw) - 1) / 2 * tw
				f.W1 = min(f.W0+tw, s.W)
				measure(in, &f, lim.Sharing, mark)
				if memBytes(t, f.Weights) > lim.MemBytes || (lim.FanIn > 0 && f.FanIn > lim.FanIn) {
					continue
				}
				n := ceilDiv(s.C, tc) * ceilDiv(s.H, th) * ceilDiv(s.W, tw)
				cands = append(cands, shapeCand{tile: ir.Shape{C: tc, H: th, W: tw}, nfrag: n, fanIn: n * f.FanIn})
			}
		}
	}
	// Fragments as large as 1/granularity of the binding resource; smaller
	// populations are one fragment.
	soft := func(c shapeCand, f *Fragment) bool {
		nT := max(1, TargetLimits(t).Neurons/granularity, lim.Neurons/granularity)
		nT = min(nT, lim.Neurons)
		mT := max(lim.MemBytes/int64(granularity), memBytes(t, worst.Weights))
		return c.tile.Len() <= nT && memBytes(t, f.Weights) <= mT
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].nfrag != cands[b].nfrag {
			return cands[a].nfrag < cands[b].nfrag
		}
		return cands[a].fanIn < cands[b].fanIn
	})
	for pass := 0; pass < 2; pass++ {
		for _, c := range cands {
			frags := tiling(pi, s, c.tile)
			ok := true
			for k := range frags {
				f := &frags[k]
				measure(in, f, lim.Sharing, mark)
				if memBytes(t, f.Weights) > lim.MemBytes || (lim.FanIn > 0 && f.FanIn > lim.FanIn) || (pass == 0 && !soft(c, f)) {
					ok = false
					break
				}
			}
			if ok {
				return frags, c.tile, nil
			}
		}
	}
	// Single neurons always fit (checked above); reaching here means the
	// candidate list missed them, which cannot happen for valid shapes.
	return nil, ir.Shape{}, fmt.Errorf("layer %s: no tile shape fits a core of %s", p.Name, t.Name())
}

// fitHint lists built-in chips on which one neuron of p fits (its fan-out
// and, where a chip limits them, its distinct weights per neuron
// included), and the input-channel count that would fit this chip.
func fitHint(t *backends.Target, p *ir.Population, in []*ir.Projection, resource string) string {
	var hints []string
	var mark []bool
	f := Fragment{Pop: 0, C0: 0, C1: 1, H0: p.Shape.H / 2, H1: p.Shape.H/2 + 1, W0: p.Shape.W / 2, W1: p.Shape.W/2 + 1}
	measure(in, &f, false, &mark)
	cin := 0
	for _, e := range in {
		if e.Op == ir.Conv2D || e.Op == ir.Dense {
			cin = max(cin, e.Src.Shape.C)
		}
	}
	lim := TargetLimits(t)
	switch {
	case resource == "synaptic memory" && f.Weights > 0 && cin > 0:
		perCh := float64(f.Weights) / float64(cin)
		maxW := float64(lim.MemBytes*8) / float64(t.Profile.Precision.WeightBits)
		hints = append(hints, fmt.Sprintf("at most %d input channels into this layer on %s", int(maxW/perCh), t.Name()))
	case resource == "input axons" && f.FanIn > 0 && cin > 0:
		hints = append(hints, fmt.Sprintf("at most %d input channels into this layer on %s", int(float64(lim.FanIn)*float64(cin)/float64(f.FanIn)), t.Name()))
	}
	var chips []string
	for _, name := range backends.Builtins() {
		o, err := backends.Lookup(name)
		if err != nil || o.Profile.LayerCores != nil || name == t.Name() || supported(o, p) != nil {
			continue
		}
		ol := TargetLimits(o)
		g := f
		measure(in, &g, ol.Sharing, &mark)
		if memBytes(o, g.Weights) <= ol.MemBytes && (ol.FanIn == 0 || g.FanIn <= ol.FanIn) && fanOutFit(o, in) == nil && meetsWeightValues(o, in) {
			chips = append(chips, name)
		}
	}
	if len(chips) > 0 {
		hints = append(hints, "chips "+strings.Join(chips, ", "))
	}
	if len(hints) == 0 {
		return ""
	}
	return strings.Join(hints, "; or ")
}

// checkTotal returns a *FitError when the fragments cannot fit the target's
// cores by a lower bound on the cores needed (neurons and synaptic memory).
func checkTotal(g *ir.Graph, t *backends.Target, lim Limits, r *SplitResult) error {
	var neurons, mem int64
	for i := range r.Frags {
		neurons += int64(r.Frags[i].Neurons)
		mem += memBytes(t, r.Frags[i].Weights)
	}
	needN := ceilDiv64(neurons, int64(lim.Neurons))
	needM := ceilDiv64(mem, lim.MemBytes)
	need, res, detail := needN, "cores (neurons)", fmt.Sprintf("%d neurons at %d per core", neurons, lim.Neurons)
	if needM > needN {
		need, res, detail = needM, "cores (synaptic memory)", fmt.Sprintf("%d bytes of synaptic memory at %d per core", mem, lim.MemBytes)
	}
	if need <= int64(t.NumCores) {
		return nil
	}
	perChip := t.NumCores / t.NumChips
	hints := []string{fmt.Sprintf("at least %d chips of this kind (%d cores each)", ceilDiv64(need, int64(perChip)), perChip)}
	// Neurons grow with the channel width, weights with its square.
	scale := float64(t.NumCores) / float64(need)
	if needM > needN {
		scale = math.Sqrt(scale)
	}
	hints = append(hints, fmt.Sprintf("channel widths (C) scaled by at most %.2f", scale))
	if chips := chipsByBound(g, t); len(chips) > 0 {
		hints = append(hints, "chips "+strings.Join(chips, ", "))
	} else if !lim.Sharing {
		hints = append(hints, "a chip with convolutional weight sharing")
	}
	return &FitError{Resource: res, Need: float64(need), Have: float64(t.NumCores), Unit: "cores",
		Detail: fmt.Sprintf("network %s has %s (a lower bound)", g.Name, detail), Hint: strings.Join(hints, "; or ")}
}

// chipsByBound lists the other built-in chips (general cores) whose cores
// hold g's neurons and synaptic memory by the same lower bound, and whose
// fan-out and distinct-weights limits g meets.
func chipsByBound(g *ir.Graph, t *backends.Target) []string {
	var neurons, syn, shared int64
	for i, p := range g.Pops {
		if i > 0 {
			neurons += int64(p.Shape.Len())
		}
	}
	for _, e := range g.Projs {
		if hostProj(e) {
			continue
		}
		syn += ir.Synapses(e)
		switch e.Op {
		case ir.Conv2D, ir.Dense:
			shared += int64(e.WeightLen())
		default:
			shared++
		}
	}
	var out []string
	for _, name := range backends.Builtins() {
		o, err := backends.Lookup(name)
		if err != nil || o.Profile.LayerCores != nil || name == t.Name() || !acceptsNeurons(o, g) {
			continue
		}
		ol := TargetLimits(o)
		w := syn
		if ol.Sharing {
			w = shared
		}
		if ceilDiv64(neurons, int64(ol.Neurons)) <= int64(o.NumCores) && ceilDiv64(memBytes(o, w), ol.MemBytes) <= int64(o.NumCores) &&
			fanOutFit(o, g.Projs) == nil && meetsWeightValues(o, g.Projs) {
			out = append(out, name)
		}
	}
	return out
}

func ceilDiv64(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// splitLayerCores handles chips whose cores each run one whole layer
// (DYNAP-CNN / Speck): every population is one fragment, and it must fit
// some layer core.
func splitLayerCores(g *ir.Graph, t *backends.Target) (*SplitResult, error) {
	r := &SplitResult{First: make([]int, len(g.Pops)), Last: make([]int, len(g.Pops)), Tile: make([]ir.Shape, len(g.Pops))}
	var mark []bool
	if n := len(g.Pops) - 1; n > t.NumCores {
		return nil, &FitError{Resource: "layer cores", Need: float64(n), Have: float64(t.NumCores), Unit: "cores",
			Detail: fmt.Sprintf("%s runs one population per core and network %s has %d", t.Name(), g.Name, n),
			Hint:   "a network with fewer layers, or a chip with general cores (loihi1, loihi2, spinnaker2)"}
	}
	for i, p := range g.Pops {
		r.First[i] = len(r.Frags)
		if i > 0 {
			f := Fragment{Pop: i, C1: p.Shape.C, H1: p.Shape.H, W1: p.Shape.W}
			measure(chipInputs(g, p), &f, true, &mark)
			if len(layerCoreFits(g, t, p)) == 0 {
				_, err := layerShape(g, t, p, 0)
				return nil, fmt.Errorf("layer %s fits no layer core of %s: %v", p.Name, t.Name(), err)
			}
			r.Frags = append(r.Frags, f)
			r.Tile[i] = p.Shape
		}
		r.Last[i] = len(r.Frags)
	}
	return r, nil
}

// layerShape describes population p as a layer core sees it and checks it
// against core.
func layerShape(g *ir.Graph, t *backends.Target, p *ir.Population, core int) (backends.LayerShape, error) {
	ls := backends.LayerShape{OutC: p.Shape.C, OutH: p.Shape.H, OutW: p.Shape.W, KernelH: 1, KernelW: 1,
		InC: p.Shape.C, InH: p.Shape.H, InW: p.Shape.W}
	for _, e := range g.In(p) {
		s := e.Src.Shape
		ls.InC, ls.InH, ls.InW = max(ls.InC, s.C), max(ls.InH, s.H), max(ls.InW, s.W)
		if e.Op == ir.Conv2D || e.Op == ir.SumPool || e.Op == ir.AvgPool || e.Op == ir.MaxPool {
			ls.KernelH, ls.KernelW = max(ls.KernelH, e.Kernel), max(ls.KernelW, e.Kernel)
		}
		if e.Op == ir.Dense {
			// A dense layer is a convolution whose kernel covers the input.
			ls.KernelH, ls.KernelW = max(ls.KernelH, s.H), max(ls.KernelW, s.W)
		}
	}
	dests := map[*ir.Population]bool{}
	for _, e := range g.Out(p) {
		dests[e.Dst] = true
	}
	ls.Destinations = len(dests)
	return ls, t.CheckLayer(core, ls)
}

// layerCoreFits returns the layer cores that can hold population p.
func layerCoreFits(g *ir.Graph, t *backends.Target, p *ir.Population) []int {
	var cores []int
	for c := 0; c < t.NumCores; c++ {
		if _, err := layerShape(g, t, p, c); err == nil {
			cores = append(cores, c)
		}
	}
	return cores
}

// SplitAndBuild splits g for t and builds the partitioning problem. Where a
// fragment's neurons would reach more (neuron, fragment) pairs than a core's
// output axons allow (the bound the initial packing must respect), the
// fragments of that population are made smaller and the split repeated.
func SplitAndBuild(g *ir.Graph, t *backends.Target, opt SplitOptions) (*SplitResult, *Problem, error) {
	lim := TargetLimits(t)
	caps := map[int]int{}
	for k, v := range opt.MaxNeurons {
		caps[k] = v
	}
	for iter := 0; ; iter++ {
		opt.MaxNeurons = caps
		sr, err := Split(g, t, opt)
		if err != nil {
			return nil, nil, err
		}
		p := BuildProblem(g, t, sr)
		if lim.FanOut == 0 || t.Profile.LayerCores != nil || iter == 8 {
			return sr, p, nil
		}
		fo := make([]int64, len(sr.Frags))
		for n := range p.Src {
			fo[p.Src[n]] += int64(p.NN[n]) * int64(len(p.Dests(n)))
		}
		again := false
		for f, v := range fo {
			if v <= int64(lim.FanOut) {
				continue
			}
			pi := sr.Frags[f].Pop
			per := float64(v) / float64(sr.Frags[f].Neurons)
			c := int(0.95 * float64(lim.FanOut) / per)
			if old, ok := caps[pi]; (!ok || c < old) && c >= 1 {
				caps[pi] = c
				again = true
			}
		}
		if !again {
			return sr, p, nil
		}
	}
}

// splitPass is the split pass: it sets Unit.Layout, one candidate per
// granularity tried with its fragments and partitioning problem.
func splitPass(u *Unit) error {
	grans := []int{u.Granularity}
	if u.Granularity == 0 && u.Target.Profile.LayerCores == nil {
		grans = AutoGranularities()
	}
	l := &Layout{}
	var first error
	for _, gr := range grans {
		sr, p, err := SplitAndBuild(u.G, u.Target, SplitOptions{Granularity: gr})
		if err != nil {
			first = cmp.Or(first, err)
			continue
		}
		c := &Candidate{Granularity: cmp.Or(gr, DefaultGranularity), Split: sr, Problem: p}
		if c.Granularity >= MultilevelGranularity {
			c.scheme = schemeMultilevel
		}
		l.Candidates = append(l.Candidates, c)
		u.logf("split: granularity %d%s: %d fragments, %d nets", gr, c.schemeLabel(), len(sr.Frags), p.NumNets())
	}
	// With the granularities chosen automatically, two more candidates at
	// MultilevelCandidate, one partitioned by the multilevel scheme, one
	// by the balanced packing, on the networks whose fill is a candidate
	// too (maxFillSynapses: above it more candidates cost more time and
	// memory than the largest compiles can spare).
	if u.Granularity == 0 && u.Target.Profile.LayerCores == nil && graphSynapses(u.G) <= maxFillSynapses {
		// A flat candidate of the same granularity lends its fragments and
		// problem (both read-only from here on) rather than a second copy.
		var sr *SplitResult
		var p *Problem
		var err error
		for _, c := range l.Candidates {
			if c.Granularity == MultilevelCandidate {
				sr, p = c.Split, c.Problem
			}
		}
		if sr == nil {
			sr, p, err = SplitAndBuild(u.G, u.Target, SplitOptions{Granularity: MultilevelCandidate})
		}
		if err == nil {
			for _, sc := range []partScheme{schemeMultilevel, schemeBalanced} {
				c := &Candidate{Granularity: MultilevelCandidate, Split: sr, Problem: p, scheme: sc}
				l.Candidates = append(l.Candidates, c)
				u.logf("split: granularity %d%s: %d fragments, %d nets", MultilevelCandidate, c.schemeLabel(), len(sr.Frags), p.NumNets())
			}
		}
	}
	if len(l.Candidates) == 0 {
		return first
	}
	u.Layout = l
	return nil
}
