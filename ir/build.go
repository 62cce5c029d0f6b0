package ir

import "fmt"

// Builder assembles a Graph layer by layer, inferring each population's
// shape from its first incoming edge. It is used by the frontend and, as a
// small DSL, by tests:
//
//	b := ir.NewBuilder("tiny", ir.Header{T: 4, Classes: 2, Vote: 1})
//	x := b.Input("x", ir.Shape{C: 1, H: 8, W: 8})
//	c := b.Layer("c1", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, ir.ConvBN(x, 4, 3, 1))
//	p := b.Layer("p1", ir.Neuron{Model: ir.Relay}, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.MaxPool, c, 2))
//	b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(p, 2))
//	g, err := b.Graph()
//
// The first error is remembered and returned by Graph; later calls are
// ignored, so a builder chain needs one error check at the end.
type Builder struct {
	g   *Graph
	err error
}

// Header holds the graph-level fields of a new graph.
type Header struct {
	T        int
	Encoding Encoding
	Classes  int
	Vote     int
	Loss     Loss
}

// NewBuilder starts a graph with the given name and header.
func NewBuilder(name string, h Header) *Builder {
	return &Builder{g: &Graph{Name: name, T: h.T, Encoding: h.Encoding, Classes: h.Classes, Vote: h.Vote, Loss: h.Loss}}
}

// Edge describes a projection to be added into a new population by Layer.
type Edge struct {
	Name   string // defaults to "<dst>.<op>" (plus an index when repeated)
	Src    *Population
	Op     Op
	Out    int // output channels (Conv2D) or neurons (Dense)
	Kernel int
	Stride int
	Pad    int
	BN     bool // attach an untrained batch-norm (eps 1e-5)
}

// ConvBN is a k x k convolution with stride 1, padding k/2 and batch-norm.
func ConvBN(src *Population, out, k, stride int) Edge {
	return Edge{Src: src, Op: Conv2D, Out: out, Kernel: k, Stride: stride, Pad: k / 2, BN: true}
}

// Pool is a k x k pooling with stride k and no padding.
func Pool(op Op, src *Population, k int) Edge {
	return Edge{Src: src, Op: op, Kernel: k, Stride: k}
}

// GlobalAvgPool averages each channel of src to one value.
func GlobalAvgPool(src *Population) Edge {
	return Edge{Name: "", Src: src, Op: AvgPool, Kernel: src.Shape.H, Stride: src.Shape.H}
}

// Full is a dense projection to out neurons without batch-norm.
func Full(src *Population, out int) Edge { return Edge{Src: src, Op: Dense, Out: out} }

// Skip is an identity projection (a residual shortcut).
func Skip(src *Population) Edge { return Edge{Src: src, Op: Identity} }

// Named returns e with its name set.
func (e Edge) Named(name string) Edge { e.Name = name; return e }

// Input adds the input population. It must be called first, once.
func (b *Builder) Input(name string, s Shape) *Population {
	p := &Population{Name: name, Shape: s, Neuron: Neuron{Model: Input}, Role: Role{Kind: RoleInput}}
	if b.err == nil && len(b.g.Pops) != 0 {
		b.err = fmt.Errorf("ir: builder: input %s added after %d populations", name, len(b.g.Pops))
	}
	b.g.Pops = append(b.g.Pops, p)
	return p
}

// Layer adds a population fed by the given edges. Its shape is inferred
// from the first edge; Verify (run by Graph) checks the others agree.
func (b *Builder) Layer(name string, n Neuron, r Role, in ...Edge) *Population {
	p := &Population{Name: name, Neuron: n, Role: r}
	if b.err != nil {
		return p
	}
	if len(in) == 0 {
		b.err = fmt.Errorf("ir: builder: layer %s has no incoming edge", name)
		return p
	}
	for i, e := range in {
		pr := &Projection{Name: e.Name, Src: e.Src, Dst: p, Op: e.Op, Kernel: e.Kernel, Stride: e.Stride, Pad: e.Pad}
		if pr.Name == "" {
			pr.Name = name + "." + e.Op.String()
			if b.g.Proj(pr.Name) != nil || countOp(in, e.Op) > 1 {
				pr.Name = fmt.Sprintf("%s.%s%d", name, e.Op, i)
			}
		}
		if e.BN {
			pr.BN = &BatchNorm{Eps: 1e-5}
		}
		if i == 0 {
			if e.Src == nil {
				b.err = fmt.Errorf("ir: builder: layer %s: edge %s has no source", name, pr.Name)
				return p
			}
			s, err := pr.OutShape(e.Out)
			if err != nil {
				b.err = fmt.Errorf("ir: builder: layer %s: edge %s: %w", name, pr.Name, err)
				return p
			}
			p.Shape = s
		}
		b.g.Projs = append(b.g.Projs, pr)
	}
	b.g.Pops = append(b.g.Pops, p)
	return p
}

func countOp(in []Edge, op Op) int {
	n := 0
	for _, e := range in {
		if e.Op == op {
			n++
		}
	}
	return n
}

// Graph verifies and returns the graph built so far.
func (b *Builder) Graph() (*Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	if err := Verify(b.g); err != nil {
		return nil, err
	}
	return b.g, nil
}
