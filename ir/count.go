package ir

// Counts summarises the size of a graph.
type Counts struct {
	// Params is the number of trainable parameters as the reference
	// implementation counts them: conv and dense weights, batch-norm gamma
	// and beta (running statistics are buffers, not parameters), one W per
	// PLIF population, and per-channel biases once fold-bn has made them.
	Params int
	// Neurons counts neurons of PLIF, LIF, IF and ReLU populations.
	Neurons int
	// RelayNeurons counts neurons of relay populations (max-pool outputs),
	// which a chip implements as OR neurons.
	RelayNeurons int
	// Synapses counts explicit synapses: one per (source neuron, target
	// neuron) connection, as a chip without weight sharing stores them.
	// Padding taps are not synapses.
	Synapses int64
	// UniqueWeights counts stored weight values with native weight sharing:
	// each conv kernel once, dense matrices in full, pools and shortcuts none.
	UniqueWeights int
}

// Count returns the counts of g.
func Count(g *Graph) Counts {
	var c Counts
	for _, p := range g.Pops {
		c.add(PopCounts(p))
	}
	for _, e := range g.Projs {
		c.add(ProjCounts(e))
	}
	return c
}

func (c *Counts) add(d Counts) {
	c.Params += d.Params
	c.Neurons += d.Neurons
	c.RelayNeurons += d.RelayNeurons
	c.Synapses += d.Synapses
	c.UniqueWeights += d.UniqueWeights
}

// PopCounts returns the neurons and parameters of one population.
func PopCounts(p *Population) Counts {
	var c Counts
	switch {
	case p.Neuron.Model.Spiking() || p.Neuron.Model == ReLU || p.Neuron.Model == LI:
		c.Neurons = p.Shape.Len()
	case p.Neuron.Model == Relay:
		c.RelayNeurons = p.Shape.Len()
	}
	if p.Neuron.Model == PLIF {
		c.Params++
	}
	c.Params += len(p.Bias)
	return c
}

// ProjCounts returns the synapses and parameters of one projection.
func ProjCounts(e *Projection) Counts {
	var c Counts
	c.UniqueWeights = e.WeightLen()
	c.Params = c.UniqueWeights
	if e.BN != nil {
		n := e.Dst.Shape.C
		if e.Op == Dense {
			n = e.Dst.Shape.Len()
		}
		c.Params += 2 * n
	}
	c.Synapses = Synapses(e)
	return c
}

// Synapses returns the number of explicit synapses of a projection: for a
// convolution or pool, the number of (input, output) pairs inside the
// unpadded input; for dense, in x out; for identity, one per neuron.
func Synapses(e *Projection) int64 {
	s, d := e.Src.Shape, e.Dst.Shape
	switch e.Op {
	case Dense:
		return int64(s.Len()) * int64(d.Len())
	case Identity:
		return int64(d.Len())
	case Conv2D, MaxPool, AvgPool, SumPool:
		per := e.Rows().Taps(0, d.H) * e.Cols().Taps(0, d.W) // taps per channel pair, summed over positions
		if e.Op == Conv2D {
			return per * int64(s.C) * int64(d.C)
		}
		return per * int64(d.C)
	}
	return 0
}
