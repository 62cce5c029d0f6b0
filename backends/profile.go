package backends

// SchemaVersion is the version of the chip-profile YAML schema this package
// reads and writes. A profile must state it in its version field.
const SchemaVersion = 1

// Routing algorithms a NoC may use (NoC.Routing).
const (
	// RoutingXY is dimension-order routing: first along x (east/west) to the
	// destination column, then along y (north/south).
	RoutingXY = "xy"
	// RoutingYX is dimension-order routing with y first, then x.
	RoutingYX = "yx"
)

// Overflow policies of a NoC when a link buffer is full (NoC.OverflowPolicy).
const (
	// OverflowBackpressure stalls the sender until buffer space frees up;
	// no message is ever lost (a lossless mesh).
	OverflowBackpressure = "backpressure"
	// OverflowDrop discards a message that finds the next buffer full and
	// is still blocked NoC.DropWaitNs later (at once when DropWaitNs is 0).
	OverflowDrop = "drop"
)

// Message modes: how a spike with several destination cores travels
// (NoC.MessageMode).
const (
	// MessagePerCore sends one unicast message per (source neuron,
	// destination core) pair (Loihi, SANA-FE, TrueNorth).
	MessagePerCore = "per_core"
	// MessageMulticastTree sends one multicast packet that routers copy
	// along a tree towards all destination cores (SpiNNaker).
	MessageMulticastTree = "multicast_tree"
)

// Threshold comparisons (Precision.ThresholdCompare).
const (
	// CompareGE fires when the membrane potential is >= the threshold.
	CompareGE = ">="
	// CompareGT fires only when the potential is strictly > the threshold.
	CompareGT = ">"
)

// Neuron models a core may support (Core.NeuronModels).
const (
	// NeuronIF is integrate-and-fire without leak.
	NeuronIF = "if"
	// NeuronLIF is leaky integrate-and-fire with a multiplicative decay of
	// the membrane potential each timestep (the AutoSNN neuron).
	NeuronLIF = "lif"
	// NeuronLIFLinear is leaky integrate-and-fire with a subtractive
	// (linear) leak per timestep (TrueNorth).
	NeuronLIFLinear = "lif_linear"
	// NeuronCUBALIF is current-based LIF with decaying synaptic current and
	// membrane potential (Loihi).
	NeuronCUBALIF = "cuba_lif"
	// NeuronALIF is LIF with an adaptive threshold.
	NeuronALIF = "alif"
	// NeuronResonateFire is the resonate-and-fire neuron (Loihi 2).
	NeuronResonateFire = "resonate_fire"
	// NeuronSigmaDelta is the sigma-delta (graded-spike) neuron (Loihi 2).
	NeuronSigmaDelta = "sigma_delta"
	// NeuronIzhikevich is the Izhikevich neuron (programmable cores).
	NeuronIzhikevich = "izhikevich"
)

// Energy bases (Energy.Basis): where the energy table comes from.
const (
	// BasisMeasured means post-silicon measurements of the operations.
	BasisMeasured = "measured"
	// BasisPreSilicon means pre-silicon estimates (e.g. Loihi's Table 2).
	BasisPreSilicon = "pre_silicon"
	// BasisCalibrated means a simulator model fitted to chip measurements
	// (e.g. SANA-FE's Loihi model).
	BasisCalibrated = "calibrated"
	// BasisChipAverage means one chip-level average that folds several
	// costs (often static power) into a per-event figure; the other entries
	// are then zero and the average must not be combined with static power.
	BasisChipAverage = "chip_average"
	// BasisPublishedEstimate means system-level estimates from a paper.
	BasisPublishedEstimate = "published_estimate"
	// BasisAssumed means no published numbers; values are placeholders
	// stated in Notes.
	BasisAssumed = "assumed"
)

// Synchronisation modes (Sync.Mode).
const (
	// SyncBarrier ends each timestep with a mesh-wide barrier whose latency
	// is interpolated from Sync.BarrierNs by the number of tiles in use.
	SyncBarrier = "barrier"
	// SyncFixedTick advances time with a global tick of Sync.TickNs
	// (TrueNorth's 1 kHz tick).
	SyncFixedTick = "fixed_tick"
	// SyncNone means a fully event-driven chip without timesteps (Speck).
	SyncNone = "none"
)

// Interpolations of the barrier table (Sync.Interpolation).
const (
	// InterpLog2 is piecewise linear in log2(tiles) between table points.
	InterpLog2 = "log2"
	// InterpLinear is piecewise linear in the tile count.
	InterpLinear = "linear"
)

