package backends

// This file implements the SANA-FE architecture-YAML emitter.

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// WriteSANAFEArch writes t as a SANA-FE architecture file (the ARCH.yaml of
// `sim ARCH.yaml SNN.yaml TIMESTEPS`), so a mapping compiled by autosnn can
// also be run in SANA-FE (SLAM-Lab, IEEE TCAD 2025).
//
// The mapping of the schema onto SANA-FE's hardware units:
//   - mesh width/height = tiles_x/tiles_y; tile id i sits at x = i / height,
//     y = i % height, the same convention as this package, so core id c of a
//     Target is core c % cores_per_tile of SANA-FE tile c / cores_per_tile;
//   - hop energy/latency per direction = hop_ew_* (east, west) and hop_ns_*
//     (north, south); link_buffer_size = link_buffer_depth_flits /
//     flits per message;
//   - axon_out energy/latency_message_out = message_out_*; axon_in
//     latency_message_in = message_in_ns (its energy is 0: SANA-FE charges
//     the receive side to the synapse);
//   - soma: energy_access_neuron = neuron_update_inactive, energy_update_neuron
//     = neuron_update_active - neuron_update_inactive, energy_spike_out =
//     spike_out (and the same for latencies); unit NAME_soma has model
//     leaky_integrate_fire (IF is its leak_decay 1.0), and chips with the
//     lif_linear model also get NAME_soma_linear with SANA-FE's truenorth
//     model; plus one input soma per neuron slot (NAME_inputs[0..N-1]), since
//     SANA-FE needs a separate soma unit per input neuron;
//   - synapse units NAME_dense_synapse, NAME_sparse_synapse and
//     NAME_conv_synapse with the three synaptic-operation costs;
//   - sync_model table with latency_sync from the barrier table (seconds);
//     fixed-tick and event-driven chips get sync_model fixed with 0 s (the
//     tick length is not a barrier cost).
//
// SANA-FE has no within-tile or inter-chip link costs: within-tile costs are
// dropped, and targets with more than one chip are rejected. Layer-core
// chips get one core entry per core with its own max_neurons_supported.
func WriteSANAFEArch(w io.Writer, t *Target) error { return writeSANAFEArch(w, t, nil) }

// WriteSANAFEArchInputs is WriteSANAFEArch for an export with input events
// (WriteSANAFENetwork with SANAFEOptions.Input): every core gets inputs
// input soma units (NAME_inputs[0..inputs-1]) instead of one per neuron
// slot, and max_neurons_supported grows by inputs, since SANA-FE holds
// the input neurons in core slots too. WriteSANAFEArchCoreInputs, which
// gives the units only to the cores that hold input neurons, is smaller
// for SANA-FE to load.
func WriteSANAFEArchInputs(w io.Writer, t *Target, inputs int) error {
	if inputs < 0 {
		return fmt.Errorf("backends: sanafe arch: %d input units per core, want >= 0", inputs)
	}
	return writeSANAFEArch(w, t, func(int) int { return inputs })
}

// WriteSANAFEArchCoreInputs is WriteSANAFEArch for an export with input
// events (WriteSANAFENetwork with SANAFEOptions.Input) in which core c
// gets perCore[c] input soma units (NAME_inputs[0..perCore[c]-1]) and as
// many more neuron slots (SANA-FE holds input neurons in core slots), and
// a core without input neurons none: each unit costs SANA-FE kilobytes (a
// random generator of its own) and time to load, so the units of the few
// stem cores are all it should build. Give it SANAFEInputCores; perCore
// has one entry per core of t (t.NumCores), each >= 0.
func WriteSANAFEArchCoreInputs(w io.Writer, t *Target, perCore []int) error {
	if len(perCore) != t.NumCores {
		return fmt.Errorf("backends: sanafe arch: input units for %d cores, want %d (%s)", len(perCore), t.NumCores, t.Name())
	}
	for c, n := range perCore {
		if n < 0 {
			return fmt.Errorf("backends: sanafe arch: core %d: %d input units, want >= 0", c, n)
		}
	}
	return writeSANAFEArch(w, t, func(c int) int { return perCore[c] })
}

// SANAFEInputCores returns, per core of t (index: core id), how many
// input neurons the export of g with input events puts on it: the
// host-driven neurons it holds.
func SANAFEInputCores(g *ir.Graph, t *Target) []int {
	per := make([]int, t.NumCores)
	_, inNames := sanafeGroupNames(g)
	for i, p := range g.Pops {
		if inNames[i] == "" {
			continue
		}
		for _, c := range p.Core {
			if t.ValidCore(int(c)) {
				per[c]++
			}
		}
	}
	return per
}

