package sim

// This file lays a compiled graph out on the chip: neurons on cores, and
// each source neuron's synapses (ir.SynapsesFrom) expanded and grouped by
// destination core into the payloads of its messages.

import (
	"fmt"
	"math"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// synapse is one expanded synapse: a target neuron (global neuron id, see
// pop.base) and its integer weight in the target's membrane LSBs.
type synapse struct {
	t int32
	w int32
}

// compactSynapse is a synapse in 4 bytes: the target as an offset from
// its group's base neuron in the high 32 - Sim.cwb bits, the weight in the
// low Sim.cwb bits (two's complement). Sim.cwb is the fewest bits that
// hold every weight of the graph; the form is used when every group spans
// fewer than 2^(32 - cwb) neurons (Sim.compact). At C = 64 a group (one
// source neuron's synapses on one core) spans a core's channels, more
// than 2^16 neurons, so a fixed 16/16 split would not do.
type compactSynapse uint32

// packSynapse returns the compact form of offset dt and weight w, which
// fit in 32 - wb and wb bits.
func packSynapse(dt uint32, w int32, wb uint8) compactSynapse {
	return compactSynapse(dt<<wb | uint32(w)&(1<<wb-1))
}

// unpack returns the offset and weight of sy (wb weight bits).
func (sy compactSynapse) unpack(wb uint8) (dt uint32, w int32) {
	return uint32(sy) >> wb, int32(uint32(sy)<<(32-wb)) >> (32 - wb)
}

// group is the synapses of one source neuron on one destination core: the
// payload of one spike message. energyPJ and latencyNs are the summed
// synaptic-operation costs of the group (per-kind costs from the target).
type group struct {
	core      int32
	srcPop    int32
	base      int32  // smallest target neuron (compact form)
	syn0      uint32 // synapses syns[syn0:syn1]
	syn1      uint32
	energyPJ  float64
	latencyNs float64
}

// pop is the chip-side state of one graph population.
type pop struct {
	p     *ir.Population
	q     *ir.PopQuant
	leaky bool
	cuba  bool // cuba_lif: the membrane charges from a decaying current (Sim.syn)
	// readout: the LI output, which never fires; the host probes its
	// membrane every step and out holds V/Scale (ir/quant.go).
	readout bool
	base    int32 // global id of neuron 0 of the population
	n       int
	hw      int
	// host is true when the host injects a current (projections from the
	// input population); hostI holds it for the current frame.
	host  bool
	hostI []int32
	srcs  []int   // distinct non-input source populations
	dsts  []int   // distinct destination populations
	cores []int32 // cores holding neurons of the population, ascending
	// grp[j]..grp[j+1] are the message groups of neuron j.
	grp []int32
	// Per-step state.
	remaining int       // cores that have not finished updating
	out       []float32 // 0/1 spikes of the step (for observers)
	fired     int       // spikes this step
}

// corePop is the part of one population that lives on one core.
type corePop struct {
	pop     int
	core    int32
	neurons []int32 // local neuron indices within the population, ascending
	queued  bool    // update job queued this step
}

// core is one neuromorphic core.
type core struct {
	id     int32
	router int32
	slot   int32
	pops   []int // indices into Sim.corePops of the populations it holds
	// busyUntil is the time (ns) the core's serial work queue drains.
	busyUntil float64
	// NI injection queue (unbounded) and its port.
	ni          fifo
	niWake      bool    // an evNIFree is scheduled
	niBlocked   float64 // since when the head waits (< 0: not waiting)
	maxNIQueue  int
	neuronsHeld int
}

// build lays the compiled graph out on the chip: neurons on cores, synapses
// expanded and grouped by (source neuron, destination core).
func (s *Sim) build() error {
	g, t := s.g, s.t
	var errs []string
	errorf := func(format string, args ...any) {
		if len(errs) < 10 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	index := make(map[*ir.Population]int, len(g.Pops))
	for i, p := range g.Pops {
		index[p] = i
	}
	s.cores = make([]core, t.NumCores)
	cpt := t.Profile.Mesh.CoresPerTile
	for c := range s.cores {
		s.cores[c] = core{id: int32(c), router: int32(c / cpt), slot: int32(c % cpt), niBlocked: -1}
	}
	s.pops = make([]pop, len(g.Pops))
	var total int32
	for i, p := range g.Pops {
		sp := &s.pops[i]
		sp.p, sp.n = p, p.Shape.Len()
		sp.hw = p.Shape.H * p.Shape.W
		if i == 0 {
			continue
		}
		sp.q = p.Q
		sp.leaky = p.Neuron.Model != ir.IF
		sp.cuba = p.Neuron.Model == ir.CubaLIF
		sp.readout = p.Neuron.Model == ir.LI
		s.anyCuba = s.anyCuba || sp.cuba
		sp.base = total
		if int64(total)+int64(sp.n) > math.MaxInt32 {
			return fmt.Errorf("sim: %s: more than 2^31 neurons", g.Name)
		}
		total += int32(sp.n)
		sp.out = make([]float32, sp.n)
		if len(p.Core) != sp.n {
			errorf("population %s: core placement has %d entries, want %d (run the place pass)", p.Name, len(p.Core), sp.n)
			continue
		}
		perCore := map[int32][]int32{}
		for j, c := range p.Core {
			if !t.ValidCore(int(c)) {
				errorf("population %s neuron %d: core %d, want 0..%d", p.Name, j, c, t.NumCores-1)
				continue
			}
			perCore[c] = append(perCore[c], int32(j))
		}
		for c := range int32(t.NumCores) {
			if nn, ok := perCore[c]; ok {
				sp.cores = append(sp.cores, c)
				s.cores[c].pops = append(s.cores[c].pops, len(s.corePops))
				s.cores[c].neuronsHeld += len(nn)
				s.corePops = append(s.corePops, corePop{pop: i, core: c, neurons: nn})
			}
		}
	}
	for c := range s.cores {
		if n, capN := s.cores[c].neuronsHeld, t.NeuronCapacity(c); n > capN {
			errorf("core %d holds %d neurons, want <= %d", c, n, capN)
		}
	}
	s.nNeurons = int(total)
	for _, e := range g.Projs {
		si, di := index[e.Src], index[e.Dst]
		if si == 0 {
			if !e.Q.Host {
				errorf("projection %s: from the input population but not host-computed (ProjQuant.Host false)", e.Name)
			}
			s.pops[di].host = true
			continue
		}
		if e.Q.Host {
			errorf("projection %s: host-computed but its source %s is not the input", e.Name, e.Src.Name)
		}
		if d, dmax := e.DelaySteps(), t.MaxDelaySteps(); d > dmax {
			errorf("projection %s: delay %d steps, want <= %d (the chip's core.max_synaptic_delay_steps)", e.Name, d, dmax)
		}
		if n := len(e.Q.Weights); (e.Op.HasWeights() && n != e.WeightLen()) || (!e.Op.HasWeights() && n != 1) {
			want := 1
			if e.Op.HasWeights() {
				want = e.WeightLen()
			}
			errorf("projection %s: %d integer weights, want %d", e.Name, n, want)
			continue
		}
		if !containsInt(s.pops[di].srcs, si) {
			s.pops[di].srcs = append(s.pops[di].srcs, si)
		}
		if !containsInt(s.pops[si].dsts, di) {
			s.pops[si].dsts = append(s.pops[si].dsts, di)
		}
	}
	for i := range s.pops {
		if s.pops[i].host {
			s.pops[i].hostI = make([]int32, s.pops[i].n)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sim: mapping of %s on %s: %s", g.Name, t.Name(), strings.Join(errs, "; "))
	}
	s.sumAbs = make([]int64, s.nNeurons)
	s.expand(index)
	// The synaptic sum of a neuron is bounded by the sum of the magnitudes
	// of its weights; when every bound fits int32 the accumulators are
	// int32 (half the memory traffic), else int64. Either way the sum is
	// exact.
	s.narrow = true
	for _, v := range s.sumAbs {
		if v > math.MaxInt32 {
			s.narrow = false
			break
		}
	}
	s.sumAbs = nil
	if !s.narrow && s.compact {
		s.widen() // the compact form feeds int32 accumulators only
	}
	if s.compact {
		s.repack16()
	}
	s.nSyn = len(s.syns) + len(s.csyns)
	return nil
}

func containsInt(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}
