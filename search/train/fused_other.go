//go:build !amd64 || purego

package train

// fusedStep is the fused neuron kernel for one channel row (portable).
func fusedStep(a, b, v, y []float32, fc *fusedConsts) int64 {
	return fusedStepGo(a, b, v, y, fc)
}
