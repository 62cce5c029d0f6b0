package frontend

import (
	"fmt"

	"github.com/autosnn/autosnn/ir"
)

// inferShape sets the output shape of node n from its inputs and
// parameters, checking that they agree.
func (im *importer) inferShape(n *nirNode) error {
	in, err := im.inputs(n)
	if err != nil {
		return err
	}
	var src ir.Shape
	if len(in) > 0 {
		src = im.shape[in[0]]
		for _, o := range in[1:] {
			if im.shape[o] != src {
				return errNode(n, "inputs %s %v and %s %v are summed, want equal shapes", in[0], src, o, im.shape[o])
			}
		}
	}
	var s ir.Shape
	switch n.typ {
	case "Input":
		v, err := n.ints("shape")
		if err != nil {
			return err
		}
		switch len(v) {
		case 1:
			s = ir.Shape{C: v[0], H: 1, W: 1}
		case 3:
			s = ir.Shape{C: v[0], H: v[1], W: v[2]}
		default:
			return errNode(n, "shape %v, want (N) or (C, H, W)", v)
		}
		if s.C < 1 || s.H < 1 || s.W < 1 {
			return errNode(n, "shape %v, want sizes >= 1", v)
		}
	case "Output":
		if v, err := n.ints("shape"); err == nil && prod(v) != src.Len() {
			return errNode(n, "shape %v (%d values), but its source %s has %d", v, prod(v), in[0], src.Len())
		}
		s = src
	case "Affine", "Linear":
		_, sh, err := n.floats("weight")
		if err != nil {
			return err
		}
		if len(sh) != 2 || sh[1] != src.Len() || sh[0] < 1 {
			return errNode(n, "weight shape %v, want (out, %d): its source %s has %d values", sh, src.Len(), in[0], src.Len())
		}
		if n.typ == "Affine" {
			if b, _, err := n.floats("bias"); err != nil || len(b) != sh[0] {
				return errNode(n, "bias has %d values (%v), want %d", len(b), err, sh[0])
			}
		}
		s = ir.Shape{C: sh[0], H: 1, W: 1}
	case "Conv2d", "SumPool2d", "AvgPool2d":
		pr, cout, err := im.window(n, src)
		if err != nil {
			return err
		}
		if s, err = pr.OutShape(cout); err != nil {
			return errNode(n, "on input %v: %v", src, err)
		}
	case "Scale":
		if v, _, err := n.floats("scale"); err != nil || (len(v) != 1 && len(v) != src.Len()) {
			return errNode(n, "scale has %d values (%v), want 1 or %d", len(v), err, src.Len())
		}
		s = src
	case "Flatten":
		start, err := n.square("start_dim", 0)
		if err != nil {
			return err
		}
		end, err := n.square("end_dim", -1)
		if err != nil {
			return err
		}
		rank := 3
		if src.H == 1 && src.W == 1 {
			rank = 1
		}
		if start != 0 || (end != -1 && end != rank-1) {
			return errNode(n, "start_dim %d, end_dim %d on %v, want a full flatten (0, -1): the IR flattens whole populations only", start, end, src)
		}
		if v, err := n.ints("input_type"); err == nil && prod(v) != src.Len() {
			return errNode(n, "input_type %v, but its source %s has %d values", v, in[0], src.Len())
		}
		s = ir.Shape{C: src.Len(), H: 1, W: 1}
	default: // neuron nodes keep their input's shape
		s = src
	}
	im.shape[n.name] = s
	return nil
}

func prod(v []int) int {
	p := 1
	for _, x := range v {
		p *= x
	}
	return p
}

