package sim

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Sim is a virtual chip loaded with one compiled graph. It is not safe for
// concurrent use; run one Sim per goroutine.
type Sim struct {
	g     *ir.Graph
	t     *backends.Target
	costs resolvedCosts
	host  *ir.IntExecutor // for the host-side input currents only

	pops     []pop
	corePops []corePop
	cores    []core
	nNeurons int
	syns     []synapse        // wide form, unless compact
	csyns    []compactSynapse // compact form
	compact  bool
	cwb      uint8 // weight bits of the compact form
	// span16: every compact group spans fewer than 2^16 neurons and cwb
	// is 16, so a group indexes its window as an array without bounds
	// checks (cur32 has 2^16 spare entries for it).
	span16 bool
	nSyn   int
	groups []group
	// cpIndex[pop*NumCores+core] is the corePop index, or -1.
	cpIndex []int32

	// Neuron state, by global neuron id. The synaptic input of the current
	// step is in cur32 when narrow (every neuron's sum of |weights| fits
	// int32), else in cur.
	cur    []int64
	cur32  []int32
	narrow bool
	sumAbs []int64 // during build only
	// Chip semantics (chipsem.go): in32/in hold the synaptic input that
	// arrived in the previous step, read by this step's updates, while
	// cur32/cur collect this step's messages; stepNo is the current step,
	// firstStep[p] and depth[p] the shortest and longest path of
	// population p from the input in synapses (Depths).
	chip      bool
	in32      []int32
	in        []int64
	stepNo    int
	firstStep []int
	depth     []int
	// Synaptic delays (chipsem_delay.go): delays.on is set in Chip semantics
	// when a projection has a delay above 1 step.
	delays  delayLine
	v       []int32 // membrane potential
	syn     []int32 // synaptic current of cuba_lif neurons (nil without any)
	anyCuba bool

	// outstanding[srcPop*NumCores+core] counts messages from srcPop to core
	// not yet processed or dropped in this step.
	outstanding []int32

	// NoC.
	routers []router
	nports  int
	bufQ    []int32 // ring buffers of router input ports, bufCap each
	bufHead []int32
	bufLen  []int32
	headOut []int16 // output port wanted by the head of each buffer, -1 if empty
	occ     []int32 // messages held or reserved per input buffer
	// creditWait marks buffers that a head upstream found full: the next
	// freed slot must wake the upstream port.
	creditWait []bool
	blocked    []float64
	bcause     []uint8
	// waitUntil[b] is, under the drop policy with a drop wait, the time
	// the head of buffer b is dropped if it still finds its next buffer
	// full; -1 while the head has not found a full buffer.
	waitUntil []float64
	// Output ports, indexed like the input buffers.
	nextFree  []float64
	wake      []bool
	rr        []int32
	linkStep  []int64 // messages per link this step
	linkImage []int64 // this image
	linkTotal []int64 // since New
	nLinks    int

	msgs     []message
	freeMsgs []int32
	// Multicast trees: destination groups of packets (reset every step),
	// and the output ports wanted by the head of each buffer.
	multicast bool
	dests     []int32
	headMask  []uint64

	q          eventQueue
	now        float64
	lastActive float64
	pendOut    []int32
	pendNI     []int32

	tilesInUse int
	step       Stats
	stalls     [2]float64
	// broken is set when a step failed half-way (a simulator bug); the
	// state is then inconsistent and Run refuses to continue.
	broken error
}

