package sim

import "github.com/autosnn/autosnn/ir"

// Constants of Memory, measured with sim/e2e's TestMemoryEstimate (peak
// live heap of New and a few images of the compiled autosnn network on
// loihi1); see docs/performance.md, "Memory estimates".
const (
	// simBytesPerSynapse: an expanded synapse, 4 bytes in the compact form
	// New writes directly, 8 where a message group needs the wide form;
	// the estimate takes the wide form's 8 so that it does not fall short
	// (the C=64 AutoSNN, all compact: 2.72 GB peak RSS, estimated 4.3 GB).
	simBytesPerSynapse = 8
	// simBytesPerNeuron: membrane, current, weight sums, output and
	// message-group tables (a 40-byte group per destination core of each
	// source neuron), in bytes.
	simBytesPerNeuron = 160
	// simFixedBytes: the chip's cores, routers and queues independent of
	// the network, in bytes.
	simFixedBytes = 1 << 20
)

// Memory returns the estimated peak heap, in bytes, of simulating the
// compiled graph g (New and Run): the explicit synapses of every
// projection not driven by the host, per-neuron state and, when
// projections carry delays above one step, the extra accumulator arrays of
// Chip semantics' delay ring (one per further step, 8 bytes per neuron at
// most). It reads only the
// IR's shapes, so it can refuse a network before New expands anything.
func Memory(g *ir.Graph) int64 {
	var syn int64
	for _, e := range g.Projs {
		if e.Src != g.Input() {
			syn += ir.Synapses(e)
		}
	}
	c := ir.Count(g)
	neurons := int64(c.Neurons + c.RelayNeurons)
	ring := int64(maxDelay(g)-1) * neurons * 8
	return syn*simBytesPerSynapse + neurons*simBytesPerNeuron + ring + simFixedBytes
}

// forkBytesPerNeuron: the run state a Fork does not share (membrane,
// accumulators, output, host current, cuba current), in bytes per neuron.
const forkBytesPerNeuron = 24

// ForkMemory returns the estimated heap, in bytes, that one Fork of a Sim
// of g adds: per-neuron run state, the accumulators of Chip semantics'
// delay ring (when projections carry delays above one step) and the
// routers' buffers; the synapses are shared.
func ForkMemory(g *ir.Graph) int64 {
	c := ir.Count(g)
	neurons := int64(c.Neurons + c.RelayNeurons)
	ring := int64(maxDelay(g)) * neurons * 8
	return neurons*forkBytesPerNeuron + ring + simFixedBytes
}
