package passes

// The mapping report of the verify pass: utilisation, traffic and energy of
// a placed graph, per layer and in total, written as summary.yaml.

import (
	"fmt"
	"sort"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/backends/chipcost"
	"github.com/autosnn/autosnn/ir"
)

// MappingReport summarises a mapping. Traffic and energy are per inference
// (T timesteps) and weighted by the profiled spike rates, or by a uniform
// rate of one spike per neuron per timestep when RatesProfiled is false
// (then they are upper bounds that only compare mappings, and Notes says
// so). Energy and latency come from the chip-cost model (package
// backends/chipcost, Placed) over this placement.
type MappingReport struct {
	Graph  string `yaml:"graph" json:"graph"`
	Target string `yaml:"target" json:"target"`
	// T is the timesteps per inference.
	T             int  `yaml:"timesteps" json:"timesteps"`
	RatesProfiled bool `yaml:"rates_profiled" json:"rates_profiled"`
	// Chips, Cores and Tiles of the target and how many hold neurons.
	Chips     int `yaml:"chips" json:"chips"`
	ChipsUsed int `yaml:"chips_used" json:"chips_used"`
	Cores     int `yaml:"cores" json:"cores"`
	CoresUsed int `yaml:"cores_used" json:"cores_used"`
	TilesUsed int `yaml:"tiles_used" json:"tiles_used"`
	// Fragments is the number of fragments split made.
	Fragments int `yaml:"fragments" json:"fragments"`
	// Neurons and Synapses mapped (chip side; host projections excluded).
	Neurons  int   `yaml:"neurons" json:"neurons"`
	Synapses int64 `yaml:"synapses" json:"synapses"`
	// MeanNeuronUtil and MaxNeuronUtil are neurons / capacity over used
	// cores; MeanMemUtil and MaxMemUtil the same for synaptic memory.
	MeanNeuronUtil float64 `yaml:"mean_neuron_utilisation" json:"mean_neuron_utilisation"`
	MaxNeuronUtil  float64 `yaml:"max_neuron_utilisation" json:"max_neuron_utilisation"`
	MeanMemUtil    float64 `yaml:"mean_memory_utilisation" json:"mean_memory_utilisation"`
	MaxMemUtil     float64 `yaml:"max_memory_utilisation" json:"max_memory_utilisation"`
	// InterCoreMessages is the messages per inference between distinct
	// cores; IntraCoreMessages those delivered to the sender's own core.
	InterCoreMessages float64 `yaml:"inter_core_messages_per_inference" json:"inter_core_messages_per_inference"`
	IntraCoreMessages float64 `yaml:"intra_core_messages_per_inference" json:"intra_core_messages_per_inference"`
	InterChipMessages float64 `yaml:"inter_chip_messages_per_inference" json:"inter_chip_messages_per_inference"`
	// RateHops is sum of message x hops per inference; MeanHops per message.
	RateHops float64 `yaml:"message_hops_per_inference" json:"message_hops_per_inference"`
	MeanHops float64 `yaml:"mean_hops" json:"mean_hops"`
	// MaxLinkLoad is the messages per inference over the busiest link, and
	// MaxLinkBusyNs the time that link needs for them at its bandwidth.
	MaxLinkLoad   float64 `yaml:"max_link_load_messages_per_inference" json:"max_link_load_messages_per_inference"`
	BusiestLink   string  `yaml:"busiest_link" json:"busiest_link"`
	MaxLinkBusyNs float64 `yaml:"max_link_busy_ns_per_inference" json:"max_link_busy_ns_per_inference"`
	// Energy is the estimated dynamic energy per inference.
	Energy EnergyPJ `yaml:"energy_pj_per_inference" json:"energy_pj_per_inference"`
	// LatencyNs is the model's zero-load time per inference in ns, and
	// StaticPJ the static energy of the board over it in pJ; Energy.Total
	// plus StaticPJ is chipcost.Cost.EnergyPJ.
	LatencyNs float64 `yaml:"latency_ns_per_inference" json:"latency_ns_per_inference"`
	StaticPJ  float64 `yaml:"static_energy_pj_per_inference" json:"static_energy_pj_per_inference"`
	// Layers breaks the totals down by population (sender for traffic).
	Layers []LayerReport `yaml:"layers" json:"layers"`
	// PerCore lists every used core.
	PerCore []CoreReport `yaml:"per_core" json:"per_core"`
	// Partition and placement figures of the optimisers (messages per
	// timestep before / after refinement; annealing objective).
	PartitionInitialCost float64 `yaml:"partition_initial_messages_per_timestep" json:"partition_initial_messages_per_timestep"`
	PartitionCost        float64 `yaml:"partition_messages_per_timestep" json:"partition_messages_per_timestep"`
	PlaceStartCost       float64 `yaml:"place_start_cost" json:"place_start_cost"`
	PlaceCost            float64 `yaml:"place_cost" json:"place_cost"`
	// Notes states the assumptions of the estimates.
	Notes []string `yaml:"notes" json:"notes"`
}

