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

// foldBN folds e.BN into e and e.Dst and removes it: ir.FoldBN, the one
// definition of the fold (NIR export uses it too).
func foldBN(e *ir.Projection) error { return ir.FoldBN(e) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
