// This file implements the lower-ops rules for what a graph imported from
// NIR holds: pools read through relays (folded into the projections after
// them), current-based LIF neurons (cuba_lif, run by the chips whose
// cores have them) and leaky integrators (li, refused naming the layer and
// what to do).

package passes

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// foldPoolRelays folds every relay of g fed by a sum- or average-pool (the
// NIR import's pass-through population of a pooling node read by an
// operator) into the projections it feeds, and returns how many it folded:
// pool then conv2d (kernel Kc, stride Sc, padding Pc) is one conv2d of
// kernel (Kc-1)*Sp+Kp, stride Sc*Sp and padding Pc*Sp+Pp over the pool's
// source (Kp, Sp, Pp the pool's), with weight a*w[i][j] added at
// (i*Sp+u, j*Sp+v) for every window offset (u, v), a = 1 (sum) or 1/Kp²
// (average); pool then dense is one dense projection with the same sum
// over the windows. Both compute the same current up to float32 rounding,
// so the reference executor and the chip agree on the folded graph as on
// the imported one. A fold is refused (relay named) when a position the
// pool drops or pads would be read, or the relay feeds another pool, an
// identity or nothing.
func foldPoolRelays(g *ir.Graph) (int, error) {
	n := 0
	for {
		p := foldableRelay(g)
		if p == nil {
			return n, nil
		}
		if err := foldRelay(g, p); err != nil {
			return n, fmt.Errorf("layer %s: %w", p.Name, err)
		}
		n++
	}
}

// cubaSupported checks that t's cores run cuba_lif population p exactly:
// a cuba_lif core model (Loihi's compartment: a synaptic current with its
// own decay, then the voltage) with multiplicative decays (decay_bits >
// 0). No other core model has the second state, so none approximates it.
func cubaSupported(t *backends.Target, p *ir.Population) error {
	models := t.Profile.Core.NeuronModels
	if slices.Contains(models, backends.NeuronCUBALIF) && t.Profile.Precision.DecayBits > 0 {
		return nil
	}
	var chips []string // built-in chips that have them
	for _, name := range backends.Builtins() {
		if o, err := backends.Lookup(name); err == nil && slices.Contains(o.Profile.Core.NeuronModels, backends.NeuronCUBALIF) && o.Profile.Precision.DecayBits > 0 {
			chips = append(chips, name)
		}
	}
	return fmt.Errorf("layer %s: cuba_lif neurons (a synaptic current with its own decay, then the membrane) need the core model %s with decay_bits > 0, but chip %s implements %v with %d decay bits; want a chip with current-based neurons: %s",
		p.Name, backends.NeuronCUBALIF, t.Profile.Name, models, t.Profile.Precision.DecayBits, strings.Join(chips, ", "))
}

// cubaSynDecay is the synaptic decay of cuba_lif neuron nr as the fraction
// SynDecay / 2^bits, rounded to nearest (ir.PopQuant.SynDecay), bits the
// membrane decay's.
func cubaSynDecay(nr ir.Neuron, bits uint8) (int32, error) {
	ks := float64(nr.KSyn())
	if bits == 0 && ks != 1 {
		return 0, fmt.Errorf("cuba_lif synaptic decay ks = %.4g but the chip has no multiplicative decay (decay_bits 0); want a chip with a decay register", ks)
	}
	one := float64(int64(1) << bits)
	d := math.Round(ks * one)
	if d < 1 {
		return 0, fmt.Errorf("cuba_lif synaptic decay ks = %.4g rounds to 0 with %d decay bits", ks, bits)
	}
	return int32(min(d, one)), nil
}

// chipReadout accepts population p of g, whose model is neither spiking
// nor a relay, when it is an LI readout: the output population, feeding
// nothing, read out by its membrane. On the chip it is a compartment
// whose threshold is never reached and whose voltage the host probes
// every step (ir/quant.go's LI readout rule); the votes (Result.Counter)
// sum the probed potential over the steps, as the reference executor
// sums an LI output. Any other such population is refused naming the
// layer and what to do.
func chipReadout(g *ir.Graph, p *ir.Population) error {
	m := p.Neuron.Model
	if m != ir.LI {
		return fmt.Errorf("layer %s: %v population cannot run on a chip", p.Name, m)
	}
	if p != g.Output() || len(g.Out(p)) > 0 {
		return fmt.Errorf("layer %s: li population (a leaky integrator whose output is its membrane) feeds other layers, but a chip's neurons pass on spikes only; an li runs on a chip only as the output readout, whose membrane the host probes; evaluate the graph with the reference executor (autosnn eval), or replace the layer by a spiking LIF layer", p.Name)
	}
	return nil
}

// liSupported checks that t's cores run the LI readout p exactly: a
// compartment with a multiplicative decay (leakOn leakDecay: lif or
// cuba_lif with decay_bits > 0), or any IF-capable core when Tau is 1 (V =
// X, no memory).
func liSupported(t *backends.Target, p *ir.Population) error {
	if leakOn(t) == leakDecay || (p.Neuron.Tau == 1 && slices.ContainsFunc(ifModels, func(m string) bool { return slices.Contains(t.Profile.Core.NeuronModels, m) })) {
		return nil
	}
	return fmt.Errorf("layer %s: the li readout (tau %g steps) needs a core model with a multiplicative decay (%s or %s with decay_bits > 0), but chip %s implements %v with %d decay bits; a linear leak would not be exact: want another chip, or evaluate the graph with the reference executor (autosnn eval)",
		p.Name, p.Neuron.Tau, backends.NeuronLIF, backends.NeuronCUBALIF, t.Profile.Name, t.Profile.Core.NeuronModels, t.Profile.Precision.DecayBits)
}

