package chipcost

// Estimate: the model over its own packing of the populations into cores,
// for candidates the compiler has not placed (the search's fitness).

import (
	"fmt"
	"math"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// layer is the placement estimate of one population.
type layer struct {
	first, cores int // consecutive core range
	perCore      int // neurons per core
}

// Estimate returns the cost of g on t given its activity a, with the
// populations packed as the package doc's "Estimated placement" says. It
// wraps ErrNoSpikes when a.Spikes is nil, and ErrDoesNotFit, with the
// cores needed, when g needs more cores than t has; the returned Cost is
// still filled in then so callers can rank such candidates. Cost.Pops is
// filled in too.
func Estimate(g *ir.Graph, a Activity, t *backends.Target) (Cost, error) {
	if err := a.check(g); err != nil {
		return Cost{}, err
	}
	layers := make(map[*ir.Population]layer, len(g.Pops))
	index := make(map[*ir.Population]int, len(g.Pops))
	next := 0
	for i, p := range g.Pops[1:] {
		per := neuronsPerCore(g, p, t)
		n := p.Shape.Len()
		cores := (n + per - 1) / per
		layers[p] = layer{first: next, cores: cores, perCore: per}
		index[p] = i
		next += cores
	}
	fits := next <= t.NumCores
	core := func(i int) int { return i % t.NumCores } // wrap so estimates stay defined when it does not fit

	T := float64(g.T)
	stages := make([]stage, len(g.Pops)-1)
	for i, p := range g.Pops[1:] {
		s := a.Spikes[p.Name]
		stages[i] = stage{pop: p, cores: layers[p].cores, spikes: s, active: a.active(g, p, s, nil)}
	}
	for i, p := range g.Pops[1:] {
		dst := layers[p]
		var synNs float64
		for _, e := range g.In(p) {
			if e.Src == g.Input() {
				continue // host injection
			}
			src := &stages[index[e.Src]]
			ss := src.spikes
			ops := ss * (float64(ir.Synapses(e)) / float64(e.Src.Shape.Len())) // spikes x mean fan-out
			k := backends.ConnectivityOf(e.Op)
			src.synOps[k] += ops
			synNs += ops * synOpNs(t, k)
			msgs := ss * destCores(e, dst)
			hops, hopPJ, latNs := meanRoute(t, layers[e.Src], dst, core)
			src.messages += msgs
			src.hops += msgs * hops
			src.routePJ += msgs * hopPJ
			stages[i].msgLatencyNs = math.Max(stages[i].msgLatencyNs, latNs)
		}
		// The layer's load spread evenly over its cores, per timestep.
		share := 1 / T / float64(dst.cores)
		st := &stages[i]
		st.workNs = workNs(t, synNs*share, float64(min(dst.perCore, p.Shape.Len())), st.active*share, st.spikes*share)
	}
	tiles := (next + t.Profile.Mesh.CoresPerTile - 1) / t.Profile.Mesh.CoresPerTile
	c := finish(g, t, a, stages, next, tiles)
	if !fits {
		return c, fmt.Errorf("chipcost: %s needs %d cores, %s has %d: %w", g.Name, c.Cores, t.Name(), t.NumCores, ErrDoesNotFit)
	}
	return c, nil
}

// neuronsPerCore is how many neurons of p one core holds under the
// target's neuron, synaptic memory and fan-in limits (at least 1).
func neuronsPerCore(g *ir.Graph, p *ir.Population, t *backends.Target) int {
	prof := t.Profile
	per := t.NeuronCapacity(0)
	var fanin, unique int
	for _, e := range g.In(p) {
		if e.Src == g.Input() {
			continue
		}
		fanin += int(ir.Synapses(e) / int64(p.Shape.Len()))
		unique += e.WeightLen()
	}
	if fanin > 0 {
		bits := prof.Precision.WeightBits
		mem := t.SynapticMemoryBytes(0) * 8
		if prof.Core.ConvWeightSharing {
			if unique*bits > mem {
				per = 1 // kernels alone overflow the memory; the compiler splits channels
			}
		} else if byMem := mem / (fanin * bits); byMem < per {
			per = byMem
		}
		if ax := prof.Core.MaxFanInAxons; ax > 0 && fanin > ax {
			per = 1 // fan-in beyond the axon limit: one neuron per core at best
		}
	}
	return max(per, 1)
}

// destCores estimates the destination cores one source spike reaches
// through projection e into a layer placed as dst.
func destCores(e *ir.Projection, dst layer) float64 {
	switch e.Op {
	case ir.Dense:
		return float64(dst.cores)
	case ir.Conv2D:
		d := e.Dst.Shape
		plane := d.H * d.W
		if plane >= dst.perCore {
			// Each output channel plane spans cores; the window hits one
			// core per channel, occasionally two at a core boundary.
			rows := float64(e.Kernel*d.W) / float64(dst.perCore)
			return math.Min(float64(dst.cores), float64(d.C)*(1+rows))
		}
		return float64(dst.cores)
	}
	return 1
}

// meanRoute returns the mean hops, network energy (pJ) and the largest
// zero-load latency (ns) of a message from a core of src to a core of dst,
// sampling at most 8 cores of each.
func meanRoute(t *backends.Target, src, dst layer, core func(int) int) (hops, pj, ns float64) {
	pick := func(l layer, i, n int) int { return core(l.first + i*l.cores/n) }
	ns1, nd := min(src.cores, 8), min(dst.cores, 8)
	for i := 0; i < ns1; i++ {
		for j := 0; j < nd; j++ {
			a, b := pick(src, i, ns1), pick(dst, j, nd)
			hops += float64(t.Hops(a, b).Total())
			pj += t.NetworkEnergyPJ(a, b)
			ns = math.Max(ns, t.MessageLatencyNs(a, b))
		}
	}
	k := float64(ns1 * nd)
	return hops / k, pj / k, ns
}
