package search

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// Evaluation is what evaluating one architecture measured.
type Evaluation struct {
	// Acc is the accuracy on the evaluation set as a fraction in [0, 1].
	Acc float64
	// Spikes is the mean number of spikes per image (the paper's metric
	// unless the evaluator documents another cost).
	Spikes float64
	// PopSpikes, if not nil, is the mean number of spikes per image of each
	// population of the candidate's IR graph (frontend.Lower of
	// Space.Spec(arch)), keyed by population name. Chip-aware costs need it;
	// evaluators should fill it (it costs nothing extra to count).
	PopSpikes map[string]float64
}

// Evaluator measures architectures. Evaluate is given a batch so an
// implementation can share computation between candidates (common
// prefixes, one pass over the data); it returns one Evaluation per
// architecture, in order.
type Evaluator interface {
	Evaluate(ctx context.Context, archs []Arch) ([]Evaluation, error)
}

// Cache memoises an Evaluator by architecture. Evaluations do not depend on
// lambda, so searches for several lambdas share one Cache. It is safe for
// concurrent use.
type Cache struct {
	eval Evaluator
	mu   sync.Mutex
	memo map[string]Evaluation
	// Misses counts architectures passed to the underlying evaluator.
	Misses int
}

// NewCache returns a cache in front of e.
func NewCache(e Evaluator) *Cache { return &Cache{eval: e, memo: make(map[string]Evaluation)} }

// Evaluate implements Evaluator, calling the underlying evaluator once for
// all architectures not seen before.
func (c *Cache) Evaluate(ctx context.Context, archs []Arch) ([]Evaluation, error) {
	c.mu.Lock()
	var todo []Arch
	seen := map[string]bool{}
	for _, a := range archs {
		k := a.Key()
		if _, ok := c.memo[k]; !ok && !seen[k] {
			todo = append(todo, a)
			seen[k] = true
		}
	}
	c.mu.Unlock()
	if len(todo) > 0 {
		res, err := c.eval.Evaluate(ctx, todo)
		if err != nil {
			return nil, err
		}
		if len(res) != len(todo) {
			return nil, fmt.Errorf("search: evaluator returned %d results for %d architectures", len(res), len(todo))
		}
		c.mu.Lock()
		for i, a := range todo {
			c.memo[a.Key()] = res[i]
		}
		c.Misses += len(todo)
		c.mu.Unlock()
	}
	out := make([]Evaluation, len(archs))
	c.mu.Lock()
	for i, a := range archs {
		out[i] = c.memo[a.Key()]
	}
	c.mu.Unlock()
	return out, nil
}

// FitnessForm selects the fitness formula.
type FitnessForm int

// Fitness forms of the paper.
const (
	// Power is F = Acc x (N/N_avg)^lambda (the paper's default).
	Power FitnessForm = iota
	// Linear is F = Acc - lambda' x N/N_avg.
	Linear
)

// CostFunc returns the cost of an evaluated architecture that the fitness
// trades against accuracy (spikes in the paper; synaptic operations, energy
// or latency on a chip in the chip-aware search). +Inf marks a candidate
// that cannot run at all (it does not fit the chip): its power-form fitness
// is 0 for any lambda < 0.
type CostFunc func(a Arch, e Evaluation) float64

// Fitness scores an evaluation. Lambda <= 0 for the power form (0 ignores
// the cost). NAvg > 0 is the mean cost of the super-network's sampled paths
// (for spikes, measured while training it); NAvg = 0 is allowed only with
// Lambda = 0 (fitness = accuracy alone: the ANN space of the paper's Table 7,
// which has no spikes). In the power form NAvg scales
// every fitness by the same factor, so it does not change the ranking; in
// the linear form it does. Cost nil means the cost is Evaluation.Spikes.
type Fitness struct {
	Form   FitnessForm
	Lambda float64
	NAvg   float64
	Cost   CostFunc
	// CostName names the cost in reports ("spikes" when Cost is nil).
	CostName string
}

// CostOf returns the cost the fitness uses for an evaluated architecture.
func (f Fitness) CostOf(a Arch, e Evaluation) float64 {
	if f.Cost == nil {
		return e.Spikes
	}
	return f.Cost(a, e)
}

// Of returns the fitness of an evaluated architecture.
func (f Fitness) Of(a Arch, e Evaluation) float64 {
	if f.Lambda == 0 {
		return e.Acc // either form; also when NAvg = 0 (no spikes to normalise)
	}
	r := f.CostOf(a, e) / f.NAvg
	if f.Form == Linear {
		return e.Acc - f.Lambda*r
	}
	if math.IsInf(r, 1) {
		return 0
	}
	if r <= 0 {
		// A silent network: (0)^lambda is +Inf for lambda < 0. It cannot
		// classify anything better than chance, so rank it by accuracy
		// alone rather than let it win.
		return e.Acc
	}
	return e.Acc * math.Pow(r, f.Lambda)
}

// Validate checks the fitness parameters.
func (f Fitness) Validate() error {
	if f.NAvg == 0 && f.Lambda == 0 {
		return nil // accuracy alone: the ANN space, whose N_avg is 0
	}
	if !(f.NAvg > 0) {
		return fmt.Errorf("search: fitness: N_avg = %g, want > 0 (measured while training the super-network; N_avg = 0 only with lambda = 0)", f.NAvg)
	}
	if f.Form == Power && f.Lambda > 0 {
		return fmt.Errorf("search: fitness: lambda = %g, want <= 0 for the power form", f.Lambda)
	}
	if math.IsNaN(f.Lambda) || math.IsInf(f.Lambda, 0) {
		return fmt.Errorf("search: fitness: lambda = %g, want a finite number", f.Lambda)
	}
	return nil
}
