// This file implements the axon-types pass: the early, per-neuron check of
// a chip's limit on distinct weight values per neuron
// (core.distinct_weights_per_neuron; TrueNorth: 4).

package passes

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// axonTypesPass checks, after quantize and before split, that no neuron
// receives more distinct nonzero quantized weights on its chip-side
// synapses than the target's core.distinct_weights_per_neuron, and returns
// a *FitError naming the first layer and neuron that does
// (weightValuesFit). On targets without the limit it does nothing.
//
// On TrueNorth every axon of a core has one of 4 axon types, each neuron j
// holds 4 signed weights s_j[0..3], and the synapse from axon i to neuron
// j is a crossbar bit times s_j[type(i)] (Merolla et al., Science 2014;
// Cassidy et al., IJCNN 2013). A neuron therefore sees at most 4 distinct
// nonzero weights wherever it is placed; one that needs more cannot be
// mapped on any partition, so it is refused here, in milliseconds. Whether
// the axons of each placed core can be given types consistently is the
// per-core condition verify checks (axonTypeViolations).
func axonTypesPass(u *Unit) error { return weightValuesFit(u.Target, u.G.Projs, true) }

// weightValuesFit returns a *FitError when some neuron receives, over the
// chip-side synapses of projs (host projections left out), more distinct
// nonzero weight values than t's core.distinct_weights_per_neuron, and nil
// otherwise or when t has no such limit (0). Synapses from one source
// neuron into one target neuron through several projections are one
// synapse on chip, whose weight is their sum. With quantized set the
// integer weights (Projection.Q) are counted, the values the chip would
// hold; otherwise the float weights, whose distinct count bounds that of
// any per-layer quantization (the fit hints use it for other chips).
//
// Neurons of a channel whose incoming kernels hold at most the limit of
// distinct values pass without a walk; the others are walked synapse by
// synapse until the first that fails.
func weightValuesFit(t *backends.Target, projs []*ir.Projection, quantized bool) error {
	k := t.Profile.Core.DistinctWeightsPerNeuron
	if k <= 0 {
		return nil
	}
	projs = slices.DeleteFunc(slices.Clone(projs), hostProj)
	p, j, n := overWeightValues(projs, k, quantized)
	if p == nil {
		return nil
	}
	return &FitError{Layer: p.Name, Resource: "distinct weights per neuron", Need: float64(n), Have: float64(k), Unit: "weight values",
		Detail: fmt.Sprintf("neuron %d of %s receives %d different nonzero %s weights and a neuron of %s has %d (one signed weight per axon type, core.distinct_weights_per_neuron), "+
			"so no partition can map it; a float- or %d-bit-trained layer needs ternary or %d-level training, which this project does not do",
			j, p.Name, n, weightKind(quantized), t.Name(), k, t.Profile.Precision.WeightBits, k),
		Hint: weightValuesHint(t, projs)}
}

// overWeightValues returns the first population (in the order projs first
// reach it) with a neuron j that receives n > k distinct nonzero weights
// over the synapses of projs, or nil.
func overWeightValues(projs []*ir.Projection, k int, quantized bool) (p *ir.Population, j, n int) {
	var dsts []*ir.Population
	for _, e := range projs {
		if !slices.Contains(dsts, e.Dst) {
			dsts = append(dsts, e.Dst)
		}
	}
	vs := &valueSet{}
	acc := map[synKey]float64{}
	for _, p := range dsts {
		var in []*ir.Projection
		for _, e := range projs {
			if e.Dst == p {
				in = append(in, e)
			}
		}
		summed, perChannel := false, true
		for i, e := range in {
			if e.Op == ir.Dense {
				perChannel = false
			}
			for _, f := range in[:i] {
				summed = summed || f.Src == e.Src
			}
		}
		perChannel = perChannel && !summed
		hw := p.Shape.H * p.Shape.W
		lastCh, chOK := -1, false
		for j := range p.Shape.Len() {
			if perChannel {
				if ch := j / hw; ch != lastCh {
					lastCh = ch
					chOK = channelValues(in, ch, quantized, vs, k+1) <= k
				}
				if chOK {
					continue
				}
			}
			if neuronValues(in, j, summed, quantized, vs, acc, k+1) <= k {
				continue
			}
			return p, j, neuronValues(in, j, summed, quantized, vs, acc, math.MaxInt)
		}
	}
	return nil, 0, 0
}

