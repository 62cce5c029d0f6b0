// Running a fused group: every stage of it, image by image, on the workers.

package train

import (
	"sync/atomic"

	"github.com/autosnn/autosnn/search/engine/tensor"
)

// forwardGroup runs st and the qualifying stages after it as one fused
// pass; it reports false when st must take the layered path.
func (s *segment) forwardGroup(st *stage) bool {
	first := st.fz.index
	var group []*stage
	for _, o := range s.stages[first:] {
		if len(group) == maxGroup {
			break // the next stage starts a group of its own
		}
		fz := s.fusedOf(o)
		if fz == nil || fz.pool || fz.static || !ready(o, o.dynamic) || !s.plan(o, first) {
			break
		}
		group = append(group, o)
	}
	if len(group) == 0 {
		return false
	}
	end := first + len(group)
	nw := min(s.env.WS.Workers(), group[0].fz.batch)
	lastFz := group[len(group)-1].fz
	lastFz.sink = s.poolSink(group[len(group)-1], end)
	maxIn, maxOut, convB := 0, 0, false
	convs := group[0].fz.convs[:0]
	for k, o := range group {
		fz := o.fz
		oimg := fz.cout * fz.oh * fz.ow
		maxOut = max(maxOut, oimg)
		fz.y = nil
		if fz.sink != nil {
			o.neuron.BeginEvalOutput()
			pz := fz.sink.fz
			pz.py.Shape = append(pz.py.Shape[:0], fz.steps, fz.batch, fz.cout, fz.oh/2, fz.ow/2)
			pz.py.Data = grow(pz.py.Data, fz.steps*fz.batch*oimg/4)
		} else if k == len(group)-1 || fz.lastReader >= end || fz.index == len(s.stages)-1 {
			fz.y = o.neuron.BeginEvalOutput(fz.steps, fz.batch, fz.cout, fz.oh, fz.ow)
		} else {
			o.neuron.BeginEvalOutput()
		}
		for i := range fz.terms {
			if tm := &fz.terms[i]; tm.conv != nil {
				maxIn = max(maxIn, tm.shape.Cin*tm.shape.H*tm.shape.W)
				tm.conv.wrev = grow(tm.conv.wrev, len(tm.conv.Weight.Data))
				convs = append(convs, tm)
				if i == 1 {
					convB = true
				}
			}
		}
		for len(fz.scratch) < nw {
			fz.scratch = append(fz.scratch, &fusedScratch{})
		}
		vlen := oimg
		if vs := hwcStride(fz.oh*fz.ow, fz.cout); vs != 0 {
			vlen = fz.cout * vs
		}
		for _, sc := range fz.scratch[:nw] {
			sc.v = grow(sc.v, vlen)
			if fz.y == nil {
				sc.step = grow(sc.step, oimg)
			}
			sc.spk, sc.pooled = 0, 0
		}
	}
	maxIn = max(maxIn, maxOut) // idx also lists outputs (eventStore.record)
	for _, o := range group {
		fz := o.fz
		if p := fz.sink; p != nil {
			p.fz.ev.reset(&p.fz.py, fz.cout*fz.oh*fz.ow/4, fz.steps*fz.batch, nw)
		} else if fz.y != nil {
			fz.ev.reset(fz.y, fz.cout*fz.oh*fz.ow, fz.steps*fz.batch, nw)
		}
	}
	for _, sc := range group[0].fz.scratch[:nw] {
		sc.idx = grow(sc.idx, maxIn)
		// The HWC images are all zero between images (each user clears
		// what it wrote).
		sc.hwc = grow(sc.hwc, maxOut)
		clear(sc.hwc)
		sc.chw[0] = grow(sc.chw[0], maxOut)
		if convB {
			sc.hwc2 = grow(sc.hwc2, maxOut)
			clear(sc.hwc2)
			sc.chw[1] = grow(sc.chw[1], maxOut)
		}
		sc.tmp = grow(sc.tmp, 524)
		if len(sc.bsc) < maxOut {
			sc.bsc = make([]float32, maxOut) // all zero; users restore that
		}
	}
	batch := group[0].fz.batch
	group[0].fz.convs = convs
	var next atomic.Int64
	var abort atomic.Bool
	// The workers share out the weight reversal (by input channel:
	// disjoint runs of each convolution's wrev), then the images.
	runWorkers(s.env.WS, nw, func(w int) {
		for _, tm := range convs {
			c := tm.conv
			reverseInto(c.Conv2d, c.wrev, w*c.Cin/nw, (w+1)*c.Cin/nw)
		}
	})
	runWorkers(s.env.WS, nw, func(w int) {
		for !abort.Load() {
			n := int(next.Add(1) - 1)
			if n >= batch {
				return
			}
			if !groupImage(group, w, n) {
				abort.Store(true)
				return
			}
		}
	})
	if abort.Load() {
		lastFz.sink = nil
		return false // a convolution input is too dense for the event-driven path
	}
	if p := lastFz.sink; p != nil {
		var n int64
		for _, sc := range lastFz.scratch[:nw] {
			n += sc.pooled
		}
		p.spikes, p.cur, p.out = n, nil, &p.fz.py
		p.fz.done = true
		p.fz.ev.valid = true
		lastFz.sink = nil
	}
	for _, o := range group {
		if o.fz.y != nil {
			o.fz.ev.valid = true
		}
	}
	for k, o := range group {
		fz := o.fz
		var spikes int64
		for _, sc := range fz.scratch[:nw] {
			spikes += sc.spk
		}
		o.neuron.EndEvalOutput(spikes)
		o.cur = nil
		o.out = fz.y
		if k > 0 {
			fz.done = true
		}
	}
	st.fz.last = true
	return true
}

