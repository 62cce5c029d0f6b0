package passes

// The layer-sequential channels-last fill: the simplest mapping of a
// network onto cores, used as a baseline by the portfolio benchmark
// (search/pipeline/internal/portfolio). Neurons are taken layer by layer
// in graph order and, within a layer, in channels-last (HWC) order, so a
// core holds every channel of a run of pixels; a core is closed when the
// next neuron would exceed one of the per-core limits.

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// FillOptions tune FillChannelsLast.
type FillOptions struct {
	// MaxNeurons, if > 0, caps the neurons of a part below the core's
	// limit (the benchmark lowers it when a fill breaks the fan-out or
	// routing-table limits, which the fill cannot see while it packs).
	MaxNeurons int
}

// FillChannelsLast assigns every neuron of every non-input population of g
// to a part, 0..k-1, filling parts in layer order and, within a layer, in
// channels-last order (pixel by pixel, every channel of a pixel before the
// next pixel), a part closed only when the next neuron would exceed the
// part's neurons, synaptic memory (with t's conv weight sharing) or
// distinct input axons. A part never holds two layers. It returns part[i]
// (nil for the input population g.Pops[0]) indexed like Population.Core,
// and k. Fan-out and routing-table limits depend on where the consumers go
// and are left to verify. It returns a *FitError when one neuron alone
// does not fit a core or more parts than t has cores are needed, and an
// error on a layer-core target (whose cores differ).
func FillChannelsLast(g *ir.Graph, t *backends.Target, opt FillOptions) ([][]int32, int, error) {
	if t.Profile.LayerCores != nil {
		return nil, 0, fmt.Errorf("passes: fill: %s has layer cores; the channels-last fill needs uniform cores", t.Name())
	}
	lim := TargetLimits(t)
	capN := lim.Neurons
	if opt.MaxNeurons > 0 {
		capN = min(capN, opt.MaxNeurons)
	}
	off := make([]int, len(g.Pops))
	total := 0
	for i, p := range g.Pops {
		off[i] = total
		if i > 0 {
			total += p.Shape.Len()
		}
	}
	stamp := make([]int32, total) // the last part that counted this source as an input axon
	for i := range stamp {
		stamp[i] = -1
	}
	projIdx := map[*ir.Projection]int{}
	for k, e := range g.Projs {
		projIdx[e] = k
	}
	part := make([][]int32, len(g.Pops))
	var (
		k       int32 = -1 // current part
		neurons int
		weights int64
		fanIn   int
		shared  = map[[2]int]bool{}
		srcs    []int32
		newKern [][2]int
	)
	open := func() {
		k++
		neurons, weights, fanIn = 0, 0, 0
		clear(shared)
	}
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		in := chipInputs(g, p)
		s := p.Shape
		pt := make([]int32, s.Len())
		open() // a part never holds two layers
		for h := 0; h < s.H; h++ {
			for w := 0; w < s.W; w++ {
				for c := 0; c < s.C; c++ {
					j := (c*s.H+h)*s.W + w
					// What the neuron adds to part k: synapses, kernels
					// not yet stored there, sources not yet axons there.
					try := func() (dw int64, df int) {
						srcs, newKern = srcs[:0], newKern[:0]
						for _, e := range in {
							base := int32(off[g.Index(e.Src)])
							var n int64
							ir.SynapsesInto(e, j, func(src, _ int) {
								n++
								if gid := base + int32(src); stamp[gid] != k {
									srcs = append(srcs, gid)
								}
							})
							switch {
							case !lim.Sharing || e.Op == ir.Dense:
								dw += n
							case e.Op == ir.Conv2D:
								if key := [2]int{projIdx[e], c}; !shared[key] {
									newKern = append(newKern, key)
									dw += int64(e.Src.Shape.C * e.Kernel * e.Kernel)
								}
							default:
								if key := [2]int{projIdx[e], -1}; !shared[key] {
									newKern = append(newKern, key)
									dw++
								}
							}
						}
						// srcs may repeat a source reached by two projections.
						for _, gid := range srcs {
							if stamp[gid] != k {
								stamp[gid] = -2 - k // provisional mark, distinct from every part
								df++
							}
						}
						for _, gid := range srcs {
							stamp[gid] = -1
						}
						return dw, df
					}
					dw, df := try()
					fits := neurons+1 <= capN && memBytes(t, weights+dw) <= lim.MemBytes && (lim.FanIn == 0 || fanIn+df <= lim.FanIn)
					if !fits && neurons > 0 {
						open()
						dw, df = try()
						fits = memBytes(t, dw) <= lim.MemBytes && (lim.FanIn == 0 || df <= lim.FanIn)
					}
					if !fits {
						return nil, 0, &FitError{Layer: p.Name, Resource: "synaptic memory or input axons", Need: float64(memBytes(t, dw)), Have: float64(lim.MemBytes), Unit: "bytes",
							Detail: fmt.Sprintf("neuron (c=%d, h=%d, w=%d) alone needs %d input axons (limit %d)", c, h, w, df, lim.FanIn)}
					}
					for _, gid := range srcs {
						stamp[gid] = k
					}
					for _, key := range newKern {
						shared[key] = true
					}
					neurons++
					weights += dw
					fanIn += df
					pt[j] = k
				}
			}
		}
		part[i] = pt
	}
	n := int(k) + 1
	if n > t.NumCores {
		return nil, 0, &FitError{Resource: "cores", Need: float64(n), Have: float64(t.NumCores), Unit: "cores", Detail: "layer-sequential channels-last fill"}
	}
	return part, n, nil
}
