// This file implements the quantize pass.

package passes

import (
	"fmt"
	"math"

	"github.com/autosnn/autosnn/ir"
)

// membraneHeadroom is how many thresholds (or resets, whichever is larger
// in magnitude) the membrane register must hold on each side of zero: the
// scale of a population is at most VMax / (membraneHeadroom * |threshold|),
// so currents and potentials up to 64 thresholds do not saturate.
const membraneHeadroom = 64

// QuantReport is what the quantize pass measured: the integer form it chose
// per layer, and how well the integer network (ir.IntExecutor) agrees with
// the float one (ir.Executor on the folded and lowered graph) on
// Unit.Samples.
type QuantReport struct {
	// WeightBits, MembraneBits and DecayBits are the target's precision.
	WeightBits, MembraneBits, DecayBits int
	// Samples is the number of sample inputs evaluated (0: no report) and
	// T the timesteps of each.
	Samples, T int
	// Agree is the number of samples on which the float and the integer
	// network predict the same class (ir.Result.Predict).
	Agree int
	// FloatSpikes and IntSpikes are the spikes of all non-input
	// populations summed over all samples, in the float and the integer
	// network.
	FloatSpikes, IntSpikes int64
	// Layers has one entry per non-input population, in graph order.
	Layers []LayerQuant
}

// LayerQuant is the integer form chosen for one population.
type LayerQuant struct {
	Name    string
	Neurons int
	// Scale is membrane LSBs per unit of float potential (PopQuant.Scale).
	Scale float32
	// MaxAbsWeight is the largest magnitude of a float weight into the
	// population over its non-host projections (pools count 1/K² or 1).
	MaxAbsWeight float32
	// Threshold is the threshold in LSBs.
	Threshold int32
	// K is the float decay k of a leaky population (PLIF: sigmoid(W), LIF:
	// 1/Tau) and KQ the decay the chip applies, Decay / 2^DecayBits, with
	// |K - KQ| <= 2^-(DecayBits+1) (round to nearest); both 0 for IF.
	K, KQ float64
	// Weights counts the non-host integer weights into the population and
	// Zeroed those of them that are 0 although the float weight is not.
	Weights, Zeroed int
	// FloatSpikes and IntSpikes are the population's spikes over all
	// samples in the float and the integer network.
	FloatSpikes, IntSpikes int64
	// Mismatch counts the (sample, timestep, neuron) triples whose output
	// differs between the float and the integer network; divided by
	// Samples*T*neurons it is the fraction of the raster that differs.
	Mismatch int64
}

// MismatchRate returns the fraction of the raster (samples x timesteps x
// neurons) of layer i (an index into Layers), or of all layers when i < 0,
// whose output differs between the float and the integer network.
func (r *QuantReport) MismatchRate(i int) float64 {
	var bad, all int64
	for j, l := range r.Layers {
		if i < 0 || i == j {
			bad += l.Mismatch
			all += int64(r.Samples) * int64(r.T) * int64(l.Neurons)
		}
	}
	if all == 0 {
		return 0
	}
	return float64(bad) / float64(all)
}

// decayError returns the number of layers with a decay k < 1 and the
// largest |K - KQ| among them.
func (r *QuantReport) decayError() (n int, worst float64) {
	for _, l := range r.Layers {
		if l.K > 0 && l.K < 1 {
			n++
			worst = max(worst, math.Abs(l.K-l.KQ))
		}
	}
	return n, worst
}

// Agreement returns Agree/Samples, or 1 without samples.
func (r *QuantReport) Agreement() float64 {
	if r.Samples == 0 {
		return 1
	}
	return float64(r.Agree) / float64(r.Samples)
}

// SpikeRatio returns IntSpikes/FloatSpikes, or 1 when both are 0.
func (r *QuantReport) SpikeRatio() float64 {
	if r.FloatSpikes == 0 {
		if r.IntSpikes == 0 {
			return 1
		}
		return math.Inf(1)
	}
	return float64(r.IntSpikes) / float64(r.FloatSpikes)
}

// precision is the integer format derived from the target's profile.
type precision struct {
	weightBits, membraneBits, decayBits int
	wmax                                int64 // largest weight magnitude (symmetric range)
	vmin, vmax                          int64 // membrane register range
	tmax                                int64 // largest threshold
}