// EnergyPJ splits a dynamic energy estimate in pJ: SynOps is
// chipcost.Energy.SynOpsPJ, Neurons NeuronPJ, Spikes SpikePJ, Network
// MessagePJ plus RoutePJ.
type EnergyPJ struct {
	SynOps  float64 `yaml:"synaptic_ops" json:"synaptic_ops"`
	Neurons float64 `yaml:"neuron_updates" json:"neuron_updates"`
	Spikes  float64 `yaml:"spike_generation" json:"spike_generation"`
	Network float64 `yaml:"network" json:"network"`
	Total   float64 `yaml:"total" json:"total"`
}

func (e *EnergyPJ) sum() { e.Total = e.SynOps + e.Neurons + e.Spikes + e.Network }

// LayerReport is one population's share.
type LayerReport struct {
	Name    string `yaml:"name" json:"name"`
	Neurons int    `yaml:"neurons" json:"neurons"`
	Cores   int    `yaml:"cores" json:"cores"`
	// Spikes, SynOps and Messages per inference (messages: inter-core,
	// sent by this layer).
	Spikes   float64  `yaml:"spikes" json:"spikes"`
	SynOps   float64  `yaml:"synaptic_ops" json:"synaptic_ops"`
	Messages float64  `yaml:"messages" json:"messages"`
	Energy   EnergyPJ `yaml:"energy_pj" json:"energy_pj"`
}

// CoreReport is one used core.
type CoreReport struct {
	Core       int      `yaml:"core" json:"core"`
	Chip       int      `yaml:"chip" json:"chip"`
	X          int      `yaml:"x" json:"x"`
	Y          int      `yaml:"y" json:"y"`
	Slot       int      `yaml:"slot" json:"slot"`
	Layers     []string `yaml:"layers" json:"layers"`
	Neurons    int      `yaml:"neurons" json:"neurons"`
	MemBytes   int64    `yaml:"synaptic_memory_bytes" json:"synaptic_memory_bytes"`
	NeuronUtil float64  `yaml:"neuron_utilisation" json:"neuron_utilisation"`
	MemUtil    float64  `yaml:"memory_utilisation" json:"memory_utilisation"`
	FanIn      int      `yaml:"input_axons" json:"input_axons"`
	FanOut     int      `yaml:"output_axons" json:"output_axons"`
	DestCores  int      `yaml:"destination_cores" json:"destination_cores"`
	// AxonTypes is the axon types the core's axons take, on targets with
	// core.distinct_weights_per_neuron (TrueNorth: at most 4); else 0.
	AxonTypes int `yaml:"axon_types,omitempty" json:"axon_types,omitempty"`
}

// unprofiledAssumption is the chipcost assumption of the report when the
// profile pass measured no rates.
const unprofiledAssumption = "no profiled rates: every neuron assumed to fire at every timestep, so traffic and energy are upper bounds"

// reportActivity returns the activity the report assumes: the profiled
// per-neuron rates (spikes per timestep) times T, or, for a population
// without rates, a spike at every timestep of every neuron (then the
// activity says so).
func reportActivity(g *ir.Graph) chipcost.Activity {
	T := float64(max(g.T, 1))
	a := chipcost.Activity{Spikes: map[string]float64{}, NeuronSpikes: map[string][]float64{}}
	for _, p := range g.Pops[1:] {
		if p.Rates == nil {
			a.Spikes[p.Name] = float64(p.Shape.Len()) * T
			a.Assumption = unprofiledAssumption
			continue
		}
		ns := make([]float64, len(p.Rates))
		var sum float64
		for j, r := range p.Rates {
			ns[j] = float64(r) * T
			sum += ns[j]
		}
		a.Spikes[p.Name], a.NeuronSpikes[p.Name] = sum, ns
	}
	return a
}

// energyOf is a chipcost energy split in the report's terms (dynamic only:
// the model's static energy is reported once for the whole chip).
func energyOf(e chipcost.Energy) EnergyPJ {
	r := EnergyPJ{SynOps: e.SynOpsPJ, Neurons: e.NeuronPJ, Spikes: e.SpikePJ, Network: e.MessagePJ + e.RoutePJ}
	r.sum()
	return r
}