// SANAFEInputsPerCore returns the most input neurons the export of g with
// input events puts on one core of t (the largest of SANAFEInputCores).
func SANAFEInputsPerCore(g *ir.Graph, t *Target) int {
	return slices.Max(append(SANAFEInputCores(g, t), 0))
}

// writeSANAFEArch writes the architecture with inputs(c) input soma units
// on core c (inputs nil: one per neuron slot, and max_neurons_supported
// the chip's). Runs of tiles, and of cores within a tile, with the same
// units are written as one ranged entry; SANA-FE numbers tiles and the
// cores of a tile in the order of their entries.
func writeSANAFEArch(w io.Writer, t *Target, inputs func(core int) int) error {
	p := t.Profile
	if t.NumChips > 1 {
		return fmt.Errorf("backends: sanafe arch: %s has %d chips, want 1 (SANA-FE models one mesh without inter-chip links)", p.Name, t.NumChips)
	}
	name := strings.ReplaceAll(p.Name, "-", "_")
	m, e, n := p.Mesh, p.Energy, p.NoC
	bw := bufio.NewWriter(w)
	pf := func(indent int, format string, args ...any) {
		bw.WriteString(strings.Repeat(" ", indent))
		fmt.Fprintf(bw, format, args...)
		bw.WriteByte('\n')
	}

	pf(0, "# SANA-FE architecture for chip profile %q, written by autosnn.", p.Name)
	pf(0, "# %s", oneLine(p.Description))
	pf(0, "# Source: %s", oneLine(p.Source))
	pf(0, "# Energy basis: %s. Units: J and s.", e.Basis)
	pf(0, "architecture:")
	pf(2, "name: %s", name)
	pf(2, "attributes:")
	pf(4, "topology: mesh")
	pf(4, "width: %d", m.TilesX)
	pf(4, "height: %d", m.TilesY)
	pf(4, "link_buffer_size: %d", max(1, n.LinkBufferDepthFlits/t.FlitsPerMessage()))
	if p.Sync.Mode == SyncBarrier {
		var pts []string
		for _, pt := range p.Sync.BarrierNs {
			pts = append(pts, fmt.Sprintf("%d: %s", pt.Tiles, si(pt.LatencyNs, "e-9")))
		}
		pf(4, "sync_model: table")
		pf(4, "latency_sync: { %s }", strings.Join(pts, ", "))
	} else {
		pf(4, "sync_model: fixed")
		pf(4, "latency_sync: 0.0")
	}
	pf(2, "tile:")
	cpt := m.CoresPerTile
	// units[k] is the input units of core k of a tile (-1: one per
	// neuron slot).
	tileUnits := func(tile int) []int {
		u := make([]int, cpt)
		for k := range u {
			u[k] = -1
			if inputs != nil {
				u[k] = inputs(tile*cpt + k)
			}
		}
		return u
	}
	somas := []struct{ unit, model string }{{name + "_soma", "leaky_integrate_fire"}}
	if t.SupportsNeuron(NeuronLIFLinear) {
		somas = append(somas, struct{ unit, model string }{name + "_soma_linear", "truenorth"})
	}
	for a := 0; a < t.TilesPerChip; {
		units := tileUnits(a)
		b := a + 1
		for b < t.TilesPerChip && slices.Equal(tileUnits(b), units) {
			b++
		}
		writeSANAFETile(pf, t, name, fmt.Sprintf("%s_tile[%d..%d]", name, a, b-1), units, somas)
		a = b
	}
	return bw.Flush()
}

