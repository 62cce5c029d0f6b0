package backends

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// Problem is one violation found in a profile.
type Problem struct {
	// Field is the YAML path of the offending field, e.g. "noc.routing".
	Field string
	// Msg says what was found and what was wanted.
	Msg string
	// Line is the 1-based line of the field (or of its enclosing section
	// when the field is missing) in the profile file; 0 when unknown
	// (Validate on a Profile built in memory).
	Line int
}

// ProfileError reports every problem found in one profile.
type ProfileError struct {
	// File is the path of the profile, or "builtin:NAME".
	File string
	// Problems lists the violations in schema order (never empty).
	Problems []Problem
}

// Error formats the problems as "backends: FILE: line L: field: msg;
// line L: field: msg" (without "line L: " where the line is unknown).
func (e *ProfileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backends: %s: ", e.File)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "line %d: ", p.Line)
		}
		fmt.Fprintf(&b, "%s: %s", p.Field, p.Msg)
	}
	return b.String()
}

// MaxCores bounds the number of cores of one target (tiles x cores x
// chips), so that per-core tables stay small and products cannot overflow.
const MaxCores = 1 << 24

// maxMeshDim bounds each mesh dimension.
const maxMeshDim = 1 << 12

// Bounds of the numeric fields: what the formats and the integer rules
// (ir/quant.go) can represent, wide enough for every chip the sources
// describe. docs/chips.md lists them with the schema.
const (
	// MaxWeightBits is the widest synaptic weight (sign included): Loihi
	// stores 1..9 bits, TrueNorth 9-bit axon-type weights, SpiNNaker
	// 16-bit fixed-point weights; 16 holds all of them.
	MaxWeightBits = 16
	// MaxStateBits bounds membrane, threshold, decay and graded-spike
	// widths: the integer rules hold potentials, thresholds and decays in
	// int32 (SpiNNaker's s16.15 and u0.32 formats are the widest sources).
	MaxStateBits = 32
	// MaxNeuronsPerCore bounds core.max_neurons and each layer core's
	// neuron memory (Speck's largest is 64 Ki entries, Loihi 2's 8 Ki).
	MaxNeuronsPerCore = 1 << 24
	// MaxCoreBytes bounds per-core memories in bytes (1 TiB), so that bit
	// counts of a core's memory cannot overflow int64.
	MaxCoreBytes = 1 << 40
	// MaxEntries bounds axon counts and table entries of a core or chip.
	MaxEntries = 1 << 32
	// MaxFlitBits bounds flit and packet widths.
	MaxFlitBits = 1 << 16
	// MaxBufferFlits bounds one link buffer.
	MaxBufferFlits = 1 << 20
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

var (
	knownRouting   = []string{RoutingXY, RoutingYX}
	knownOverflow  = []string{OverflowBackpressure, OverflowDrop}
	knownMsgMode   = []string{MessagePerCore, MessageMulticastTree}
	knownCompare   = []string{CompareGE, CompareGT}
	knownNeurons   = []string{NeuronIF, NeuronLIF, NeuronLIFLinear, NeuronCUBALIF, NeuronALIF, NeuronResonateFire, NeuronSigmaDelta, NeuronIzhikevich}
	knownBasis     = []string{BasisMeasured, BasisPreSilicon, BasisCalibrated, BasisChipAverage, BasisPublishedEstimate, BasisAssumed}
	knownSyncModes = []string{SyncBarrier, SyncFixedTick, SyncNone}
	knownInterp    = []string{InterpLog2, InterpLinear}
)

// validator accumulates problems.
type validator struct{ probs []Problem }

func (v *validator) add(field, format string, args ...any) {
	v.probs = append(v.probs, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) positive(field string, got int) {
	if got <= 0 {
		v.add(field, "got %d, want > 0", got)
	}
}

func (v *validator) nonNegative(field string, got int) {
	if got < 0 {
		v.add(field, "got %d, want >= 0", got)
	}
}

func (v *validator) nonNegativeF(field string, got float64) {
	switch {
	case !(got >= 0): // also rejects NaN
		v.add(field, "got %g, want >= 0", got)
	case math.IsInf(got, 1):
		v.add(field, "got %g, want a finite value", got)
	}
}

func (v *validator) positiveF(field string, got float64) {
	switch {
	case !(got > 0):
		v.add(field, "got %g, want > 0", got)
	case math.IsInf(got, 1):
		v.add(field, "got %g, want a finite value", got)
	}
}

// within checks lo <= got <= hi; why says where the bounds come from.
func (v *validator) within(field string, got, lo, hi int64, why string) {
	switch {
	case got < lo:
		v.add(field, "got %d, want >= %d (range %d..%d; %s)", got, lo, lo, hi, why)
	case got > hi:
		v.add(field, "got %d, want <= %d (range %d..%d; %s)", got, hi, lo, hi, why)
	}
}

func (v *validator) oneOf(field, got string, want []string) {
	for _, w := range want {
		if got == w {
			return
		}
	}
	if got == "" {
		v.add(field, "missing, want one of %s", strings.Join(want, ", "))
		return
	}
	v.add(field, "got %q, want one of %s", got, strings.Join(want, ", "))
}

// Validate checks every field of p and returns a *ProfileError listing all
// problems, or nil. file names the profile in the error (a path or
// "builtin:NAME").
func (p *Profile) Validate(file string) error {
	v := &validator{}
	if p.Version != SchemaVersion {
		v.add("version", "got %d, want %d", p.Version, SchemaVersion)
	}
	if !nameRE.MatchString(p.Name) {
		v.add("name", "got %q, want lower-case letters, digits and '-'", p.Name)
	}
	if strings.TrimSpace(p.Source) == "" {
		v.add("source", "missing, want a citation of where the numbers come from")
	}
	v.nonNegativeF("clock_mhz", p.ClockMHz)
	v.nonNegativeF("static_power_mw", p.StaticPowerMW)

	m := p.Mesh
	v.positive("mesh.tiles_x", m.TilesX)
	v.positive("mesh.tiles_y", m.TilesY)
	v.positive("mesh.cores_per_tile", m.CoresPerTile)
	v.nonNegative("mesh.chips_x", m.ChipsX)
	v.nonNegative("mesh.chips_y", m.ChipsY)
	for _, f := range []struct {
		name string
		v    int
	}{{"mesh.tiles_x", m.TilesX}, {"mesh.tiles_y", m.TilesY}, {"mesh.cores_per_tile", m.CoresPerTile}, {"mesh.chips_x", m.ChipsX}, {"mesh.chips_y", m.ChipsY}} {
		if f.v > maxMeshDim {
			v.add(f.name, "got %d, want <= %d", f.v, maxMeshDim)
		}
	}
	if cores := int64(m.TilesX) * int64(m.TilesY) * int64(m.CoresPerTile) * int64(max(m.ChipsX, 1)) * int64(max(m.ChipsY, 1)); cores > MaxCores {
		v.add("mesh", "got %d cores in total, want <= %d", cores, MaxCores)
	}
	multiChip := max(m.ChipsX, 1)*max(m.ChipsY, 1) > 1

	c := p.Core
	v.positive("core.max_neurons", c.MaxNeurons)
	if c.MaxNeurons > MaxNeuronsPerCore {
		v.add("core.max_neurons", "got %d, want <= %d", c.MaxNeurons, MaxNeuronsPerCore)
	}
	v.within("core.max_fan_in_axons", int64(c.MaxFanInAxons), 0, MaxEntries, "0 = no limit")
	v.within("core.max_fan_out_axons", int64(c.MaxFanOutAxons), 0, MaxEntries, "0 = no limit")
	v.within("core.max_destination_cores_per_neuron", int64(c.MaxDestinationCoresPerNeuron), 0, MaxCores, "0 = no limit")
	if pw := p.Precision.WeightBits; pw >= 1 && pw <= MaxWeightBits {
		v.within("core.distinct_weights_per_neuron", int64(c.DistinctWeightsPerNeuron), 0, 1<<pw, fmt.Sprintf("0 = no limit; %d-bit weights have %d values", pw, 1<<pw))
	} else {
		v.nonNegative("core.distinct_weights_per_neuron", c.DistinctWeightsPerNeuron)
	}
	if p.LayerCores == nil {
		v.positive("core.synaptic_memory_bytes", c.SynapticMemoryBytes)
	} else {
		v.nonNegative("core.synaptic_memory_bytes", c.SynapticMemoryBytes)
	}
	if int64(c.SynapticMemoryBytes) > MaxCoreBytes {
		v.add("core.synaptic_memory_bytes", "got %d, want <= %d", c.SynapticMemoryBytes, int64(MaxCoreBytes))
	}
	v.within("core.max_synaptic_delay_steps", int64(c.MaxSynapticDelaySteps), 0, ir.MaxDelay, "0 or 1 = no programmable delay")
	v.within("core.routing_table_bytes", int64(c.RoutingTableBytes), 0, MaxCoreBytes, "0 = not a separate limit")
	v.within("core.routing_table_entries", int64(c.RoutingTableEntries), 0, MaxEntries, "0 = not a separate limit")
	if c.ConvWeightSharingSource != "" && strings.TrimSpace(c.ConvWeightSharingSource) == "" {
		v.add("core.conv_weight_sharing_source", "blank, want a citation or the field omitted")
	}
	if len(c.NeuronModels) == 0 {
		v.add("core.neuron_models", "missing, want a non-empty list from %s", strings.Join(knownNeurons, ", "))
	}
	for i, n := range c.NeuronModels {
		v.oneOf(fmt.Sprintf("core.neuron_models[%d]", i), n, knownNeurons)
	}

	if lc := p.LayerCores; lc != nil {
		validateLayerCores(v, lc, m, c)
	}

	pr := p.Precision
	v.within("precision.weight_bits", int64(pr.WeightBits), 1, MaxWeightBits, "sign included; the widest published is SpiNNaker's 16")
	v.within("precision.membrane_bits", int64(pr.MembraneBits), 2, MaxStateBits, "a signed register held in int32")
	v.within("precision.decay_bits", int64(pr.DecayBits), 0, MaxStateBits, "0 = no multiplicative decay")
	v.within("precision.threshold_bits", int64(pr.ThresholdBits), 1, MaxStateBits, "held in int32")
	v.oneOf("precision.threshold_compare", pr.ThresholdCompare, knownCompare)
	v.within("precision.spike_payload_bits", int64(pr.SpikePayloadBits), 0, MaxStateBits, "0 = binary spikes")

	n := p.NoC
	v.oneOf("noc.routing", n.Routing, knownRouting)
	v.oneOf("noc.overflow_policy", n.OverflowPolicy, knownOverflow)
	v.oneOf("noc.message_mode", n.MessageMode, knownMsgMode)
	v.within("noc.link_buffer_depth_flits", int64(n.LinkBufferDepthFlits), 1, MaxBufferFlits, "flits")
	v.within("noc.flit_bits", int64(n.FlitBits), 1, MaxFlitBits, "bits")
	v.within("noc.packet_bits", int64(n.PacketBits), 1, MaxFlitBits, "bits")
	if n.FlitBits > 0 && n.PacketBits > 0 && n.PacketBits < n.FlitBits {
		v.add("noc.packet_bits", "got %d, want >= flit_bits (%d)", n.PacketBits, n.FlitBits)
	}
	v.positiveF("noc.link_bandwidth_gmsg_per_s", n.LinkBandwidthGMsgPerS)
	v.nonNegativeF("noc.hop_latency_ew_ns", n.HopLatencyEWNs)
	v.nonNegativeF("noc.hop_latency_ns_ns", n.HopLatencyNSNs)
	v.nonNegativeF("noc.within_tile_latency_ns", n.WithinTileLatencyNs)
	if multiChip {
		v.positiveF("noc.inter_chip_hop_latency_ns", n.InterChipHopLatencyNs)
	} else {
		v.nonNegativeF("noc.inter_chip_hop_latency_ns", n.InterChipHopLatencyNs)
	}
	v.nonNegativeF("noc.inter_chip_link_bandwidth_gmsg_per_s", n.InterChipLinkBandwidthGMsgPerS) // 0: the on-chip bandwidth
	switch {
	case !(n.DropWaitNs >= 0) || math.IsInf(n.DropWaitNs, 1):
		v.add("noc.drop_wait_ns", "got %g, want a finite value >= 0", n.DropWaitNs)
	case n.DropWaitNs > 0 && n.OverflowPolicy != OverflowDrop:
		v.add("noc.drop_wait_ns", "got %g with overflow_policy %q, want 0 (the wait applies only to overflow_policy %s)", n.DropWaitNs, n.OverflowPolicy, OverflowDrop)
	}
	v.within("noc.routing_table_entries_per_chip", int64(n.RoutingTableEntriesPerChip), 0, MaxEntries, "0 = not a separate limit")

	e := p.Energy
	if e == (Energy{}) {
		v.add("energy", "missing energy table, want at least basis and syn_op_pj")
	} else {
		v.oneOf("energy.basis", e.Basis, knownBasis)
		v.positiveF("energy.syn_op_pj", e.SynOpPJ)
		for _, f := range []struct {
			name string
			val  float64
		}{
			{"syn_op_sparse_pj", e.SynOpSparsePJ}, {"syn_op_conv_pj", e.SynOpConvPJ},
			{"neuron_update_active_pj", e.NeuronUpdateActivePJ}, {"neuron_update_inactive_pj", e.NeuronUpdateInactivePJ},
			{"spike_out_pj", e.SpikeOutPJ}, {"message_out_pj", e.MessageOutPJ},
			{"hop_ew_pj", e.HopEWPJ}, {"hop_ns_pj", e.HopNSPJ}, {"within_tile_pj", e.WithinTilePJ},
			{"synaptic_update_pj", e.SynapticUpdatePJ},
		} {
			v.nonNegativeF("energy."+f.name, f.val)
		}
		if e.NeuronUpdateActivePJ < e.NeuronUpdateInactivePJ {
			v.add("energy.neuron_update_active_pj", "got %g, want >= neuron_update_inactive_pj (%g)", e.NeuronUpdateActivePJ, e.NeuronUpdateInactivePJ)
		}
		if multiChip {
			v.positiveF("energy.inter_chip_hop_pj", e.InterChipHopPJ)
		} else {
			v.nonNegativeF("energy.inter_chip_hop_pj", e.InterChipHopPJ)
		}
		if e.Basis != BasisMeasured && strings.TrimSpace(e.Notes) == "" {
			v.add("energy.notes", "missing, want a note on the %q basis (what is estimated or assumed)", e.Basis)
		}
	}

	t := p.Timing
	for _, f := range []struct {
		name string
		val  float64
	}{
		{"syn_op_ns", t.SynOpNs}, {"syn_op_sparse_ns", t.SynOpSparseNs}, {"syn_op_conv_ns", t.SynOpConvNs},
		{"neuron_update_active_ns", t.NeuronUpdateActiveNs},
		{"neuron_update_inactive_ns", t.NeuronUpdateInactiveNs}, {"spike_out_ns", t.SpikeOutNs},
		{"message_out_ns", t.MessageOutNs}, {"message_in_ns", t.MessageInNs},
	} {
		v.nonNegativeF("timing."+f.name, f.val)
	}
	if t.NeuronUpdateActiveNs < t.NeuronUpdateInactiveNs {
		v.add("timing.neuron_update_active_ns", "got %g, want >= neuron_update_inactive_ns (%g)", t.NeuronUpdateActiveNs, t.NeuronUpdateInactiveNs)
	}

	s := p.Sync
	v.oneOf("sync.mode", s.Mode, knownSyncModes)
	if s.Interpolation != "" {
		v.oneOf("sync.interpolation", s.Interpolation, knownInterp)
	}
	switch s.Mode {
	case SyncBarrier:
		if len(s.BarrierNs) == 0 {
			v.add("sync.barrier_ns", "missing, want at least one {tiles, latency_ns} point for mode %q", SyncBarrier)
		}
	case SyncFixedTick:
		v.positiveF("sync.tick_ns", s.TickNs)
	}
	if s.Mode != SyncFixedTick {
		v.nonNegativeF("sync.tick_ns", s.TickNs)
	}
	for i, pt := range s.BarrierNs {
		f := fmt.Sprintf("sync.barrier_ns[%d]", i)
		v.within(f+".tiles", int64(pt.Tiles), 1, MaxCores, "tiles")
		v.nonNegativeF(f+".latency_ns", pt.LatencyNs)
		if i > 0 && pt.Tiles <= s.BarrierNs[i-1].Tiles {
			v.add(f+".tiles", "got %d after %d, want strictly increasing tile counts", pt.Tiles, s.BarrierNs[i-1].Tiles)
		}
	}

	if len(v.probs) == 0 {
		return nil
	}
	return &ProfileError{File: file, Problems: v.probs}
}

func validateLayerCores(v *validator, lc *LayerCores, m Mesh, c Core) {
	cores := m.TilesX * m.TilesY * m.CoresPerTile * max(m.ChipsX, 1) * max(m.ChipsY, 1)
	if len(lc.KernelMemoryEntries) != cores {
		v.add("layer_cores.kernel_memory_entries", "got %d entries, want one per core (%d)", len(lc.KernelMemoryEntries), cores)
	}
	if len(lc.NeuronMemoryEntries) != cores {
		v.add("layer_cores.neuron_memory_entries", "got %d entries, want one per core (%d)", len(lc.NeuronMemoryEntries), cores)
	}
	maxNeur := 0
	for i, k := range lc.KernelMemoryEntries {
		v.within(fmt.Sprintf("layer_cores.kernel_memory_entries[%d]", i), int64(k), 1, MaxEntries, "entries")
	}
	for i, k := range lc.NeuronMemoryEntries {
		v.within(fmt.Sprintf("layer_cores.neuron_memory_entries[%d]", i), int64(k), 1, MaxNeuronsPerCore, "entries")
		maxNeur = max(maxNeur, k)
	}
	if len(lc.NeuronMemoryEntries) > 0 && c.MaxNeurons != maxNeur {
		v.add("core.max_neurons", "got %d, want %d (the largest layer_cores.neuron_memory_entries)", c.MaxNeurons, maxNeur)
	}
	v.within("layer_cores.bias_memory_entries", int64(lc.BiasMemoryEntries), 0, MaxEntries, "entries")
	v.positive("layer_cores.max_destination_layers", lc.MaxDestinationLayers)
	v.positive("layer_cores.max_input_height", lc.MaxInputHeight)
	v.positive("layer_cores.max_input_width", lc.MaxInputWidth)
	v.positive("layer_cores.max_output_height", lc.MaxOutputHeight)
	v.positive("layer_cores.max_output_width", lc.MaxOutputWidth)
	v.positive("layer_cores.max_channels", lc.MaxChannels)
	v.positive("layer_cores.max_kernel_size", lc.MaxKernelSize)
}
