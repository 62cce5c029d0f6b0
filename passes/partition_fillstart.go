package passes

// The channels-last fill as a starting candidate of the partition pass: the
// parts of FillChannelsLast are cut into rectangular fragments (one per row
// of a part's run of pixels, and the partial pixels at its ends), the
// fill's parts become the candidate's partition, and place then anneals
// their cores and moves the fragments on the mesh (AnnealOnMesh) like any
// other candidate's. Since AnnealOnMesh never ends above its start, the
// compile keeps a mapping at most as costly as the fill placed by the
// project's placer whenever the fill is a legal start.

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// FillGranularity is the Candidate.Granularity of the fill's candidate: no
// granularity split aims at (split's are >= 1); Layout.Print and the logs
// show it as "granularity 0".
const FillGranularity = 0

// fillBoxes calls emit for the rectangular tiles that cover the neurons of
// a population of shape s at channels-last positions [a, b) (position
// (h*W+w)*C + c): a partial pixel at each end, and between them the whole
// pixels, one tile per row when rows is true, else the fewest tiles (a
// partial row, a block of whole rows, a partial row).
func fillBoxes(s ir.Shape, a, b int, rows bool, emit func(c0, c1, h0, h1, w0, w1 int)) {
	C, W := s.C, s.W
	pixel := func(p, c0, c1 int) { emit(c0, c1, p/W, p/W+1, p%W, p%W+1) }
	if a%C != 0 {
		p := a / C
		end := min(b, (p+1)*C)
		pixel(p, a%C, end-p*C)
		a = end
	}
	if a >= b {
		return
	}
	var tail func()
	if b%C != 0 {
		p, c1 := b/C, b%C
		tail = func() { pixel(p, 0, c1) }
		b -= c1
	}
	p0, p1 := a/C, b/C // whole pixels [p0, p1)
	for p0 < p1 {
		h, w := p0/W, p0%W
		switch {
		case w == 0 && !rows && p1-p0 >= W:
			n := (p1 - p0) / W // whole rows
			emit(0, C, h, h+n, 0, W)
			p0 += n * W
		default:
			end := min(p1, (h+1)*W)
			emit(0, C, h, h+1, w, end-h*W)
			p0 = end
		}
	}
	if tail != nil {
		tail()
	}
}

// fillSplit cuts the parts of a fill of g (part per neuron of every
// non-input population, as FillChannelsLast returns it) into fragments,
// per population in channels-last order, each within one part: one per
// row of the part's pixels when rows is true and their synaptic memory,
// summed, fits a core, else the fewest tiles. It returns the split and the
// part of every fragment.
func fillSplit(g *ir.Graph, t *backends.Target, fill [][]int32, rows bool) (*SplitResult, []int32) {
	lim := TargetLimits(t)
	n := len(g.Pops)
	sr := &SplitResult{First: make([]int, n), Last: make([]int, n), Tile: make([]ir.Shape, n)}
	var part []int32
	var mark []bool
	for i, p := range g.Pops {
		sr.First[i] = len(sr.Frags)
		if i == 0 {
			sr.Last[i] = len(sr.Frags)
			continue
		}
		s := p.Shape
		in := chipInputs(g, p)
		at := func(x int) int32 { // part of channels-last position x
			px, c := x/s.C, x%s.C
			return fill[i][(c*s.H+px/s.W)*s.W+px%s.W]
		}
		for a := 0; a < s.Len(); {
			q := at(a)
			b := a + 1
			for b < s.Len() && at(b) == q {
				b++
			}
			// One fragment per row, unless the rows' kernels, counted
			// once per row, overflow the part's memory.
			n0 := len(sr.Frags)
			for _, r := range []bool{rows, false} {
				sr.Frags = sr.Frags[:n0]
				var mem int64
				fillBoxes(s, a, b, r, func(c0, c1, h0, h1, w0, w1 int) {
					f := Fragment{Pop: i, C0: c0, C1: c1, H0: h0, H1: h1, W0: w0, W1: w1}
					measure(in, &f, lim.Sharing, &mark)
					sr.Frags = append(sr.Frags, f)
					mem += memBytes(t, f.Weights)
				})
				if mem <= lim.MemBytes {
					break
				}
			}
			for range len(sr.Frags) - n0 {
				part = append(part, q)
			}
			a = b
		}
		sr.Last[i] = len(sr.Frags)
		sr.Tile[i] = ir.Shape{C: s.C, H: 1, W: s.W} // at most a row of whole pixels
	}
	return sr, part
}

// FillMapping returns the channels-last fill of g on t (fill and its k
// parts, as FillChannelsLast returns them) as a mapping without cores
// (Core nil): fragments of one row each where a part's memory, summed
// over its fragments as partition counts it (a conv kernel shared by the
// rows of a part counts once per row), allows, if the partition they give
// holds every per-core limit, else the fewest tiles per part, else an
// error saying which limit the fill breaks. Part q of the partition is
// fill's part q, so a placement of the fill's parts places it.
func FillMapping(g *ir.Graph, t *backends.Target, fill [][]int32, k int) (Mapping, error) {
	lim := TargetLimits(t)
	var why []string
	for _, rows := range []bool{true, false} {
		sr, part := fillSplit(g, t, fill, rows)
		p := BuildProblem(g, t, sr)
		pt := &Partition{Part: part, K: k, BudgetNeurons: lim.Neurons, BudgetMem: lim.MemBytes, MaxCores: k}
		if why = p.PartLimits(pt, lim); len(why) > 0 {
			continue
		}
		s := stateOf(p, lim, pt)
		if !s.fanOutOK() {
			why = []string{fmt.Sprintf("a part reaches more than %d (neuron, destination core) pairs, the fan-out limit", lim.FanOut)}
			continue
		}
		if lim.DestCores > 0 {
			for n := range p.Src {
				if len(s.netParts[n]) > lim.DestCores {
					why = []string{fmt.Sprintf("a neuron reaches %d cores, want <= %d", len(s.netParts[n]), lim.DestCores)}
					break
				}
			}
			if len(why) > 0 {
				continue
			}
		}
		pt.InitialCost = p.Cost(part)
		pt.Cost = pt.InitialCost
		return Mapping{Split: sr, Problem: p, Partition: pt}, nil
	}
	return Mapping{}, fmt.Errorf("passes: the channels-last fill breaks a per-core limit: %s (%d more)", why[0], len(why)-1)
}

// fillCandidate returns the candidate of FillMapping's mapping.
func fillCandidate(g *ir.Graph, t *backends.Target, fill [][]int32, k int) (*Candidate, error) {
	m, err := FillMapping(g, t, fill, k)
	if err != nil {
		return nil, fmt.Errorf("no fill candidate: %w", err)
	}
	return &Candidate{Granularity: FillGranularity, Split: m.Split, Problem: m.Problem, Partition: m.Partition}, nil
}
