// This file implements the profile pass.

package passes

import (
	"fmt"

	"github.com/autosnn/autosnn/ir"
)

// ProfileReport is what the profile pass measured.
type ProfileReport struct {
	// Samples is the number of sample inputs run (0: rates not measured).
	Samples int
	// Layers has, per non-input population in graph order, its name and
	// mean rate in spikes per neuron per timestep.
	Layers []LayerRate
	// MeanRate is the mean rate over all non-input neurons.
	MeanRate float64
}

// LayerRate is the profiled mean spike rate of one population.
type LayerRate struct {
	Name string
	// Rate is in spikes per neuron per timestep.
	Rate float64
}

// profilePass runs the quantized network (ir.IntExecutor, the reference
// the simulator matches) on Unit.Samples and sets every non-input
// population's Rates: per neuron, its spikes per timestep averaged over
// the samples (in [0, 1]). The input population's Rates stay nil: the
// host drives it and its values travel as host currents, not spikes.
// Without samples every Rates is left nil and later passes treat all
// neurons as equally active (rate 1 per neuron); a stale Rates from an
// earlier compile is cleared then.
func profilePass(u *Unit) error {
	g := u.G
	rep := &ProfileReport{Samples: len(u.Samples)}
	var err error
	u.report().Profile = rep
	if len(u.Samples) == 0 {
		for _, p := range g.Pops {
			p.Rates = nil
		}
		u.logf("profile: no samples; spike rates not measured (later passes assume uniform rates)")
		return nil
	}
	var counts [][]int64
	if sc := u.intSpikes; sc != nil && sc.g == g && sc.samples == len(u.Samples) {
		// quantize ran the same integer network on the same samples.
		counts = sc.counts
	} else if counts, err = intSpikeCounts(g, u.Samples); err != nil {
		return err
	}
	u.intSpikes = nil
	steps := float64(len(u.Samples) * g.T)
	var total, neurons float64
	for i, p := range g.Pops {
		if i == 0 {
			p.Rates = nil
			continue
		}
		var sum int64
		p.Rates = make([]float32, len(counts[i]))
		for j, c := range counts[i] {
			p.Rates[j] = float32(float64(c) / steps)
			sum += c
		}
		n := float64(len(counts[i]))
		rep.Layers = append(rep.Layers, LayerRate{Name: p.Name, Rate: float64(sum) / (steps * n)})
		total += float64(sum)
		neurons += n
	}
	rep.MeanRate = total / (steps * neurons)
	busy := rep.Layers[0]
	for _, l := range rep.Layers {
		if l.Rate > busy.Rate {
			busy = l
		}
	}
	u.logf("profile: %d samples, mean rate %.4f spikes/neuron/step, busiest layer %s at %.4f", rep.Samples, rep.MeanRate, busy.Name, busy.Rate)
	return nil
}

// intSpikeCounts runs the integer network on samples and returns, per
// non-input population and neuron, its spikes over all samples.
func intSpikeCounts(g *ir.Graph, samples [][]float32) ([][]int64, error) {
	ix, err := ir.NewIntExecutor(g)
	if err != nil {
		return nil, err
	}
	counts := make([][]int64, len(g.Pops))
	for i, p := range g.Pops[1:] {
		counts[i+1] = make([]int64, p.Shape.Len())
	}
	obs := func(_, p int, out []float32) {
		if p == 0 {
			return
		}
		c := counts[p]
		for j, v := range out {
			if v != 0 {
				c[j]++
			}
		}
	}
	for k, in := range samples {
		if _, err := ix.Run(in, obs); err != nil {
			return nil, fmt.Errorf("sample %d: %w", k, err)
		}
	}
	return counts, nil
}
