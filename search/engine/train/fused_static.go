// The stem on the fused path: a stage fed only by the static input.

package train

import "sync/atomic"

// forwardStatic runs, in evaluation mode, a stage whose neurons are fed
// only by one projection of the static input under direct encoding (the
// stem): the projection runs as layers on the one static image per sample
// ([1, N, ...]), and instead of repeating its output T times in memory and
// running the neuron layer over the repeated tensor, each image's neurons
// are stepped T times on its static current while it is in cache. The
// kernel's affine map is the identity (c = 0, sc = 1, sh = 0), exact except
// that it turns a -0 current into +0, which leaves every membrane value
// and spike unchanged (V starts at +0 and never becomes -0, and
// V + (X - V) k and V + X do not depend on the sign of a zero X).
func (s *segment) forwardStatic(st *stage) bool {
	if !ready(st, st.static) {
		return false
	}
	x, err := st.static[0].forward(s.output(st.static[0].e.Src))
	if err != nil {
		return false // the layered path reports it
	}
	steps := s.g.T
	if len(x.Shape) != 5 || x.Shape[0] != 1 || x.Shape[2] != st.pop.Shape.C || steps < 1 || len(x.Data) != x.Len() {
		return false
	}
	batch, cout, plane := x.Shape[1], x.Shape[2], x.Shape[3]*x.Shape[4]
	oimg := cout * plane
	if batch*oimg == 0 {
		return false
	}
	fz := st.fz
	fc := neuronConsts(st.neuron, fz.isIF)
	y := st.neuron.BeginEvalOutput(steps, batch, cout, x.Shape[3], x.Shape[4])
	nw := min(s.env.WS.Workers(), batch)
	for len(fz.scratch) < nw {
		fz.scratch = append(fz.scratch, &fusedScratch{})
	}
	fz.ev.reset(y, oimg, steps*batch, nw)
	var next atomic.Int64
	runWorkers(s.env.WS, nw, func(w int) {
		sc := fz.scratch[w]
		sc.v = grow(sc.v, oimg)
		sc.spk = 0
		sc.idx = grow(sc.idx, oimg)
		for {
			n := int(next.Add(1) - 1)
			if n >= batch {
				return
			}
			clear(sc.v)
			a := x.Data[n*oimg : (n+1)*oimg]
			for t := range steps {
				out := y.Data[(t*batch+n)*oimg : (t*batch+n+1)*oimg]
				for ch := range cout {
					r := ch * plane
					sc.spk += fusedStep(a[r:r+plane], nil, sc.v[r:r+plane], out[r:r+plane], &fc)
				}
				fz.ev.record(w, t*batch+n, out, sc.idx)
			}
		}
	})
	var spikes int64
	for _, sc := range fz.scratch[:nw] {
		spikes += sc.spk
	}
	st.neuron.EndEvalOutput(spikes)
	st.cur = nil
	st.out = y
	fz.ev.valid = true
	fz.last = true
	return true
}
