package sim

// This file holds what a core computes: the neuron update of a
// core-population (the integer arithmetic of ir/quant.go, timed neuron by
// neuron), the messages its spikes emit, and the synaptic operations of a
// message it receives.

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
	synDecay := int64(q.SynDecay)
	var active, fired int64
	base := sp.base
	at := max(s.now, co.busyUntil) // time the core reaches this neuron
	// The synaptic input: of this step (Trained), or of the previous one
	// (Chip: this step's messages accumulate in cur meanwhile).
	cur32, cur := s.cur32, s.cur
	if s.chip {
		cur32, cur = s.in32, s.in
		if s.stepNo < s.firstStep[cp.pop]-1 {
			s.holdUpdate(cpi, at)
			return
		}
	}
	for _, j := range cp.neurons {
		gid := base + j
		var x int64
		if s.narrow {
			x = int64(cur32[gid])
			cur32[gid] = 0
		} else {
			x = cur[gid]
			cur[gid] = 0
		}
		if sp.hostI != nil {
			x += int64(sp.hostI[j])
		}
		if q.Bias != nil {
			x += int64(q.Bias[int(j)/sp.hw])
		}
		if sp.cuba { // the membrane charges from the synaptic current (ir/quant.go)
			i := int64(s.syn[gid])
			x = min(max(x, vmin), vmax)
			x = min(max(i+((x-i)*synDecay)>>bits, vmin), vmax)
			s.syn[gid] = int32(x)
		}
		v := int64(s.v[gid])
		// Active: the input (for cuba_lif the decaying current) or the
		// stored potential is nonzero (the state is read, changed and
		// written), SANA-FE's soma rule, with which its Loihi energies were
		// fitted.
		if x != 0 || v != 0 {
			active++
			at += c.activeT
		} else {
			at += c.inactiveT
		}
		x = min(max(x, vmin), vmax)
		var h int64
		if sp.leaky {
			h = v + ((x-(v-reset))*decay)>>bits
		} else {
			h = v + x
		}
		h = min(max(h, vmin), vmax)
		if sp.readout {
			s.v[gid] = int32(h)
			sp.out[j] = float32(h) / q.Scale
			continue
		}
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
	case s.delays.on:
		s.deliverDelayed(gi, gr)
	case s.compact:
		s.addCompact(s.cur32[gr.base:], s.csyns[gr.syn0:gr.syn1])
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

// addCompact performs the synaptic operations of the compact synapses
// syns of one group into the accumulators cur, which start at the group's
// base neuron: the hot loop of the simulator.
func (s *Sim) addCompact(cur []int32, syns []compactSynapse) {
	if s.span16 {
		win := (*[1 << 16]int32)(cur)
		for _, sy := range syns {
			win[uint16(sy>>16)] += int32(int16(sy))
		}
		return
	}
	wb := s.cwb
	ls := 32 - wb
	for _, sy := range syns {
		cur[uint32(sy)>>wb] += int32(uint32(sy)<<ls) >> ls
	}
}
