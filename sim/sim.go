package sim

import (
	"fmt"
	"math"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// numDirs is the number of mesh directions (backends.East..South); router
// port d < numDirs is the link in direction d, ports numDirs+slot are the
// local ports of the tile's cores.
const numDirs = backends.NumDirections

// Stall causes, indices into stall accumulators.
const (
	causeLinkBusy uint8 = iota
	causeBufferFull
)

// router is one tile's router.
type router struct {
	x, y int32
	// nbr is the neighbouring router in each direction, -1 at the edge.
	nbr [numDirs]int32
	// Per outgoing link: latency (ns) and energy (pJ) of one hop.
	latNs [numDirs]float64
	hopPJ [numDirs]float64
	inter [numDirs]bool
}

// message is one spike message in flight: a unicast message to one core
// (grp), or on a multicast-tree chip a packet copy bound for several
// cores (d0, d1).
type message struct {
	born   float64 // emission time, ns since the start of the step
	grp    int32   // the group (source neuron, destination core) it carries
	dx, dy int16   // destination tile position
	slot   uint8   // destination core's slot in its tile
	out    uint8   // output port wanted at the current router
	hops   uint16
	// d0, d1: a multicast packet's destination groups, dests[d0:d1].
	d0, d1 int32
}

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
	nSyn     int
	groups   []group
	// cpIndex[pop*NumCores+core] is the corePop index, or -1.
	cpIndex []int32

	// Neuron state, by global neuron id. The synaptic input of the current
	// step is in cur32 when narrow (every neuron's sum of |weights| fits
	// int32), else in cur.
	cur    []int64
	cur32  []int32
	narrow bool
	sumAbs []int64 // during build only
	v      []int32 // membrane potential

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
		s.headMask = make([]uint64, len(s.nextFree))
	}
	if len(s.nextFree) >= 1<<kindShift || len(s.corePops) >= 1<<kindShift {
		return nil, fmt.Errorf("sim: %s on %s: %d router ports and %d core-populations, want < 2^29 each", g.Name, t.Name(), len(s.nextFree), len(s.corePops))
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
	return s, nil
}

