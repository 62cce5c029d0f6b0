//go:build amd64 && !purego

package train

import "golang.org/x/sys/cpu"

//go:noescape
func fusedStepAVX2(a, b, v, y *float32, n int, fc *fusedConsts) int64

var hasFusedAVX2 = hasAVX2FMA && cpu.X86.HasPOPCNT

// fusedStep is fusedStepGo with an AVX2 kernel for the multiple-of-8 head
// of the row (outputs bit-identical to the Go loop's). b may be nil.
func fusedStep(a, b, v, y []float32, fc *fusedConsts) int64 {
	m := len(a) &^ 7
	if !hasFusedAVX2 || m == 0 {
		return fusedStepGo(a, b, v, y, fc)
	}
	_, _ = v[len(a)-1], y[len(a)-1]
	var bp *float32
	if b != nil {
		_ = b[len(a)-1]
		bp = &b[0]
	}
	count := fusedStepAVX2(&a[0], bp, &v[0], &y[0], m, fc)
	if m == len(a) {
		return count
	}
	var bt []float32
	if b != nil {
		bt = b[m:]
	}
	return count + fusedStepGo(a[m:], bt, v[m:], y[m:], fc)
}
