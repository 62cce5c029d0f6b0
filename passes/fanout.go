// This file implements the fan-out pass.

package passes

import (
	"fmt"
	"slices"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// fanOutPass checks, before profile and split, that the network can meet the
// target's limit on the cores one neuron reaches
// (core.max_destination_cores_per_neuron; TrueNorth: 1), and returns a
// *FitError naming the first layer that cannot (fanOutFit). On targets
// without the limit it does nothing.
//
// A TrueNorth deployment meets the limit with splitter neurons: a neuron's
// spike goes to one core whose relay neurons (threshold 1, memoryless:
// orNeuron in lower.go) copy it to the other destination cores, one
// timestep later each. This compiler does not insert splitters yet, so a
// layer whose fan-out needs them is refused here, in milliseconds, instead
// of at verify after the whole placement.
func fanOutPass(u *Unit) error { return fanOutFit(u.Target, u.G.Projs) }

// fanOutFit reports whether the synapses of projs (host projections, which
// the host evaluates, left out) can be placed on t's cores so that no neuron reaches more than
// t's max_destination_cores_per_neuron cores, by two necessary
// conditions:
//
//   - one neuron with n distinct targets reaches at least
//     ceil(n / max_neurons) cores;
//   - with a limit of 1 every target of a neuron shares one core, so
//     targets that two neurons share chain their target sets together
//     (overlapping convolution windows chain a whole layer): each chained
//     set must fit one core's max_neurons.
//
// It returns nil when both hold (the partition may still fail to find such
// a mapping; verify then says so) and a *FitError naming the source layer
// otherwise. It allocates two int32 per target neuron.
func fanOutFit(t *backends.Target, projs []*ir.Projection) error {
	lim := TargetLimits(t)
	if lim.DestCores <= 0 || t.Profile.LayerCores != nil {
		return nil
	}
	projs = slices.DeleteFunc(slices.Clone(projs), hostProj)
	// Global ids of the target neurons: the populations' offsets.
	off := map[*ir.Population]int{}
	n := 0
	var srcs []*ir.Population
	for _, e := range projs {
		if _, ok := off[e.Dst]; !ok {
			off[e.Dst] = n
			n += e.Dst.Shape.Len()
		}
		if !slices.Contains(srcs, e.Src) {
			srcs = append(srcs, e.Src)
		}
	}
	uf := newUnionFind(n)
	stamp := make([]int32, n) // stamp[t] = the tag of the source neuron that last counted t
	var tag int32
	// Sources in their order of first appearance (graph order for a graph's
	// projections), so the layer named is the first that fails.
	for _, p := range srcs {
		var out []*ir.Projection
		for _, e := range projs {
			if e.Src == p {
				out = append(out, e)
			}
		}
		for s := range p.Shape.Len() {
			first, distinct := -1, 0
			tag++
			for _, e := range out {
				base := off[e.Dst]
				ir.SynapsesFrom(e, s, func(dst, _ int) {
					id := base + dst
					if stamp[id] != tag {
						stamp[id] = tag
						distinct++
					}
					if first < 0 {
						first = id
					} else {
						uf.union(first, id)
					}
				})
			}
			if need := ceilDiv(distinct, lim.Neurons); need > lim.DestCores {
				return &FitError{Layer: p.Name, Resource: "destination cores per neuron", Need: float64(need), Have: float64(lim.DestCores), Unit: "cores",
					Detail: fmt.Sprintf("neuron %d reaches %d target neurons, at most %d per core on %s; splitter neurons are not implemented", s, distinct, lim.Neurons, t.Name()),
					Hint:   fanOutHint}
			}
		}
	}
	if lim.DestCores > 1 {
		return nil
	}
	// Limit 1: every chained set of targets must fit one core.
	for _, p := range srcs {
		for _, e := range projs {
			if e.Src != p {
				continue
			}
			base := off[e.Dst]
			for s := range p.Shape.Len() {
				bad := -1
				ir.SynapsesFrom(e, s, func(dst, _ int) {
					if bad < 0 && int(uf.size[uf.find(base+dst)]) > lim.Neurons {
						bad = base + dst
					}
				})
				if bad < 0 {
					continue
				}
				chain := int(uf.size[uf.find(bad)])
				return &FitError{Layer: p.Name, Resource: "destination cores per neuron", Need: 2, Have: 1, Unit: "cores (at least)",
					Detail: fmt.Sprintf("%s's neurons share targets (overlapping windows), which chains %d target neurons (%s and on) that would all have to sit on one core of %d neurons, %d cores' worth; "+
						"on %s a neuron reaches one core, and the splitter neurons that TrueNorth deployments copy spikes with are not implemented", p.Name, chain, e.Dst.Name, lim.Neurons, ceilDiv(chain, lim.Neurons), t.Name()),
					Hint: fanOutHint}
			}
		}
	}
	return nil
}

// fanOutHint is the "would fit" of a fan-out FitError.
const fanOutHint = "a chip whose neurons reach several cores (loihi1, loihi2, spinnaker2)"

// unionFind is a disjoint-set forest over 0..n-1 with path halving and
// union by size.
type unionFind struct{ parent, size []int32 }

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int32, n), size: make([]int32, n)}
	for i := range u.parent {
		u.parent[i], u.size[i] = int32(i), 1
	}
	return u
}

func (u *unionFind) find(i int) int {
	for int(u.parent[i]) != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = int(u.parent[i])
	}
	return i
}

func (u *unionFind) union(a, b int) {
	a, b = u.find(a), u.find(b)
	if a == b {
		return
	}
	if u.size[a] < u.size[b] {
		a, b = b, a
	}
	u.parent[b] = int32(a)
	u.size[a] += u.size[b]
}