func targetPrecision(u *Unit) (precision, error) {
	pr := u.Target.Profile.Precision
	if pr.WeightBits < 2 {
		return precision{}, fmt.Errorf("chip %s has %d-bit weights, want >= 2 bits for signed weights", u.Target.Profile.Name, pr.WeightBits)
	}
	if pr.MembraneBits < 2 || pr.ThresholdBits < 1 {
		return precision{}, fmt.Errorf("chip %s has %d-bit membrane and %d-bit threshold, want >= 2 and >= 1", u.Target.Profile.Name, pr.MembraneBits, pr.ThresholdBits)
	}
	p := precision{
		weightBits:   min(pr.WeightBits, 32),
		membraneBits: min(pr.MembraneBits, 32), // PopQuant holds int32 potentials
		decayBits:    min(pr.DecayBits, 30),    // and decays of at most 30 fraction bits
	}
	p.wmax = 1<<(p.weightBits-1) - 1
	p.vmax = 1<<(p.membraneBits-1) - 1
	p.vmin = -(1 << (p.membraneBits - 1))
	p.tmax = min(1<<min(pr.ThresholdBits, 31)-1, p.vmax)
	return p, nil
}

// quantizePass gives every non-input population a PopQuant and every
// projection a ProjQuant for the target's precision (ir/quant.go states
// what they compute), then measures the integer network against the float
// one on the samples (Report.Quant, one line to Log).
//
// Per population, one scale s (membrane LSBs per unit of float potential)
// is shared by all its incoming projections, since their currents add:
// s is the largest value with every non-host weight |round(w*s)| <=
// 2^(weight bits-1)-1, the threshold within the threshold bits, and
// membraneHeadroom thresholds within the membrane register. Weights, bias,
// threshold and reset are round(x*s) (half away from zero); the decay k
// becomes round(k*2^decay bits) / 2^decay bits; VMin and VMax span the
// membrane bits. Projections from the input are computed by the host in
// float (Host). A layer whose weights are so large against its threshold
// that the threshold falls below one LSB, a bias outside the membrane
// range, or a leak the chip cannot represent is an error naming the layer.
func quantizePass(u *Unit) error {
	g := u.G
	pr, err := targetPrecision(u)
	if err != nil {
		return err
	}
	rep := &QuantReport{WeightBits: pr.weightBits, MembraneBits: pr.membraneBits, DecayBits: pr.decayBits, T: g.T}
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		lq, err := quantizePop(g, p, pr)
		if err != nil {
			return fmt.Errorf("layer %s: %w", p.Name, err)
		}
		rep.Layers = append(rep.Layers, lq)
	}
	if err := measureQuant(u, rep); err != nil {
		return err
	}
	u.report().Quant = rep
	if rep.Samples == 0 {
		u.logf("quantize: %d-bit weights, %d-bit membrane, %d-bit decay; no samples, accuracy not measured", pr.weightBits, pr.membraneBits, pr.decayBits)
	} else {
		u.logf("quantize: %d-bit weights, %d-bit membrane, %d-bit decay; int/float predictions agree on %d/%d samples (%.1f%%), spikes int/float %.3f, raster differs %.2f%%",
			pr.weightBits, pr.membraneBits, pr.decayBits, rep.Agree, rep.Samples, 100*rep.Agreement(), rep.SpikeRatio(), 100*rep.MismatchRate(-1))
	}
	if n, worst := rep.decayError(); n > 0 {
		u.logf("quantize: %d leaky layers run as LIF with k = sigmoid(W) (PLIF) or 1/tau rounded to %d-bit decays: max |k - k_chip| = %.2g (bound 2^-%d = %.2g)",
			n, pr.decayBits, worst, pr.decayBits+1, math.Ldexp(1, -(pr.decayBits+1)))
	}
	return nil
}

// sharedWeight returns the float weight every synapse of a pool or
// identity projection has; it panics for Conv2D and Dense.
func sharedWeight(e *ir.Projection) float32 {
	switch e.Op {
	case ir.AvgPool:
		return 1 / float32(e.Kernel*e.Kernel)
	case ir.SumPool, ir.Identity:
		return 1
	}
	panic(fmt.Sprintf("passes: quantize: projection %s (%v) has no shared weight", e.Name, e.Op))
}

