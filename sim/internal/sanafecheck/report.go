package main

// This file lines the two runs up and writes the side-by-side tables.

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// row is one layer: autosnn's counts, SANA-FE's, and how many (neuron,
// step) spikes the two rasters share once lined up.
type row struct {
	Name         string
	Ours, Theirs layerCounts
	Shared       int64
}

// report is the comparison of one network.
type report struct {
	Network, Target, Mode string
	Steps                 int
	Rows                  []row
	// Input is SANA-FE's input groups (its spikes, messages and synaptic
	// events are not in autosnn's books and come out of SANA-FE's totals).
	Input layerCounts
	// Total is autosnn's own counters (sim.Stats) against SANA-FE's
	// (perf.csv) without the input groups.
	Total row
	// Energy by kind in pJ: synapse, neuron (soma), network; SANA-FE's
	// without the input events.
	EnergyOurs, EnergyTheirs [3]float64
	// LatOurs and LatTheirs are the step latencies in ns of the lined-up
	// steps.
	LatOurs, LatTheirs []float64
	// FreeFrom is the first lined-up step without input events in
	// SANA-FE (T - 1: the input neurons fire at SANA-FE steps 1..T and
	// their messages are processed in the step they fire).
	FreeFrom int
	// Throughput: synaptic events and times.
	SynOurs, SynTheirs       int64
	ReadTime, ExportTime     time.Duration
	OurLoad, OurRun, OurCPU  time.Duration
	SFLoopSeconds            float64
	SFWall, SFCPU            time.Duration
	SFMaxRSSKB, SNNBytes     int64
	InputSynPJ, InputNetPJ   float64
	PreStepSomaPJ            float64
	ChipStepOffset, SFSteps0 int
	// DelaysDropped names the synaptic delays (> 1 step) of the mapping,
	// which the export cannot carry (backends.SANAFERun.DelaysDropped);
	// DelaysKept says autosnn ran with them (-keep-delays), otherwise
	// without, as SANA-FE does.
	DelaysDropped []string
	DelaysKept    bool
	// Load is the load average before and after SANA-FE's run (Linux's
	// /proc/loadavg), to read its wall times by.
	Load string
}

// compare lines SANA-FE step s up with autosnn chip step s - offset (the
// offset from run, corrected when SANA-FE numbers its first step 0).
func compare(g *ir.Graph, t *backends.Target, run backends.SANAFERun, ours *ourRun, sf *sanafeRun) *report {
	r := &report{Network: g.Name, Target: t.Name(), Steps: len(ours.Steps), ChipStepOffset: run.ChipStepOffset, FreeFrom: run.InputSteps - 1}
	base := 1
	if len(sf.Steps) > 0 {
		base = sf.Steps[0].Step
	}
	r.SFSteps0 = base
	offset := run.ChipStepOffset + base - 1
	popGroup := map[string]string{}
	for _, gr := range run.Groups {
		if gr.Input {
			if l := sf.Layers[gr.Group]; l != nil {
				r.Input.Spikes += l.Spikes
				r.Input.Messages += l.Messages
				r.Input.Hops += l.Hops
				r.Input.SynEvents += l.SynEvents
			}
			continue
		}
		popGroup[gr.Population] = gr.Group
	}
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		grp := popGroup[p.Name]
		rw := row{Name: p.Name, Ours: ours.Layers[i]}
		if l := sf.Layers[grp]; l != nil {
			rw.Theirs = *l
		}
		for step, js := range ours.Raster[i] {
			theirs := map[int]bool{}
			for _, j := range sf.Raster[grp][step+offset] {
				theirs[j] = true
			}
			for _, j := range js {
				if theirs[j] {
					rw.Shared++
				}
			}
		}
		r.Rows = append(r.Rows, rw)
	}
	// Totals: each tool's own counters.
	r.Total.Name = "total (own counters)"
	r.Total.Ours = layerCounts{Spikes: ours.Total.Spikes, Messages: ours.Total.Messages, Hops: ours.Total.Hops, SynEvents: ours.Total.SynOps}
	// SANA-FE's steps before the first lined-up one carry only the input
	// neurons' spikes and messages (taken out below) and an idle update
	// of every neuron, which autosnn has no step for: their soma energy
	// is not compared.
	var tot sanafeStep
	for _, s := range sf.Steps {
		tot.Fired += s.Fired
		tot.Packets += s.Packets
		tot.Hops += s.Hops
		tot.Spikes += s.Spikes
		tot.Synapse += s.Synapse + s.Dendrite
		tot.Network += s.Network
		if s.Step >= offset {
			tot.Soma += s.Soma
		} else {
			r.PreStepSomaPJ += s.Soma * 1e12
		}
	}
	r.Total.Theirs = layerCounts{Spikes: tot.Fired - r.Input.Spikes, Messages: tot.Packets - r.Input.Messages,
		Hops: tot.Hops - r.Input.Hops, SynEvents: tot.Spikes - r.Input.SynEvents}
	for _, rw := range r.Rows {
		r.Total.Shared += rw.Shared
	}
	// The input events' energy: their synaptic events at the stems'
	// synapse unit, their messages and hops.
	e := t.Profile.Energy
	stemKind := backends.Conv
	for _, p := range g.Pops[1:] {
		if in := g.In(p); len(in) > 0 && in[0].Q != nil && in[0].Q.Host {
			stemKind = backends.ConnectivityOf(in[0].Op)
			break
		}
	}
	r.InputSynPJ = float64(r.Input.SynEvents) * t.SynOpEnergyPJ(stemKind)
	r.InputNetPJ = float64(r.Input.Messages)*e.MessageOutPJ + float64(r.Input.Hops)*e.HopEWPJ
	o := ours.Total.Energy
	r.EnergyOurs = [3]float64{o.SynapsePJ, o.NeuronPJ, o.NetworkPJ}
	r.EnergyTheirs = [3]float64{tot.Synapse*1e12 - r.InputSynPJ, tot.Soma * 1e12, tot.Network*1e12 - r.InputNetPJ}
	bySFStep := map[int]float64{}
	for _, s := range sf.Steps {
		bySFStep[s.Step] = s.SimTime * 1e9
	}
	for i, s := range ours.Steps {
		r.LatOurs = append(r.LatOurs, s.LatencyNs)
		r.LatTheirs = append(r.LatTheirs, bySFStep[i+offset])
	}
	r.SynOurs, r.SynTheirs = ours.Total.SynOps, tot.Spikes
	r.OurLoad, r.OurRun, r.OurCPU = ours.LoadTime, ours.RunTime, ours.RunCPU
	r.SFLoopSeconds, r.SFWall, r.SFCPU, r.SFMaxRSSKB, r.Load = sf.LoopSeconds, sf.Wall, sf.CPU, sf.MaxRSSKB, sf.Load
	return r
}

