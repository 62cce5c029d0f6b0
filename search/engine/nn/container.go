package nn

import "fmt"

// Container is implemented by layers built from other layers; Layers lists
// the direct children in forward order.
type Container interface {
	Layer
	Layers() []Layer
}

// Leaves returns the non-container layers under l in forward order (l itself
// when it is not a Container), e.g. to collect spike counters or parameters.
func Leaves(l Layer) []Layer {
	c, ok := l.(Container)
	if !ok {
		return []Layer{l}
	}
	var out []Layer
	for _, ch := range c.Layers() {
		out = append(out, Leaves(ch)...)
	}
	return out
}

// Buffers returns the buffers of all Buffered leaves under l.
func Buffers(l Layer) []*Param {
	var out []*Param
	for _, leaf := range Leaves(l) {
		if b, ok := leaf.(Buffered); ok {
			out = append(out, b.Buffers()...)
		}
	}
	return out
}

// Sequential chains layers: y = L_n(...L_1(x)). An empty Sequential is the
// identity (Forward returns x, Backward returns dy).
type Sequential struct {
	name string
	List []Layer
}

// NewSequential returns a chain of layers.
func NewSequential(name string, layers ...Layer) *Sequential {
	return &Sequential{name: name, List: layers}
}

// Name implements Layer.
func (s *Sequential) Name() string { return s.name }

// Layers implements Container.
func (s *Sequential) Layers() []Layer { return s.List }

// Params implements Layer.
func (s *Sequential) Params() []*Param {
	var out []*Param
	for _, l := range s.List {
		out = append(out, l.Params()...)
	}
	return out
}

// SetTraining implements Layer.
func (s *Sequential) SetTraining(training bool) {
	for _, l := range s.List {
		l.SetTraining(training)
	}
}

// Forward implements Layer.
func (s *Sequential) Forward(x *Tensor) (*Tensor, error) {
	var err error
	for _, l := range s.List {
		if x, err = l.Forward(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Backward implements Layer. A nil gradient from a layer (NoInputGrad) ends
// the chain and Backward returns nil.
func (s *Sequential) Backward(dy *Tensor) (*Tensor, error) {
	var err error
	for i := len(s.List) - 1; i >= 0; i-- {
		if dy, err = s.List[i].Backward(dy); err != nil || dy == nil {
			return dy, err
		}
	}
	return dy, nil
}

// Residual computes y = Post(Main(x) + Shortcut(x)), the SRB block shape:
// Main is conv-BN-PLIF-conv-BN, Shortcut is nil (identity) or conv1x1-BN,
// Post the block's output neuron (nil: none). Its input gradient is the sum
// of both branches' gradients, in a buffer of its own.
type Residual struct {
	name           string
	Main, Shortcut Layer
	Post           Layer

	add Add
	dx  Tensor
}

// NewResidual returns a residual block; shortcut and post may be nil.
func NewResidual(name string, main, shortcut, post Layer) *Residual {
	return &Residual{name: name, Main: main, Shortcut: shortcut, Post: post, add: Add{name: name + ".add"}}
}

// Name implements Layer.
func (r *Residual) Name() string { return r.name }

// Layers implements Container.
func (r *Residual) Layers() []Layer {
	out := []Layer{r.Main}
	if r.Shortcut != nil {
		out = append(out, r.Shortcut)
	}
	if r.Post != nil {
		out = append(out, r.Post)
	}
	return out
}

// Params implements Layer.
func (r *Residual) Params() []*Param {
	var out []*Param
	for _, l := range r.Layers() {
		out = append(out, l.Params()...)
	}
	return out
}

// SetTraining implements Layer.
func (r *Residual) SetTraining(training bool) {
	for _, l := range r.Layers() {
		l.SetTraining(training)
	}
}

// Forward implements Layer.
func (r *Residual) Forward(x *Tensor) (*Tensor, error) {
	m, err := r.Main.Forward(x)
	if err != nil {
		return nil, err
	}
	s := x
	if r.Shortcut != nil {
		if s, err = r.Shortcut.Forward(x); err != nil {
			return nil, err
		}
	}
	y, err := r.add.Forward(m, s)
	if err != nil {
		return nil, fmt.Errorf("nn: %s: main branch and shortcut: %w", r.name, err)
	}
	if r.Post != nil {
		return r.Post.Forward(y)
	}
	return y, nil
}

// Backward implements Layer.
func (r *Residual) Backward(dy *Tensor) (*Tensor, error) {
	var err error
	if r.Post != nil {
		if dy, err = r.Post.Backward(dy); err != nil {
			return nil, err
		}
	}
	dm, ds, err := r.add.Backward(dy)
	if err != nil {
		return nil, err
	}
	// dm and ds are dy itself; the branches only read it.
	if r.Shortcut != nil {
		if ds, err = r.Shortcut.Backward(ds); err != nil {
			return nil, err
		}
	}
	r.dx.resize(ds.Shape...)
	copy(r.dx.Data, ds.Data)
	if dm, err = r.Main.Backward(dm); err != nil {
		return nil, err
	}
	return &r.dx, AccumulateGrad(&r.dx, dm)
}
