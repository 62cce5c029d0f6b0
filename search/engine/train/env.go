// The execution environment the layers of one network share.

package train

import (
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/tensor"
)

// Env holds what the layers of one network share: the GEMM/convolution
// workspace, the elementwise workers (on the workspace's goroutines), and
// the step counter and finite check used in error messages. An Env must
// not be used by two goroutines at once.
type Env struct {
	WS      *tensor.Workspace
	Workers *nn.Workers
	// Step is the training step (mini-batch number since the start of
	// training) reported in *nn.NonFiniteError; the trainer sets it.
	Step int
	// DenseConv disables the event-driven forward of convolutions on spike
	// maps (spikeConv) and uses the dense kernels everywhere.
	DenseConv bool
	// NoStepBackward disables the timestep-by-timestep backward pass of
	// convolution stages (segment.backwardStageSteps); the results are
	// the same either way (tests compare the two).
	NoStepBackward bool
	// CheckFinite makes every stage check its summed input current, the
	// loss and every parameter gradient for NaN and infinities (one cheap
	// pass over each tensor). NewEnv turns it on.
	CheckFinite bool
}

// NewEnv returns an Env with workers goroutines (<= 0: GOMAXPROCS).
func NewEnv(workers int) *Env {
	ws := tensor.NewWorkspace(workers)
	return &Env{WS: ws, Workers: nn.WorkersOf(ws), CheckFinite: true}
}

// Close stops the worker goroutines.
func (e *Env) Close() { e.WS.Close() }