// Profile is one chip profile as written in YAML. Field names carry their
// units; a zero value means "not published / not applicable" only where the
// comment says so. Use Validate (or Parse, Load, Lookup) before relying on
// any invariant.
type Profile struct {
	// Version is the schema version; must equal SchemaVersion.
	Version int `yaml:"version"`
	// Name identifies the profile: lower case letters, digits and '-'.
	Name string `yaml:"name"`
	// Description is one line saying what chip this is.
	Description string `yaml:"description"`
	// Source cites the publications the numbers come from.
	Source string `yaml:"source"`
	// Notes states what is assumed, estimated or simplified.
	Notes string `yaml:"notes,omitempty"`
	// ClockMHz is the core clock in MHz; 0 means an asynchronous (clockless)
	// design whose latencies are given directly in ns.
	ClockMHz float64 `yaml:"clock_mhz"`
	// StaticPowerMW is the static (leakage + idle) power of one chip in mW;
	// 0 means not published or already folded into a chip-average energy.
	StaticPowerMW float64 `yaml:"static_power_mw"`

	// Mesh is the layout of tiles, cores and chips.
	Mesh Mesh `yaml:"mesh"`
	// Core holds the limits every core shares.
	Core Core `yaml:"core"`
	// LayerCores is set only for chips whose cores each run one conv layer
	// from per-core memories (DYNAP-CNN / Speck); nil otherwise.
	LayerCores *LayerCores `yaml:"layer_cores,omitempty"`
	// Precision is the numeric format of weights and neuron state.
	Precision Precision `yaml:"precision"`
	// NoC is the network on chip and between chips.
	NoC NoC `yaml:"noc"`
	// Energy is the energy per event; required.
	Energy Energy `yaml:"energy"`
	// Timing is the latency per event (network latencies are in NoC).
	Timing Timing `yaml:"timing"`
	// Sync is how timesteps end.
	Sync Sync `yaml:"sync"`
}

// Mesh is the physical layout: a 2-D mesh of tiles per chip, several cores
// per tile sharing one router, and optionally a 2-D mesh of chips whose
// meshes join into one larger global mesh.
type Mesh struct {
	// TilesX is the number of tile columns on one chip (> 0).
	TilesX int `yaml:"tiles_x"`
	// TilesY is the number of tile rows on one chip (> 0).
	TilesY int `yaml:"tiles_y"`
	// CoresPerTile is the number of cores sharing one router (> 0).
	CoresPerTile int `yaml:"cores_per_tile"`
	// ChipsX is the number of chip columns on the board (>= 1; 0 reads as 1).
	ChipsX int `yaml:"chips_x,omitempty"`
	// ChipsY is the number of chip rows on the board (>= 1; 0 reads as 1).
	ChipsY int `yaml:"chips_y,omitempty"`
}

// Core holds the limits of one neuromorphic core. For limits marked "0 = no
// limit" the core is programmable and bounded only by its memory.
type Core struct {
	// MaxNeurons is the number of neurons (compartments) one core can hold
	// (> 0). With LayerCores set, the per-core neuron memories govern and
	// this is the largest of them.
	MaxNeurons int `yaml:"max_neurons"`
	// MaxFanInAxons is the number of distinct input axons (presynaptic
	// sources) one core accepts; 0 = no limit.
	MaxFanInAxons int `yaml:"max_fan_in_axons"`
	// MaxFanOutAxons is the number of output axons (outgoing (neuron,
	// destination core) edges) one core can route; 0 = no limit.
	MaxFanOutAxons int `yaml:"max_fan_out_axons"`
	// MaxDestinationCoresPerNeuron is how many different cores one neuron's
	// spikes may reach (TrueNorth: 1); 0 = no limit.
	MaxDestinationCoresPerNeuron int `yaml:"max_destination_cores_per_neuron"`
	// DistinctWeightsPerNeuron is how many different weight values one
	// neuron may use (TrueNorth: 4 axon types); 0 = no limit.
	DistinctWeightsPerNeuron int `yaml:"distinct_weights_per_neuron,omitempty"`
	// SynapticMemoryBytes is the synaptic memory of one core in bytes (> 0
	// unless LayerCores gives per-core kernel memories).
	SynapticMemoryBytes int `yaml:"synaptic_memory_bytes"`
	// RoutingTableBytes is the routing-table memory of one core in bytes;
	// 0 = not a separate limit.
	RoutingTableBytes int `yaml:"routing_table_bytes,omitempty"`
	// RoutingTableEntries is the number of routing entries one core holds;
	// 0 = not a separate limit.
	RoutingTableEntries int `yaml:"routing_table_entries,omitempty"`
	// ConvWeightSharing is true when a core stores a convolution kernel once
	// and reuses it for every output position (no per-synapse copies).
	ConvWeightSharing bool `yaml:"conv_weight_sharing"`
	// ConvWeightSharingSource cites where ConvWeightSharing comes from
	// (required of built-in profiles; where sources disagree, a second
	// profile takes the other reading, as loihi1 and loihi1-sanafe do).
	ConvWeightSharingSource string `yaml:"conv_weight_sharing_source,omitempty"`
	// NeuronModels lists the neuron models the core implements (non-empty;
	// values from the Neuron* constants).
	NeuronModels []string `yaml:"neuron_models"`
	// MaxSynapticDelaySteps is the longest programmable synaptic (or axon)
	// delay in timesteps, 0..ir.MaxDelay: a spike emitted at step t can be
	// integrated at any step t+1 .. t+MaxSynapticDelaySteps. 0 or 1 means
	// no programmable delay: every synapse takes the barrier's one step.
	MaxSynapticDelaySteps int `yaml:"max_synaptic_delay_steps,omitempty"`
}

