package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Summary aggregates the results of many images on one chip: totals, means
// per image and the on-chip classification accuracy (the host's voting
// layer over the output spikes, compared with the labels given to Add).
type Summary struct {
	Graph string `yaml:"graph"`
	Chip  string `yaml:"chip"`
	// ChipFile is where the chip profile came from, with any NoC override.
	ChipFile string `yaml:"chip_file"`
	// Timesteps per image; Neurons, Synapses, CoresUsed and TilesUsed
	// describe the mapping.
	Timesteps int `yaml:"timesteps"`
	// Semantics is the time semantics of the run ("trained" or "chip");
	// StepsPerImage the chip steps of one image (Timesteps, or in chip
	// semantics Timesteps + depth - 1) and OutputOffset the first step
	// whose output spikes are counted as votes (Sim.OutputOffset).
	Semantics     string `yaml:"semantics"`
	StepsPerImage int    `yaml:"steps_per_image"`
	OutputOffset  int    `yaml:"output_offset"`
	Neurons       int    `yaml:"neurons"`
	Synapses      int    `yaml:"synapses"`
	CoresUsed     int    `yaml:"cores_used"`
	TilesUsed     int    `yaml:"tiles_used"`
	// Images is the number of images added; Labeled those with a label
	// (>= 0) and Correct those whose prediction matched it.
	Images  int `yaml:"images"`
	Labeled int `yaml:"labeled"`
	Correct int `yaml:"correct"`
	// Accuracy is Correct / Labeled (0 without labels).
	Accuracy float64 `yaml:"accuracy"`
	// DeliveredRatio is delivered / offered messages over all images.
	DeliveredRatio float64 `yaml:"delivered_ratio"`
	// MeanMessageLatencyNs is the mean emission-to-core latency.
	MeanMessageLatencyNs float64 `yaml:"mean_message_latency_ns"`
	// EnergyPerImageUJ and LatencyPerImageUs are means per image.
	EnergyPerImageUJ  float64 `yaml:"energy_per_image_uj"`
	LatencyPerImageUs float64 `yaml:"latency_per_image_us"`
	// CycleNs is the length of one cycle in ns: of the chip clock, or for a
	// clockless chip of one flit on one link (see Stats.LatencyCycles).
	CycleNs float64 `yaml:"cycle_ns"`
	// StallCyclesPerImage is PerImage.Stalls in cycles (the field names
	// keep their _ns suffix; the values are cycles).
	StallCyclesPerImage Stalls `yaml:"stall_cycles_per_image"`
	// PerImage is Total divided by Images (maxima and utilisations are
	// over all images, not divided).
	PerImage Stats `yaml:"per_image"`
	// Total sums every image; link utilisation is over the summed compute
	// time.
	Total Stats `yaml:"total"`
	// Notes say where the chip's profile asks for something the simulator
	// approximates.
	Notes []string `yaml:"notes,omitempty"`

	linkCompute float64
	s           *Sim
}

// NewSummary starts an empty summary for the chip s.
func NewSummary(s *Sim) *Summary {
	used := 0
	for c := range s.cores {
		if s.cores[c].neuronsHeld > 0 {
			used++
		}
	}
	return &Summary{
		Graph: s.g.Name, Chip: s.t.Name(), ChipFile: s.t.File,
		Timesteps: s.g.T, Semantics: s.Semantics().String(), StepsPerImage: s.Steps(), OutputOffset: s.OutputOffset(), Neurons: s.nNeurons, Synapses: s.nSyn,
		CoresUsed: used, TilesUsed: s.tilesInUse, Notes: s.Notes(), CycleNs: s.costs.cycleNs, s: s,
	}
}

// Add adds one image's result; label < 0 means unlabelled.
func (m *Summary) Add(r ImageResult, label int) {
	m.Images++
	if label >= 0 {
		m.Labeled++
		if r.Predicted == label {
			m.Correct++
		}
	}
	m.Total.add(r.Total)
	m.linkCompute += r.Total.ComputeNs
	m.finish()
}

// AddForks adds the link counts of forks of the summary's Sim to it
// (Sim.AddLinkLoad) and recomputes the link utilisation, which is over
// the links' counts since New: call it once the images the forks ran have
// been added with Add.
func (m *Summary) AddForks(forks ...*Sim) error {
	for _, f := range forks {
		if err := m.s.AddForkLinkLoad(f); err != nil {
			return err
		}
	}
	m.finish()
	return nil
}

