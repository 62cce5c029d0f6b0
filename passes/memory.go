package passes

import "github.com/autosnn/autosnn/ir"

// Constants of Memory, measured with TestMemoryEstimate (peak live heap of
// compiling the autosnn zoo network for loihi1 with four profiling
// samples); see docs/performance.md, "Memory estimates".
const (
	// compileBytesPerSynapse: the explicit synapses the profile, split,
	// partition and verify passes walk and count per fragment, in bytes
	// per synapse (less than one word: most are counted, not stored). The
	// measured figure ranged from 2.7 to 4.8 with the network's shape and
	// the concurrent granularities' timing until verify counted per shared
	// source position; since then about 1.4 to 2.2 at 8.6 M synapses,
	// and with the multilevel candidate (its coarse levels and state; it
	// shares the granularity-8 candidate's fragment problem) 29.0 MB
	// peak against 32.4 MB estimated at 8.6 M synapses (TestMemoryEstimate).
	compileBytesPerSynapse = 3
	// compileBytesPerNeuron: per-neuron rates, core assignments, fragment
	// and placement tables, in bytes.
	compileBytesPerNeuron = 100
	// compileBytesPerWeight: the quantised copy of each stored weight, in
	// bytes.
	compileBytesPerWeight = 4
	// compileBytesPerSampleNeuron: the reference executor's state per
	// profiling sample and neuron, in bytes.
	compileBytesPerSampleNeuron = 8
	// compileFixedBytes: the passes' tables independent of the network
	// (chip profile, pass report), in bytes.
	compileFixedBytes = 512 << 10
)

// Memory returns the estimated peak heap, in bytes, that compiling g with
// samples profiling samples allocates (the graph's own float weights, if
// loaded, are not included). It reads only the IR's shapes and counts, so
// it can refuse a network before anything is allocated.
func Memory(g *ir.Graph, samples int) int64 {
	c := ir.Count(g)
	n := int64(c.Neurons + c.RelayNeurons)
	return c.Synapses*compileBytesPerSynapse + int64(c.Neurons)*compileBytesPerNeuron +
		int64(c.UniqueWeights)*compileBytesPerWeight + int64(samples)*n*compileBytesPerSampleNeuron + compileFixedBytes
}