// LayerCores describes chips whose cores each run one whole convolution
// layer from dedicated kernel and neuron memories (DYNAP-CNN / Speck). The
// lists have one entry per core, in core-id order.
type LayerCores struct {
	// KernelMemoryEntries is the kernel (weight) memory of each core in
	// entries of one weight each.
	KernelMemoryEntries []int `yaml:"kernel_memory_entries"`
	// NeuronMemoryEntries is the neuron-state memory of each core in
	// entries of one neuron each.
	NeuronMemoryEntries []int `yaml:"neuron_memory_entries"`
	// BiasMemoryEntries is the bias memory of every core in entries.
	BiasMemoryEntries int `yaml:"bias_memory_entries"`
	// MaxDestinationLayers is how many layers (cores) one layer may send to.
	MaxDestinationLayers int `yaml:"max_destination_layers"`
	// MaxInputHeight and MaxInputWidth bound a layer's input in pixels.
	MaxInputHeight int `yaml:"max_input_height"`
	MaxInputWidth  int `yaml:"max_input_width"`
	// MaxOutputHeight and MaxOutputWidth bound a layer's output feature map.
	MaxOutputHeight int `yaml:"max_output_height"`
	MaxOutputWidth  int `yaml:"max_output_width"`
	// MaxChannels bounds input and output channels of a layer.
	MaxChannels int `yaml:"max_channels"`
	// MaxKernelSize bounds kernel height and width.
	MaxKernelSize int `yaml:"max_kernel_size"`
	// Source cites the memory sizes and formulas.
	Source string `yaml:"source,omitempty"`
}

// Precision is the numeric format of the chip's neuron and synapse state.
type Precision struct {
	// WeightBits is the width of one synaptic weight including sign
	// (1..MaxWeightBits).
	WeightBits int `yaml:"weight_bits"`
	// MembraneBits is the width of the membrane potential (> 0).
	MembraneBits int `yaml:"membrane_bits"`
	// DecayBits is the width of the decay constant; 0 = no multiplicative
	// decay (IF neurons or a subtractive leak).
	DecayBits int `yaml:"decay_bits"`
	// ThresholdBits is the width of the firing threshold (> 0).
	ThresholdBits int `yaml:"threshold_bits"`
	// ThresholdCompare is CompareGE or CompareGT.
	ThresholdCompare string `yaml:"threshold_compare"`
	// SpikePayloadBits is the payload of a graded spike; 0 = binary spikes.
	SpikePayloadBits int `yaml:"spike_payload_bits"`
	// Source cites the precision figures.
	Source string `yaml:"source,omitempty"`
}