// New loads the compiled graph g onto the chip t. g must be quantized
// (every non-input population has Q, every projection Q) and placed (every
// non-input population has Core); New returns an error naming the node
// otherwise, or when a core holds more neurons than it can. The Sim reads
// g while it runs: g must not be modified while the Sim is in use.
func New(g *ir.Graph, t *backends.Target) (*Sim, error) {
	if t.Profile.Mesh.CoresPerTile > 250 || t.MeshWidth > 1<<15 || t.MeshHeight > 1<<15 {
		return nil, fmt.Errorf("sim: %s: %d cores per tile on a %d x %d mesh, want <= 250 and < 32768 x 32768", t.Name(), t.Profile.Mesh.CoresPerTile, t.MeshWidth, t.MeshHeight)
	}
	host, err := ir.NewIntExecutor(g)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s := &Sim{g: g, t: t, host: host, costs: resolveCosts(t)}
	if err := s.build(); err != nil {
		return nil, err
	}
	nc := t.NumCores
	s.cpIndex = make([]int32, len(g.Pops)*nc)
	for i := range s.cpIndex {
		s.cpIndex[i] = -1
	}
	for i, cp := range s.corePops {
		s.cpIndex[cp.pop*nc+int(cp.core)] = int32(i)
	}
	s.buildNoC()
	if t.Profile.NoC.MessageMode == backends.MessageMulticastTree {
		if s.nports > 64 {
			return nil, fmt.Errorf("sim: %s: multicast routers with %d ports, want <= 64", t.Name(), s.nports)
		}
		s.multicast = true
	}
	if nb := len(s.routers) * s.nports; nb >= 1<<kindShift || len(s.corePops) >= 1<<kindShift {
		return nil, fmt.Errorf("sim: %s on %s: %d router ports and %d core-populations, want < 2^29 each", g.Name, t.Name(), nb, len(s.corePops))
	}
	tiles := map[int32]bool{}
	for c := range s.cores {
		if s.cores[c].neuronsHeld > 0 {
			tiles[s.cores[c].router] = true
		}
	}
	s.tilesInUse = len(tiles)
	switch s.costs.syncMode {
	case backends.SyncBarrier:
		s.costs.barrierNs = t.SyncNs(s.tilesInUse)
	}
	s.allocState()
	return s, nil
}

// Graph returns the graph the chip runs.
func (s *Sim) Graph() *ir.Graph { return s.g }

// Target returns the chip.
func (s *Sim) Target() *backends.Target { return s.t }

// Synapses returns the number of expanded synapses stored on the chip.
func (s *Sim) Synapses() int { return s.nSyn }

// Notes lists where the simulation approximates what the chip profile
// describes, and what a check of the mapping found that the simulation
// does not enforce (synaptic memory per core); empty when neither applies.
func (s *Sim) Notes() []string {
	var n []string
	p := s.t.Profile
	if p.Sync.Mode == backends.SyncNone {
		n = append(n, "sync none: the chip is still simulated timestep by timestep, with no barrier cost")
	}
	if p.LayerCores != nil {
		n = append(n, "layer cores: neuron capacities per core are checked, kernel memories are not")
	}
	if !p.Core.ConvWeightSharing && p.LayerCores == nil {
		// Expanded synapses live in their target's core: report cores whose
		// synapses, at the chip's weight width, exceed its synaptic memory.
		per := make([]int64, s.t.NumCores)
		for i := range s.groups {
			per[s.groups[i].core] += int64(s.groups[i].syn1 - s.groups[i].syn0)
		}
		over, worst := 0, -1
		for c, k := range per {
			if k*int64(p.Precision.WeightBits) > 8*int64(s.t.SynapticMemoryBytes(c)) {
				over++
				if worst < 0 || k > per[worst] {
					worst = c
				}
			}
		}
		if over > 0 {
			n = append(n, fmt.Sprintf("mapping check: %d cores hold more expanded synapses than their synaptic memory; core %d holds %d synapses = %d bytes at %d-bit weights, want <= %d",
				over, worst, per[worst], (per[worst]*int64(p.Precision.WeightBits)+7)/8, p.Precision.WeightBits, s.t.SynapticMemoryBytes(worst)))
		}
	}
	return n
}

// Membrane returns the membrane potentials of population p (an index into
// Graph.Pops; nil for the input) in membrane LSBs, as they stand: inside
// the StepFunc of Run for step t, the values after step t. The slice is
// live and must not be modified.
func (s *Sim) Membrane(p int) []int32 {
	if p <= 0 || p >= len(s.pops) {
		return nil
	}
	sp := &s.pops[p]
	return s.v[sp.base : int(sp.base)+sp.n]
}

// TilesInUse returns the number of tiles holding at least one neuron (the
// tiles that take part in the barrier).
func (s *Sim) TilesInUse() int { return s.tilesInUse }

