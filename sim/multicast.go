package sim

import "math/bits"

// This file implements multicast-tree routing (backends.MessageMulticastTree,
// SpiNNaker): a firing neuron injects one packet naming all its destination
// cores; a router forwards one copy per output port that leads to some of
// them (dimension-order routes from this router, so the copies follow the
// union of the unicast routes, a tree) and ejects to its own cores. A
// packet leaves a buffer only when every port it needs is free and every
// next buffer has room, as SpiNNaker routers send all copies of a packet
// together; under the drop policy a packet that finds a next buffer full
// (and, with a drop wait, still finds one full when the wait is over) is
// dropped with all its destinations.

// emitPacket queues one packet for neuron j of cp, which fired at time
// at, naming all its destination cores.
func (s *Sim) emitPacket(cp *corePop, sp *pop, j int32, at float64) {
	g0, g1 := sp.grp[j], sp.grp[j+1]
	if g0 == g1 {
		return
	}
	nc := s.t.NumCores
	co := &s.cores[cp.core]
	d0 := int32(len(s.dests))
	for gi := g0; gi < g1; gi++ {
		s.dests = append(s.dests, gi)
		s.outstanding[cp.pop*nc+int(s.groups[gi].core)]++
	}
	s.step.Messages += int64(g1 - g0)
	s.step.Packets++
	s.step.Energy.NetworkPJ += s.costs.msgOutE
	m := s.newMsg(message{grp: -1, d0: d0, d1: int32(len(s.dests)), born: at})
	co.ni.push(m)
	co.maxNIQueue = max(co.maxNIQueue, co.ni.len())
}

// routeTo returns the output port of router r towards core c.
func (s *Sim) routeTo(r int32, c int32) int32 {
	co := &s.cores[c]
	rt := &s.routers[co.router]
	m := message{dx: int16(rt.x), dy: int16(rt.y), slot: uint8(co.slot)}
	return s.route(r, &m)
}

// portMask returns the output ports of router r that packet m needs.
func (s *Sim) portMask(r, mid int32) uint64 {
	m := &s.msgs[mid]
	var mask uint64
	for k := m.d0; k < m.d1; k++ {
		mask |= 1 << uint(s.routeTo(r, s.groups[s.dests[k]].core))
	}
	return mask
}

// tryBufferMulticast moves packets from the head of input buffer b while
// all the ports they need are free and all next buffers have room.
func (s *Sim) tryBufferMulticast(b int32) {
	np := int32(s.nports)
	r := b / np
	cp := s.costs.bufCap
	rt := &s.routers[r]
next:
	for s.bufLen[b] > 0 {
		mid := s.bufQ[b*cp+s.bufHead[b]]
		mask := s.headMask[b]
		for mm := mask; mm != 0; mm &= mm - 1 {
			po := r*np + int32(bits.TrailingZeros64(mm))
			if s.nextFree[po] > s.now {
				s.block(b, causeLinkBusy)
				if !s.wake[po] {
					s.wake[po] = true
					s.q.push(s.nextFree[po], evPortFree, po, 0)
				}
				return
			}
		}
		for mm := mask & (1<<numDirs - 1); mm != 0; mm &= mm - 1 {
			o := int32(bits.TrailingZeros64(mm))
			nbuf := rt.nbr[o]*np + o
			if s.occ[nbuf] >= cp {
				if s.costs.drop && s.dropNow(b) {
					s.popBuf(b)
					s.dropPacket(mid)
					continue next
				}
				s.block(b, causeBufferFull)
				s.creditWait[nbuf] = true
				return
			}
		}
		s.popBuf(b)
		m := s.msgs[mid] // a copy: newMsg may move s.msgs
		for mm := mask; mm != 0; mm &= mm - 1 {
			o := int32(bits.TrailingZeros64(mm))
			po := r*np + o
			s.nextFree[po] = s.now + s.costs.serNs
			if o < numDirs {
				s.nextFree[po] = s.now + s.routers[r].serNs[o]
			}
			if o >= numDirs {
				for k := m.d0; k < m.d1; k++ {
					if gi := s.dests[k]; s.routeTo(r, s.groups[gi].core) == o {
						s.deliverGroup(gi, m.born, m.hops)
					}
				}
				continue
			}
			d0 := int32(len(s.dests))
			for k := m.d0; k < m.d1; k++ {
				if gi := s.dests[k]; s.routeTo(r, s.groups[gi].core) == o {
					s.dests = append(s.dests, gi)
				}
			}
			nbuf := rt.nbr[o]*np + o
			s.reserve(nbuf)
			s.linkStep[po]++
			s.step.Hops++
			s.step.Energy.NetworkPJ += rt.hopPJ[o]
			c := s.newMsg(message{grp: -1, d0: d0, d1: int32(len(s.dests)), born: m.born, hops: m.hops + 1})
			s.q.push(s.now+rt.latNs[o], evArrive, nbuf, c)
		}
		s.freeMsgs = append(s.freeMsgs, mid)
	}
}

// dropPacket discards packet mid and all its destinations.
func (s *Sim) dropPacket(mid int32) {
	m := s.msgs[mid]
	s.freeMsgs = append(s.freeMsgs, mid)
	for k := m.d0; k < m.d1; k++ {
		s.step.Dropped++
		s.settle(&s.groups[s.dests[k]])
	}
}