// maxGroup is the most stages one fused group runs (longer runs of
// qualifying stages are split; a split costs one output written to memory).
const maxGroup = 8

// groupImage computes all T steps of image n of every stage of group with
// worker w's buffers. It returns false when a convolution input has passed
// its density limit.
func groupImage(group []*stage, w, n int) bool {
	tmp := group[0].fz.scratch[w]
	var counts [maxGroup][2]int64 // forwardGroup caps the group's length
	for _, o := range group {
		clear(o.fz.scratch[w].v)
	}
	steps, batch := group[0].fz.steps, group[0].fz.batch
	for t := range steps {
		at := t*batch + n
		for k, o := range group {
			fz := o.fz
			sc := fz.scratch[w]
			plane := fz.oh * fz.ow
			oimg := fz.cout * plane
			// Term a's convolution into tmp.hwc; term b into b (a CHW
			// image: an identity source, or the transposed convolution).
			var b []float32
			var blist []int32 // nonzero positions of b when b is tmp.bsc
			for i := range fz.terms {
				tm := &fz.terms[i]
				var xin []float32
				if tm.src != nil {
					xin = tm.src.scratch[w].cur
				} else {
					img := len(tm.x.Data) / (steps * batch)
					xin = tm.x.Data[at*img : (at+1)*img]
				}
				if tm.conv == nil {
					b = xin
					if tm.ev != nil {
						// A spike map in memory with its nonzero list:
						// rebuild it in cache from the list (only the
						// listed values are read) instead of streaming
						// all of it; zeros stay zeros (a -0 becomes +0,
						// which the kernel's identity map does anyway).
						blist = tm.ev.list(at)
						b = tmp.bsc[:len(xin)]
						for _, i := range blist {
							b[i] = xin[i]
						}
					}
					continue
				}
				var idx []int32
				switch src := tm.src; {
				case tm.ev != nil:
					idx = tm.ev.list(at)
				case src != nil && src.y != nil && src.sink == nil:
					// A group stage whose output also goes to memory
					// has just listed this image-step (record, below).
					idx = src.ev.list(at)
				default:
					idx = tmp.idx[:nonzero(xin, tmp.idx)]
				}
				counts[k][i] += int64(len(idx))
				if i == 0 {
					tm.conv.eventImageFast(tm.shape, xin, idx, tmp.hwc[:oimg], tm.conv.wrev, tm.conv.ptab)
					continue
				}
				tm.conv.eventImageFast(tm.shape, xin, idx, tmp.hwc2[:oimg], tm.conv.wrev, tm.conv.ptab)
				transpose(tmp.hwc2[:oimg], tmp.chw[1][:oimg], plane, fz.cout)
				clear(tmp.hwc2[:oimg])
				b = tmp.chw[1][:oimg]
			}
			var out []float32
			if fz.y != nil {
				out = fz.y.Data[at*oimg : (at+1)*oimg]
			} else {
				out = sc.step[:oimg]
			}
			sc.cur = out
			if !fusedHWC(tmp.hwc[:oimg], tmp.tmp, b, sc.v, out, plane, fz.cout, fz.consts, &sc.spk) {
				a := tmp.chw[0][:oimg]
				transpose(tmp.hwc[:oimg], a, plane, fz.cout)
				clear(tmp.hwc[:oimg])
				for ch := range fz.cout {
					r := ch * plane
					var br []float32
					if b != nil {
						br = b[r : r+plane]
					}
					sc.spk += fusedStep(a[r:r+plane], br, sc.v[r:r+plane], out[r:r+plane], &fz.consts[ch])
				}
			}
			for _, i := range blist {
				b[i] = 0 // tmp.bsc is all zero between uses
			}
			if p := fz.sink; p != nil {
				pimg := oimg / 4
				po := p.fz.py.Data[at*pimg : (at+1)*pimg]
				sc.pooled += maxPool2x2(out, po, fz.cout*fz.oh/2, fz.ow)
				p.fz.ev.record(w, at, po, tmp.idx)
			} else if fz.y != nil {
				fz.ev.record(w, at, out, tmp.idx)
			}
		}
	}
	ok := true
	for k, o := range group {
		for i := range o.fz.terms {
			if o.fz.terms[i].conv != nil && o.fz.nnz[i].Add(counts[k][i]) > int64(o.fz.terms[i].limit) {
				ok = false
			}
		}
	}
	return ok
}

// runWorkers runs fn(0), ..., fn(n-1) as the tasks of one parallel call on
// the workers of ws (n <= ws.Workers(): each fn(i) is one worker's share,
// typically a loop claiming work from a shared counter) and returns when
// all have returned. The fn(i) must not wait for each other: they need not
// run at the same time.
func runWorkers(ws *tensor.Workspace, n int, fn func(w int)) {
	ws.Run(n, tensor.TaskFunc(func(_, t int) { fn(t) }))
}