// window returns the projection geometry of a Conv2d or pooling node on an
// input of shape src (Src is a placeholder), and a convolution's output
// channel count.
func (im *importer) window(n *nirNode, src ir.Shape) (*ir.Projection, int, error) {
	pr := &ir.Projection{Src: &ir.Population{Shape: src}}
	var err error
	cout := 0
	if n.typ == "Conv2d" {
		pr.Op = ir.Conv2D
		_, sh, err := n.floats("weight")
		if err != nil {
			return nil, 0, err
		}
		if len(sh) != 4 || sh[1] != src.C || sh[2] != sh[3] {
			return nil, 0, errNode(n, "weight shape %v, want (out, %d, k, k): square kernels over its %d input channels", sh, src.C, src.C)
		}
		cout, pr.Kernel = sh[0], sh[2]
		if b, ok := n.params["bias"]; ok && b.Len() != cout {
			return nil, 0, errNode(n, "bias has %d values, want %d", b.Len(), cout)
		}
		for _, p := range []string{"dilation", "groups"} {
			if d, err := n.square(p, 1); err != nil || d != 1 {
				return nil, 0, errNode(n, "%s %d (%v), want 1: the IR has only dense, undilated convolutions", p, d, err)
			}
		}
		if hw, err := n.ints("input_shape"); err == nil && (len(hw) != 2 || hw[0] != src.H || hw[1] != src.W) {
			return nil, 0, errNode(n, "input_shape %v, but its input is %v", hw, src)
		}
		if pr.Stride, err = n.square("stride", 1); err != nil {
			return nil, 0, err
		}
	} else {
		pr.Op = ir.SumPool
		if n.typ == "AvgPool2d" {
			pr.Op = ir.AvgPool
		}
		if pr.Kernel, err = n.square("kernel_size", required); err != nil {
			return nil, 0, err
		}
		if pr.Stride, err = n.square("stride", pr.Kernel); err != nil {
			return nil, 0, err
		}
	}
	if pr.Pad, err = n.square("padding", 0); err != nil {
		return nil, 0, err
	}
	return pr, cout, nil
}

// materialised reports whether operator node n needs a population of its
// own (a relay): when something other than a neuron node reads it.
func (im *importer) materialised(n *nirNode) bool {
	for _, c := range im.out[n.name] {
		if nirKinds[im.ng.nodes[c].typ] != nirNeuron {
			return true
		}
	}
	return false
}

// addPop appends a population, refusing a name already used.
func (im *importer) addPop(p *ir.Population, in []*ir.Projection) error {
	if im.g.Pop(p.Name) != nil || im.g.Proj(p.Name) != nil {
		return fmt.Errorf("population name %s is used twice", p.Name)
	}
	for _, e := range in {
		e.Dst = p
		if im.g.Pop(e.Name) != nil || im.g.Proj(e.Name) != nil || e.Name == p.Name {
			return fmt.Errorf("projection name %s is used twice", e.Name)
		}
		im.g.Projs = append(im.g.Projs, e)
	}
	im.g.Pops = append(im.g.Pops, p)
	return nil
}

