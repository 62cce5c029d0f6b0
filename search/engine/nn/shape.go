package nn

import "fmt"

// Flatten reshapes [T, N, d1, d2, ...] to [T, N, d1*d2*...]. The output and
// the input gradient are views sharing data with the input and dy.
type Flatten struct {
	name    string
	inShape []int
	y, dx   Tensor
}

// NewFlatten returns a flatten layer.
func NewFlatten(name string) *Flatten { return &Flatten{name: name} }

// Name implements Layer.
func (f *Flatten) Name() string { return f.name }

// Params implements Layer.
func (f *Flatten) Params() []*Param { return nil }

// SetTraining implements Layer.
func (f *Flatten) SetTraining(bool) {}

// Forward implements Layer.
func (f *Flatten) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) < 2 || len(x.Data) != x.Len() {
		return nil, shapeError(f.name, "input", x.Shape, "[T N ...]")
	}
	f.inShape = append(f.inShape[:0], x.Shape...)
	f.y = Tensor{Shape: append(f.y.Shape[:0], x.Shape[0], x.Shape[1], numel(x.Shape[2:])), Data: x.Data}
	return &f.y, nil
}

// Backward implements Layer.
func (f *Flatten) Backward(dy *Tensor) (*Tensor, error) {
	if f.inShape == nil {
		return nil, errNoForward(f.name)
	}
	if !sameShape(dy.Shape, f.y.Shape) || len(dy.Data) != len(f.y.Data) {
		return nil, shapeError(f.name, "output gradient", dy.Shape, fmt.Sprint(f.y.Shape))
	}
	f.dx = Tensor{Shape: append(f.dx.Shape[:0], f.inShape...), Data: dy.Data}
	return &f.dx, nil
}

// Repeat is direct encoding: it feeds a static input [1, N, ...] at each of
// T steps, producing [T, N, ...]. Its backward sums the T step gradients.
type Repeat struct {
	name  string
	T     int
	y, dx Tensor
	ok    bool
	// Workers splits the forward copies and the backward sum across
	// goroutines (nil: serial).
	Workers *Workers
	steps   [][]float32 // the step gradients of the last Backward
}

// NewRepeat returns a Repeat layer producing t steps. It panics if t < 1.
func NewRepeat(name string, t int) *Repeat {
	if t < 1 {
		panic(fmt.Sprintf("nn: NewRepeat %s: invalid T %d", name, t))
	}
	return &Repeat{name: name, T: t}
}

// Name implements Layer.
func (r *Repeat) Name() string { return r.name }

// Params implements Layer.
func (r *Repeat) Params() []*Param { return nil }

// SetTraining implements Layer.
func (r *Repeat) SetTraining(bool) {}

// Forward implements Layer.
func (r *Repeat) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) < 2 || x.Shape[0] != 1 || len(x.Data) != x.Len() {
		return nil, shapeError(r.name, "input", x.Shape, "[1 N ...]")
	}
	shape := append([]int{r.T}, x.Shape[1:]...)
	r.y.resize(shape...)
	n := len(x.Data)
	for t := range r.T {
		r.Workers.Add(r.y.Data[t*n:(t+1)*n], x.Data) // a parallel copy
	}
	r.dx.resize(x.Shape...)
	r.ok = true
	return &r.y, nil
}

// Backward implements Layer.
func (r *Repeat) Backward(dy *Tensor) (*Tensor, error) {
	if !r.ok {
		return nil, errNoForward(r.name)
	}
	if !sameShape(dy.Shape, r.y.Shape) || len(dy.Data) != len(r.y.Data) {
		return nil, shapeError(r.name, "output gradient", dy.Shape, fmt.Sprint(r.y.Shape))
	}
	// dx = dy[0] + dy[1] + ... summed left to right.
	n := len(r.dx.Data)
	r.steps = r.steps[:0]
	for t := range r.T {
		r.steps = append(r.steps, dy.Data[t*n:(t+1)*n])
	}
	r.Workers.Add(r.dx.Data, r.steps...)
	clear(r.steps)
	return &r.dx, nil
}

// Add is the residual addition y = a + b of two same-shaped tensors. It is
// not a Layer because it has two inputs.
type Add struct {
	name string
	y    Tensor
	ok   bool
}

// NewAdd returns a residual-add node.
func NewAdd(name string) *Add { return &Add{name: name} }

// Name returns the module name.
func (a *Add) Name() string { return a.name }

// Forward returns a + b.
func (a *Add) Forward(x1, x2 *Tensor) (*Tensor, error) {
	if !sameShape(x1.Shape, x2.Shape) || len(x1.Data) != x1.Len() || len(x2.Data) != x2.Len() {
		return nil, fmt.Errorf("nn: %s: operands have shapes %v and %v, want equal shapes", a.name, x1.Shape, x2.Shape)
	}
	a.y.resize(x1.Shape...)
	for i, v := range x1.Data {
		a.y.Data[i] = v + x2.Data[i]
	}
	a.ok = true
	return &a.y, nil
}

// Backward returns the gradients of both operands, which are dy itself (the
// same tensor twice); callers must not modify one while still using the other.
func (a *Add) Backward(dy *Tensor) (*Tensor, *Tensor, error) {
	if !a.ok {
		return nil, nil, errNoForward(a.name)
	}
	if !sameShape(dy.Shape, a.y.Shape) || len(dy.Data) != len(a.y.Data) {
		return nil, nil, shapeError(a.name, "output gradient", dy.Shape, fmt.Sprint(a.y.Shape))
	}
	return dy, dy, nil
}

// AccumulateGrad adds src into dst (same shape), for a tensor consumed by two
// layers (the input of a residual block feeds both branches).
func AccumulateGrad(dst, src *Tensor) error {
	if !sameShape(dst.Shape, src.Shape) || len(dst.Data) != len(src.Data) {
		return fmt.Errorf("nn: AccumulateGrad: shapes %v and %v differ", dst.Shape, src.Shape)
	}
	for i, v := range src.Data {
		dst.Data[i] += v
	}
	return nil
}
