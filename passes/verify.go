package passes

// This file implements the verify pass, the last required pass: it recounts
// a placed graph from Population.Core alone (not from the partitioner's
// bookkeeping) and checks that every neuron is mapped exactly once, every
// synapse is accounted for and every per-core, per-neuron and routing limit
// of the target holds. The same recount feeds the mapping report.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// CoreUsage is what one core holds and sends, recounted from
// Population.Core.
type CoreUsage struct {
	// Neurons mapped to the core.
	Neurons int
	// Synapses is the explicit chip-side synapses into its neurons.
	Synapses int64
	// Weights is the stored weights (Synapses without weight sharing;
	// distinct conv kernel slices and shared pool weights with it).
	Weights int64
	// MemBytes is Weights at the target's weight precision, in bytes.
	MemBytes int64
	// FanIn is the distinct chip-side source neurons (input axons).
	FanIn int
	// FanOut is the (neuron, destination core) pairs of its neurons
	// (output axons), own core included.
	FanOut int
	// DestCores is the number of distinct destination cores.
	DestCores int
	// Pops lists the populations with neurons on the core, in graph order.
	Pops []string
}

// Analysis is the recount of a placed graph.
type Analysis struct {
	// Cores has one entry per core id of the target.
	Cores []CoreUsage
	// Traffic is the rate-weighted messages per timestep between distinct
	// cores (one per source neuron and destination core).
	Traffic map[[2]int32]float64
	// SelfMessages is the rate-weighted messages per timestep whose
	// destination is the source's own core.
	SelfMessages float64
	// Axons counts (source neuron, destination core) pairs per ordered core
	// pair (a, b), a == b included: the routing-table entries of a.
	Axons map[[2]int32]int
	// MaxDestCores is the largest number of cores one neuron reaches, and
	// MaxDestLayer the population of such a neuron.
	MaxDestCores int
	MaxDestLayer string
	// SynOps is per population the synaptic events per timestep its spikes
	// cause (rate x outgoing chip-side synapses), and Spikes its spikes per
	// timestep; Sent is its inter-core messages per timestep.
	SynOps, Spikes, Sent []float64
	// SentEnergyPJ is per population the network energy of its messages per
	// timestep in pJ (intra-core deliveries included).
	SentEnergyPJ []float64
	// Synapses is the total chip-side synapses counted.
	Synapses int64
	// Problems lists mapping errors (unmapped or out-of-range neurons).
	Problems []string
	// AxonTypes is per core the axon types its axons were given (at most
	// core.distinct_weights_per_neuron; 0 on an unused core or one that has
	// no assignment); set by Violations, nil on targets without the limit.
	AxonTypes []int
}

