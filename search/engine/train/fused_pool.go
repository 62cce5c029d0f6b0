// The max-pool relay stage on the fused path, and the hand-over of a
// group's output to it without writing it to memory (LinkPool).

package train

import "sync/atomic"

// forwardPool runs a max-pool relay stage in evaluation mode (the
// segment's layers are, so nothing will ask the max-pool layer for a
// backward pass): planes are pooled in chunks shared out to the workers,
// the output is bit-identical to the layer's and so is the count of
// nonzero outputs the stage reports.
func (s *segment) forwardPool(st *stage) bool {
	fz := st.fz
	x := s.output(st.projs[0].e.Src)
	if !s.eval || x == nil || len(x.Shape) != 5 || len(x.Data) != x.Len() {
		return false
	}
	h, w := x.Shape[3], x.Shape[4]
	if h < 2 || w < 2 || h%2 != 0 || w%2 != 0 {
		return false
	}
	planes := x.Shape[0] * x.Shape[1] * x.Shape[2]
	fz.py.Shape = append(fz.py.Shape[:0], x.Shape[0], x.Shape[1], x.Shape[2], h/2, w/2)
	fz.py.Data = grow(fz.py.Data, planes*h*w/4)
	c := x.Shape[2]
	per := c * max(1, 16384/(c*h*w)) // planes per task: whole image-steps
	tasks := (planes + per - 1) / per
	nw := min(s.env.WS.Workers(), tasks)
	counts := make([]int64, nw)
	pimg := c * h * w / 4
	fz.ev.reset(&fz.py, pimg, planes/c, nw)
	for len(fz.scratch) < nw {
		fz.scratch = append(fz.scratch, &fusedScratch{})
	}
	for _, sc := range fz.scratch[:nw] {
		sc.idx = grow(sc.idx, pimg)
	}
	var next atomic.Int64
	runWorkers(s.env.WS, nw, func(wk int) {
		var n int64
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				break
			}
			lo, hi := t*per, min((t+1)*per, planes)
			n += maxPool2x2(x.Data[lo*h*w:hi*h*w], fz.py.Data[lo*h*w/4:hi*h*w/4], (hi-lo)*h/2, w)
			for at := lo / c; at < hi/c; at++ {
				fz.ev.record(wk, at, fz.py.Data[at*pimg:(at+1)*pimg], fz.scratch[wk].idx)
			}
		}
		counts[wk] = n
	})
	var spikes int64
	for _, c := range counts {
		spikes += c
	}
	st.spikes = spikes
	st.cur = nil
	st.out = &fz.py
	fz.ev.valid = true
	fz.last = true
	return true
}

// poolSink returns the max-pool relay stage that the group ending with
// stage last (the group is stages[..end)) may feed directly, or nil: the
// next stage of the segment when it is a fused max-pool reading only last
// and nothing else reads last, or the stage LinkPool attached to the
// segment's last stage. Either way the pool must be in evaluation mode and
// last's output maps even-sized.
func (s *segment) poolSink(last *stage, end int) *stage {
	fz := last.fz
	if fz.oh%2 != 0 || fz.ow%2 != 0 || fz.oh < 2 || fz.ow < 2 {
		return nil
	}
	if fz.link != nil {
		if fz.index == len(s.stages)-1 && fz.linkSeg.eval && !fz.linkSeg.env.CheckFinite {
			return fz.link
		}
		return nil
	}
	if end >= len(s.stages) || fz.lastReader != end || !s.eval {
		return nil
	}
	p := s.stages[end]
	if pz := s.fusedOf(p); pz == nil || !pz.pool || p.projs[0].e.Src != last.pop {
		return nil
	}
	return p
}

// LinkPool lets the next Forward of block b hand its output to the first
// stage of part p (which reads it) without writing it to memory, when that
// stage is a 2x2 max-pool of b's output, nothing else in p reads b's
// output, and both run fused (evaluation mode, Env.CheckFinite off): each
// image-step of b's last population is pooled from cache into the pool's
// output. b's Forward then returns nil (its output was not written) and
// p's Forward must follow with that nil; p's other populations see the
// pool's output as usual. The returned function removes the link; call it
// after p's Forward. Without the conditions (or on the layered path)
// nothing changes.
func LinkPool(b *Block, p *Part) (unlink func()) {
	nop := func() {}
	if b == nil || b.identity || p == nil || len(b.seg.stages) == 0 || len(p.seg.stages) == 0 {
		return nop
	}
	last := b.seg.stages[len(b.seg.stages)-1]
	first := p.seg.stages[0]
	if p.seg.entry.Name != last.pop.Name || p.seg.entry.Shape != last.pop.Shape {
		return nop
	}
	for _, st := range p.seg.stages {
		for _, m := range st.projs {
			if m.e.Src == p.seg.entry && st != first {
				return nop
			}
		}
	}
	pz := p.seg.fusedOf(first)
	if pz == nil || !pz.pool || b.seg.fusedOf(last) == nil || last.fz.pool {
		return nop
	}
	last.fz.link, last.fz.linkSeg = first, p.seg
	return func() {
		last.fz.link, last.fz.linkSeg = nil, nil
		first.fz.done = false // consumed by p's Forward unless it never ran
	}
}
