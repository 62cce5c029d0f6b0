// The portable fused kernels: the Go loops the AVX2 kernels (fused_amd64.s)
// reproduce bit for bit, used by the portable build (fused_other.go) and for
// the rows and widths the assembly does not take.

package train

// fusedStepGo is the portable fused kernel for one channel row: with
// X = (a - ca) sca + sha [+ (b - cb) scb + shb], it advances the neurons v
// by one step (H = V + (X - V) k, or V + X for IF), writes the spikes
// (H >= vth) to y, resets the fired neurons to 0 and returns the number of
// spikes. The explicit float32 conversions keep every operation rounded on
// its own (no fused multiply-add), as in the layers' loops.
func fusedStepGo(a, b, v, y []float32, fc *fusedConsts) int64 {
	v, y = v[:len(a)], y[:len(a)]
	if b != nil {
		b = b[:len(a)]
	}
	var count int64
	for i, ai := range a {
		x := float32(float32(ai-fc.ca)*fc.sca) + fc.sha
		if b != nil {
			x += float32(float32(b[i]-fc.cb)*fc.scb) + fc.shb
		}
		vi := v[i]
		var h float32
		if fc.isIF != 0 {
			h = vi + x
		} else {
			h = vi + float32((x-vi)*fc.k)
		}
		if h >= fc.vth {
			y[i], v[i] = 1, 0
			count++
		} else {
			y[i], v[i] = 0, h
		}
	}
	return count
}

// maxPool2x2Go pools q row pairs of width w (even) 2x2 with stride 2 into
// out with nn.MaxPool2d's rule (first maximum in the window order (0,0),
// (0,1), (1,0), (1,1)) and returns the number of nonzero outputs.
func maxPool2x2Go(in, out []float32, q, w int) int64 {
	var count int64
	ow := w / 2
	for r := range q {
		r0, r1 := in[2*r*w:(2*r+1)*w], in[(2*r+1)*w:(2*r+2)*w]
		o := out[r*ow : (r+1)*ow]
		for j := range o {
			best := r0[2*j]
			if v := r0[2*j+1]; v > best {
				best = v
			}
			if v := r1[2*j]; v > best {
				best = v
			}
			if v := r1[2*j+1]; v > best {
				best = v
			}
			o[j] = best
			if best != 0 {
				count++
			}
		}
	}
	return count
}