// quantizePop chooses p's integer form and that of its incoming projections.
func quantizePop(g *ir.Graph, p *ir.Population, pr precision) (LayerQuant, error) {
	lq := LayerQuant{Name: p.Name, Neurons: p.Shape.Len()}
	nr := p.Neuron
	readout := nr.Model == ir.LI && p == g.Output() // lower-ops keeps only this li
	if !nr.Model.Spiking() && !readout {
		return lq, fmt.Errorf("%v population has no integer form, want plif, lif or if (run lower-ops)", nr.Model)
	}
	in := g.In(p)
	var lo, hi float32 // range of the non-host float weights
	for _, e := range in {
		switch {
		case e.BN != nil:
			return lq, fmt.Errorf("projection %s still has a batch-norm (run fold-bn)", e.Name)
		case e.Op == ir.MaxPool:
			return lq, fmt.Errorf("projection %s is a max-pool (run lower-ops)", e.Name)
		case e.Op.HasWeights() && e.Weights == nil:
			return lq, fmt.Errorf("projection %s has no weights; compile a trained network", e.Name)
		case e.Src == g.Input():
			continue
		}
		ws := e.Weights
		if !e.Op.HasWeights() {
			ws = []float32{sharedWeight(e)}
		}
		for j, w := range ws {
			if !finite(float64(w)) {
				return lq, fmt.Errorf("projection %s weight %d is %g, want a finite value", e.Name, j, w)
			}
			lo, hi = min(lo, w), max(hi, w)
		}
	}
	lq.MaxAbsWeight = max(-lo, hi)
	for c, b := range p.Bias {
		if !finite(float64(b)) {
			return lq, fmt.Errorf("bias of channel %d is %g, want a finite value", c, b)
		}
	}

	mag := float64(max(abs32(nr.Threshold), abs32(nr.Reset)))
	s := math.Inf(1)
	if lq.MaxAbsWeight > 0 {
		s = float64(pr.wmax) / float64(lq.MaxAbsWeight)
	}
	weightLimited := true
	if mag > 0 && float64(pr.vmax)/(membraneHeadroom*mag) < s {
		s, weightLimited = float64(pr.vmax)/(membraneHeadroom*mag), false
	}
	if nr.Threshold > 0 {
		s = min(s, float64(pr.tmax)/float64(nr.Threshold))
	}
	if math.IsInf(s, 1) { // no weights, threshold and reset 0: verify forbids it
		s = 1
	}
	scale := float32(s)
	if scale == 0 || !finite(float64(scale)) {
		return lq, fmt.Errorf("no usable scale (got %g)", scale)
	}
	lq.Scale = scale
	q := &ir.PopQuant{Scale: scale, VMin: int32(pr.vmin), VMax: int32(pr.vmax)}
	q.Threshold = int32(roundScaled(nr.Threshold, scale))
	q.Reset = int32(roundScaled(nr.Reset, scale))
	lq.Threshold = q.Threshold
	if q.Threshold <= q.Reset && !readout {
		// Bits that would fit: a scale of 1.5 LSB per unit of
		// threshold-reset gap, with the largest weight at the top.
		need := bitsFor(1.5 * float64(lq.MaxAbsWeight) / float64(nr.Threshold-nr.Reset))
		return lq, fmt.Errorf("weight range [%g, %g] does not fit %d-bit weights: at the largest scale that fits (%g LSB per unit) threshold %g and reset %g are %d and %d LSB, want threshold above reset; a chip with >= %d-bit weights, or smaller weights, would fit",
			lo, hi, pr.weightBits, scale, nr.Threshold, nr.Reset, q.Threshold, q.Reset, need)
	}
	if p.Bias != nil {
		q.Bias = make([]int32, len(p.Bias))
		for c, b := range p.Bias {
			v := roundScaled(b, scale)
			if v < pr.vmin || v > pr.vmax {
				fix := fmt.Sprintf("a chip with >= %d-bit membrane would fit", bitsFor(math.Abs(float64(v))))
				if !weightLimited {
					// The scale grows with the membrane, so only a smaller
					// bias fits: the headroom is a ratio to the threshold.
					fix = fmt.Sprintf("the bias is %.3g thresholds, more than the %d-threshold membrane headroom of any chip", float64(b)/mag, membraneHeadroom)
				}
				return lq, fmt.Errorf("bias %g of channel %d is %d LSB at scale %g, want it within the %d-bit membrane range [%d, %d]; %s",
					b, c, v, scale, pr.membraneBits, pr.vmin, pr.vmax, fix)
			}
			q.Bias[c] = int32(v)
		}
	}
	if nr.Model != ir.IF {
		k := float64(nr.K())
		switch {
		case pr.decayBits == 0 && k == 1:
			q.Decay, q.DecayBits = 1, 0
		case pr.decayBits == 0:
			return lq, fmt.Errorf("%v neurons leak with k = %.4g but the chip has no multiplicative decay (decay_bits 0); want a chip with a decay register", nr.Model, k)
		default:
			d := math.Round(k * float64(int64(1)<<pr.decayBits))
			if d < 1 {
				return lq, fmt.Errorf("%v decay k = %.4g rounds to 0 with %d decay bits", nr.Model, k, pr.decayBits)
			}
			q.Decay, q.DecayBits = int32(min(d, float64(int64(1)<<pr.decayBits))), uint8(pr.decayBits)
		}
		lq.K, lq.KQ = k, float64(q.Decay)/float64(int64(1)<<q.DecayBits)
		if nr.Model == ir.CubaLIF {
			d, err := cubaSynDecay(nr, q.DecayBits)
			if err != nil {
				return lq, err
			}
			q.SynDecay = d
		}
	}
	for _, e := range in {
		if e.Src == g.Input() {
			e.Q = &ir.ProjQuant{Host: true}
			continue
		}
		ws := e.Weights
		if !e.Op.HasWeights() {
			ws = []float32{sharedWeight(e)}
		}
		qw := make([]int32, len(ws))
		for j, w := range ws {
			v := min(max(roundScaled(w, scale), -pr.wmax), pr.wmax)
			qw[j] = int32(v)
			if v == 0 && w != 0 {
				lq.Zeroed++
			}
		}
		lq.Weights += len(qw)
		e.Q = &ir.ProjQuant{Weights: qw}
	}
	p.Q = q
	return lq, nil
}

