// The ANN-mode activation.

package nn

import "fmt"

// ReLU is the ANN-mode activation y = max(x, 0) on any shape; its gradient
// at 0 is 0, as in PyTorch.
type ReLU struct {
	name  string
	x     *Tensor
	y, dx Tensor
}

// NewReLU returns a ReLU layer.
func NewReLU(name string) *ReLU { return &ReLU{name: name} }

// Name implements Layer.
func (r *ReLU) Name() string { return r.name }

// Params implements Layer.
func (r *ReLU) Params() []*Param { return nil }

// SetTraining implements Layer.
func (r *ReLU) SetTraining(bool) {}

// Forward implements Layer.
func (r *ReLU) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Data) != x.Len() {
		return nil, shapeError(r.name, "input", x.Shape, "data matching the shape")
	}
	r.y.resize(x.Shape...)
	for i, v := range x.Data {
		r.y.Data[i] = max(v, 0)
	}
	r.x = x
	return &r.y, nil
}

// Backward implements Layer.
func (r *ReLU) Backward(dy *Tensor) (*Tensor, error) {
	if r.x == nil {
		return nil, errNoForward(r.name)
	}
	if !sameShape(dy.Shape, r.y.Shape) || len(dy.Data) != len(r.y.Data) {
		return nil, shapeError(r.name, "output gradient", dy.Shape, fmt.Sprint(r.y.Shape))
	}
	r.dx.resize(r.x.Shape...)
	for i, v := range r.x.Data {
		if v > 0 {
			r.dx.Data[i] = dy.Data[i]
		} else {
			r.dx.Data[i] = 0
		}
	}
	return &r.dx, nil
}
