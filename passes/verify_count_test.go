package passes

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// TestAnalyzeMatchesSynapseWalk checks Analyze, which walks one target
// neuron per shared source position and counts outgoing synapses per
// source position, against the plain walk of every synapse (analyzeSlow),
// on compiled random networks (with and without conv weight sharing) and on the same mappings broken (a neuron on
// an invalid core, a layer without core entries).
func TestAnalyzeMatchesSynapseWalk(t *testing.T) {
	for _, chip := range append(slices.Clone(testChips), "loihi1") { // loihi1 shares conv weights
		for seed := uint64(1); seed <= 6; seed++ {
			u, ok := compileRandom(t, chip, seed)
			if !ok {
				continue
			}
			g := u.G
			check := func(what string) {
				t.Helper()
				if d := cmp.Diff(analyzeSlow(g, u.Target), Analyze(g, u.Target)); d != "" {
					t.Fatalf("%s seed %d %s: Analyze differs from the synapse walk (-want +got):\n%s", chip, seed, what, d)
				}
			}
			check("as compiled")
			last := g.Pops[len(g.Pops)-1]
			last.Core[0] = int32(u.Target.NumCores)
			check(fmt.Sprintf("%s neuron 0 on an invalid core", last.Name))
			g.Pops[1].Core = g.Pops[1].Core[:1]
			check(fmt.Sprintf("%s without core entries", g.Pops[1].Name))
		}
	}
}

// analyzeSlow is Analyze as it was before its shortcuts: every synapse walked.
func analyzeSlow(g *ir.Graph, t *backends.Target) *Analysis {
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
				si := g.Index(e.Src)
				base := off[si]
				var n int64
				ir.SynapsesInto(e, r.j, func(j, _ int) {
					n++
					gid := base + j
					outSyn[gid]++
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
				u.Synapses += n
				switch {
				case !lim.Sharing || e.Op == ir.Dense:
					u.Weights += n
				case e.Op == ir.Conv2D:
					if k := [2]int{projIdx[e], ch}; !shared[k] {
						shared[k] = true
						u.Weights += int64(e.Src.Shape.C * e.Kernel * e.Kernel)
					}
				default:
					if k := [2]int{projIdx[e], -1}; !shared[k] {
						shared[k] = true
						u.Weights++
					}
				}
			}
		}
		u.MemBytes = memBytes(t, u.Weights)
		a.Synapses += u.Synapses
	}
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