// Run runs one input through the chip. input has the input population's
// length for Direct encoding and T times that for Frames (time-major), as
// for ir.IntExecutor.Run. obs, if not nil, sees every population's output
// at every step once the step has drained: the input frame for the input
// population and 0/1 spikes for the others. A run has Steps() steps (T in
// Trained semantics; in Chip semantics the steps from T on see an all-zero
// input frame) and counts the output's votes from step OutputOffset().
func (s *Sim) Run(input []float32, obs ir.StepFunc) (ImageResult, error) {
	g := s.g
	n := g.Input().Shape.Len()
	want := n
	if g.Encoding == ir.Frames {
		want = g.T * n
	}
	if len(input) != want {
		return ImageResult{}, fmt.Errorf("sim: run %s: input has %d values, want %d", g.Name, len(input), want)
	}
	if s.broken != nil {
		return ImageResult{}, fmt.Errorf("sim: run %s: an earlier run failed (%v); make a new Sim", g.Name, s.broken)
	}
	clear(s.v)
	clear(s.syn)
	clear(s.cur)
	clear(s.cur32)
	clear(s.in)
	clear(s.in32)
	s.delays.clear()
	clear(s.linkImage)
	steps, offset := s.Steps(), s.OutputOffset()
	res := ImageResult{
		Result: ir.Result{Spikes: make([]int, len(g.Pops)), Counter: make([]float32, g.Classes)},
		Steps:  make([]Stats, 0, steps),
	}
	var compute float64
	var zero []float32 // the input frame of the fill-out steps (Chip semantics)
	for t := 0; t < steps; t++ {
		frame := input
		switch {
		case t >= g.T:
			if zero == nil {
				zero = make([]float32, n)
				for i := 1; i < len(s.pops); i++ {
					clear(s.pops[i].hostI)
				}
			}
			frame = zero
		case g.Encoding == ir.Frames:
			frame = input[t*n : (t+1)*n]
		}
		if s.chip {
			s.beginChipStep(t)
		}
		if t < g.T && (t == 0 || g.Encoding == ir.Frames) {
			for i := 1; i < len(s.pops); i++ {
				if s.pops[i].host {
					if err := s.host.HostCurrent(i, frame, s.pops[i].hostI); err != nil {
						return res, fmt.Errorf("sim: run %s: step %d: %w", g.Name, t, err)
					}
				}
			}
		}
		st, err := s.runStep()
		if err != nil {
			s.broken = err
			return res, fmt.Errorf("sim: run %s: step %d: %w", g.Name, t, err)
		}
		compute += st.ComputeNs
		res.Steps = append(res.Steps, st)
		res.Total.add(st)
		if obs != nil {
			obs(t, 0, frame)
		}
		for i := 1; i < len(s.pops); i++ {
			res.Result.Spikes[i] += s.pops[i].fired
			if obs != nil {
				obs(t, i, s.pops[i].out)
			}
		}
		if t < offset {
			continue
		}
		out := s.pops[len(s.pops)-1].out
		for c := range res.Result.Counter {
			var sum float32
			for _, v := range out[c*g.Vote : (c+1)*g.Vote] {
				sum += v
			}
			res.Result.Counter[c] += sum / float32(g.Vote)
		}
	}
	res.Total.LinkUtilMean, res.Total.LinkUtilMax = s.linkUtil(s.linkImage, compute)
	for i, c := range s.linkImage {
		s.linkTotal[i] += c
	}
	res.Predicted = res.Result.Predict()
	return res, nil
}

// linkUtil returns the mean and max busy fraction of the mesh links with
// the given message counts over durationNs.
func (s *Sim) linkUtil(counts []int64, durationNs float64) (mean, mx float64) {
	if durationNs <= 0 || s.nLinks == 0 {
		return 0, 0
	}
	var sum float64
	for r := range s.routers {
		for d := 0; d < numDirs; d++ {
			if s.routers[r].nbr[d] < 0 {
				continue
			}
			u := float64(counts[r*s.nports+d]) * s.routers[r].serNs[d] / durationNs
			sum += u
			mx = max(mx, u)
		}
	}
	return sum / float64(s.nLinks), mx
}

// LinkLoad returns the number of messages that crossed each mesh link over
// all runs so far, as a map from link to count (links with no traffic are
// included with 0).
func (s *Sim) LinkLoad() map[backends.Link]int64 {
	out := make(map[backends.Link]int64, s.nLinks)
	for r, rt := range s.routers {
		for d := 0; d < numDirs; d++ {
			if rt.nbr[d] < 0 {
				continue
			}
			out[backends.Link{X: int(rt.x), Y: int(rt.y), Dir: backends.Direction(d), InterChip: rt.inter[d]}] = s.linkTotal[r*s.nports+d]
		}
	}
	return out
}