// Analyze recounts g as placed on t by Population.Core.
func Analyze(g *ir.Graph, t *backends.Target) *Analysis {
	lim := TargetLimits(t)
	a := &Analysis{Cores: make([]CoreUsage, t.NumCores), Traffic: map[[2]int32]float64{}, Axons: map[[2]int32]int{},
		SynOps: make([]float64, len(g.Pops)), Spikes: make([]float64, len(g.Pops)), Sent: make([]float64, len(g.Pops)),
		SentEnergyPJ: make([]float64, len(g.Pops))}
	// Global ids of chip-side neurons.
	off := make([]int, len(g.Pops))
	total := 0
	for i, p := range g.Pops {
		off[i] = total
		if i > 0 {
			total += p.Shape.Len()
		}
	}
	stamp := make([]int32, total)  // last core that counted this source
	dests := make([]int32, total)  // distinct destination cores per source
	outSyn := make([]int64, total) // outgoing chip-side synapses per source
	for i := range stamp {
		stamp[i] = -1
	}
	// Neurons grouped by core, in graph order within a core.
	type ref struct{ pop, j int }
	byCore := make([][]ref, t.NumCores)
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		if len(p.Core) != p.Shape.Len() {
			a.Problems = append(a.Problems, fmt.Sprintf("layer %s: %d core entries, want %d (one per neuron)", p.Name, len(p.Core), p.Shape.Len()))
			continue
		}
		for j, c := range p.Core {
			if !t.ValidCore(int(c)) {
				a.Problems = append(a.Problems, fmt.Sprintf("layer %s: neuron %d on core %d, want 0..%d", p.Name, j, c, t.NumCores-1))
				continue
			}
			byCore[c] = append(byCore[c], ref{i, j})
		}
	}
	shared := map[[2]int]bool{} // (projection index, dst channel) kernels stored on the current core
	projIdx := map[*ir.Projection]int{}
	for k, e := range g.Projs {
		projIdx[e] = k
	}
	ins := make([][]*ir.Projection, len(g.Pops))
	for i, p := range g.Pops {
		if i > 0 {
			ins[i] = chipInputs(g, p)
		}
	}
	// A Conv2D or Dense target neuron reads the same sources as every
	// other neuron of its projection at the same position (all of them for
	// Dense): once one of them is counted on a core, the others add their
	// synapses and nothing new to the core's fan-in, axons or traffic.
	// seen[k][pos] is 1+ the last core that walked projection k's position
	// pos, and seenN the synapses found there.
	seen, seenN := make([][]int32, len(g.Projs)), make([][]int64, len(g.Projs))
	for k, e := range g.Projs {
		if n := sharedSourcePositions(e); n > 0 {
			seen[k], seenN[k] = make([]int32, n), make([]int64, n)
		}
	}
	for c := range byCore {
		u := &a.Cores[c]
		clear(shared)
		lastPop := -1
		for _, r := range byCore[c] {
			p := g.Pops[r.pop]
			if r.pop != lastPop {
				u.Pops = append(u.Pops, p.Name)
				lastPop = r.pop
			}
			u.Neurons++
			ch := r.j / (p.Shape.H * p.Shape.W)
			for _, e := range ins[r.pop] {
				if len(e.Src.Core) != e.Src.Shape.Len() {
					continue // reported as a problem of the source layer
				}
				k := projIdx[e]
				pos := -1
				if seen[k] != nil {
					pos = sourcePosition(e, r.j)
					if seen[k][pos] == int32(c)+1 {
						u.Synapses += seenN[k][pos]
						u.Weights += storedWeights(lim.Sharing, e, k, ch, seenN[k][pos], shared)
						continue
					}
				}
				si := g.Index(e.Src)
				base := off[si]
				var n int64
				ir.SynapsesInto(e, r.j, func(j, _ int) {
					n++
					gid := base + j
					if stamp[gid] != int32(c) {
						stamp[gid] = int32(c)
						u.FanIn++
						dests[gid]++
						src := e.Src.Core[j]
						if !t.ValidCore(int(src)) {
							return // reported as a problem of the source layer
						}
						a.Axons[[2]int32{src, int32(c)}]++
						rate := rateOf(e.Src, j)
						if src != int32(c) {
							a.Traffic[[2]int32{src, int32(c)}] += rate
							a.Sent[si] += rate
						} else {
							a.SelfMessages += rate
						}
						a.SentEnergyPJ[si] += rate * t.MessageEnergyPJ(int(src), c)
					}
				})
				if pos >= 0 {
					seen[k][pos], seenN[k][pos] = int32(c)+1, n
				}
				u.Synapses += n
				u.Weights += storedWeights(lim.Sharing, e, k, ch, n, shared)
			}
		}
		u.MemBytes = memBytes(t, u.Weights)
		a.Synapses += u.Synapses
	}
	countOutSynapses(g, t, ins, off, outSyn)
	for i, p := range g.Pops {
		if i == 0 || len(p.Core) != p.Shape.Len() {
			continue
		}
		for j, c := range p.Core {
			gid := off[i] + j
			d := int(dests[gid])
			if t.ValidCore(int(c)) {
				a.Cores[c].FanOut += d
			}
			if d > a.MaxDestCores {
				a.MaxDestCores, a.MaxDestLayer = d, p.Name
			}
			r := rateOf(p, j)
			a.Spikes[i] += r
			a.SynOps[i] += r * float64(outSyn[gid])
		}
	}
	for k := range a.Axons {
		a.Cores[k[0]].DestCores++
	}
	return a
}

// RoutingEntryBytes is the size of one output-axon routing entry assumed
// when a profile limits routing-table bytes: a 32-bit word holding the
// destination core and the axon index there.
const RoutingEntryBytes = 4