// writeSANAFETile writes one tile entry (entry names it, a range of
// tiles) whose core k has units[k] input soma units (-1: one per neuron
// slot).
func writeSANAFETile(pf func(int, string, ...any), t *Target, name, entry string, units []int, somas []struct{ unit, model string }) {
	p := t.Profile
	m, e, tm, n := p.Mesh, p.Energy, p.Timing, p.NoC
	pf(4, "- name: %s", entry)
	pf(6, "attributes:")
	for _, d := range []struct {
		dir     string
		pj, lat float64
	}{{"north", e.HopNSPJ, n.HopLatencyNSNs}, {"east", e.HopEWPJ, n.HopLatencyEWNs},
		{"south", e.HopNSPJ, n.HopLatencyNSNs}, {"west", e.HopEWPJ, n.HopLatencyEWNs}} {
		pf(8, "energy_%s_hop: %s", d.dir, si(d.pj, "e-12"))
		pf(8, "latency_%s_hop: %s", d.dir, si(d.lat, "e-9"))
	}
	pf(6, "core:")
	type coreEntry struct {
		name           string
		neurons, units int
	}
	var cores []coreEntry
	if lc := p.LayerCores; lc != nil {
		for c := range m.CoresPerTile {
			cores = append(cores, coreEntry{fmt.Sprintf("%s_core%d", name, c), lc.NeuronMemoryEntries[c], units[c]})
		}
	} else {
		for a := 0; a < m.CoresPerTile; {
			b := a + 1
			for b < m.CoresPerTile && units[b] == units[a] {
				b++
			}
			cores = append(cores, coreEntry{fmt.Sprintf("%s_core[%d..%d]", name, a, b-1), p.Core.MaxNeurons, units[a]})
			a = b
		}
	}
	for _, c := range cores {
		pf(8, "- name: %s", c.name)
		pf(10, "attributes:")
		pf(12, "buffer_position: soma")
		pf(12, "buffer_inside_unit: false")
		units, slots := c.neurons, c.neurons
		if c.units >= 0 {
			units, slots = c.units, c.neurons+c.units
		}
		pf(12, "max_neurons_supported: %d", slots)
		pf(10, "axon_in:")
		pf(12, "- name: %s_in", name)
		pf(14, "attributes:")
		pf(16, "energy_message_in: 0.0")
		pf(16, "latency_message_in: %s", si(tm.MessageInNs, "e-9"))
		pf(10, "soma:")
		for _, so := range somas {
			pf(12, "- name: %s", so.unit)
			pf(14, "attributes:")
			pf(16, "model: %s", so.model)
			pf(16, "energy_access_neuron: %s", si(e.NeuronUpdateInactivePJ, "e-12"))
			pf(16, "latency_access_neuron: %s", si(tm.NeuronUpdateInactiveNs, "e-9"))
			pf(16, "energy_update_neuron: %s", si(e.NeuronUpdateActivePJ-e.NeuronUpdateInactivePJ, "e-12"))
			pf(16, "latency_update_neuron: %s", si(tm.NeuronUpdateActiveNs-tm.NeuronUpdateInactiveNs, "e-9"))
			pf(16, "energy_spike_out: %s", si(e.SpikeOutPJ, "e-12"))
			pf(16, "latency_spike_out: %s", si(tm.SpikeOutNs, "e-9"))
		}
		if units > 0 {
			pf(12, "- name: %s_inputs[0..%d]", name, units-1)
			pf(14, "attributes:")
			pf(16, "model: input")
			for _, k := range []string{"energy_access_neuron", "latency_access_neuron", "energy_update_neuron",
				"latency_update_neuron", "energy_spike_out", "latency_spike_out"} {
				pf(16, "%s: 0.0", k)
			}
		}
		pf(10, "dendrite:")
		pf(12, "- name: %s_dendrite", name)
		pf(14, "attributes:")
		pf(16, "model: accumulator")
		pf(16, "energy_update: 0.0")
		pf(16, "latency_update: 0.0")
		pf(10, "synapse:")
		for _, s := range []struct {
			k       Connectivity
			latency float64
		}{{Dense, tm.SynOpNs}, {Sparse, orF(tm.SynOpSparseNs, tm.SynOpNs)}, {Conv, orF(tm.SynOpConvNs, tm.SynOpNs)}} {
			pf(12, "- name: %s_%s_synapse", name, s.k)
			pf(14, "attributes:")
			pf(16, "model: current_based")
			pf(16, "energy_process_spike: %s", si(t.SynOpEnergyPJ(s.k), "e-12"))
			pf(16, "latency_process_spike: %s", si(s.latency, "e-9"))
		}
		pf(10, "axon_out:")
		pf(12, "- name: %s_out", name)
		pf(14, "attributes:")
		pf(16, "energy_message_out: %s", si(e.MessageOutPJ, "e-12"))
		pf(16, "latency_message_out: %s", si(tm.MessageOutNs, "e-9"))
	}
}

// si formats v (in pJ or ns) as a YAML float in J or s by appending the
// exponent: 3.5, "e-9" -> "3.5e-9". The value is rounded to 9 significant
// digits so that differences such as 72.8-51.2 print as 21.6.
func si(v float64, exp string) string {
	if v == 0 {
		return "0.0"
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 9, 64), 64)
	s := strconv.FormatFloat(r, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s + exp
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