// BuildReport computes the mapping report of g placed on t from its
// analysis a (utilisation and traffic) and the chip-cost model over the
// placement (energy and latency).
func BuildReport(g *ir.Graph, t *backends.Target, a *Analysis) *MappingReport {
	T := float64(max(g.T, 1))
	r := &MappingReport{Graph: g.Name, Target: t.Name(), T: g.T, RatesProfiled: true, Chips: t.NumChips, Cores: t.NumCores}
	for i, p := range g.Pops {
		if i > 0 && p.Rates == nil {
			r.RatesProfiled = false
		}
	}
	chips, tiles := map[int]bool{}, map[int]bool{}
	var nUtil, mUtil float64
	for c := range a.Cores {
		u := &a.Cores[c]
		if u.Neurons == 0 {
			continue
		}
		cc := t.CoreCoord(c)
		chips[cc.Chip], tiles[cc.Tile] = true, true
		cr := CoreReport{Core: c, Chip: cc.Chip, X: cc.X, Y: cc.Y, Slot: cc.Slot, Layers: u.Pops, Neurons: u.Neurons, MemBytes: u.MemBytes,
			FanIn: u.FanIn, FanOut: u.FanOut, DestCores: u.DestCores}
		if c < len(a.AxonTypes) {
			cr.AxonTypes = a.AxonTypes[c]
		}
		cr.NeuronUtil = float64(u.Neurons) / float64(t.NeuronCapacity(c))
		if m := t.SynapticMemoryBytes(c); m > 0 {
			cr.MemUtil = float64(u.MemBytes) / float64(m)
		}
		nUtil += cr.NeuronUtil
		mUtil += cr.MemUtil
		r.MaxNeuronUtil = max(r.MaxNeuronUtil, cr.NeuronUtil)
		r.MaxMemUtil = max(r.MaxMemUtil, cr.MemUtil)
		r.Neurons += u.Neurons
		r.PerCore = append(r.PerCore, cr)
	}
	r.CoresUsed, r.ChipsUsed, r.TilesUsed = len(r.PerCore), len(chips), len(tiles)
	if r.CoresUsed > 0 {
		r.MeanNeuronUtil = nUtil / float64(r.CoresUsed)
		r.MeanMemUtil = mUtil / float64(r.CoresUsed)
	}
	r.Synapses = a.Synapses
	ident := make([]int32, t.NumCores)
	for i := range ident {
		ident[i] = int32(i)
	}
	m := Measure(t, Edges(a.Traffic), ident)
	r.InterCoreMessages = m.Messages * T
	r.IntraCoreMessages = a.SelfMessages * T
	r.InterChipMessages = m.InterChipMessages * T
	r.RateHops = m.RateHops * T
	r.MeanHops = m.MeanHops
	r.MaxLinkLoad = m.MaxLinkLoad * T
	r.BusiestLink = m.BusiestLink
	if bw := t.Profile.NoC.LinkBandwidthGMsgPerS; bw > 0 {
		r.MaxLinkBusyNs = r.MaxLinkLoad * float64(t.FlitsPerMessage()) / bw
	}
	sort.SliceStable(r.PerCore, func(i, j int) bool { return r.PerCore[i].Core < r.PerCore[j].Core })
	c, err := chipcost.Placed(g, reportActivity(g), t)
	if err != nil {
		// Analyze found the same problem and verify reported it.
		r.Notes = append(r.Notes, fmt.Sprintf("energy and latency not estimated: %v", err))
		return r
	}
	r.LatencyNs = c.LatencyNs
	r.StaticPJ = c.Energy.StaticPJ
	for i, p := range g.Pops[1:] {
		pc := c.Pops[i]
		lr := LayerReport{Name: p.Name, Neurons: pc.Neurons, Cores: pc.Cores, Spikes: pc.Spikes, SynOps: pc.SynOps,
			Messages: pc.Messages - pc.SelfMessages, Energy: energyOf(pc.Energy)}
		r.Energy.SynOps += lr.Energy.SynOps
		r.Energy.Neurons += lr.Energy.Neurons
		r.Energy.Spikes += lr.Energy.Spikes
		r.Energy.Network += lr.Energy.Network
		r.Layers = append(r.Layers, lr)
	}
	r.Energy.sum()
	r.Notes = append(r.Notes,
		"energy and latency from the chip-cost model (backends/chipcost) over this placement: the same terms as the search's chip-aware fitness",
		"active neuron updates estimated: every timestep of a neuron with a nonzero bias, the spikes of the others (the simulator counts them)",
		"energy_pj_per_inference is dynamic; static_energy_pj_per_inference is static power over the model's zero-load latency_ns_per_inference",
		"network energy per message is message_out_pj plus the hop or within-tile energy of its route; host-driven input currents excluded")
	if c.Assumption != "" {
		r.Notes = append(r.Notes, c.Assumption)
	}
	return r
}
