// This file implements the fold-bn pass.

package passes

import (
	"fmt"
	"math"

	"github.com/autosnn/autosnn/ir"
)

// foldBNPass folds every batch-norm into its projection's weights and the
// destination population's per-channel Bias. A batch-norm on output
// channel c computes y = x*s + (Beta - Mean*s) with s = Gamma/sqrt(Var+Eps),
// so the folded projection has every weight of output channel c scaled by
// s and the destination gets Beta - Mean*s added to Bias[c]. Several
// batch-normed projections into one population (a residual block's conv
// and shortcut conv) each add their shift; an existing Bias is kept and
// added to. The scale and shift are computed in float64 and rounded once
// to float32, so the folded graph computes the same currents as the
// original to float32 rounding.
//
// A dense batch-norm is per output neuron; it folds into the per-channel
// Bias only when the destination is flat (H = W = 1), which is how every
// dense layer of the frontend is built.
func foldBNPass(u *Unit) error {
	n := 0
	for _, e := range u.G.Projs {
		if e.BN == nil {
			continue
		}
		if err := foldBN(e); err != nil {
			return fmt.Errorf("layer %s: projection %s: %w", e.Dst.Name, e.Name, err)
		}
		n++
	}
	u.logf("fold-bn: folded %d batch-norms", n)
	return nil
}

// foldBN folds e.BN into e and e.Dst and removes it.
func foldBN(e *ir.Projection) error {
	bn := e.BN
	if bn.Gamma == nil {
		return fmt.Errorf("batch-norm is untrained (no running statistics); compile a trained network")
	}
	if e.Weights == nil {
		return fmt.Errorf("%v weights are missing; compile a trained network", e.Op)
	}
	d := e.Dst.Shape
	if e.Op == ir.Dense && (d.H != 1 || d.W != 1) {
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
