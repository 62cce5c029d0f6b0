package ir

import (
	"fmt"
	"strings"
)

// String returns a compact, deterministic dump of the graph for debugging
// and golden tests: one line per population, each followed by the
// projections that end in it.
//
//	graph tiny T=4 encoding=direct classes=2 vote=1 loss=mse-rate
//	  x [1 8 8] input
//	  c1 [4 8 8] plif(w=0 th=1 reset=0) TBD1/L1(SCB_k3)
//	    <- c1.conv2d conv2d(k3 s1 p1) x bn
func (g *Graph) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s T=%d encoding=%v classes=%d vote=%d loss=%v\n", g.Name, g.T, g.Encoding, g.Classes, g.Vote, g.Loss)
	for _, p := range g.Pops {
		fmt.Fprintf(&b, "  %s %v %s", p.Name, p.Shape, p.Neuron)
		if r := p.Role.String(); r != "" && p.Role.Kind != RoleInput {
			fmt.Fprintf(&b, " %s", r)
		}
		if p.Bias != nil {
			b.WriteString(" bias")
		}
		if p.Rates != nil {
			b.WriteString(" rates")
		}
		b.WriteByte('\n')
		for _, e := range g.In(p) {
			fmt.Fprintf(&b, "    <- %s\n", e)
		}
	}
	return b.String()
}

func (n Neuron) String() string {
	switch n.Model {
	case PLIF:
		return fmt.Sprintf("plif(w=%g th=%g reset=%g)", n.W, n.Threshold, n.Reset)
	case LIF:
		return fmt.Sprintf("lif(tau=%g th=%g reset=%g)", n.Tau, n.Threshold, n.Reset)
	case IF:
		return fmt.Sprintf("if(th=%g reset=%g)", n.Threshold, n.Reset)
	case LI:
		return fmt.Sprintf("li(tau=%g)", n.Tau)
	case CubaLIF:
		return fmt.Sprintf("cuba_lif(tau=%g syn_tau=%g th=%g reset=%g)", n.Tau, n.SynTau, n.Threshold, n.Reset)
	}
	return n.Model.String()
}

// String describes the projection on one line: name, op with its
// parameters, source, and what it carries.
func (e *Projection) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v", e.Name, e.Op)
	switch e.Op {
	case Conv2D, MaxPool, AvgPool, SumPool:
		fmt.Fprintf(&b, "(k%d s%d p%d)", e.Kernel, e.Stride, e.Pad)
	}
	fmt.Fprintf(&b, " %s", e.Src.Name)
	if e.Delay > 1 {
		fmt.Fprintf(&b, " delay=%d", e.Delay)
	}
	if e.Weights != nil {
		fmt.Fprintf(&b, " w[%d]", len(e.Weights))
	}
	if e.BN != nil {
		b.WriteString(" bn")
		if e.BN.Gamma != nil {
			b.WriteString("[trained]")
		}
	}
	return b.String()
}
