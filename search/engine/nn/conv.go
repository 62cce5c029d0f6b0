package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autosnn/autosnn/search/engine/tensor"
)

// Conv2d is a 2-D convolution without bias applied independently to every
// timestep and image: [T, N, Cin, H, W] -> [T, N, Cout, OH, OW] with
// OH = (H + 2 Pad - K)/Stride + 1. All T*N images go through one kernel call.
// The weight is [Cout, Cin, K, K] and named Name()+".weight".
type Conv2d struct {
	name                      string
	Cin, Cout, K, Stride, Pad int
	Weight                    *Param
	// NoInputGrad skips dL/dx in Backward (for the first layer of a network);
	// Backward then returns nil.
	NoInputGrad bool

	ws    *tensor.Workspace
	shape tensor.ConvShape
	x     *Tensor
	y, dx Tensor
}

// NewConv2d returns a convolution initialised like PyTorch's default
// (kaiming_uniform, a = sqrt(5)) from rng. ws supplies the worker pool and
// scratch memory and may be shared by layers used from one goroutine. It
// panics if a size is not positive or Pad is negative.
func NewConv2d(name string, cin, cout, k, stride, pad int, rng *rand.Rand, ws *tensor.Workspace) *Conv2d {
	if cin <= 0 || cout <= 0 || k <= 0 || stride <= 0 || pad < 0 {
		panic(fmt.Sprintf("nn: NewConv2d %s: invalid cin=%d cout=%d k=%d stride=%d pad=%d", name, cin, cout, k, stride, pad))
	}
	c := &Conv2d{name: name, Cin: cin, Cout: cout, K: k, Stride: stride, Pad: pad, ws: ws,
		Weight: newParam(name+".weight", true, cout, cin, k, k)}
	kaimingUniform(c.Weight.Data, cin*k*k, rng)
	return c
}

// Name implements Layer.
func (c *Conv2d) Name() string { return c.name }

// Params implements Layer.
func (c *Conv2d) Params() []*Param { return []*Param{c.Weight} }

// SetTraining implements Layer; a convolution has no mode.
func (c *Conv2d) SetTraining(bool) {}

// Forward implements Layer.
func (c *Conv2d) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) != 5 || x.Shape[2] != c.Cin {
		return nil, shapeError(c.name, "input", x.Shape, fmt.Sprintf("[T N %d H W]", c.Cin))
	}
	s := tensor.ConvShape{N: x.Shape[0] * x.Shape[1], Cin: c.Cin, H: x.Shape[3], W: x.Shape[4],
		Cout: c.Cout, KH: c.K, KW: c.K, Stride: c.Stride, Pad: c.Pad}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("nn: %s: %w", c.name, err)
	}
	if len(x.Data) != s.XLen() {
		return nil, fmt.Errorf("nn: %s: input has %d elements, want %d for shape %v", c.name, len(x.Data), s.XLen(), x.Shape)
	}
	c.shape = s
	c.y.resize(x.Shape[0], x.Shape[1], c.Cout, s.OutH(), s.OutW())
	tensor.Conv2DForward(s, x.Data, c.Weight.Data, c.y.Data, c.ws)
	c.x = x
	return &c.y, nil
}

// Backward implements Layer.
func (c *Conv2d) Backward(dy *Tensor) (*Tensor, error) {
	if c.x == nil {
		return nil, errNoForward(c.name)
	}
	if !sameShape(dy.Shape, c.y.Shape) || len(dy.Data) != len(c.y.Data) {
		return nil, shapeError(c.name, "output gradient", dy.Shape, fmt.Sprint(c.y.Shape))
	}
	tensor.Conv2DBackwardFilter(c.shape, c.x.Data, dy.Data, c.Weight.Grad, c.ws)
	if c.NoInputGrad {
		return nil, nil
	}
	c.dx.resize(c.x.Shape...)
	tensor.Conv2DBackwardData(c.shape, dy.Data, c.Weight.Data, c.dx.Data, c.ws)
	return &c.dx, nil
}

// Linear is a fully-connected layer without bias applied to every timestep
// and sample: [T, N, In] -> [T, N, Out], y = x W^T with W [Out, In] named
// Name()+".weight". Inputs with more trailing dimensions are accepted when
// their product is In (as after a flatten).
type Linear struct {
	name    string
	In, Out int
	Weight  *Param
	// NoInputGrad skips dL/dx in Backward, which then returns nil.
	NoInputGrad bool

	ws    *tensor.Workspace
	x     *Tensor
	rows  int
	y, dx Tensor
}

// NewLinear returns a linear layer initialised like PyTorch's default from
// rng. It panics if a size is not positive.
func NewLinear(name string, in, out int, rng *rand.Rand, ws *tensor.Workspace) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn: NewLinear %s: invalid in=%d out=%d", name, in, out))
	}
	l := &Linear{name: name, In: in, Out: out, ws: ws, Weight: newParam(name+".weight", true, out, in)}
	kaimingUniform(l.Weight.Data, in, rng)
	return l
}

// Name implements Layer.
func (l *Linear) Name() string { return l.name }

// Params implements Layer.
func (l *Linear) Params() []*Param { return []*Param{l.Weight} }

// SetTraining implements Layer; a linear layer has no mode.
func (l *Linear) SetTraining(bool) {}

// Forward implements Layer.
func (l *Linear) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) < 3 || numel(x.Shape[2:]) != l.In || len(x.Data) != x.Len() {
		return nil, shapeError(l.name, "input", x.Shape, fmt.Sprintf("[T N %d]", l.In))
	}
	l.rows = x.Shape[0] * x.Shape[1]
	l.y.resize(x.Shape[0], x.Shape[1], l.Out)
	l.ws.Sgemm(false, true, l.rows, l.Out, l.In, 1, x.Data, l.In, l.Weight.Data, l.In, 0, l.y.Data, l.Out)
	l.x = x
	return &l.y, nil
}

// Backward implements Layer.
func (l *Linear) Backward(dy *Tensor) (*Tensor, error) {
	if l.x == nil {
		return nil, errNoForward(l.name)
	}
	if !sameShape(dy.Shape, l.y.Shape) || len(dy.Data) != len(l.y.Data) {
		return nil, shapeError(l.name, "output gradient", dy.Shape, fmt.Sprint(l.y.Shape))
	}
	// dW += dy^T x
	l.ws.Sgemm(true, false, l.Out, l.In, l.rows, 1, dy.Data, l.Out, l.x.Data, l.In, 1, l.Weight.Grad, l.In)
	if l.NoInputGrad {
		return nil, nil
	}
	l.dx.resize(l.x.Shape...)
	l.ws.Sgemm(false, false, l.rows, l.In, l.Out, 1, dy.Data, l.Out, l.Weight.Data, l.In, 0, l.dx.Data, l.In)
	return &l.dx, nil
}
