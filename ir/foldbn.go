package ir

import (
	"fmt"
	"math"
)

// FoldBN folds e.BN into e's weights and the destination population's
// per-channel Bias and sets e.BN to nil; the one definition of the fold,
// used by the fold-bn compiler pass and by NIR export. A batch-norm on
// output channel c computes y = x*s + (Beta - Mean*s) with
// s = Gamma/sqrt(Var+Eps), so every weight of output channel c is scaled by
// s and Beta - Mean*s is added to e.Dst.Bias[c] (created when nil; several
// batch-normed projections into one population each add their shift). The
// scale and shift are computed in float64 and rounded once to float32, so
// the folded projection computes the same currents as the original to
// float32 rounding. e.Weights and e.Dst.Bias are modified in place.
//
// A dense batch-norm is per output neuron; it folds into the per-channel
// Bias only when the destination is flat (H = W = 1), which is how every
// dense layer of the frontend is built. Errors (untrained batch-norm or
// weights, a non-flat dense destination, a scale or shift not finite in
// float32) leave e unchanged.
func FoldBN(e *Projection) error {
	bn := e.BN
	if bn == nil {
		return nil
	}
	if bn.Gamma == nil {
		return fmt.Errorf("batch-norm is untrained (no running statistics); compile a trained network")
	}
	if e.Weights == nil {
		return fmt.Errorf("%v weights are missing; compile a trained network", e.Op)
	}
	d := e.Dst.Shape
	if e.Op == Dense && (d.H != 1 || d.W != 1) {
		return fmt.Errorf("dense batch-norm has one shift per neuron but destination shape %v has a per-channel bias; want a flat destination", d)
	}
	per := len(e.Weights) / len(bn.Gamma) // weights per output channel (both layouts are output-major)
	scale := make([]float64, len(bn.Gamma))
	shift := make([]float64, len(bn.Gamma))
	for c, g := range bn.Gamma {
		scale[c] = float64(g) / math.Sqrt(float64(bn.Var[c])+float64(bn.Eps))
		shift[c] = float64(bn.Beta[c]) - float64(bn.Mean[c])*scale[c]
		if !finite(float64(float32(scale[c]))) || !finite(float64(float32(shift[c]))) {
			return fmt.Errorf("batch-norm channel %d gives scale %g and shift %g, want values finite in float32", c, scale[c], shift[c])
		}
	}
	bias := e.Dst.Bias
	if bias == nil {
		bias = make([]float32, d.C)
	}
	for c, s := range scale {
		for i := c * per; i < (c+1)*per; i++ {
			e.Weights[i] = float32(float64(e.Weights[i]) * s)
		}
		bias[c] = float32(float64(bias[c]) + shift[c])
	}
	e.Dst.Bias = bias
	e.BN = nil
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
