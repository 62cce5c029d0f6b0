package chipcost

// Placed: the model over the compiler's placement (Population.Core), for
// the mapping report and for checking the model against the simulator.

import (
	"fmt"
	"math"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Placed returns the cost of g on t given its activity a, with every
// non-input neuron on the core Population.Core gives it (set by the
// compiler's place pass). It counts exactly what the spikes send: per
// firing neuron, weighted by its spikes (a.NeuronSpikes, else its
// population's spikes spread evenly over its neurons), the synapses of its
// outgoing projections by kind, one message per destination core and that
// route's hops and network energy; the busiest core of each population and
// the longest message latency into it set the latency. With per-neuron
// spikes the population's spikes are their sum. It wraps ErrNoSpikes when
// a.Spikes is nil and fails when a population is not placed on valid cores
// or a.NeuronSpikes has the wrong length.
func Placed(g *ir.Graph, a Activity, t *backends.Target) (Cost, error) {
	if err := a.check(g); err != nil {
		return Cost{}, err
	}
	base := make([]int, len(g.Pops)) // global id of neuron 0 of each population
	index := make(map[*ir.Population]int32, len(g.Pops))
	total := 0
	for i, p := range g.Pops {
		index[p] = int32(i)
		if i == 0 {
			continue
		}
		base[i] = total
		total += p.Shape.Len()
		if len(p.Core) != p.Shape.Len() {
			return Cost{}, fmt.Errorf("chipcost: %s: population %s has %d core entries, want %d (placed)", g.Name, p.Name, len(p.Core), p.Shape.Len())
		}
		for j, c := range p.Core {
			if !t.ValidCore(int(c)) {
				return Cost{}, fmt.Errorf("chipcost: %s: population %s neuron %d on core %d, want 0..%d", g.Name, p.Name, j, c, t.NumCores-1)
			}
		}
		if ns, ok := a.NeuronSpikes[p.Name]; ok && len(ns) != p.Shape.Len() {
			return Cost{}, fmt.Errorf("chipcost: %s: population %s has %d per-neuron spike counts, want %d", g.Name, p.Name, len(ns), p.Shape.Len())
		}
	}
	T := float64(g.T)
	stages := make([]stage, len(g.Pops)-1)
	weights := make([][]float64, len(g.Pops)) // per-neuron spikes, or nil: spread evenly
	for i, p := range g.Pops[1:] {
		s := a.Spikes[p.Name]
		if ns, ok := a.NeuronSpikes[p.Name]; ok {
			weights[i+1] = ns
			s = 0
			for _, v := range ns {
				s += v
			}
		}
		stages[i] = stage{pop: p, spikes: s, active: a.active(g, p, s, weights[i+1])}
	}
	synIn := make([]float64, total) // synaptic-operation time into each neuron per inference, ns
	stampMsg := make([]int, t.NumCores)
	stampLat := make([]int, t.NumCores)
	for c := range stampMsg {
		stampMsg[c], stampLat[c] = -1, -1
	}
	type pair struct{ dst, from, to int32 }
	latSeen := map[pair]bool{}
	epoch := 0 // one per (source neuron, projection)
	for i, p := range g.Pops[1:] {
		st := &stages[i]
		n := p.Shape.Len()
		outs := g.Out(p)
		for j := range n {
			wj := st.spikes / float64(n)
			if w := weights[i+1]; w != nil {
				wj = w[j]
			}
			if wj == 0 {
				continue
			}
			gid := base[i+1] + j
			from := p.Core[j]
			for _, e := range outs {
				epoch++
				k := backends.ConnectivityOf(e.Op)
				di := index[e.Dst]
				dcore, dbase := e.Dst.Core, base[di]
				opNs := wj * synOpNs(t, k)
				lat := &stages[di-1].msgLatencyNs
				nsyn := 0
				ir.SynapsesFrom(e, j, func(tgt, _ int) {
					nsyn++
					synIn[dbase+tgt] += opNs
					c := dcore[tgt]
					if stampMsg[c] != gid {
						stampMsg[c] = gid
						st.messages += wj
						if c == from {
							st.self += wj
						}
						st.hops += wj * float64(t.Hops(int(from), int(c)).Total())
						st.routePJ += wj * t.NetworkEnergyPJ(int(from), int(c))
					}
					if stampLat[c] != epoch {
						stampLat[c] = epoch
						if key := (pair{di, from, c}); !latSeen[key] {
							latSeen[key] = true
							*lat = math.Max(*lat, t.MessageLatencyNs(int(from), int(c)))
						}
					}
				})
				st.synOps[k] += wj * float64(nsyn)
			}
		}
	}
	// Per population, the busiest core's work per timestep.
	type load struct{ synNs, neurons, spikes, active float64 }
	acc := make([]load, t.NumCores)
	used := make([]bool, t.NumCores)
	tiles := map[int]bool{}
	var touched []int32
	cores := 0
	for i, p := range g.Pops[1:] {
		st := &stages[i]
		n := p.Shape.Len()
		hw := p.Shape.H * p.Shape.W
		_, measured := a.Active[p.Name]
		var bias []int32
		if p.Q != nil {
			bias = p.Q.Bias
		}
		touched = touched[:0]
		for j, c := range p.Core {
			if acc[c] == (load{}) {
				touched = append(touched, c)
			}
			l := &acc[c]
			l.neurons++
			l.synNs += synIn[base[i+1]+j]
			wj := st.spikes / float64(n)
			if w := weights[i+1]; w != nil {
				wj = w[j]
			}
			l.spikes += wj
			switch { // as Activity.active, per neuron
			case measured:
				l.active += st.active / float64(n)
			case bias != nil && bias[j/hw] != 0:
				l.active += T
			default:
				l.active += wj
			}
		}
		st.cores = len(touched)
		for _, c := range touched {
			l := acc[c]
			st.workNs = math.Max(st.workNs, workNs(t, l.synNs/T, l.neurons, l.active/T, l.spikes/T))
			acc[c] = load{}
			if !used[c] {
				used[c] = true
				cores++
				tiles[t.CoreCoord(int(c)).Tile] = true
			}
		}
	}
	return finish(g, t, a, stages, cores, len(tiles)), nil
}
