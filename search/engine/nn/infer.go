package nn

// Accessors for fused inference paths outside this package (the eval-mode
// fused stages of search/engine/train): they compute a Neuron's or BatchNorm's
// evaluation forward themselves, in another loop order but with the same
// per-element arithmetic, and need to know the layers' modes and to leave
// the layers in the state their own Forward would have left.

// Training reports whether the batch-norm normalises with batch statistics
// (training mode) rather than its running statistics.
func (b *BatchNorm) Training() bool { return b.training }

// EvalAffine returns the per-channel constants of the evaluation-mode
// forward, y = (x - c) sc + sh for channel ch, exactly as Forward computes
// them from the running statistics (float32, rounded as Forward rounds).
func (b *BatchNorm) EvalAffine(ch int) (c, sc, sh float32) {
	mean, invstd := b.evalStats(ch)
	return b.affineOf(ch, mean, invstd)
}

// Evaluating reports whether Forward would run the plain evaluation
// dynamics (evaluation mode, Heaviside output, nothing saved for Backward):
// the only mode a fused inference path may replace.
func (n *Neuron) Evaluating() bool { return n.eval && !n.smooth }

// BeginEvalOutput prepares the layer for an evaluation forward computed
// outside it: the output tensor is resized to shape and returned (its
// contents are the caller's to write; with no shape the output is left
// alone and nil is returned, for a caller that keeps the output itself),
// the saved input is dropped so that Backward reports a missing Forward,
// and the spike count is reset until EndEvalOutput. It panics unless the
// layer is Evaluating.
func (n *Neuron) BeginEvalOutput(shape ...int) *Tensor {
	if !n.Evaluating() {
		panic("nn: " + n.name + ": BeginEvalOutput outside evaluation mode")
	}
	n.x, n.saved, n.spikes = nil, false, 0
	if len(shape) == 0 {
		return nil
	}
	n.y.resize(shape...)
	return &n.y
}

// EndEvalOutput records the spike count (ones in the output, summed over
// steps and batch) of an output written after BeginEvalOutput.
func (n *Neuron) EndEvalOutput(spikes int64) { n.spikes = spikes }
