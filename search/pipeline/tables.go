package pipeline

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// WriteZoo prints the built-in architectures (frontend.Zoo) with their
// macro, blocks, initial channels, parameters, neurons and synapses.
func WriteZoo(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "name\tmacro\tblocks\tC\tparams\tneurons\tsynapses")
	for _, e := range frontend.Zoo() {
		g, err := frontend.Lower(e.Spec)
		if err != nil {
			return fmt.Errorf("pipeline: zoo entry %s: %w", e.Name, err)
		}
		n := ir.Count(g)
		blocks := strings.Join(e.Spec.Blocks, ",")
		if blocks == "" {
			blocks = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.Name, e.Spec.Macro, blocks, e.Spec.Channels,
			group(int64(n.Params)), group(int64(n.Neurons)), group(n.Synapses))
	}
	return w.Flush()
}

// WriteLayerTable writes one row per population: the paper's layer name, shape,
// neuron model, incoming projections, and its parameters and synapses.
func WriteLayerTable(out io.Writer, s frontend.Spec, g *ir.Graph) error {
	fmt.Fprintf(out, "%s: macro %s, C=%d, T=%d, input %v, %d classes, encoding %v\n\n", s.Name, s.Macro, s.Channels, g.T, s.Input, s.Classes, g.Encoding)
	w := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "layer\trole\tshape\tneuron\tinputs\tparams\tsynapses")
	for _, p := range g.Pops {
		pc := ir.PopCounts(p)
		var ins []string
		for _, e := range g.In(p) {
			pc.Params += ir.ProjCounts(e).Params
			pc.Synapses += ir.Synapses(e)
			ins = append(ins, edgeLabel(e))
		}
		role := p.Role.String()
		fmt.Fprintf(w, "%s\t%s\t%v\t%v\t%s\t%s\t%s\n", p.Name, role, p.Shape, p.Neuron.Model, strings.Join(ins, " + "), group(int64(pc.Params)), group(pc.Synapses))
	}
	n := ir.Count(g)
	fmt.Fprintf(w, "total\t\t\t\t\t%s\t%s\n", group(int64(n.Params)), group(n.Synapses))
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nparameters %s, neurons %s (+ %s pooled relays), synapses %s explicit / %s unique weights\n",
		group(int64(n.Params)), group(int64(n.Neurons)), group(int64(n.RelayNeurons)), group(n.Synapses), group(int64(n.UniqueWeights)))
	return nil
}

func edgeLabel(e *ir.Projection) string {
	var b strings.Builder
	switch e.Op {
	case ir.Conv2D:
		fmt.Fprintf(&b, "conv%dx%d", e.Kernel, e.Kernel)
		if e.Stride != 1 {
			fmt.Fprintf(&b, "/%d", e.Stride)
		}
	case ir.MaxPool, ir.AvgPool:
		fmt.Fprintf(&b, "%v%d", e.Op, e.Kernel)
	default:
		b.WriteString(e.Op.String())
	}
	if e.BN != nil {
		b.WriteString("+bn")
	}
	fmt.Fprintf(&b, "(%s)", e.Src.Name)
	return b.String()
}

// group formats n with thousands separators: 417626 -> 417,626.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