// foldableRelay returns a relay of g fed by one sum- or average-pool, or nil.
func foldableRelay(g *ir.Graph) *ir.Population {
	for _, p := range g.Pops {
		if p.Neuron.Model != ir.Relay {
			continue
		}
		if in := g.In(p); len(in) == 1 && (in[0].Op == ir.SumPool || in[0].Op == ir.AvgPool) {
			return p
		}
	}
	return nil
}

// foldRelay folds relay p and its pool into the projections p feeds.
func foldRelay(g *ir.Graph, p *ir.Population) error {
	pool := g.In(p)[0]
	outs := g.Out(p)
	if p == g.Output() || len(outs) == 0 {
		return fmt.Errorf("relay %s behind %v %s is the output: a chip's output neurons spike", p.Name, pool.Op, pool.Name)
	}
	a := float32(1)
	if pool.Op == ir.AvgPool {
		a = 1 / float32(pool.Kernel*pool.Kernel)
	}
	src := pool.Src
	folded := make([]*ir.Projection, len(outs))
	for i, q := range outs {
		f := *q
		f.Src = src
		var err error
		switch q.Op {
		case ir.Conv2D:
			err = foldConv(&f, q, pool, a)
		case ir.Dense:
			foldDense(&f, q, pool, a)
		default:
			err = fmt.Errorf("%v projection %s reads it; only conv2d and dense compose with a pool", q.Op, q.Name)
		}
		if err != nil {
			return fmt.Errorf("relay %s behind %v %s: %w", p.Name, pool.Op, pool.Name, err)
		}
		folded[i] = &f
	}
	for i, q := range outs {
		*q = *folded[i]
	}
	g.Projs = slices.DeleteFunc(g.Projs, func(e *ir.Projection) bool { return e == pool })
	g.Pops = slices.DeleteFunc(g.Pops, func(e *ir.Population) bool { return e == p })
	return nil
}

// foldConv sets f (a copy of conv q) to the conv over pool's source that
// computes q after pool.
func foldConv(f, q, pool *ir.Projection, a float32) error {
	kp, sp, pp := pool.Kernel, pool.Stride, pool.Pad
	kc, sc, pc := q.Kernel, q.Stride, q.Pad
	src, relay, dst := pool.Src.Shape, q.Src.Shape, q.Dst.Shape
	// Relay positions the conv reads outside the relay must read only
	// positions outside the source: above/left, the last row of relay row
	// -1's window; below/right, the first row of relay row H'.
	if pc > 0 && kp-1-pp >= sp {
		return fmt.Errorf("conv2d %s pads the relay by %d, but the pool's window (kernel %d, stride %d, padding %d) at relay row -1 reads source row %d", q.Name, pc, kp, sp, pp, kp-1-pp-sp)
	}
	for _, d := range [][3]int{{relay.H, src.H, dst.H}, {relay.W, src.W, dst.W}} {
		if (d[2]-1)*sc+kc-1-pc >= d[0] && d[0]*sp-pp < d[1] {
			return fmt.Errorf("conv2d %s reads relay row %d, whose pool window starts at source row %d of %d", q.Name, d[0], d[0]*sp-pp, d[1])
		}
	}
	k, s, pad := (kc-1)*sp+kp, sc*sp, pc*sp+pp
	for _, d := range [][2]int{{src.H, dst.H}, {src.W, dst.W}} {
		if (d[0]+2*pad-k)/s+1 != d[1] {
			return fmt.Errorf("conv2d %s after the pool is a conv of kernel %d, stride %d, padding %d, whose output side %d differs from %d", q.Name, k, s, pad, (d[0]+2*pad-k)/s+1, d[1])
		}
	}
	cout, cin := dst.C, src.C
	w := make([]float32, cout*cin*k*k)
	for o := range cout {
		for c := range cin {
			for i := range kc {
				for j := range kc {
					v := a * q.Weights[((o*cin+c)*kc+i)*kc+j]
					for u := range kp {
						for t := range kp {
							w[((o*cin+c)*k+i*sp+u)*k+j*sp+t] += v
						}
					}
				}
			}
		}
	}
	f.Kernel, f.Stride, f.Pad, f.Weights = k, s, pad, w
	return nil
}

// foldDense sets f (a copy of dense q) to the dense projection over pool's
// source that computes q after pool.
func foldDense(f, q, pool *ir.Projection, a float32) {
	kp, sp, pp := pool.Kernel, pool.Stride, pool.Pad
	src, relay := pool.Src.Shape, q.Src.Shape
	nin, rin, nout := src.Len(), relay.Len(), q.Dst.Shape.Len()
	w := make([]float32, nout*nin)
	for o := range nout {
		for c := range relay.C {
			for y := range relay.H {
				for x := range relay.W {
					v := a * q.Weights[o*rin+(c*relay.H+y)*relay.W+x]
					for u := range kp {
						for t := range kp {
							r, s := y*sp+u-pp, x*sp+t-pp
							if r >= 0 && r < src.H && s >= 0 && s < src.W {
								w[o*nin+(c*src.H+r)*src.W+s] += v
							}
						}
					}
				}
			}
		}
	}
	f.Weights = w
}
