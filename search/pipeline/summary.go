package pipeline

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosnn/autosnn/sim"
)

// WriteCompileSummary prints what a compile measured: cores and chips
// used, utilisation, traffic per inference (from profiled spike rates, or
// upper bounds from uniform rates), one row per layer and the estimated
// energy per inference; then the files of dir when it is not "".
func WriteCompileSummary(w io.Writer, c *Compiled, dir string) {
	r := c.Report.Mapping
	fmt.Fprintf(w, "\ncompiled %s onto %s in %v: %d of %d cores on %d of %d chips (%d tiles), %d fragments\n",
		r.Graph, r.Target, c.Duration.Round(time.Millisecond), r.CoresUsed, r.Cores, r.ChipsUsed, r.Chips, r.TilesUsed, r.Fragments)
	fmt.Fprintf(w, "utilisation: neurons mean %.0f%% max %.0f%%, synaptic memory mean %.0f%% max %.0f%%\n",
		100*r.MeanNeuronUtil, 100*r.MaxNeuronUtil, 100*r.MeanMemUtil, 100*r.MaxMemUtil)
	rates := "profiled rates"
	if !r.RatesProfiled {
		rates = "uniform rates (no samples): upper bounds"
	}
	fmt.Fprintf(w, "traffic per inference (%s): %.4g inter-core messages (%.4g inter-chip), mean %.3f hops, %.4g message-hops, busiest link %s %.4g messages (%.4g ns)\n",
		rates, r.InterCoreMessages, r.InterChipMessages, r.MeanHops, r.RateHops, r.BusiestLink, r.MaxLinkLoad, r.MaxLinkBusyNs)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tneurons\tcores\tspikes\tsyn ops\tmessages\tenergy uJ\t")
	for _, l := range r.Layers {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4g\t%.4g\t%.4g\t%.4g\t\n", l.Name, l.Neurons, l.Cores, l.Spikes, l.SynOps, l.Messages, l.Energy.Total*1e-6)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t\t\t%.4g\t%.4g\t\n", r.Neurons, r.CoresUsed, r.InterCoreMessages, r.Energy.Total*1e-6)
	tw.Flush()
	fmt.Fprintf(w, "energy per inference: %.4g uJ (synaptic ops %.4g, neuron updates %.4g, spikes %.4g, network %.4g)\n",
		r.Energy.Total*1e-6, r.Energy.SynOps*1e-6, r.Energy.Neurons*1e-6, r.Energy.Spikes*1e-6, r.Energy.Network*1e-6)
	if d := c.Report.Delay; d != nil && len(d.Joins) > 0 {
		bal := 0
		for _, j := range d.Joins {
			if j.Residual == 0 {
				bal++
			} else {
				fmt.Fprintf(w, "warning: %s\n", j)
			}
		}
		fmt.Fprintf(w, "residual joins: %d of %d balanced by synaptic delays (chip semantics; the chip's longest delay: %d steps, 1 = none programmable)\n", bal, len(d.Joins), d.MaxDelaySteps)
	}
	if dir != "" {
		fmt.Fprintf(w, "wrote %s (%s)\n", dir, strings.Join(MappingFiles, ", "))
	}
}

// WriteSimSummary prints a simulation summary: the network, images,
// on-chip accuracy, spikes and traffic, latency, energy, congestion and
// stalls per image, then the simulator's notes.
func WriteSimSummary(w io.Writer, s *sim.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := s.PerImage
	fmt.Fprintf(tw, "network\t%s on %s (%d neurons, %d synapses, %d cores on %d tiles)\n", s.Graph, s.Chip, s.Neurons, s.Synapses, s.CoresUsed, s.TilesUsed)
	if s.Semantics == "chip" {
		fmt.Fprintf(tw, "images\t%d x %d timesteps, chip semantics: %d steps, votes from step %d\n", s.Images, s.Timesteps, s.StepsPerImage, s.OutputOffset)
	} else {
		fmt.Fprintf(tw, "images\t%d x %d timesteps\n", s.Images, s.Timesteps)
	}
	if s.Labeled > 0 {
		fmt.Fprintf(tw, "on-chip accuracy\t%.2f%% (%d/%d)\n", 100*s.Accuracy, s.Correct, s.Labeled)
	}
	fmt.Fprintf(tw, "per image\tspikes %d, messages %d, hops %d, synops %d\n", p.Spikes, p.Messages, p.Hops, p.SynOps)
	fmt.Fprintf(tw, "latency\t%.3f us per image (compute %.3f us, barriers %.3f us)\n", p.LatencyNs/1e3, p.ComputeNs/1e3, p.BarrierNs/1e3)
	fmt.Fprintf(tw, "energy\t%.3f uJ per image: synapse %.3f, neuron %.3f, network %.3f, static %.3f\n",
		p.Energy.Total()/1e6, p.Energy.SynapsePJ/1e6, p.Energy.NeuronPJ/1e6, p.Energy.NetworkPJ/1e6, p.Energy.StaticPJ/1e6)
	fmt.Fprintf(tw, "congestion\tlink utilisation mean %.4f max %.4f, max buffer %d, delivered/offered %.4f, dropped %d\n",
		s.Total.LinkUtilMean, s.Total.LinkUtilMax, s.Total.MaxBufferOccupancy, s.DeliveredRatio, s.Total.Dropped)
	sc := s.StallCyclesPerImage
	fmt.Fprintf(tw, "stalls per image\tlink busy %.0f ns (%.0f cycles), buffer full %.0f ns (%.0f), injection %.0f ns (%.0f), core busy %.0f ns (%.0f)\n",
		p.Stalls.LinkBusyNs, sc.LinkBusyNs, p.Stalls.BufferFullNs, sc.BufferFullNs, p.Stalls.InjectionNs, sc.InjectionNs, p.Stalls.CoreBusyNs, sc.CoreBusyNs)
	tw.Flush()
	for _, n := range s.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}
