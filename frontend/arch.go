package frontend

import (
	"fmt"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// Architecture returns a canonical text of g's architecture: the header,
// every population (name, shape, neuron model and its fixed parameters,
// role) and every projection (name, endpoints, operator, geometry, whether it
// has a batch-norm), one per line. Trained values (weights, BN statistics,
// PLIF W, biases, rates) are not part of it. Two graphs a checkpoint can be
// exchanged between have equal architectures.
func Architecture(g *ir.Graph) string {
	var b strings.Builder
	fmt.Fprintf(&b, "T=%d encoding=%v classes=%d vote=%d loss=%v\n", g.T, g.Encoding, g.Classes, g.Vote, g.Loss)
	for _, p := range g.Pops {
		nr := p.Neuron
		fmt.Fprintf(&b, "pop %s %v %v", p.Name, p.Shape, nr.Model)
		if nr.Model == ir.LIF {
			fmt.Fprintf(&b, " tau=%v", nr.Tau)
		}
		if nr.Model.Spiking() {
			fmt.Fprintf(&b, " th=%v reset=%v", nr.Threshold, nr.Reset)
		}
		fmt.Fprintf(&b, " role=%v\n", p.Role)
	}
	for _, e := range g.Projs {
		fmt.Fprintf(&b, "proj %s %s->%s %v k%d s%d p%d bn=%v\n", e.Name, e.Src.Name, e.Dst.Name, e.Op, e.Kernel, e.Stride, e.Pad, e.BN != nil)
	}
	return b.String()
}

// ArchDiff returns "" when a and b have the same architecture and otherwise
// a description of the first difference.
func ArchDiff(a, b *ir.Graph) string {
	la := strings.Split(Architecture(a), "\n")
	lb := strings.Split(Architecture(b), "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			if x == "" {
				x = "(nothing)"
			}
			if y == "" {
				y = "(nothing)"
			}
			return fmt.Sprintf("line %d: %q vs %q", i+1, x, y)
		}
	}
	return ""
}
