package ir

// Integer semantics of a quantized graph.
//
// The quantize pass gives every non-input population a PopQuant and every
// projection a ProjQuant. The quantized network then computes, in integers
// only (this is what a chip computes and what the simulator must reproduce
// spike for spike; ExecInt is its reference):
//
// Input encoding. Projections whose source is the input population are
// computed by the host in float32 (Host = true): their outputs, computed
// as the float reference executor computes them and added in graph order
// into a float32 sum, give for destination neuron j at timestep t a value
// whose float32 product with the destination's Scale is rounded half away
// from zero (and clamped to the int32 range) to an input current I[t][j]
// that is injected into the neuron. Under Direct encoding I is the same at
// every step; under Frames it is computed from each frame.
// IntExecutor.HostCurrent computes I.
//
// Synaptic input. For every other projection, the current into neuron j
// at timestep t is the sum over its synapses of weight x source output at
// timestep t (sources are updated earlier in the same timestep, in graph
// order). Source outputs are spikes 0/1. Conv2D and Dense weights are
// Weights (same layout as the float weights); AvgPool and Identity use
// the single weight Weights[0] for every synapse; MaxPool projections
// never reach this stage: lower-ops turns each into a SumPool projection
// into a memoryless LIF population (Tau 1, threshold 1), an OR of its
// window, which then quantizes like any other population.
//
// Neuron update, with X = input current + Bias[channel] (int64 during the
// sum, then saturated to [VMin, VMax]):
//
//	leaky (PLIF, LIF): H = V + ((X - (V - Reset)) * Decay) >> DecayBits   (arithmetic shift: floor)
//	CubaLIF:           I = I + ((X - I) * SynDecay) >> DecayBits, saturated to [VMin, VMax];
//	                   H = V + ((I - (V - Reset)) * Decay) >> DecayBits
//	IF:                H = V + X
//	H is saturated to [VMin, VMax]
//	S = 1 if H >= Threshold; V = Reset if S = 1, else H
//	LI readout:        V = V + ((X - V) * Decay) >> DecayBits, saturated; never fires;
//	                   the host reads V / Scale as the output (a probed membrane)
//
// V starts at 0 for every input. The output layer's spikes are read by the
// host, which applies the voting layer.
//
// A quantized graph has only spiking non-input populations, but for an LI
// output population read out by its membrane, and no batch-norm (fold-bn folds it into Weights and Bias first). The
// comparison is always H >= Threshold; a chip that fires on H > T stores
// Threshold - 1.

// PopQuant is the integer form of a population.
type PopQuant struct {
	// Scale is membrane LSBs per unit of float potential: the float
	// potential v is represented by the integer round(v * Scale).
	Scale float32
	// Threshold and Reset in membrane LSBs.
	Threshold, Reset int32
	// Decay is the leak k as a fixed-point fraction Decay / 2^DecayBits
	// (leaky models only).
	Decay     int32
	DecayBits uint8
	// SynDecay is a CubaLIF's synaptic decay ks as the fraction SynDecay /
	// 2^DecayBits (0 for other models). The current I is in membrane LSBs
	// and starts at 0 for every input.
	SynDecay int32
	// VMin and VMax bound the membrane register (saturating).
	VMin, VMax int32
	// Bias is the per-channel input current in membrane LSBs, or nil.
	Bias []int32
}

// ProjQuant is the integer form of a projection.
type ProjQuant struct {
	// Host is true for projections from the input population, which the
	// host evaluates in float (input encoding); Weights is nil then.
	Host bool
	// Weights are integer synaptic weights in the destination's membrane
	// LSBs: the full tensor for Conv2D and Dense, one shared value for
	// AvgPool, SumPool and Identity.
	Weights []int32
}