func (m *Summary) finish() {
	if m.Labeled > 0 {
		m.Accuracy = float64(m.Correct) / float64(m.Labeled)
	}
	m.DeliveredRatio = m.Total.DeliveredRatio()
	m.MeanMessageLatencyNs = m.Total.MeanMessageLatencyNs()
	counts := make([]int64, len(m.s.linkTotal))
	copy(counts, m.s.linkTotal)
	m.Total.LinkUtilMean, m.Total.LinkUtilMax = m.s.linkUtil(counts, m.linkCompute)
	n := float64(max(m.Images, 1))
	t := m.Total
	div := func(v int64) int64 { return int64(float64(v)/n + 0.5) }
	m.PerImage = Stats{
		Spikes: div(t.Spikes), Messages: div(t.Messages), Packets: div(t.Packets), Delivered: div(t.Delivered), Dropped: div(t.Dropped),
		Hops: div(t.Hops), SynOps: div(t.SynOps), NeuronUpdates: div(t.NeuronUpdates), ActiveUpdates: div(t.ActiveUpdates),
		ComputeNs: t.ComputeNs / n, BarrierNs: t.BarrierNs / n, LatencyNs: t.LatencyNs / n, LatencyCycles: t.LatencyCycles / n,
		MessageLatencySumNs: t.MessageLatencySumNs / n, MessageLatencyMaxNs: t.MessageLatencyMaxNs,
		TickOverruns: t.TickOverruns,
		Energy: Energy{SynapsePJ: t.Energy.SynapsePJ / n, NeuronPJ: t.Energy.NeuronPJ / n,
			NetworkPJ: t.Energy.NetworkPJ / n, StaticPJ: t.Energy.StaticPJ / n},
		Stalls: Stalls{LinkBusyNs: t.Stalls.LinkBusyNs / n, BufferFullNs: t.Stalls.BufferFullNs / n,
			InjectionNs: t.Stalls.InjectionNs / n, CoreBusyNs: t.Stalls.CoreBusyNs / n},
		MaxBufferOccupancy: t.MaxBufferOccupancy, MaxInjectionQueue: t.MaxInjectionQueue,
		LinkUtilMean: t.LinkUtilMean, LinkUtilMax: t.LinkUtilMax,
	}
	st, c := m.PerImage.Stalls, m.CycleNs
	m.StallCyclesPerImage = Stalls{LinkBusyNs: st.LinkBusyNs / c, BufferFullNs: st.BufferFullNs / c, InjectionNs: st.InjectionNs / c, CoreBusyNs: st.CoreBusyNs / c}
	m.EnergyPerImageUJ = m.PerImage.Energy.Total() / 1e6
	m.LatencyPerImageUs = m.PerImage.LatencyNs / 1e3
}

// WriteYAML writes the summary as YAML.
func (m *Summary) WriteYAML(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("sim: summary: %w", err)
	}
	return enc.Close()
}

// csvHeader is the column list of the per-timestep CSV; units are in the
// names (ns, pJ) and counts are per timestep.
var csvHeader = []string{
	"image", "step", "spikes", "messages", "packets", "delivered", "dropped", "hops", "synops",
	"neuron_updates", "active_updates", "compute_ns", "barrier_ns", "latency_ns", "latency_cycles",
	"synapse_pj", "neuron_pj", "network_pj", "static_pj", "total_pj",
	"link_util_mean", "link_util_max", "max_buffer_occupancy", "max_injection_queue",
	"stall_link_busy_ns", "stall_buffer_full_ns", "stall_injection_ns", "stall_core_busy_ns",
	"mean_message_latency_ns", "max_message_latency_ns",
}

// StepCSV writes one CSV row per timestep of every image.
type StepCSV struct {
	w      *csv.Writer
	header bool
}

// NewStepCSV returns a writer of per-timestep rows to w.
func NewStepCSV(w io.Writer) *StepCSV { return &StepCSV{w: csv.NewWriter(w)} }

// Write writes the rows of one image.
func (c *StepCSV) Write(image int, r ImageResult) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(csvHeader); err != nil {
			return err
		}
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	for t, s := range r.Steps {
		row := []string{
			strconv.Itoa(image), strconv.Itoa(t), i(s.Spikes), i(s.Messages), i(s.Packets), i(s.Delivered), i(s.Dropped), i(s.Hops), i(s.SynOps),
			i(s.NeuronUpdates), i(s.ActiveUpdates), f(s.ComputeNs), f(s.BarrierNs), f(s.LatencyNs), f(s.LatencyCycles),
			f(s.Energy.SynapsePJ), f(s.Energy.NeuronPJ), f(s.Energy.NetworkPJ), f(s.Energy.StaticPJ), f(s.Energy.Total()),
			f(s.LinkUtilMean), f(s.LinkUtilMax), strconv.Itoa(s.MaxBufferOccupancy), strconv.Itoa(s.MaxInjectionQueue),
			f(s.Stalls.LinkBusyNs), f(s.Stalls.BufferFullNs), f(s.Stalls.InjectionNs), f(s.Stalls.CoreBusyNs),
			f(s.MeanMessageLatencyNs()), f(s.MessageLatencyMaxNs),
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// Flush flushes buffered rows and returns any write error.
func (c *StepCSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