// ratio returns theirs/ours (1 when both are 0, +Inf when only ours is).
func ratio(ours, theirs float64) float64 {
	if ours == 0 {
		if theirs == 0 {
			return 1
		}
		return math.Inf(1)
	}
	return theirs / ours
}

func dev(ours, theirs float64) float64 { return math.Abs(ratio(ours, theirs) - 1) }

// Goals returns the largest relative deviation of per-layer spikes,
// synaptic events and hops, of the three energies, and of the mean step
// latency.
func (r *report) Goals() (counts, energy, latency float64) {
	for _, rw := range append(r.Rows, r.Total) {
		for _, pr := range [][2]int64{{rw.Ours.Spikes, rw.Theirs.Spikes}, {rw.Ours.SynEvents, rw.Theirs.SynEvents}, {rw.Ours.Hops, rw.Theirs.Hops}} {
			counts = max(counts, dev(float64(pr[0]), float64(pr[1])))
		}
	}
	for k := range r.EnergyOurs {
		energy = max(energy, dev(r.EnergyOurs[k], r.EnergyTheirs[k]))
	}
	o, s := r.freeLatency()
	return counts, energy, dev(o, s)
}

// freeLatency returns the mean step latency of both over the steps in
// which SANA-FE has no input events (its input neurons' messages, free in
// autosnn, take time on the stems' cores).
func (r *report) freeLatency() (ours, theirs float64) {
	if r.FreeFrom >= len(r.LatOurs) {
		return mean(r.LatOurs), mean(r.LatTheirs)
	}
	return mean(r.LatOurs[r.FreeFrom:]), mean(r.LatTheirs[r.FreeFrom:])
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func (r *report) write(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("%s on %s: SANA-FE (-t %s) step = autosnn chip step + %d; %d chip steps; snn.yaml %.1f MB\n\n",
		r.Network, r.Target, r.Mode, r.ChipStepOffset+r.SFSteps0-1, r.Steps, float64(r.SNNBytes)/1e6)
	if len(r.DelaysDropped) > 0 {
		how := "removed from autosnn's run too (chip semantics without them, as SANA-FE runs the export)"
		if r.DelaysKept {
			how = "kept in autosnn's run (-keep-delays): the runs differ from the first delayed join on"
		}
		p("synaptic delays the SANA-FE export cannot carry (dropped from it): %s; %s\n\n", strings.Join(r.DelaysDropped, ", "), how)
	}
	p("| layer | spikes autosnn | SANA-FE | ratio | raster shared | syn. events autosnn | SANA-FE | ratio | messages autosnn | SANA-FE | ratio | hops autosnn | SANA-FE | ratio |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rw := range append(r.Rows, r.Total) {
		o, s := rw.Ours, rw.Theirs
		p("| %s | %d | %d | %.4f | %d | %d | %d | %.4f | %d | %d | %.4f | %d | %d | %.4f |\n", rw.Name,
			o.Spikes, s.Spikes, ratio(float64(o.Spikes), float64(s.Spikes)), rw.Shared,
			o.SynEvents, s.SynEvents, ratio(float64(o.SynEvents), float64(s.SynEvents)),
			o.Messages, s.Messages, ratio(float64(o.Messages), float64(s.Messages)),
			o.Hops, s.Hops, ratio(float64(o.Hops), float64(s.Hops)))
	}
	in := r.Input
	p("| (SANA-FE input events, not compared) | | %d | | | | %d | | | %d | | | %d | |\n\n", in.Spikes, in.SynEvents, in.Messages, in.Hops)
	p("| energy (uJ) | autosnn | SANA-FE | ratio |\n|---|---:|---:|---:|\n")
	for k, name := range []string{"synapse", "neuron (soma)", "network"} {
		p("| %s | %.4f | %.4f | %.4f |\n", name, r.EnergyOurs[k]/1e6, r.EnergyTheirs[k]/1e6, ratio(r.EnergyOurs[k], r.EnergyTheirs[k]))
	}
	p("(taken out of SANA-FE's: its input events, synapse %.4f uJ and network %.4f uJ; the idle updates of its input-only step, soma %.4f uJ)\n\n",
		r.InputSynPJ/1e6, r.InputNetPJ/1e6, r.PreStepSomaPJ/1e6)
	lo, hi := math.Inf(1), 0.0
	for i := range r.LatOurs {
		x := ratio(r.LatOurs[i], r.LatTheirs[i])
		lo, hi = min(lo, x), max(hi, x)
	}
	sorted := append([]float64(nil), r.LatOurs...)
	sort.Float64s(sorted)
	p("step latency: mean %.1f ns autosnn, %.1f ns SANA-FE (ratio %.3f; per step %.3f..%.3f)\n",
		mean(r.LatOurs), mean(r.LatTheirs), ratio(mean(r.LatOurs), mean(r.LatTheirs)), lo, hi)
	fo, fs := r.freeLatency()
	p("step latency without SANA-FE's input events (chip steps %d..%d): mean %.1f ns autosnn, %.1f ns SANA-FE (ratio %.3f)\n",
		r.FreeFrom, len(r.LatOurs)-1, fo, fs, ratio(fo, fs))
	p("per step (ns, autosnn/SANA-FE):")
	for i := range r.LatOurs {
		p(" %.0f/%.0f", r.LatOurs[i], r.LatTheirs[i])
	}
	p("\n")
	ourLoop := float64(r.SynOurs) / r.OurRun.Seconds()
	ourWhole := float64(r.SynOurs) / (r.ReadTime + r.OurLoad + r.OurRun).Seconds()
	sfLoop := float64(r.SynTheirs) / r.SFLoopSeconds
	sfWhole := float64(r.SynTheirs) / r.SFWall.Seconds()
	p("throughput (synaptic events/s): simulation %.3g autosnn (run %.3fs, CPU %.3fs) vs %.3g SANA-FE (loop %.3fs): %.1fx; "+
		"whole command %.3g autosnn (read %.3fs + build %.3fs + run) vs %.3g SANA-FE (wall %.2fs, CPU %.2fs, peak %.2f GB): %.1fx\n",
		ourLoop, r.OurRun.Seconds(), r.OurCPU.Seconds(), sfLoop, r.SFLoopSeconds, ourLoop/sfLoop,
		ourWhole, r.ReadTime.Seconds(), r.OurLoad.Seconds(), sfWhole, r.SFWall.Seconds(), r.SFCPU.Seconds(), float64(r.SFMaxRSSKB)/1e6, ourWhole/sfWhole)
	p("load average (1, 5, 15 min) around SANA-FE's run: %s\n", r.Load)
	c, e, l := r.Goals()
	p("goals: counts within 1%%: %v (worst %.3f%%); energy within 5%%: %v (%.2f%%); latency without input events within 25%%: %v (%.1f%%)\n",
		c <= 0.01, 100*c, e <= 0.05, 100*e, l <= 0.25, 100*l)
	return nil
}
