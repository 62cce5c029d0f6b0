package sim

// This file holds the routers of the mesh: their input buffers and output
// ports, dimension-order routing (Target.NextHop), credit backpressure,
// drops, round-robin arbitration, and the injection and ejection of unicast
// messages (multicast.go has the packets of multicast-tree chips).

import "github.com/autosnn/autosnn/backends"

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
	// Per outgoing link: latency (ns) and energy (pJ) of one hop, and
	// the time one message occupies the link (ns, 1/bandwidth; an
	// inter-chip link has the board's own bandwidth).
	latNs [numDirs]float64
	hopPJ [numDirs]float64
	serNs [numDirs]float64
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
			rt.serNs[d] = 1 / p.NoC.LinkBandwidth(l.InterChip)
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
}

// allocNoC allocates the per-run state of the routers: input buffers,
// output ports and link counters, all empty.
func (s *Sim) allocNoC() {
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
	if s.multicast {
		s.headMask = make([]uint64, nb)
	}
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
			s.nextFree[po] = s.now + rt.serNs[o]
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

// drop discards unicast message mid.
func (s *Sim) drop(mid int32) {
	gr := &s.groups[s.msgs[mid].grp]
	s.step.Dropped++
	s.freeMsgs = append(s.freeMsgs, mid)
	s.settle(gr)
}
