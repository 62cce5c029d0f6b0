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
// analytical model of package chipcost (chipcost.Estimate: its own packing,
// since the candidate is not compiled). A candidate that needs more cores
// than t has costs +Inf, so the power-form fitness ranks it last.
//
// The estimate uses Evaluation.PopSpikes. An evaluator that does not fill
// it measured only Evaluation.Spikes; ChipCost then assumes, explicitly
// (chipcost.UniformSpikes), that those spikes are spread over the spiking
// populations in proportion to their sizes, which is coarser.
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
		act := chipcost.Activity{Spikes: e.PopSpikes}
		if act.Spikes == nil {
			act = chipcost.Activity{Spikes: chipcost.UniformSpikes(g, e.Spikes), Assumption: uniformAssumption}
		}
		c, err := chipcost.Estimate(g, act, t)
		if errors.Is(err, chipcost.ErrDoesNotFit) {
			return math.Inf(1)
		}
		v, _ := c.Value(metric)
		return v
	}, nil
}

// uniformAssumption is the chipcost.Activity assumption of a
// candidate whose evaluator measured only its total spikes.
const uniformAssumption = "only total spikes measured: spread over the spiking populations in proportion to their sizes"