// lower adds the IR nodes of NIR node n (in topological order).
func (im *importer) lower(n *nirNode) error {
	s := im.shape[n.name]
	switch nirKinds[n.typ] {
	case nirInput:
		p := &ir.Population{Name: n.name, Shape: s, Neuron: ir.Neuron{Model: ir.Input}, Role: ir.Role{Kind: ir.RoleInput}}
		im.pop[n.name] = p
		return im.addPop(p, nil)
	case nirFlat:
		for _, c := range im.out[n.name] {
			if t := im.ng.nodes[c].typ; t != "Affine" && t != "Linear" {
				return errNode(n, "feeds %s (%s), want Affine or Linear: a dense projection is what reads a population in C,H,W order", c, t)
			}
		}
		im.pop[n.name] = im.pop[im.in[n.name][0]]
	case nirOp:
		if !im.materialised(n) {
			return nil // its consumers make its projections
		}
		src := im.pop[im.in[n.name][0]]
		pr, bias, err := im.opProj(n, src, s, ones(s.C))
		if err != nil {
			return err
		}
		pr.Name = n.name + "." + pr.Op.String()
		p := &ir.Population{Name: n.name, Shape: s, Neuron: ir.Neuron{Model: ir.Relay}, Bias: f32s(bias)}
		im.pop[n.name] = p
		return im.addPop(p, []*ir.Projection{pr})
	case nirNeuron:
		return im.neuron(n, s)
	}
	return nil
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// f32s converts v to float32, returning nil when v is nil or all zero.
func f32s(v []float64) []float32 {
	zero := true
	for _, x := range v {
		zero = zero && x == 0
	}
	if zero {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// opProj builds the projection of operator node n from src into a
// population of shape dst whose input current is multiplied by scale (one
// factor per output channel). It returns the scaled bias per output channel
// (nil without bias). Weightless pools refuse a scale other than 1.
func (im *importer) opProj(n *nirNode, src *ir.Population, dst ir.Shape, scale []float64) (*ir.Projection, []float64, error) {
	pr := &ir.Projection{Name: n.name, Src: src}
	var bias []float64
	switch n.typ {
	case "Affine", "Linear":
		pr.Op = ir.Dense
		w, _, err := n.floats("weight")
		if err != nil {
			return nil, nil, err
		}
		in := src.Shape.Len()
		pr.Weights = make([]float32, len(w))
		for i, x := range w {
			pr.Weights[i] = float32(x * scale[i/in])
		}
		if n.typ == "Affine" {
			b, _, _ := n.floats("bias")
			bias = make([]float64, len(b))
			for j, x := range b {
				bias[j] = x * scale[j]
			}
		}
	case "Conv2d":
		w, _, err := n.floats("weight")
		if err != nil {
			return nil, nil, err
		}
		g, _, err := im.window(n, src.Shape)
		if err != nil {
			return nil, nil, err
		}
		pr.Op, pr.Kernel, pr.Stride, pr.Pad = g.Op, g.Kernel, g.Stride, g.Pad
		per := len(w) / dst.C
		pr.Weights = make([]float32, len(w))
		for i, x := range w {
			pr.Weights[i] = float32(x * scale[i/per])
		}
		if b, _, err := n.floats("bias"); err == nil {
			bias = make([]float64, len(b))
			for c, x := range b {
				bias[c] = x * scale[c]
			}
		}
	case "SumPool2d", "AvgPool2d":
		for c, x := range scale {
			if x != 1 {
				return nil, nil, errNode(n, "feeds a neuron node whose equations scale its input by %g (channel %d), but a pooling has fixed weights; put an Affine, Conv2d or Scale between them", x, c)
			}
		}
		g, _, err := im.window(n, src.Shape)
		if err != nil {
			return nil, nil, err
		}
		pr.Op, pr.Kernel, pr.Stride, pr.Pad = g.Op, g.Kernel, g.Stride, g.Pad
	case "Scale":
		k, err := perChannel(n, "scale", dst, 1, true)
		if err != nil {
			return nil, nil, err
		}
		for c := range k {
			k[c] *= scale[c]
		}
		diag(pr, k)
	default:
		return nil, nil, errNode(n, "is not an operator")
	}
	return pr, bias, nil
}

// diag makes pr a 1x1 convolution with weight k[c] from channel c to
// channel c and 0 elsewhere: an elementwise per-channel scale.
func diag(pr *ir.Projection, k []float64) {
	c := len(k)
	pr.Op, pr.Kernel, pr.Stride, pr.Pad = ir.Conv2D, 1, 1, 0
	pr.Weights = make([]float32, c*c)
	for i, x := range k {
		pr.Weights[i*c+i] = float32(x)
	}
}

// edgeInto builds the projection that carries the output of NIR node x
// into neuron node n (shape dst, input scale per channel), with its bias.
func (im *importer) edgeInto(n *nirNode, x string, dst ir.Shape, scale []float64) (*ir.Projection, []float64, error) {
	xn := im.ng.nodes[x]
	if nirKinds[xn.typ] == nirOp && !im.materialised(xn) {
		pr, bias, err := im.opProj(xn, im.pop[im.in[x][0]], dst, scale)
		if err != nil {
			return nil, nil, err
		}
		if len(im.out[x]) > 1 {
			pr.Name = x + "->" + n.name
		}
		return pr, bias, nil
	}
	src := im.pop[x]
	if src == nil {
		return nil, nil, errNode(n, "its input %s (%s) has no population", x, xn.typ)
	}
	if src.Shape != dst {
		return nil, nil, errNode(n, "shape %v, but its input %s has %v", dst, x, src.Shape)
	}
	pr := &ir.Projection{Name: x + "->" + n.name, Src: src, Op: ir.Identity}
	for _, k := range scale {
		if k != 1 {
			diag(pr, scale)
			break
		}
	}
	return pr, nil, nil
}