// roundScaled returns round(v*s) half away from zero, computed in float64
// from the float32 values.
func roundScaled(v, s float32) int64 {
	return int64(math.Round(float64(v) * float64(s)))
}

// bitsFor returns the bits of a signed integer register that holds
// magnitudes up to m.
func bitsFor(m float64) int {
	b := 2
	for float64(int64(1)<<(b-1)-1) < m && b < 63 {
		b++
	}
	return b
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

// measureQuant runs the float and the integer network on u.Samples and
// fills the sample statistics of rep.
func measureQuant(u *Unit, rep *QuantReport) error {
	if len(u.Samples) == 0 {
		return nil
	}
	g := u.G
	fx, err := ir.NewExecutor(g)
	if err != nil {
		return err
	}
	ix, err := ir.NewIntExecutor(g)
	if err != nil {
		return err
	}
	// ref[p] holds population p's float outputs of the current sample,
	// step-major, for the raster comparison.
	ref := make([][]float32, len(g.Pops))
	for i, p := range g.Pops {
		ref[i] = make([]float32, g.T*p.Shape.Len())
	}
	record := func(t, p int, out []float32) { copy(ref[p][t*len(out):], out) }
	// counts[p][j] is the integer network's spikes of neuron j of
	// population p over all samples: the profile pass's rates, handed to
	// it through Unit.intSpikes so it need not run the samples again.
	counts := make([][]int64, len(g.Pops))
	for i, p := range g.Pops[1:] {
		counts[i+1] = make([]int64, p.Shape.Len())
	}
	compare := func(t, p int, out []float32) {
		if p == 0 || !g.Pops[p].Neuron.Model.Spiking() { // an li readout's potential is analog: its votes are compared
			return
		}
		r := ref[p][t*len(out):][:len(out)]
		c := counts[p]
		var n int64
		for j, v := range out {
			if v != r[j] {
				n++
			}
			if v != 0 {
				c[j]++
			}
		}
		rep.Layers[p-1].Mismatch += n
	}
	for k, in := range u.Samples {
		fr, err := fx.Run(in, record)
		if err != nil {
			return fmt.Errorf("sample %d: %w", k, err)
		}
		qr, err := ix.Run(in, compare)
		if err != nil {
			return fmt.Errorf("sample %d: %w", k, err)
		}
		rep.Samples++
		if fr.Predict() == qr.Predict() {
			rep.Agree++
		}
		for i := 1; i < len(g.Pops); i++ {
			l := &rep.Layers[i-1]
			l.FloatSpikes += int64(fr.Spikes[i])
			l.IntSpikes += int64(qr.Spikes[i])
			rep.FloatSpikes += int64(fr.Spikes[i])
			rep.IntSpikes += int64(qr.Spikes[i])
		}
	}
	u.intSpikes = &spikeCounts{g: g, samples: len(u.Samples), counts: counts}
	return nil
}

// spikeCounts is the integer network's per-neuron spikes over a unit's
// samples, as quantize counted them while measuring itself: counts[p][j]
// for neuron j of population p (nil for the input), over the samples
// inputs of Unit.Samples run on graph g as quantize left it.
type spikeCounts struct {
	g       *ir.Graph
	samples int
	counts  [][]int64
}