// NoC is the network on chip (and between chips).
type NoC struct {
	// Routing is RoutingXY or RoutingYX.
	Routing string `yaml:"routing"`
	// OverflowPolicy is OverflowBackpressure (lossless) or OverflowDrop.
	OverflowPolicy string `yaml:"overflow_policy"`
	// MessageMode is MessagePerCore or MessageMulticastTree.
	MessageMode string `yaml:"message_mode"`
	// LinkBufferDepthFlits is the input buffer of one link in flits (> 0).
	LinkBufferDepthFlits int `yaml:"link_buffer_depth_flits"`
	// FlitBits is the width of one flit (> 0).
	FlitBits int `yaml:"flit_bits"`
	// PacketBits is the size of one spike message (>= FlitBits); a message
	// occupies ceil(PacketBits/FlitBits) flits.
	PacketBits int `yaml:"packet_bits"`
	// LinkBandwidthGMsgPerS is the bandwidth of one link in 10^9 messages
	// per second, i.e. messages per ns (> 0).
	LinkBandwidthGMsgPerS float64 `yaml:"link_bandwidth_gmsg_per_s"`
	// HopLatencyEWNs is the latency of one east-west hop between adjacent
	// tiles of a chip in ns (>= 0).
	HopLatencyEWNs float64 `yaml:"hop_latency_ew_ns"`
	// HopLatencyNSNs is the latency of one north-south hop in ns (>= 0).
	HopLatencyNSNs float64 `yaml:"hop_latency_ns_ns"`
	// WithinTileLatencyNs is the latency of a message between two cores of
	// one tile (or to the same core) in ns (>= 0).
	WithinTileLatencyNs float64 `yaml:"within_tile_latency_ns"`
	// InterChipHopLatencyNs is the latency of one hop that crosses a chip
	// boundary in ns; replaces the on-chip hop latency for that hop.
	// Must be > 0 when the board has more than one chip.
	InterChipHopLatencyNs float64 `yaml:"inter_chip_hop_latency_ns,omitempty"`
	// InterChipLinkBandwidthGMsgPerS is the bandwidth of one link between
	// two chips in 10^9 messages per second (messages per ns): the board's
	// chip-to-chip links (serial or parallel off-chip ports) are slower
	// than the on-chip mesh. >= 0 and finite; 0 or omitted means the
	// on-chip LinkBandwidthGMsgPerS (every built-in board sets its own).
	InterChipLinkBandwidthGMsgPerS float64 `yaml:"inter_chip_link_bandwidth_gmsg_per_s,omitempty"`
	// DropWaitNs is, under OverflowDrop, how long in ns a message blocked
	// by a full next buffer waits for space (credit backpressure) before
	// the router drops it; 0 = drop at once. SpiNNaker routers wait
	// "wait1" and then, after trying emergency routing, "wait2" before
	// dropping; emergency routing is not modelled, so this is the whole
	// wait1 + wait2. Must be finite and >= 0, and 0 under
	// OverflowBackpressure.
	DropWaitNs float64 `yaml:"drop_wait_ns,omitempty"`
	// RoutingTableEntriesPerChip is the router capacity of one chip
	// (SpiNNaker); 0 = not a separate limit.
	RoutingTableEntriesPerChip int `yaml:"routing_table_entries_per_chip,omitempty"`
	// Source cites the NoC figures.
	Source string `yaml:"source,omitempty"`
}

// LinkBandwidth returns the bandwidth in messages per ns of a link that
// crosses a chip boundary (interChip) or of an on-chip link: the board's
// InterChipLinkBandwidthGMsgPerS when set, else LinkBandwidthGMsgPerS.
func (n NoC) LinkBandwidth(interChip bool) float64 {
	if interChip && n.InterChipLinkBandwidthGMsgPerS > 0 {
		return n.InterChipLinkBandwidthGMsgPerS
	}
	return n.LinkBandwidthGMsgPerS
}

