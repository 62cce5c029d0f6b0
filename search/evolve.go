package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
)

// EvoConfig holds the parameters of the evolutionary search (the paper's
// Algorithm 1); DefaultEvoConfig gives the paper's values.
type EvoConfig struct {
	Rounds       int     // T_r
	Pool         int     // p: architectures evaluated per round
	TopK         int     // k
	Mutations    int     // p_m: mutation children per round
	Crossovers   int     // p_c: crossover children per round
	MutationProb float64 // per-block mutation probability
	Budget       int     // evaluated architectures in total
	Seed         uint64
}

// DefaultEvoConfig returns the paper's parameters: 10 rounds, pool 20,
// top-10, 10 mutation and 10 crossover children, mutation probability 0.2,
// budget 200.
func DefaultEvoConfig() EvoConfig {
	return EvoConfig{Rounds: 10, Pool: 20, TopK: 10, Mutations: 10, Crossovers: 10, MutationProb: 0.2, Budget: 200, Seed: 1}
}

func (c EvoConfig) validate(space Space) error {
	switch {
	case c.Rounds < 1 || c.Pool < 1 || c.TopK < 1 || c.Budget < 1:
		return fmt.Errorf("search: evolution: rounds %d, pool %d, top-k %d, budget %d: want all >= 1", c.Rounds, c.Pool, c.TopK, c.Budget)
	case c.Mutations < 0 || c.Crossovers < 0 || c.Mutations+c.Crossovers > c.Pool:
		return fmt.Errorf("search: evolution: %d mutation + %d crossover children do not fit a pool of %d", c.Mutations, c.Crossovers, c.Pool)
	case !(c.MutationProb >= 0 && c.MutationProb <= 1):
		return fmt.Errorf("search: evolution: mutation probability %g, want in [0, 1]", c.MutationProb)
	case c.Budget > space.Size():
		return fmt.Errorf("search: budget %d exceeds the %d architectures of space %s", c.Budget, space.Size(), space.Name)
	}
	return nil
}

// Origin says how an architecture entered the search.
type Origin string

// Origins.
const (
	FromRandom    Origin = "random"    // round 1, or the random-search baseline
	FromMutation  Origin = "mutation"  // a mutated top-k parent
	FromCrossover Origin = "crossover" // two top-k parents crossed
	FromFill      Origin = "fill"      // random, filling slots children could not
)

// Record is one evaluated architecture in a search history.
type Record struct {
	Round   int    // 1-based
	Origin  Origin //
	Arch    Arch
	Blocks  []string
	Acc     float64
	Spikes  float64
	Cost    float64 // the fitness's cost (equals Spikes unless Fitness.Cost is set)
	Fitness float64
	// PopSpikes is the evaluator's per-population spike count, if any.
	PopSpikes map[string]float64
}

// History is the outcome of a search.
type History struct {
	Space   string
	Algo    string // "evolution" or "random"
	Fitness Fitness
	Records []Record // in evaluation order
	Best    int      // index into Records of the fittest architecture
}

// BestRecord returns the fittest record.
func (h *History) BestRecord() Record { return h.Records[h.Best] }

// Progress, if not nil, is told after each evaluated round how many of the
// budget's architectures have been evaluated.
type Progress func(done, budget int)

// searcher holds the state shared by both algorithms.
type searcher struct {
	space Space
	eval  Evaluator
	fit   Fitness
	rng   *rand.Rand
	seen  map[string]bool
	hist  *History
}

func newSearcher(space Space, eval Evaluator, fit Fitness, algo string, seed uint64) (*searcher, error) {
	if err := fit.Validate(); err != nil {
		return nil, err
	}
	return &searcher{space: space, eval: eval, fit: fit, rng: rand.New(rand.NewPCG(seed, 0x5eed)),
		seen: make(map[string]bool), hist: &History{Space: space.Name, Algo: algo, Fitness: fit}}, nil
}

// fresh returns an architecture not yet evaluated nor in pending, drawn
// uniformly from the rest of the space.
func (s *searcher) fresh(pending map[string]bool) Arch {
	for {
		a := s.space.Random(s.rng)
		if k := a.Key(); !s.seen[k] && !pending[k] {
			return a
		}
	}
}

// evaluate evaluates a round's pool and appends it to the history.
func (s *searcher) evaluate(ctx context.Context, round int, pool []Arch, origins []Origin) error {
	res, err := s.eval.Evaluate(ctx, pool)
	if err != nil {
		return fmt.Errorf("search: round %d: %w", round, err)
	}
	for i, a := range pool {
		s.seen[a.Key()] = true
		r := Record{Round: round, Origin: origins[i], Arch: a, Blocks: s.space.Names(a), Acc: res[i].Acc, Spikes: res[i].Spikes,
			Cost: s.fit.CostOf(a, res[i]), Fitness: s.fit.Of(a, res[i]), PopSpikes: res[i].PopSpikes}
		s.hist.Records = append(s.hist.Records, r)
		if len(s.hist.Records) == 1 || r.Fitness > s.hist.Records[s.hist.Best].Fitness {
			s.hist.Best = len(s.hist.Records) - 1
		}
	}
	return nil
}

