package frontend

import (
	"math"

	"github.com/autosnn/autosnn/ir"
)

// Discretisation. A NIR neuron node's continuous-time equation is stepped
// with forward Euler and timestep dt. For LIF,
//
//	tau dv/dt = (v_leak - v) + r*I   gives   v[t] = v[t-1] + (dt/tau)*(v_leak - v[t-1] + r*I[t]),
//
// which is the IR's LIF charge H = V + k*(X - (V - Reset)) with k = 1/Tau,
// Tau = tau/dt timesteps, and input current X = (dt/tau)/k * (r*I + v_leak
// - v_reset): the factor r (and (dt/tau)/k, which is 1 up to float32
// rounding of k) multiplies the incoming weights and biases, and
// v_leak - v_reset becomes a bias. snnTorch's exporter writes a Leaky layer
// of decay beta as tau = dt/(1-beta), r = tau/dt, v_leak = 0 with dt = 1e-4
// s, so with the same dt the import steps v[t] = beta*v[t-1] + I[t]. The
// other nodes likewise:
//
//	IF:        dv/dt = r*I                      -> IF, X = dt*r*I
//	LI:        tau dv/dt = (v_leak - v) + r*I   -> LI (output v), Tau = tau/dt, X = r*I + v_leak
//	Threshold: spike when I > threshold         -> LIF with Tau 1 and Reset 0 (H = X)
//	CubaLIF:   tau_syn dI/dt = -I + w_in*S      -> cuba_lif "<name>": current (SynTau = tau_syn/dt)
//	           tau_mem dv/dt = (v_leak - v) + r*I  holding r*I, membrane Tau = tau_mem/dt
//
// A CubaLIF whose v_leak differs from v_reset has a constant membrane input
// that the cuba_lif model (one bias, into the current) cannot hold; it
// becomes an LI "<name>.syn" holding r*I and an identity into a LIF
// "<name>" with the leak as its bias, which the reference executor runs
// and the compiler refuses (an li population) naming the layer.
//
// Tau, threshold and reset are one value per population in the IR, so
// they must be uniform over the node; r, v_leak and w_in fold into
// per-channel weights and biases, so they must be uniform within each
// channel. The IR fires at H >= threshold where NIR says v > threshold:
// the two differ only when the membrane lands exactly on the threshold.

// neuronSpec is what a neuron node becomes.
type neuronSpec struct {
	nr    ir.Neuron
	scale []float64 // per channel: the factor on the node's input current
	extra []float64 // per channel: a constant input current (a bias)
	// syn is, for CubaLIF, the synaptic LI population that receives the
	// node's inputs (scaled by scale) and feeds nr through an identity.
	syn *ir.Neuron
}

// neuronSpec discretises neuron node n of shape s.
func (im *importer) neuronSpec(n *nirNode, s ir.Shape) (neuronSpec, error) {
	dt := im.opt.DT
	var sp neuronSpec
	// tauOf returns the IR time constant of a NIR one and the factor
	// (dt/tau)/k that makes k*X equal the Euler step.
	tauOf := func(p string) (float32, float64, error) {
		tau, err := popValue(n, p, s, 0, true)
		if err != nil {
			return 0, 0, err
		}
		t := float32(tau / dt)
		if !(t >= 1) || math.IsInf(float64(t), 0) {
			return 0, 0, errNode(n, "%s = %g s with dt = %g s gives %g timesteps, want tau >= dt (forward Euler is unstable below; import with a smaller dt)", p, tau, dt, t)
		}
		k := ir.Neuron{Model: ir.LIF, Tau: t}.K()
		return t, dt / tau / float64(k), nil
	}
	firing := func(model ir.Model) error {
		th, err := popValue(n, "v_threshold", s, 0, true)
		if err != nil {
			return err
		}
		reset, err := popValue(n, "v_reset", s, 0, false)
		if err != nil {
			return err
		}
		if !(th > reset) {
			return errNode(n, "v_threshold %g <= v_reset %g, want threshold > reset", th, reset)
		}
		sp.nr = ir.Neuron{Model: model, Threshold: float32(th), Reset: float32(reset)}
		return nil
	}
	r, err := perChannel(n, "r", s, 1, false)
	if err != nil {
		return sp, err
	}
	vleak, err := perChannel(n, "v_leak", s, 0, false)
	if err != nil {
		return sp, err
	}
	sp.scale, sp.extra = make([]float64, s.C), make([]float64, s.C)
	switch n.typ {
	case "LIF":
		if err := firing(ir.LIF); err != nil {
			return sp, err
		}
		t, f, err := tauOf("tau")
		if err != nil {
			return sp, err
		}
		sp.nr.Tau = t
		for c := range sp.scale {
			sp.scale[c] = f * r[c]
			sp.extra[c] = f * (vleak[c] - float64(sp.nr.Reset))
		}
	case "IF":
		if err := firing(ir.IF); err != nil {
			return sp, err
		}
		for c := range sp.scale {
			sp.scale[c] = dt * r[c]
		}
	case "LI":
		t, f, err := tauOf("tau")
		if err != nil {
			return sp, err
		}
		sp.nr = ir.Neuron{Model: ir.LI, Tau: t}
		for c := range sp.scale {
			sp.scale[c] = f * r[c]
			sp.extra[c] = f * vleak[c]
		}
	case "Threshold":
		th, err := popValue(n, "threshold", s, 0, true)
		if err != nil {
			return sp, err
		}
		if !(th > 0) {
			return sp, errNode(n, "threshold %g, want > 0 (the IR's memoryless threshold resets to 0)", th)
		}
		sp.nr = ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: float32(th)}
		copy(sp.scale, ones(s.C))
	case "CubaLIF":
		if err := firing(ir.LIF); err != nil {
			return sp, err
		}
		tm, fm, err := tauOf("tau_mem")
		if err != nil {
			return sp, err
		}
		ts, fs, err := tauOf("tau_syn")
		if err != nil {
			return sp, err
		}
		win, err := perChannel(n, "w_in", s, 1, false)
		if err != nil {
			return sp, err
		}
		sp.nr.Tau = tm
		sp.syn = &ir.Neuron{Model: ir.LI, Tau: ts}
		for c := range sp.scale {
			// The synaptic population holds fm*r*I, so that the identity
			// into the membrane (weight 1) gives k_mem*X = (dt/tau_mem)*r*I.
			sp.scale[c] = fs * fm * r[c] * win[c]
			sp.extra[c] = fm * (vleak[c] - float64(sp.nr.Reset))
		}
	default:
		return sp, errNode(n, "is not a neuron node")
	}
	return sp, nil
}

