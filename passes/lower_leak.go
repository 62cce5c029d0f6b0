// This file implements the linear-leak lowering of the lower-ops pass.

package passes

import (
	"fmt"

	"github.com/autosnn/autosnn/ir"
)

// LinearLeakFraction is the constant leak per timestep of a linear-leak
// lowering, as a fraction of the leaky neuron's threshold-reset gap; see
// linearLeak. Measured on random-weight zoo
// networks (docs/compiler.md, "Neuron models on each chip").
const LinearLeakFraction = 0.25

// LowerReport is what lower-ops measured about the neuron models it
// changed: the linear-leak approximation of leaky neurons on chips without
// a multiplicative decay, compared in float (ir.Executor) with the leaky
// network on Unit.Samples. Quantisation is measured separately by the
// quantize pass, against the lowered network.
type LowerReport struct {
	// LinearLeak names the populations lowered to IF neurons with a
	// linear leak, in graph order.
	LinearLeak []string
	// Fraction is the leak per timestep as a fraction of the lowered
	// threshold-reset gap (LinearLeakFraction).
	Fraction float64
	// Samples is the number of sample inputs compared (0: not measured).
	Samples int
	// Agree is the number of samples on which the leaky and the lowered
	// float network predict the same class.
	Agree int
	// LeakySpikes and LinearSpikes are the spikes of all non-input
	// populations over all samples, before and after the lowering.
	LeakySpikes, LinearSpikes int64
	// Mismatch counts the (sample, timestep, neuron) outputs that differ,
	// and Outputs all of them.
	Mismatch, Outputs int64
}

// linearLeak rewrites the leaky population p as an IF neuron with a
// constant leak, for chips whose neurons leak only subtractively. With
// decay k the leaky rule is H = V + k*(X - (V - r)). In the potential
// scaled by 1/k (V' = V/k, threshold θ' = θ/k, reset r' = r/k; V starts
// at 0 either way) it reads H' = V' + X - k*(V' - r'): an IF neuron whose
// leak k*(V' - r') = V - r depends on the state. The linear leak replaces
// it by its value a fraction f of the way from reset to threshold,
// f*(θ - r), subtracted from the bias of every channel: an IF neuron with
// a per-channel bias (TrueNorth's signed leak), so quantize, the integer
// rules and the simulator need nothing new. The first step from rest
// differs from the leaky rule only by the leak; below the reset the
// linear leak keeps pulling down where the decay would pull back up.
func linearLeak(p *ir.Population, f float64) {
	nr := p.Neuron
	k := nr.K()
	th, rs := nr.Threshold/k, nr.Reset/k
	leak := float32(f) * (nr.Threshold - nr.Reset)
	if p.Bias == nil {
		p.Bias = make([]float32, p.Shape.C)
	}
	for c := range p.Bias {
		p.Bias[c] -= leak
	}
	p.Neuron = ir.Neuron{Model: ir.IF, Threshold: th, Reset: rs}
}

// linearLeakPass lowers every leaky population of u.G with linearLeak and
// measures the approximation on u.Samples (Report.Lower).
func linearLeakPass(u *Unit) error {
	g := u.G
	rep := &LowerReport{Fraction: LinearLeakFraction}
	for i, p := range g.Pops {
		if i > 0 && leaky(p) {
			rep.LinearLeak = append(rep.LinearLeak, p.Name)
		}
	}
	if len(rep.LinearLeak) == 0 {
		return nil
	}
	var before []sampleRun
	if len(u.Samples) > 0 {
		var err error
		if before, err = runFloat(g, u.Samples); err != nil {
			return err
		}
	}
	for i, p := range g.Pops {
		if i > 0 && leaky(p) {
			linearLeak(p, LinearLeakFraction)
		}
	}
	if len(u.Samples) > 0 {
		after, err := runFloat(g, u.Samples)
		if err != nil {
			return err
		}
		for k := range before {
			b, a := before[k], after[k]
			rep.Samples++
			if b.predict == a.predict {
				rep.Agree++
			}
			rep.LeakySpikes += b.spikes
			rep.LinearSpikes += a.spikes
			for j := range b.raster {
				if b.raster[j] != a.raster[j] {
					rep.Mismatch++
				}
			}
			rep.Outputs += int64(len(b.raster))
		}
	}
	u.report().Lower = rep
	msg := fmt.Sprintf("lower-ops: chip %s has no multiplicative decay: %d leaky layers run as IF neurons with a linear leak of %.2f x (threshold - reset) per step, threshold and reset scaled by 1/k",
		u.Target.Name(), len(rep.LinearLeak), rep.Fraction)
	if rep.Samples > 0 {
		msg += fmt.Sprintf("; float predictions agree with the leaky network on %d/%d samples, spikes linear/leaky %.3f, raster differs %.2f%%",
			rep.Agree, rep.Samples, ratio(rep.LinearSpikes, rep.LeakySpikes), 100*float64(rep.Mismatch)/float64(max(rep.Outputs, 1)))
	}
	u.logf("%s", msg)
	return nil
}

// sampleRun is one float run: the prediction, the spikes of all non-input
// populations and their outputs, step-major per population in graph order.
type sampleRun struct {
	predict int
	spikes  int64
	raster  []float32
}

func runFloat(g *ir.Graph, ins [][]float32) ([]sampleRun, error) {
	x, err := ir.NewExecutor(g)
	if err != nil {
		return nil, err
	}
	out := make([]sampleRun, len(ins))
	for k, in := range ins {
		var raster []float32
		res, err := x.Run(in, func(t, p int, o []float32) {
			if p > 0 {
				raster = append(raster, o...)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", k, err)
		}
		var s int64
		for _, n := range res.Spikes[1:] {
			s += int64(n)
		}
		out[k] = sampleRun{predict: res.Predict(), spikes: s, raster: raster}
	}
	return out, nil
}

// ratio returns a/b, 1 when both are 0.
func ratio(a, b int64) float64 {
	if b == 0 {
		if a == 0 {
			return 1
		}
		return float64(a)
	}
	return float64(a) / float64(b)
}