// Energy is the energy of each event in pJ. All values are >= 0 and
// SynOpPJ > 0 (an energy table must exist).
type Energy struct {
	// Basis is one of the Basis* constants.
	Basis string `yaml:"basis"`
	// SynOpPJ is the energy of one synaptic operation (one spike arriving at
	// one synapse) in dense connectivity, in pJ (> 0).
	SynOpPJ float64 `yaml:"syn_op_pj"`
	// SynOpSparsePJ is the synaptic-operation energy for sparse
	// connectivity in pJ; 0 = same as SynOpPJ.
	SynOpSparsePJ float64 `yaml:"syn_op_sparse_pj,omitempty"`
	// SynOpConvPJ is the synaptic-operation energy for convolutional
	// (shared-weight) connectivity in pJ; 0 = same as SynOpPJ.
	SynOpConvPJ float64 `yaml:"syn_op_conv_pj,omitempty"`
	// NeuronUpdateActivePJ is the energy to update one neuron that received
	// input this timestep, in pJ.
	NeuronUpdateActivePJ float64 `yaml:"neuron_update_active_pj"`
	// NeuronUpdateInactivePJ is the energy to update one neuron without
	// input this timestep, in pJ.
	NeuronUpdateInactivePJ float64 `yaml:"neuron_update_inactive_pj"`
	// SpikeOutPJ is the energy of one neuron generating a spike in pJ.
	SpikeOutPJ float64 `yaml:"spike_out_pj"`
	// MessageOutPJ is the energy of injecting one message into the NoC at
	// the source core, in pJ.
	MessageOutPJ float64 `yaml:"message_out_pj"`
	// HopEWPJ is the energy of one on-chip east-west hop in pJ.
	HopEWPJ float64 `yaml:"hop_ew_pj"`
	// HopNSPJ is the energy of one on-chip north-south hop in pJ.
	HopNSPJ float64 `yaml:"hop_ns_pj"`
	// WithinTilePJ is the energy of delivering a message between cores of
	// one tile (or to the same core) in pJ.
	WithinTilePJ float64 `yaml:"within_tile_pj"`
	// InterChipHopPJ is the energy of one hop crossing a chip boundary in
	// pJ; must be > 0 when the board has more than one chip.
	InterChipHopPJ float64 `yaml:"inter_chip_hop_pj,omitempty"`
	// SynapticUpdatePJ is the energy of one on-chip learning update of a
	// synapse in pJ; 0 = no on-chip learning or not published.
	SynapticUpdatePJ float64 `yaml:"synaptic_update_pj,omitempty"`
	// Source cites the energy figures.
	Source string `yaml:"source,omitempty"`
	// Notes says which figures are estimates, averages or assumptions.
	Notes string `yaml:"notes,omitempty"`
}

// Timing is the latency of each event in ns (all >= 0). Network latencies
// live in NoC.
type Timing struct {
	// SynOpNs is the time of one dense synaptic operation in ns.
	SynOpNs float64 `yaml:"syn_op_ns"`
	// SynOpSparseNs is the time of one sparse synaptic operation in ns;
	// 0 = same as SynOpNs.
	SynOpSparseNs float64 `yaml:"syn_op_sparse_ns,omitempty"`
	// SynOpConvNs is the time of one convolutional synaptic operation in ns;
	// 0 = same as SynOpNs.
	SynOpConvNs float64 `yaml:"syn_op_conv_ns,omitempty"`
	// NeuronUpdateActiveNs is the time to update a neuron with input in ns.
	NeuronUpdateActiveNs float64 `yaml:"neuron_update_active_ns"`
	// NeuronUpdateInactiveNs is the time to update a neuron without input.
	NeuronUpdateInactiveNs float64 `yaml:"neuron_update_inactive_ns"`
	// SpikeOutNs is the time for a neuron to generate a spike in ns.
	SpikeOutNs float64 `yaml:"spike_out_ns"`
	// MessageOutNs is the injection latency of one message in ns.
	MessageOutNs float64 `yaml:"message_out_ns"`
	// MessageInNs is the ejection (receive) latency of one message in ns.
	MessageInNs float64 `yaml:"message_in_ns"`
	// Source cites the timing figures.
	Source string `yaml:"source,omitempty"`
}

// Sync is how the chip advances from one timestep to the next.
type Sync struct {
	// Mode is SyncBarrier, SyncFixedTick or SyncNone.
	Mode string `yaml:"mode"`
	// BarrierNs is the barrier latency by number of tiles taking part,
	// strictly increasing in Tiles; required (non-empty) for SyncBarrier.
	BarrierNs []SyncPoint `yaml:"barrier_ns,omitempty"`
	// Interpolation is InterpLog2 (default when empty) or InterpLinear.
	Interpolation string `yaml:"interpolation,omitempty"`
	// TickNs is the fixed timestep in ns; required (> 0) for SyncFixedTick.
	TickNs float64 `yaml:"tick_ns,omitempty"`
	// Source cites the synchronisation figures.
	Source string `yaml:"source,omitempty"`
}

// SyncPoint is one measured barrier cost: Tiles tiles synchronise in
// LatencyNs ns.
type SyncPoint struct {
	// Tiles is the number of tiles taking part (> 0).
	Tiles int `yaml:"tiles"`
	// LatencyNs is the barrier latency in ns (>= 0).
	LatencyNs float64 `yaml:"latency_ns"`
}