func (s *Sim) buildNoC() {
	t := s.t
	m := t.Profile.Mesh
	cpt := m.CoresPerTile
	s.nports = numDirs + cpt
	s.routers = make([]router, t.NumTiles)
	at := func(x, y int) int32 {
		c, ok := t.CoreAt(x, y, 0)
		if !ok {
			return -1
		}
		return int32(c / cpt)
	}
	p := t.Profile
	for r := range s.routers {
		co := t.CoreCoord(r * cpt)
		rt := &s.routers[r]
		rt.x, rt.y = int32(co.X), int32(co.Y)
		for d := backends.East; d <= backends.South; d++ {
			l, ok := t.LinkFrom(co.X, co.Y, d)
			if !ok {
				rt.nbr[d] = -1
				continue
			}
			rt.nbr[d] = at(l.To())
			s.nLinks++
			rt.inter[d] = l.InterChip
			switch {
			case l.InterChip:
				rt.latNs[d], rt.hopPJ[d] = p.NoC.InterChipHopLatencyNs, p.Energy.InterChipHopPJ
			case d == backends.East || d == backends.West:
				rt.latNs[d], rt.hopPJ[d] = p.NoC.HopLatencyEWNs, p.Energy.HopEWPJ
			default:
				rt.latNs[d], rt.hopPJ[d] = p.NoC.HopLatencyNSNs, p.Energy.HopNSPJ
			}
		}
	}
	nb := len(s.routers) * s.nports
	s.bufQ = make([]int32, nb*int(s.costs.bufCap))
	s.bufHead = make([]int32, nb)
	s.bufLen = make([]int32, nb)
	s.headOut = make([]int16, nb)
	for i := range s.headOut {
		s.headOut[i] = -1
	}
	s.occ = make([]int32, nb)
	s.creditWait = make([]bool, nb)
	s.blocked = make([]float64, nb)
	s.bcause = make([]uint8, nb)
	s.waitUntil = make([]float64, nb)
	for i := range s.waitUntil {
		s.waitUntil[i] = -1
	}
	s.nextFree = make([]float64, nb)
	s.wake = make([]bool, nb)
	s.rr = make([]int32, nb)
	s.linkStep = make([]int64, nb)
	s.linkImage = make([]int64, nb)
	s.linkTotal = make([]int64, nb)
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
// population and 0/1 spikes for the others.
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
	clear(s.cur)
	clear(s.cur32)
	clear(s.linkImage)
	res := ImageResult{
		Result: ir.Result{Spikes: make([]int, len(g.Pops)), Counter: make([]float32, g.Classes)},
		Steps:  make([]Stats, 0, g.T),
	}
	var compute float64
	for t := 0; t < g.T; t++ {
		frame := input
		if g.Encoding == ir.Frames {
			frame = input[t*n : (t+1)*n]
		}
		if t == 0 || g.Encoding == ir.Frames {
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
			u := float64(counts[r*s.nports+d]) * s.costs.serNs / durationNs
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

// runStep simulates one timestep from an empty chip to a drained one.
func (s *Sim) runStep() (Stats, error) {
	s.step = Stats{}
	s.stalls = [2]float64{}
	s.now, s.lastActive = 0, 0
	s.q.reset()
	s.dests = s.dests[:0]
	for c := range s.cores {
		co := &s.cores[c]
		co.busyUntil, co.niBlocked, co.niWake, co.maxNIQueue = 0, -1, false, 0
	}
	clear(s.nextFree)
	clear(s.wake)
	clear(s.creditWait)
	clear(s.rr)
	clear(s.linkStep)
	for i := range s.blocked {
		s.blocked[i] = -1
	}
	for i := 1; i < len(s.pops); i++ {
		s.pops[i].remaining = len(s.pops[i].cores)
		s.pops[i].fired = 0
	}
	for i := range s.corePops {
		s.corePops[i].queued = false
	}
	for i := range s.corePops {
		s.checkReady(int32(i))
	}
	s.drainPending()
	for s.q.len() > 0 {
		ev := s.q.pop()
		s.now = ev.t
		if ev.kind() != evDropWait {
			s.lastActive = max(s.lastActive, ev.t)
		}
		switch ev.kind() {
		case evDropWait:
			// Stale when the head it was set for has left the buffer (the
			// time then differs or is -1); a stale wait costs nothing.
			if b := ev.a(); s.waitUntil[b] == ev.t {
				s.lastActive = max(s.lastActive, ev.t)
				s.tryBuffer(b)
			}
		case evArrive:
			s.arrive(ev.a(), ev.b)
		case evPortFree:
			s.wake[ev.a()] = false
			s.tryOutput(ev.a())
		case evUpdateDone:
			s.updateDone(ev.a())
		case evNIFree:
			s.cores[ev.a()].niWake = false
			s.tryNI(ev.a())
		}
		s.drainPending()
	}
	if stuck := s.step.Messages - s.step.Delivered - s.step.Dropped; stuck > 0 && s.multicast {
		return s.step, fmt.Errorf("the NoC deadlocked with %d messages in router buffers (multicast packets waiting for each other's buffers); use the drop policy or deeper buffers", stuck)
	}
	for i := 1; i < len(s.pops); i++ {
		if s.pops[i].remaining != 0 {
			return s.step, fmt.Errorf("population %s: %d cores never became ready (simulator bug: inputs outstanding)", s.pops[i].p.Name, s.pops[i].remaining)
		}
	}
	st := s.step
	st.InFlight = st.Messages - st.Delivered - st.Dropped
	if st.InFlight != 0 {
		return st, fmt.Errorf("%d messages in flight after the NoC drained (simulator bug)", st.InFlight)
	}
	st.Stalls.LinkBusyNs += s.stalls[causeLinkBusy]
	st.Stalls.BufferFullNs += s.stalls[causeBufferFull]
	for c := range s.cores {
		st.MaxInjectionQueue = max(st.MaxInjectionQueue, s.cores[c].maxNIQueue)
	}
	st.ComputeNs = s.lastActive
	switch s.costs.syncMode {
	case backends.SyncBarrier:
		st.BarrierNs = s.costs.barrierNs
		st.LatencyNs = st.ComputeNs + st.BarrierNs
	case backends.SyncFixedTick:
		st.LatencyNs = math.Max(st.ComputeNs, s.costs.fixedTickNs)
		if st.ComputeNs > s.costs.fixedTickNs {
			st.TickOverruns = 1
		}
	default:
		st.LatencyNs = st.ComputeNs
	}
	st.LatencyCycles = st.LatencyNs / s.costs.cycleNs
	st.Energy.StaticPJ = s.costs.staticPerNs * st.LatencyNs
	st.LinkUtilMean, st.LinkUtilMax = s.linkUtil(s.linkStep, st.ComputeNs)
	for i, c := range s.linkStep {
		s.linkImage[i] += c
	}
	return st, nil
}

func (s *Sim) drainPending() {
	for len(s.pendOut) > 0 || len(s.pendNI) > 0 {
		if n := len(s.pendOut); n > 0 {
			po := s.pendOut[n-1]
			s.pendOut = s.pendOut[:n-1]
			s.tryOutput(po)
			continue
		}
		n := len(s.pendNI)
		c := s.pendNI[n-1]
		s.pendNI = s.pendNI[:n-1]
		s.tryNI(c)
	}
}

// checkReady queues the neuron update of core-population cpi when all its
// source populations have finished and every message they sent to its
// core has been processed (or dropped).
func (s *Sim) checkReady(cpi int32) {
	cp := &s.corePops[cpi]
	if cp.queued {
		return
	}
	nc := s.t.NumCores
	for _, src := range s.pops[cp.pop].srcs {
		if s.pops[src].remaining > 0 || s.outstanding[src*nc+int(cp.core)] > 0 {
			return
		}
	}
	cp.queued = true
	s.update(cpi)
}

// update performs the neuron update of one core-population: functionally
// now; in time after the core's queued work, neuron by neuron, each spike
// leaving the core (its messages entering the injection queue) as soon as
// its neuron has been updated and has generated it.
func (s *Sim) update(cpi int32) {
	cp := &s.corePops[cpi]
	sp := &s.pops[cp.pop]
	co := &s.cores[cp.core]
	q := sp.q
	c := &s.costs
	vmin, vmax := int64(q.VMin), int64(q.VMax)
	thr, reset := int64(q.Threshold), int64(q.Reset)
	decay, bits := int64(q.Decay), q.DecayBits
	var active, fired int64
	base := sp.base
	at := max(s.now, co.busyUntil) // time the core reaches this neuron
	for _, j := range cp.neurons {
		gid := base + j
		var x int64
		if s.narrow {
			x = int64(s.cur32[gid])
			s.cur32[gid] = 0
		} else {
			x = s.cur[gid]
			s.cur[gid] = 0
		}
		if sp.hostI != nil {
			x += int64(sp.hostI[j])
		}
		if q.Bias != nil {
			x += int64(q.Bias[int(j)/sp.hw])
		}
		if x != 0 {
			active++
			at += c.activeT
		} else {
			at += c.inactiveT
		}
		x = min(max(x, vmin), vmax)
		v := int64(s.v[gid])
		var h int64
		if sp.leaky {
			h = v + ((x-(v-reset))*decay)>>bits
		} else {
			h = v + x
		}
		h = min(max(h, vmin), vmax)
		if h >= thr {
			s.v[gid] = int32(reset)
			sp.out[j] = 1
			fired++
			at += c.spikeT
			if s.multicast {
				s.emitPacket(cp, sp, j, at)
			} else {
				s.emitMessages(cp, sp, j, at)
			}
		} else {
			s.v[gid] = int32(h)
			sp.out[j] = 0
		}
	}
	nUpd := int64(len(cp.neurons))
	sp.fired += int(fired)
	s.step.NeuronUpdates += nUpd
	s.step.ActiveUpdates += active
	s.step.Spikes += fired
	s.step.Energy.NeuronPJ += float64(active)*c.activeE + float64(nUpd-active)*c.inactiveE + float64(fired)*c.spikeE
	co.busyUntil = at
	if fired > 0 {
		s.pendNI = append(s.pendNI, cp.core)
	}
	s.q.push(at, evUpdateDone, cpi, 0)
}

// updateDone marks the update of core-population cpi finished and, when
// its population has finished on every core, wakes its destinations.
func (s *Sim) updateDone(cpi int32) {
	cp := &s.corePops[cpi]
	sp := &s.pops[cp.pop]
	nc := s.t.NumCores
	sp.remaining--
	if sp.remaining == 0 {
		for _, d := range sp.dsts {
			for _, c := range s.pops[d].cores {
				s.checkReady(s.cpIndex[d*nc+int(c)])
			}
		}
	}
}

// emitMessages queues one message per destination core of neuron j of cp,
// which fired at time at, for injection.
func (s *Sim) emitMessages(cp *corePop, sp *pop, j int32, at float64) {
	nc := s.t.NumCores
	co := &s.cores[cp.core]
	for gi := sp.grp[j]; gi < sp.grp[j+1]; gi++ {
		gr := &s.groups[gi]
		s.outstanding[cp.pop*nc+int(gr.core)]++
		s.step.Messages++
		s.step.Packets++
		s.step.Energy.NetworkPJ += s.costs.msgOutE
		dst := &s.cores[gr.core]
		rt := &s.routers[dst.router]
		m := s.newMsg(message{grp: gi, dx: int16(rt.x), dy: int16(rt.y), slot: uint8(dst.slot), born: at})
		co.ni.push(m)
	}
	co.maxNIQueue = max(co.maxNIQueue, co.ni.len())
}

func (s *Sim) newMsg(m message) int32 {
	if n := len(s.freeMsgs); n > 0 {
		id := s.freeMsgs[n-1]
		s.freeMsgs = s.freeMsgs[:n-1]
		s.msgs[id] = m
		return id
	}
	s.msgs = append(s.msgs, m)
	return int32(len(s.msgs) - 1)
}

// tryNI injects messages from core c's injection queue into its router's
// local input buffer while the buffer has room. The core-to-router channel
// is not a bandwidth limit of its own: the router's output ports are.
func (s *Sim) tryNI(c int32) {
	co := &s.cores[c]
	b := co.router*int32(s.nports) + numDirs + co.slot
	for co.ni.len() > 0 {
		if t := s.msgs[co.ni.front()].born; t > s.now {
			// The spike is generated later in the neuron update.
			if !co.niWake {
				co.niWake = true
				s.q.push(t, evNIFree, c, 0)
			}
			return
		}
		if s.occ[b] >= s.costs.bufCap {
			if co.niBlocked < 0 {
				co.niBlocked = s.now
			}
			return
		}
		if co.niBlocked >= 0 {
			s.step.Stalls.InjectionNs += s.now - co.niBlocked
			co.niBlocked = -1
		}
		m := co.ni.pop()
		s.reserve(b)
		if s.costs.msgOutT == 0 {
			// No injection latency: the message is in the buffer now.
			s.arrive(b, m)
			continue
		}
		s.q.push(s.now+s.costs.msgOutT, evArrive, b, m)
	}
}

func (s *Sim) reserve(b int32) {
	s.occ[b]++
	if o := int(s.occ[b]); o > s.step.MaxBufferOccupancy {
		s.step.MaxBufferOccupancy = o
	}
}

// arrive puts message m into input buffer b (whose slot was reserved).
func (s *Sim) arrive(b, m int32) {
	cp := s.costs.bufCap
	if !s.multicast {
		s.msgs[m].out = uint8(s.route(b/int32(s.nports), &s.msgs[m]))
	}
	s.bufQ[b*cp+(s.bufHead[b]+s.bufLen[b])%cp] = m
	s.bufLen[b]++
	if s.bufLen[b] == 1 {
		s.setHead(b, m)
		s.tryBuffer(b)
	}
}

// setHead records what message m, now at the head of buffer b, wants:
// one output port, or for a multicast packet the set of ports (headOut
// multiPorts).
func (s *Sim) setHead(b, m int32) {
	if s.multicast {
		s.headOut[b] = multiPorts
		s.headMask[b] = s.portMask(b/int32(s.nports), m)
		return
	}
	s.headOut[b] = int16(s.msgs[m].out)
}

// multiPorts in headOut marks a multicast head; headMask has its ports.
const multiPorts = -2

func (s *Sim) popBuf(b int32) {
	cp := s.costs.bufCap
	s.bufHead[b] = (s.bufHead[b] + 1) % cp
	s.bufLen[b]--
	if s.bufLen[b] > 0 {
		s.setHead(b, s.bufQ[b*cp+s.bufHead[b]])
	} else {
		s.headOut[b] = -1
	}
	s.occ[b]--
	s.waitUntil[b] = -1
	if s.blocked[b] >= 0 {
		s.stalls[s.bcause[b]] += s.now - s.blocked[b]
		s.blocked[b] = -1
	}
	// The freed slot is a credit for whoever feeds this buffer, if it is
	// waiting for one.
	r, p := b/int32(s.nports), b%int32(s.nports)
	if p < numDirs {
		if s.creditWait[b] {
			s.creditWait[b] = false
			up := s.routers[r].nbr[p^1] // the upstream neighbour lies opposite the direction of travel
			s.pendOut = append(s.pendOut, up*int32(s.nports)+p)
		}
	} else if c := r*int32(s.t.Profile.Mesh.CoresPerTile) + p - numDirs; s.cores[c].niBlocked >= 0 {
		s.pendNI = append(s.pendNI, c)
	}
}

func (s *Sim) block(b int32, cause uint8) {
	switch {
	case s.blocked[b] < 0:
		s.blocked[b], s.bcause[b] = s.now, cause
	case s.bcause[b] != cause:
		s.stalls[s.bcause[b]] += s.now - s.blocked[b]
		s.blocked[b], s.bcause[b] = s.now, cause
	}
}

// route returns the output port of router r for message m: the link
// Target.NextHop chooses towards m's destination tile, or the local port
// of m's core when m has arrived.
func (s *Sim) route(r int32, m *message) int32 {
	rt := &s.routers[r]
	if d, ok := s.t.NextHop(int(rt.x), int(rt.y), int(m.dx), int(m.dy)); ok {
		return int32(d)
	}
	return numDirs + int32(m.slot)
}

// tryBuffer moves messages from the head of input buffer b while their
// output port is free and the next buffer has room.
func (s *Sim) tryBuffer(b int32) {
	if s.multicast {
		s.tryBufferMulticast(b)
		return
	}
	np := int32(s.nports)
	r := b / np
	cp := s.costs.bufCap
	for s.bufLen[b] > 0 {
		mid := s.bufQ[b*cp+s.bufHead[b]]
		m := &s.msgs[mid]
		o := int32(m.out)
		po := r*np + o
		if s.nextFree[po] > s.now {
			s.block(b, causeLinkBusy)
			if !s.wake[po] {
				s.wake[po] = true
				s.q.push(s.nextFree[po], evPortFree, po, 0)
			}
			return
		}
		if o < numDirs {
			rt := &s.routers[r]
			nbuf := rt.nbr[o]*np + o
			if s.occ[nbuf] >= cp {
				if s.costs.drop && s.dropNow(b) {
					s.popBuf(b)
					s.drop(mid)
					continue
				}
				s.block(b, causeBufferFull)
				s.creditWait[nbuf] = true
				return
			}
			s.popBuf(b)
			s.reserve(nbuf)
			s.nextFree[po] = s.now + s.costs.serNs
			s.linkStep[po]++
			m.hops++
			s.step.Hops++
			s.step.Energy.NetworkPJ += rt.hopPJ[o]
			s.q.push(s.now+rt.latNs[o], evArrive, nbuf, mid)
			continue
		}
		s.popBuf(b)
		s.nextFree[po] = s.now + s.costs.serNs
		s.deliver(mid)
	}
}

// dropNow reports, under the drop policy, whether the head of buffer b,
// which found its next buffer full, is dropped now: at once without a
// drop wait, else once it has waited DropWaitNs since it first found a
// full buffer. The first time it starts the wait and schedules its expiry.
func (s *Sim) dropNow(b int32) bool {
	w := s.costs.dropWaitNs
	if w == 0 {
		return true
	}
	if s.waitUntil[b] < 0 {
		s.waitUntil[b] = s.now + w
		s.q.push(s.waitUntil[b], evDropWait, b, 0)
		return false
	}
	return s.now >= s.waitUntil[b]
}

// tryOutput offers free output port po to the input buffers of its router
// in round-robin order.
func (s *Sim) tryOutput(po int32) {
	if s.nextFree[po] > s.now {
		// A credit came back while the port is sending: retry when it is free.
		if !s.wake[po] && s.wanted(po/int32(s.nports), po%int32(s.nports)) {
			s.wake[po] = true
			s.q.push(s.nextFree[po], evPortFree, po, 0)
		}
		return
	}
	np := int32(s.nports)
	r, o := po/np, po%np
	for i := int32(0); i < np; i++ {
		p := (s.rr[po] + i) % np
		b := r*np + p
		if !s.headWants(b, o) {
			continue
		}
		s.tryBuffer(b)
		if s.nextFree[po] > s.now {
			s.rr[po] = (p + 1) % np
			// Heads of other buffers that want this port retry when it frees.
			if !s.wake[po] && s.wanted(r, o) {
				s.wake[po] = true
				s.q.push(s.nextFree[po], evPortFree, po, 0)
			}
			return
		}
	}
}

// wanted reports whether the head of any input buffer of router r wants
// output port o.
func (s *Sim) wanted(r, o int32) bool {
	np := int32(s.nports)
	for p := int32(0); p < np; p++ {
		b := r*np + p
		if s.headWants(b, o) {
			return true
		}
	}
	return false
}

// headWants reports whether the head of buffer b wants output port o.
func (s *Sim) headWants(b, o int32) bool {
	h := int32(s.headOut[b])
	return h == o || h == multiPorts && s.headMask[b]&(1<<uint(o)) != 0
}

// deliver hands unicast message mid to its core at ejection.
func (s *Sim) deliver(mid int32) {
	m := &s.msgs[mid]
	s.deliverGroup(m.grp, m.born, m.hops)
	s.freeMsgs = append(s.freeMsgs, mid)
}

// deliverGroup hands the synapses of group gi, emitted at born after hops
// hops, to their core at ejection: the core performs the synaptic
// operations after the ejection latency, once earlier work is done.
func (s *Sim) deliverGroup(gi int32, born float64, hops uint16) {
	gr := &s.groups[gi]
	co := &s.cores[gr.core]
	c := &s.costs
	arrival := s.now + c.msgInT
	if hops == 0 {
		arrival += c.withinTileT
		s.step.Energy.NetworkPJ += c.withinTileE
	}
	lat := arrival - born
	s.step.MessageLatencySumNs += lat
	s.step.MessageLatencyMaxNs = max(s.step.MessageLatencyMaxNs, lat)
	start := max(arrival, co.busyUntil)
	s.step.Stalls.CoreBusyNs += start - arrival
	co.busyUntil = start + gr.latencyNs
	s.lastActive = max(s.lastActive, co.busyUntil)
	switch {
	case s.compact:
		cur := (*[1 << 16]int32)(s.cur32[gr.base:])
		for _, sy := range s.csyns[gr.syn0:gr.syn1] {
			cur[sy.dt] += int32(sy.w)
		}
	case s.narrow:
		cur := s.cur32
		for _, sy := range s.syns[gr.syn0:gr.syn1] {
			cur[sy.t] += sy.w
		}
	default:
		cur := s.cur
		for _, sy := range s.syns[gr.syn0:gr.syn1] {
			cur[sy.t] += int64(sy.w)
		}
	}
	s.step.SynOps += int64(gr.syn1 - gr.syn0)
	s.step.Energy.SynapsePJ += gr.energyPJ
	s.step.Delivered++
	s.settle(gr)
}

// drop discards unicast message mid.
func (s *Sim) drop(mid int32) {
	gr := &s.groups[s.msgs[mid].grp]
	s.step.Dropped++
	s.freeMsgs = append(s.freeMsgs, mid)
	s.settle(gr)
}

// settle accounts for one message of group gr that will not be waited for
// any longer (processed or dropped) and wakes the populations of its core
// that were waiting for it.
func (s *Sim) settle(gr *group) {
	nc := s.t.NumCores
	k := int(gr.srcPop)*nc + int(gr.core)
	s.outstanding[k]--
	if s.outstanding[k] != 0 || s.pops[gr.srcPop].remaining != 0 {
		return
	}
	for _, cpi := range s.cores[gr.core].pops {
		if containsInt(s.pops[s.corePops[cpi].pop].srcs, int(gr.srcPop)) {
			s.checkReady(int32(cpi))
		}
	}
}
