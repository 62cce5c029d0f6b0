package nn

import (
	"fmt"
	"math"
)

// Adam is PyTorch's Adam optimiser (no weight decay, no AMSGrad) with its
// exact update: for each parameter, after step s (counted per parameter),
//
//	m = beta1 m + (1 - beta1) g
//	v = beta2 v + (1 - beta2) g^2
//	p -= lr / (1 - beta1^s) * m / (sqrt(v) / sqrt(1 - beta2^s) + eps)
//
// with the bias corrections computed in float64 and the element arithmetic
// in float32.
type Adam struct {
	LR, Beta1, Beta2, Eps float64

	params []*Param
	state  []AdamState
}

// AdamState is the optimiser state of one parameter, as stored in
// checkpoints: the number of updates applied and the two moment estimates
// (each with the parameter's length).
type AdamState struct {
	Name     string
	Step     int64
	ExpAvg   []float32
	ExpAvgSq []float32
}

// NewAdam returns an Adam optimiser over params with learning rate lr and
// PyTorch's defaults betas (0.9, 0.999), eps 1e-8.
func NewAdam(params []*Param, lr float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, params: params}
	a.state = make([]AdamState, len(params))
	for i, p := range params {
		a.state[i] = AdamState{Name: p.Name, ExpAvg: make([]float32, len(p.Data)), ExpAvgSq: make([]float32, len(p.Data))}
	}
	return a
}

// Params returns the parameters the optimiser updates, in order.
func (a *Adam) Params() []*Param { return a.params }

// Step applies one update to every parameter from its Grad.
func (a *Adam) Step() { a.StepIf(nil) }

// StepIf applies one update to the parameters i for which use(i) is true (all
// when use is nil); the others keep their state, like PyTorch parameters
// whose grad is None (e.g. unsampled super-network candidates).
func (a *Adam) StepIf(use func(i int) bool) {
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	c1, c2 := float32(1-a.Beta1), float32(1-a.Beta2)
	eps := float32(a.Eps)
	for i, p := range a.params {
		if use != nil && !use(i) {
			continue
		}
		st := &a.state[i]
		st.Step++
		bc1 := 1 - math.Pow(a.Beta1, float64(st.Step))
		bc2 := 1 - math.Pow(a.Beta2, float64(st.Step))
		stepSize := float32(a.LR / bc1)
		bc2s := float32(math.Sqrt(bc2))
		adamStep(p.Data, p.Grad, st.ExpAvg, st.ExpAvgSq, b1, c1, b2, c2, stepSize, bc2s, eps)
	}
}

// adamStep updates parameter values p with gradients g and moments m and v
// (all of p's length): eight at a time with AVX2 where the CPU has it, the
// same float32 operations in the same order either way.
func adamStep(p, g, m, v []float32, b1, c1, b2, c2, stepSize, bc2s, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if n := len(p) &^ 7; hasAVX2 && n > 0 {
		adamAVX2(&p[0], &g[0], &m[0], &v[0], n, b1, c1, b2, c2, stepSize, bc2s, eps)
		p, g, m, v = p[n:], g[n:], m[n:], v[n:]
	}
	adamStepGo(p, g, m, v, b1, c1, b2, c2, stepSize, bc2s, eps)
}

// adamStepGo is the portable loop of adamStep.
func adamStepGo(p, g, m, v []float32, b1, c1, b2, c2, stepSize, bc2s, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for j, gj := range g {
		m[j] = m[j]*b1 + c1*gj
		v[j] = v[j]*b2 + c2*gj*gj
		denom := float32(math.Sqrt(float64(v[j])))/bc2s + eps
		p[j] -= stepSize * (m[j] / denom)
	}
}

// State returns copies of the per-parameter states, in parameter order.
func (a *Adam) State() []AdamState {
	out := make([]AdamState, len(a.state))
	for i, s := range a.state {
		out[i] = AdamState{Name: s.Name, Step: s.Step,
			ExpAvg: append([]float32(nil), s.ExpAvg...), ExpAvgSq: append([]float32(nil), s.ExpAvgSq...)}
	}
	return out
}

// SetState restores states saved by State. It returns an error naming the
// parameter when the count, a name or a length does not match.
func (a *Adam) SetState(st []AdamState) error {
	if len(st) != len(a.params) {
		return fmt.Errorf("nn: adam: state has %d parameters, optimiser has %d", len(st), len(a.params))
	}
	for i, s := range st {
		p := a.params[i]
		if s.Name != p.Name {
			return fmt.Errorf("nn: adam: state %d is for %q, want %q", i, s.Name, p.Name)
		}
		if len(s.ExpAvg) != len(p.Data) || len(s.ExpAvgSq) != len(p.Data) || s.Step < 0 {
			return fmt.Errorf("nn: adam: state of %q has moments of %d and %d elements (step %d), want %d", p.Name, len(s.ExpAvg), len(s.ExpAvgSq), s.Step, len(p.Data))
		}
	}
	for i, s := range st {
		a.state[i].Step = s.Step
		copy(a.state[i].ExpAvg, s.ExpAvg)
		copy(a.state[i].ExpAvgSq, s.ExpAvgSq)
	}
	return nil
}
