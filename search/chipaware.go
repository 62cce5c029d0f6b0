package search

import (
	"errors"
	"math"
	"sync"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/backends/chipcost"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// ChipCost returns a CostFunc that estimates metric (synaptic ops, energy,
// latency or hops per inference) of each candidate on target t with the
// analytical model of package chipcost. A candidate that needs more cores
// than t has costs +Inf, so the power-form fitness ranks it last.
//
// The estimate uses Evaluation.PopSpikes; an evaluator that does not fill
// it gets Evaluation.Spikes spread over the spiking populations in
// proportion to their sizes (a uniform firing rate), which is coarser.
func ChipCost(space Space, t *backends.Target, metric chipcost.Metric) (CostFunc, error) {
	if _, err := (chipcost.Cost{}).Value(metric); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	graphs := map[string]*ir.Graph{}
	return func(a Arch, e Evaluation) float64 {
		mu.Lock()
		g, ok := graphs[a.Key()]
		mu.Unlock()
		if !ok {
			var err error
			if g, err = frontend.Lower(space.Spec(a)); err != nil {
				return math.Inf(1) // NewSpace checked the space builds; cannot happen for its archs
			}
			mu.Lock()
			graphs[a.Key()] = g
			mu.Unlock()
		}
		spikes := e.PopSpikes
		if spikes == nil {
			spikes = uniformSpikes(g, e.Spikes)
		}
		c, err := chipcost.Estimate(g, spikes, t)
		if errors.Is(err, chipcost.ErrDoesNotFit) {
			return math.Inf(1)
		}
		v, _ := c.Value(metric)
		return v
	}, nil
}

// uniformSpikes spreads total spikes over the spiking and relay populations
// of g in proportion to their neuron counts.
func uniformSpikes(g *ir.Graph, total float64) map[string]float64 {
	n := 0
	for _, p := range g.Pops {
		if p.Neuron.Model.Spiking() || p.Neuron.Model == ir.Relay {
			n += p.Shape.Len()
		}
	}
	m := make(map[string]float64, len(g.Pops))
	for _, p := range g.Pops {
		if p.Neuron.Model.Spiking() || p.Neuron.Model == ir.Relay {
			m[p.Name] = total * float64(p.Shape.Len()) / float64(n)
		}
	}
	return m
}