// Evolve runs the paper's Algorithm 1: round 1 evaluates a random pool;
// every later round breeds Mutations children by mutating top-k parents
// (each block independently with MutationProb, a mutated block taking a
// different value) and Crossovers children by crossing two top-k parents
// (the first X blocks of one, the rest of the other, X uniform in
// 1..Positions-1), rejects children already evaluated or already in the
// pool (global de-duplication), fills the remaining slots with fresh
// random architectures, and keeps as top-k the best k of the previous
// top-k and the new pool. It stops at Rounds or at Budget evaluations.
func Evolve(ctx context.Context, space Space, eval Evaluator, fit Fitness, cfg EvoConfig, progress Progress) (*History, error) {
	if err := cfg.validate(space); err != nil {
		return nil, err
	}
	s, err := newSearcher(space, eval, fit, "evolution", cfg.Seed)
	if err != nil {
		return nil, err
	}
	var top []int // indices into s.hist.Records
	for round := 1; round <= cfg.Rounds && len(s.hist.Records) < cfg.Budget; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(cfg.Pool, cfg.Budget-len(s.hist.Records))
		pool := make([]Arch, 0, n)
		origins := make([]Origin, 0, n)
		pending := map[string]bool{}
		add := func(a Arch, o Origin) bool {
			k := a.Key()
			if len(pool) >= n || s.seen[k] || pending[k] {
				return false
			}
			pending[k] = true
			pool = append(pool, a)
			origins = append(origins, o)
			return true
		}
		if round > 1 && len(top) > 0 {
			// As in the reference search, each kind of child gets a bounded
			// number of attempts; what they cannot fill is filled randomly.
			for want, tries := min(cfg.Mutations, n), 0; want > 0 && tries < 10*cfg.Mutations; tries++ {
				if add(s.mutate(s.hist.Records[top[s.rng.IntN(len(top))]].Arch, cfg.MutationProb), FromMutation) {
					want--
				}
			}
			for want, tries := min(cfg.Crossovers, n-len(pool)), 0; want > 0 && tries < 10*cfg.Crossovers; tries++ {
				p1 := s.hist.Records[top[s.rng.IntN(len(top))]].Arch
				p2 := s.hist.Records[top[s.rng.IntN(len(top))]].Arch
				if add(s.crossover(p1, p2), FromCrossover) {
					want--
				}
			}
		}
		origin := FromFill
		if round == 1 {
			origin = FromRandom
		}
		for len(pool) < n {
			add(s.fresh(pending), origin)
		}
		start := len(s.hist.Records)
		if err := s.evaluate(ctx, round, pool, origins); err != nil {
			return nil, err
		}
		for i := start; i < len(s.hist.Records); i++ {
			top = append(top, i)
		}
		sort.SliceStable(top, func(i, j int) bool {
			return s.hist.Records[top[i]].Fitness > s.hist.Records[top[j]].Fitness
		})
		if len(top) > cfg.TopK {
			top = top[:cfg.TopK]
		}
		if progress != nil {
			progress(len(s.hist.Records), cfg.Budget)
		}
	}
	return s.hist, nil
}

// mutate returns a copy of a with each block replaced, with probability p,
// by a different candidate.
func (s *searcher) mutate(a Arch, p float64) Arch {
	c := a.Clone()
	nc := len(s.space.Candidates)
	for i := range c {
		if s.rng.Float64() < p {
			c[i] = (c[i] + 1 + s.rng.IntN(nc-1)) % nc
		}
	}
	return c
}

// crossover returns the first X blocks of p1 and the rest of p2, X uniform
// in 1..len-1.
func (s *searcher) crossover(p1, p2 Arch) Arch {
	x := 1 + s.rng.IntN(len(p1)-1)
	c := p1.Clone()
	copy(c[x:], p2[x:])
	return c
}

// RandomSearch is the baseline: budget distinct architectures drawn
// uniformly, evaluated with the same fitness, in rounds of pool size (so
// progress and evaluator batching match Evolve).
func RandomSearch(ctx context.Context, space Space, eval Evaluator, fit Fitness, budget, pool int, seed uint64, progress Progress) (*History, error) {
	if budget < 1 || pool < 1 || budget > space.Size() {
		return nil, fmt.Errorf("search: random search: budget %d, pool %d: want 1 <= budget <= %d and pool >= 1", budget, pool, space.Size())
	}
	s, err := newSearcher(space, eval, fit, "random", seed)
	if err != nil {
		return nil, err
	}
	for round := 1; len(s.hist.Records) < budget; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(pool, budget-len(s.hist.Records))
		pending := map[string]bool{}
		var archs []Arch
		var origins []Origin
		for len(archs) < n {
			a := s.fresh(pending)
			pending[a.Key()] = true
			archs = append(archs, a)
			origins = append(origins, FromRandom)
		}
		if err := s.evaluate(ctx, round, archs, origins); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(len(s.hist.Records), budget)
		}
	}
	return s.hist, nil
}