// neuron adds the population(s) of neuron node n of shape s and the
// projections of its inputs.
func (im *importer) neuron(n *nirNode, s ir.Shape) error {
	sp, err := im.neuronSpec(n, s)
	if err != nil {
		return err
	}
	bias := make([]float64, s.C)
	var in []*ir.Projection
	for _, x := range im.in[n.name] {
		pr, b, err := im.edgeInto(n, x, s, sp.scale)
		if err != nil {
			return err
		}
		for c, v := range b {
			bias[c] += v
		}
		in = append(in, pr)
	}
	if sp.syn != nil && zeros(sp.extra) { // one current-based population
		nr := sp.nr
		nr.Model, nr.SynTau = ir.CubaLIF, sp.syn.Tau
		p := &ir.Population{Name: n.name, Shape: s, Neuron: nr, Bias: f32s(bias)}
		im.pop[n.name] = p
		if err := im.addPop(p, in); err != nil {
			return errNode(n, "%v", err)
		}
		return nil
	}
	if sp.syn != nil {
		syn := &ir.Population{Name: n.name + ".syn", Shape: s, Neuron: *sp.syn, Bias: f32s(bias)}
		if err := im.addPop(syn, in); err != nil {
			return errNode(n, "%v", err)
		}
		in = []*ir.Projection{{Name: syn.Name + "->" + n.name, Src: syn, Op: ir.Identity}}
		bias = make([]float64, s.C)
	}
	for c, v := range sp.extra {
		bias[c] += v
	}
	p := &ir.Population{Name: n.name, Shape: s, Neuron: sp.nr, Bias: f32s(bias)}
	im.pop[n.name] = p
	if err := im.addPop(p, in); err != nil {
		return errNode(n, "%v", err)
	}
	return nil
}

// zeros reports whether every value of v is 0.
func zeros(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// perChannel returns parameter p of node n as one value per channel of
// shape s: the array may have one value (broadcast) or one per neuron,
// uniform within each channel. An absent optional parameter is def.
func perChannel(n *nirNode, p string, s ir.Shape, def float64, required bool) ([]float64, error) {
	out := make([]float64, s.C)
	v, _, err := n.floats(p)
	if _, ok := n.params[p]; !ok && !required {
		for c := range out {
			out[c] = def
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	hw := s.H * s.W
	switch len(v) {
	case 1:
		for c := range out {
			out[c] = v[0]
		}
	case s.Len():
		for c := range out {
			out[c] = v[c*hw]
			for j := 1; j < hw; j++ {
				if v[c*hw+j] != out[c] {
					return nil, errNode(n, "%s varies inside channel %d (%g and %g), want one value per channel: the IR folds it into per-channel weights", p, c, out[c], v[c*hw+j])
				}
			}
		}
	default:
		return nil, errNode(n, "%s has %d values, want 1 or %d (shape %v)", p, len(v), s.Len(), s)
	}
	for c, x := range out {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errNode(n, "%s[%d] = %g, want a finite number", p, c, x)
		}
	}
	return out, nil
}

// popValue returns parameter p of node n as one value for the population.
func popValue(n *nirNode, p string, s ir.Shape, def float64, required bool) (float64, error) {
	v, err := perChannel(n, p, s, def, required)
	if err != nil {
		return 0, err
	}
	for _, x := range v[1:] {
		if x != v[0] {
			return 0, errNode(n, "%s varies across channels (%g and %g), want one value: the IR has one %s per population", p, v[0], x, p)
		}
	}
	return v[0], nil
}
