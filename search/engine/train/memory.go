package train

import "github.com/autosnn/autosnn/ir"

// Constants of Memory, measured with TestMemoryEstimate (peak live heap of
// a training run and of an evaluation at two sizes each); see
// docs/performance.md, "Memory estimates".
const (
	// trainBytesPerActivation is the peak heap per float32 activation
	// (timestep x image x neuron) in training: the forward values every
	// layer saves for BPTT, their gradients and the kernels' buffers,
	// with the garbage collector's headroom.
	trainBytesPerActivation = 34
	// evalBytesPerActivation is the same in evaluation (no saved state).
	evalBytesPerActivation = 15
	// trainBytesPerParam: the weight, its gradient, Adam's two moments and
	// the workers' per-parameter buffers, in bytes.
	trainBytesPerParam = 24
	// evalBytesPerParam: the weight and its gradient buffer, in bytes.
	evalBytesPerParam = 8
	// trainFixedBytes is the trainer's overhead independent of the network
	// (optimiser and progress state, worker buffers).
	trainFixedBytes = 2 << 20
)

// Memory returns the estimated peak heap, in bytes, of training (training
// true: forward, BPTT backward and Adam) or evaluating g with batch images
// per step, above what the caller has allocated before (the dataset): the
// sum of ActivationMemory and ParamMemory. It reads only the IR's shapes
// (no weights need be loaded), so it can refuse a network before anything
// is allocated.
func Memory(g *ir.Graph, batch int, training bool) int64 {
	return ActivationMemory(g, batch, training) + ParamMemory(int64(ir.Count(g).Params), training)
}

// ActivationMemory is the part of Memory, in bytes, that grows with the
// batch: T x batch x the neurons of every population (relays and the input
// included; under direct encoding the input counts once per image) x the
// measured bytes per activation.
func ActivationMemory(g *ir.Graph, batch int, training bool) int64 {
	var act int64
	for i, p := range g.Pops {
		n := int64(p.Shape.Len()) * int64(batch)
		if i > 0 || g.Encoding != ir.Direct {
			n *= int64(max(g.T, 1))
		}
		act += n
	}
	if training {
		return act * trainBytesPerActivation
	}
	return act * evalBytesPerActivation
}

// ParamMemory is the part of Memory, in bytes, of params parameters: with
// gradients and Adam's moments in training, plus the trainer's fixed
// overhead.
func ParamMemory(params int64, training bool) int64 {
	if training {
		return params*trainBytesPerParam + trainFixedBytes
	}
	return params * evalBytesPerParam
}