func weightKind(quantized bool) string {
	if quantized {
		return "quantized"
	}
	return "float"
}

// weightValuesHint lists the other built-in chips (general cores) with no
// limit on distinct weights per neuron or one that projs meet, whose
// fan-out limit projs meet too.
func weightValuesHint(t *backends.Target, projs []*ir.Projection) string {
	var chips []string
	for _, name := range backends.Builtins() {
		o, err := backends.Lookup(name)
		if err != nil || o.Profile.LayerCores != nil || name == t.Name() {
			continue
		}
		if fanOutFit(o, projs) == nil && meetsWeightValues(o, projs) {
			chips = append(chips, name)
		}
	}
	if len(chips) == 0 {
		return ""
	}
	return "chips " + strings.Join(chips, ", ")
}

// meetsWeightValues reports whether the float weights of projs (host
// projections left out) meet t's core.distinct_weights_per_neuron, the
// test the fit hints apply to other chips than the one compiled for.
func meetsWeightValues(t *backends.Target, projs []*ir.Projection) bool {
	k := t.Profile.Core.DistinctWeightsPerNeuron
	if k <= 0 {
		return true
	}
	p, _, _ := overWeightValues(slices.DeleteFunc(slices.Clone(projs), hostProj), k, false)
	return p == nil
}

// synWeight returns the weight of synapse wi of e (an index as
// ir.SynapsesInto gives it): the integer weight when quantized is set and
// e has its integer form, else the float weight; the integer one again
// when e has no float weights (a graph read back without them), and 1 when
// it has neither (an untrained graph, which quantize refuses).
func synWeight(e *ir.Projection, wi int, quantized bool) float64 {
	hasQ := e.Q != nil && len(e.Q.Weights) > 0
	switch {
	case quantized && hasQ:
		return float64(e.Q.Weights[wi])
	case !e.Op.HasWeights():
		return float64(sharedWeight(e))
	case e.Weights != nil:
		return float64(e.Weights[wi])
	case hasQ:
		return float64(e.Q.Weights[wi])
	}
	return 1
}

// channelValues counts the distinct nonzero weights, up to limit, that the
// kernels of in (no Dense among them) hold for output channel ch: a bound
// on what any neuron of the channel receives when no source feeds it
// through two projections.
func channelValues(in []*ir.Projection, ch int, quantized bool, vs *valueSet, limit int) int {
	vs.reset(limit)
	for _, e := range in {
		if e.Op != ir.Conv2D {
			vs.add(synWeight(e, 0, quantized))
			continue
		}
		n := e.Src.Shape.C * e.Kernel * e.Kernel
		for wi := ch * n; wi < (ch+1)*n && !vs.full(); wi++ {
			vs.add(synWeight(e, wi, quantized))
		}
	}
	return len(vs.vals)
}

// synKey is one source neuron: its population and index.
type synKey struct {
	pop *ir.Population
	j   int
}

// neuronValues counts, up to limit, the distinct nonzero weights of the
// chip-side synapses of in into neuron j, summing the weights of one
// source through several projections when summed is set (acc is scratch).
func neuronValues(in []*ir.Projection, j int, summed, quantized bool, vs *valueSet, acc map[synKey]float64, limit int) int {
	vs.reset(limit)
	if !summed {
		for _, e := range in {
			ir.SynapsesInto(e, j, func(_, wi int) { vs.add(synWeight(e, wi, quantized)) })
		}
		return len(vs.vals)
	}
	clear(acc)
	for _, e := range in {
		ir.SynapsesInto(e, j, func(s, wi int) { acc[synKey{e.Src, s}] += synWeight(e, wi, quantized) })
	}
	for _, w := range acc {
		vs.add(w)
	}
	return len(vs.vals)
}

// valueSet collects distinct nonzero values up to a limit (the counts here
// are a handful, so a linear scan beats a map).
type valueSet struct {
	vals  []float64
	limit int
}

func (s *valueSet) reset(limit int) { s.vals, s.limit = s.vals[:0], limit }

func (s *valueSet) full() bool { return len(s.vals) >= s.limit }

func (s *valueSet) add(v float64) {
	if v == 0 || s.full() || slices.Contains(s.vals, v) {
		return
	}
	s.vals = append(s.vals, v)
}
