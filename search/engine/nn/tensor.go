package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Tensor is a dense float32 array in row-major order. For activations the
// first dimension is time (T), the second the batch (N).
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor returns a zero tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, numel(shape))}
}

// Len returns the number of elements implied by the shape.
func (t *Tensor) Len() int { return numel(t.Shape) }

// resize sets t's shape and makes Data exactly that long, reusing the backing
// array when it is large enough. The contents are unspecified afterwards.
func (t *Tensor) resize(shape ...int) {
	n := numel(shape)
	if cap(t.Data) < n {
		t.Data = make([]float32, n)
	}
	t.Data = t.Data[:n]
	if len(t.Shape) != len(shape) {
		t.Shape = make([]int, len(shape))
	}
	copy(t.Shape, shape)
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Param is a named learnable tensor with its gradient, or (with Grad nil) a
// named non-learnable buffer such as a BatchNorm running statistic. Data and
// Grad have Len(Shape) elements; Grad accumulates across Backward calls until
// cleared by ZeroGrad.
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	Grad  []float32
}

func newParam(name string, grad bool, shape ...int) *Param {
	p := &Param{Name: name, Shape: append([]int(nil), shape...), Data: make([]float32, numel(shape))}
	if grad {
		p.Grad = make([]float32, len(p.Data))
	}
	return p
}

// ZeroGrad clears the gradients of params.
func ZeroGrad(params []*Param) {
	for _, p := range params {
		clear(p.Grad)
	}
}

// Layer is a single-input module with an explicit multi-step forward and a
// backpropagation-through-time backward; see the package documentation for
// the contract on shapes, ownership and lifetime.
type Layer interface {
	// Name is the dotted module name, the prefix of its parameter names.
	Name() string
	// Forward runs all T timesteps of x ([T, N, ...]) and returns the output.
	Forward(x *Tensor) (*Tensor, error)
	// Backward returns dL/dx for the last Forward given dL/dy, and adds the
	// parameter gradients to Param.Grad. It may return a nil tensor when the
	// layer was told not to compute input gradients.
	Backward(dy *Tensor) (*Tensor, error)
	// Params lists the learnable parameters (nil when there are none).
	Params() []*Param
	// SetTraining switches between training (true) and evaluation mode.
	SetTraining(training bool)
}

// Buffered is implemented by layers with non-learnable state that belongs in
// checkpoints (BatchNorm running statistics).
type Buffered interface {
	Buffers() []*Param
}

// SpikeCounter is implemented by layers whose outputs count in the paper's
// "Spikes" metric: neurons, and max-pool layers (pooled spike maps are
// counted again). Spikes returns the number of nonzero outputs of the last
// Forward, summed over all T steps and the whole batch; Positions the number
// of outputs of that Forward (T * N * neurons), so Spikes/Positions is the
// firing rate.
type SpikeCounter interface {
	Spikes() int64
	Positions() int64
}

// kaimingUniform fills w with PyTorch's default conv/linear initialisation,
// kaiming_uniform with a = sqrt(5): U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
func kaimingUniform(w []float32, fanIn int, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(fanIn))
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * bound)
	}
}

// shapeError formats a shape mismatch naming the layer.
func shapeError(layer, what string, got []int, want string) error {
	return fmt.Errorf("nn: %s: %s has shape %v, want %s", layer, what, got, want)
}

// errNoForward is returned by Backward when there is no matching Forward.
func errNoForward(layer string) error {
	return fmt.Errorf("nn: %s: Backward called without a Forward", layer)
}

// NonFiniteError reports a NaN or infinite value found by CheckFinite.
type NonFiniteError struct {
	Layer string  // module name, e.g. "blocks.2.bn1"
	Step  int     // training step (mini-batch index) at which it was found
	What  string  // which tensor: "output", "input gradient", "loss", ...
	Index int     // flat index of the first bad element
	Value float32 // the bad value (NaN, +Inf or -Inf)
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("nn: non-finite value %v in %s of layer %s at step %d (element %d)", e.Value, e.What, e.Layer, e.Step, e.Index)
}

// CheckFinite returns a *NonFiniteError naming layer, step and what if data
// holds a NaN or an infinity, and nil otherwise.
func CheckFinite(layer string, step int, what string, data []float32) error {
	base := 0
	if m := len(data) &^ 31; hasAVX2 && m > 0 && !nonFiniteAVX2(&data[0], m) {
		base = m // all finite: only the tail is left to scan
	}
	for i, v := range data[base:] {
		i += base
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			return &NonFiniteError{Layer: layer, Step: step, What: what, Index: i, Value: v}
		}
	}
	return nil
}

// CheckFiniteScalar is CheckFinite for one float64 value such as a loss.
func CheckFiniteScalar(layer string, step int, what string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return &NonFiniteError{Layer: layer, Step: step, What: what, Value: float32(v)}
	}
	return nil
}