// Violations returns every mapping error and limit violation of the
// analysed graph, in got/want form, each naming the core and its layers;
// on targets with core.distinct_weights_per_neuron that includes every
// core whose axons cannot be given axon types (axonTypeViolations), and
// Violations records the types each core takes in a.AxonTypes.
func (a *Analysis) Violations(g *ir.Graph, t *backends.Target, rt *RouteTables) []string {
	lim := TargetLimits(t)
	out := slices.Clone(a.Problems)
	var want int64
	for _, e := range g.Projs {
		if !hostProj(e) {
			want += ir.Synapses(e)
		}
	}
	if a.Synapses != want {
		out = append(out, fmt.Sprintf("synapses: %d accounted on cores, want %d (every chip-side synapse once)", a.Synapses, want))
	}
	for _, e := range g.Projs {
		if d := e.DelaySteps(); d > t.MaxDelaySteps() {
			out = append(out, fmt.Sprintf("projection %s: delay %d steps, want <= %d (core.max_synaptic_delay_steps)", e.Name, d, t.MaxDelaySteps()))
		}
	}
	var neurons int
	for i, p := range g.Pops {
		if i > 0 {
			neurons += p.Shape.Len()
		}
	}
	var mapped int
	for c := range a.Cores {
		u := &a.Cores[c]
		mapped += u.Neurons
		if u.Neurons == 0 {
			continue
		}
		who := fmt.Sprintf("core %d (%s)", c, strings.Join(u.Pops, ", "))
		if cap := t.NeuronCapacity(c); u.Neurons > cap {
			out = append(out, fmt.Sprintf("%s holds %d neurons, want <= %d", who, u.Neurons, cap))
		}
		if t.Profile.LayerCores == nil {
			if m := int64(t.SynapticMemoryBytes(c)); u.MemBytes > m {
				out = append(out, fmt.Sprintf("%s needs %d bytes of synaptic memory, want <= %d", who, u.MemBytes, m))
			}
		}
		if lim.FanIn > 0 && u.FanIn > lim.FanIn {
			out = append(out, fmt.Sprintf("%s has %d input axons, want <= %d", who, u.FanIn, lim.FanIn))
		}
		if lim.FanOut > 0 && u.FanOut > lim.FanOut {
			out = append(out, fmt.Sprintf("%s has %d output axons, want <= %d", who, u.FanOut, lim.FanOut))
		}
	}
	if mapped != neurons {
		out = append(out, fmt.Sprintf("neurons: %d mapped, want %d (every chip-side neuron exactly once)", mapped, neurons))
	}
	if lim.DestCores > 0 && a.MaxDestCores > lim.DestCores {
		out = append(out, fmt.Sprintf("layer %s: a neuron reaches %d cores, want <= %d", a.MaxDestLayer, a.MaxDestCores, lim.DestCores))
	}
	types, used := axonTypeViolations(g, t)
	out = append(out, types...)
	a.AxonTypes = used
	if t.Profile.LayerCores != nil {
		for i, p := range g.Pops {
			if i == 0 || len(p.Core) == 0 {
				continue
			}
			c := int(p.Core[0])
			if !t.ValidCore(c) {
				continue
			}
			if _, err := layerShape(g, t, p, c); err != nil {
				out = append(out, fmt.Sprintf("layer %s: %v", p.Name, err))
			}
			if u := a.Cores[c]; len(u.Pops) > 1 {
				out = append(out, fmt.Sprintf("core %d holds layers %s, want one layer per layer core", c, strings.Join(u.Pops, ", ")))
			}
		}
	}
	if rt != nil {
		out = append(out, rt.Violations(t)...)
	}
	return out
}

// VerifyMapping recounts g as placed on t and returns one error listing
// every violation, or nil.
func VerifyMapping(g *ir.Graph, t *backends.Target, rt *RouteTables) (*Analysis, error) {
	a := Analyze(g, t)
	if v := a.Violations(g, t, rt); len(v) > 0 {
		const maxShown = 20
		more := ""
		if len(v) > maxShown {
			more = fmt.Sprintf("; and %d more", len(v)-maxShown)
			v = v[:maxShown]
		}
		return a, fmt.Errorf("mapping of %s onto %s is invalid: %s%s", g.Name, t.Name(), strings.Join(v, "; "), more)
	}
	return a, nil
}

// verifyPass is the verify pass: it recounts the placed graph, fails on
// any violation and sets Report.Mapping.
func verifyPass(u *Unit) error {
	var rt *RouteTables
	var c *Candidate
	if u.Layout != nil {
		rt, c = u.Layout.Routes, u.Layout.Chosen
	}
	a, err := VerifyMapping(u.G, u.Target, rt)
	if err != nil {
		return err
	}
	r := BuildReport(u.G, u.Target, a)
	if c != nil {
		r.Fragments = len(c.Split.Frags)
		r.PartitionInitialCost, r.PartitionCost = c.Partition.InitialCost, c.Partition.Cost
		r.PlaceStartCost, r.PlaceCost = c.Placement.StartCost, c.Placement.Cost
	}
	u.Report.Mapping = r
	return nil
}
