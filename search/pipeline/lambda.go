package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/backends/chipcost"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

var inf = math.Inf(1)

// Costs the fitness may trade against accuracy (SweepConfig.Cost).
const (
	CostSpikes  = "spikes"  // the paper's spike metric, normalised by N_avg
	CostSynOps  = "synops"  // analytical synaptic operations on the chip
	CostEnergy  = "energy"  // analytical energy per inference on the chip
	CostLatency = "latency" // analytical latency per inference on the chip
)

// CostNames lists the costs a sweep accepts.
var CostNames = []string{CostSpikes, CostSynOps, CostEnergy, CostLatency}

// Policy states how Choose picks the deployed lambda (with tolerance 0).
const Policy = "highest validation accuracy (inherited weights) among winners that fit the chip and meet the budget; ties: lower simulated energy per inference, then the earlier lambda"

// PolicyText states the policy with accuracy tolerance tol (a fraction).
func PolicyText(tol float64) string {
	if tol <= 0 {
		return Policy
	}
	return fmt.Sprintf("among winners that fit the chip and meet the budget, those within %.3g percentage points of the highest validation accuracy (inherited weights) count as tied; ties: lower simulated energy per inference, then the earlier lambda", 100*tol)
}

// SweepConfig configures a lambda sweep.
type SweepConfig struct {
	// Lambdas are the exponents swept, in order (<= 0 for the power form).
	Lambdas []float64
	// Form is the fitness form.
	Form search.FitnessForm
	// Cost is one of CostNames ("" means spikes).
	Cost string
	// Evo is the evolutionary search of each lambda; all lambdas share one
	// search.Cache, so a lambda costs only architectures no earlier lambda
	// evaluated.
	Evo search.EvoConfig
	// Budget limits the chosen deployment.
	Budget Budget
	// AccTolerance is the accuracy tolerance of the policy (a fraction;
	// 0: the strict Policy). See Choose.
	AccTolerance float64
	// Profile are the compiler's profiling samples; Test the images each
	// winner is simulated on.
	Profile, Test Samples
	// CompileSeed seeds the compiler's randomised passes.
	CompileSeed uint64
	// Progress receives progress lines and bars; Log the compiler's lines
	// and one line per step. Either may be nil.
	Progress *train.Progress
	Log      io.Writer
	// Deployer, when not nil, deploys the winners elsewhere (a fleet of
	// workers), all at once after the searches; nil deploys each here
	// after its search.
	Deployer Deployer
}

// Deployer compiles and simulates lambda winners (and the rank check's
// candidates) elsewhere, each exactly as Deploy does here on the
// architecture exported from the super-network (SuperNet.Export) with the
// sweep's Profile and Test.
type Deployer interface {
	// DeployArchs returns one deployment per architecture, in order, each
	// compiled with seed.
	DeployArchs(ctx context.Context, archs []search.Arch, seed uint64) ([]*Deployment, error)
}

// MarshalJSON writes the row with its cost as fitness_cost, null when
// infinite (JSON has no infinity).
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row // without this method
	return json.Marshal(struct {
		plain
		Cost *float64 `json:"fitness_cost"`
	}{plain(r), search.FiniteOrNil(r.Cost)})
}

// Row is one lambda's winner, as searched and as deployed.
type Row struct {
	Lambda float64 `json:"lambda"`
	// Blocks is the winner's architecture; Key its compact form.
	Blocks []string `json:"blocks"`
	Key    string   `json:"key"`
	// Acc is the validation accuracy with inherited weights (fraction),
	// Spikes the paper's spike metric per image, Cost the fitness's cost
	// (+Inf when the winner does not fit the chip: null in JSON, "+Inf" in
	// CSV) and Fitness its fitness, all from the search.
	Acc     float64 `json:"val_accuracy"`
	Spikes  float64 `json:"spikes_per_image"`
	Cost    float64 `json:"-"`
	Fitness float64 `json:"fitness"`
	// Estimate is the analytical cost (package chipcost) of the winner.
	Estimate chipcost.Cost `json:"estimate"`
	// Fits is whether the compiler mapped the winner onto the chip;
	// FitError says why not.
	Fits     bool   `json:"fits"`
	FitError string `json:"fit_error,omitempty"`
	// Simulated on the virtual chip, per inference: on-chip accuracy over
	// the test samples (fraction), neuron spikes, cores used, energy (pJ),
	// latency (ns), messages over the busiest link, its utilisation; all 0
	// when the winner does not fit.
	ChipAcc     float64 `json:"chip_accuracy"`
	ChipSpikes  float64 `json:"chip_spikes"`
	Cores       int     `json:"cores"`
	EnergyPJ    float64 `json:"energy_pj"`
	LatencyNs   float64 `json:"latency_ns"`
	MaxLinkLoad float64 `json:"max_link_load"`
	LinkUtilMax float64 `json:"link_util_max"`
	// Violations lists the budget limits the deployment exceeds.
	Violations []string `json:"budget_violations,omitempty"`
}

// Eligible reports whether the row may be chosen: it fits and meets the
// budget.
func (r Row) Eligible() bool { return r.Fits && len(r.Violations) == 0 }

// Choose returns the index of the row the policy picks, or -1 when no row
// fits the chip and meets the budget. With tol = 0 it is Policy: the
// highest validation accuracy, ties to the lower simulated energy, then to
// the earlier row. With tol > 0 (a fraction, 0.01 = one percentage point)
// every eligible row within tol of the highest accuracy counts as tied, so
// the chip's energy decides among them (PolicyText).
func Choose(rows []Row, tol float64) int {
	top, found := 0.0, false
	for _, r := range rows {
		if r.Eligible() && (!found || r.Acc > top) {
			top, found = r.Acc, true
		}
	}
	best := -1
	for i, r := range rows {
		if !r.Eligible() || r.Acc < top-max(tol, 0) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := rows[best]
		if tol <= 0 && r.Acc != b.Acc {
			if r.Acc > b.Acc {
				best = i
			}
			continue
		}
		if r.EnergyPJ < b.EnergyPJ {
			best = i
		}
	}
	return best
}

// SweepResult is the outcome of a lambda sweep.
type SweepResult struct {
	Space  search.Space `json:"-"`
	Chip   string       `json:"chip"`
	Cost   string       `json:"cost"`
	Budget string       `json:"budget"`
	Policy string       `json:"policy"`
	NAvg   float64      `json:"n_avg"`
	// CostAvg is the normaliser of a chip cost: its mean over random
	// architectures of the space (equal to NAvg for spikes).
	CostAvg float64 `json:"cost_avg"`
	Rows    []Row   `json:"rows"`
	// Chosen indexes Rows (-1: nothing fits the chip and the budget).
	Chosen int `json:"chosen"`
	// Evaluations is the number of distinct architectures evaluated.
	Evaluations int `json:"evaluations"`
	// Histories has one search history per lambda.
	Histories []*search.History `json:"-"`
	// Deployments has one deployment per row (rows with the same winner
	// share one).
	Deployments []*Deployment `json:"-"`
	// Candidates are every evaluated architecture with its analytical cost,
	// for the Pareto plot.
	Candidates []Candidate `json:"-"`
}

// Candidate is an evaluated architecture and its analytical chip cost.
type Candidate struct {
	Arch search.Arch
	// Acc (fraction) and Spikes (paper metric per image) are from the
	// evaluation on D_val with inherited weights.
	Acc    float64
	Spikes float64
	// Estimate is the analytical cost on the chip; Fits is false when it
	// needs more cores than the chip has.
	Estimate chipcost.Cost
	Fits     bool
}

// Sweep runs one evolutionary search per lambda over net (whose N_avg is
// nAvg), sharing one evaluation cache, compiles and simulates each
// lambda's winner on t with its inherited weights (SuperNet.Export), and
// chooses a lambda by Policy. eval evaluates candidates (a
// *supernet.Evaluator on net, or a cache in front of one).
func Sweep(ctx context.Context, net *supernet.SuperNet, eval search.Evaluator, nAvg float64, t *backends.Target, cfg SweepConfig) (*SweepResult, error) {
	if len(cfg.Lambdas) == 0 {
		return nil, fmt.Errorf("pipeline: no lambdas to sweep")
	}
	if !(nAvg > 0) {
		return nil, fmt.Errorf("pipeline: N_avg %g, want > 0 (a super-network with a completed epoch)", nAvg)
	}
	space := net.Space()
	cache, ok := eval.(*search.Cache)
	if !ok {
		cache = search.NewCache(eval)
	}
	res := &SweepResult{Space: space, Chip: t.Name(), Cost: cfg.Cost, Budget: cfg.Budget.String(), Policy: PolicyText(cfg.AccTolerance), NAvg: nAvg, Chosen: -1}
	if res.Cost == "" {
		res.Cost = CostSpikes
	}
	var cost search.CostFunc
	res.CostAvg = nAvg
	if res.Cost != CostSpikes {
		var err error
		metric := chipMetrics[res.Cost]
		if metric == "" {
			return nil, fmt.Errorf("pipeline: cost %q, want one of %s", res.Cost, strings.Join(CostNames, ", "))
		}
		if cost, err = search.ChipCost(space, t, metric); err != nil {
			return nil, err
		}
		if res.CostAvg, err = meanCost(ctx, space, cache, t, metric, cfg.Evo); err != nil {
			return nil, err
		}
	}
	logf := func(f string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, f+"\n", a...)
		}
	}
	deployed := map[string]*Deployment{}
	var remote []search.Arch // the distinct winners, with cfg.Deployer
	for _, lam := range cfg.Lambdas {
		fit := search.Fitness{Form: cfg.Form, Lambda: lam, NAvg: res.CostAvg, Cost: cost}
		if cost != nil {
			fit.CostName = res.Cost + " on " + t.Name()
		}
		progress := func(done, budget int) {
			cfg.Progress.Status(done >= budget, "lambda %g: %d/%d evaluated", lam, done, budget)
		}
		h, err := search.Evolve(ctx, space, cache, fit, cfg.Evo, progress)
		if err != nil {
			return nil, fmt.Errorf("pipeline: lambda %g: %w", lam, err)
		}
		res.Histories = append(res.Histories, h)
		b := h.BestRecord()
		row := Row{Lambda: lam, Blocks: b.Blocks, Key: b.Arch.Key(), Acc: b.Acc, Spikes: b.Spikes, Cost: b.Cost, Fitness: b.Fitness}
		if row.Estimate, _, err = estimate(space, b.Arch, search.Evaluation{Acc: b.Acc, Spikes: b.Spikes, PopSpikes: b.PopSpikes}, t); err != nil {
			return nil, err
		}
		d := deployed[row.Key]
		if d == nil && cfg.Deployer != nil {
			if _, seen := deployed[row.Key]; !seen {
				deployed[row.Key] = nil
				remote = append(remote, b.Arch)
			}
			res.Rows = append(res.Rows, row)
			continue
		}
		if d == nil {
			logf("lambda %g: winner %s (val accuracy %.2f%%, %.0f spikes/image): compiling for %s and simulating %d images",
				lam, strings.Join(b.Blocks, ","), 100*b.Acc, b.Spikes, t.Name(), len(cfg.Test.Inputs))
			g, err := net.Export(b.Arch)
			if err != nil {
				return nil, err
			}
			if d, err = Deploy(ctx, g, t, cfg.Profile, cfg.Test, cfg.CompileSeed, nil, cfg.Progress); err != nil {
				return nil, err
			}
			deployed[row.Key] = d
		}
		res.Deployments = append(res.Deployments, d)
		deployedRow(&row, d, cfg.Budget)
		res.Rows = append(res.Rows, row)
	}
	if cfg.Deployer != nil && len(remote) > 0 {
		logf("compiling %d distinct winners for %s and simulating %d images each, elsewhere", len(remote), t.Name(), len(cfg.Test.Inputs))
		ds, err := cfg.Deployer.DeployArchs(ctx, remote, cfg.CompileSeed)
		if err != nil {
			return nil, err
		}
		if len(ds) != len(remote) {
			return nil, fmt.Errorf("pipeline: %d deployments for %d winners", len(ds), len(remote))
		}
		for i, a := range remote {
			deployed[a.Key()] = ds[i]
		}
		for i := range res.Rows {
			d := deployed[res.Rows[i].Key]
			res.Deployments = append(res.Deployments, d)
			deployedRow(&res.Rows[i], d, cfg.Budget)
		}
	}
	res.Chosen = Choose(res.Rows, cfg.AccTolerance)
	res.Evaluations = cache.Misses
	var err error
	if res.Candidates, err = candidates(space, res.Histories, t); err != nil {
		return nil, err
	}
	return res, nil
}

// deployedRow fills row's chip columns from its winner's deployment d.
func deployedRow(row *Row, d *Deployment, b Budget) {
	row.Fits, row.FitError = d.Fits, d.FitError
	if d.Fits {
		s := d.Sim
		row.ChipAcc, row.ChipSpikes, row.Cores = s.Accuracy, float64(s.PerImage.Spikes), s.CoresUsed
		row.EnergyPJ, row.LatencyNs = d.EnergyPJ(), d.LatencyNs()
		row.MaxLinkLoad, row.LinkUtilMax = d.MaxLinkLoad, s.Total.LinkUtilMax
		row.Violations = b.Violations(row.Cores, row.EnergyPJ, row.LatencyNs)
	}
}

// chipMetrics maps the chip costs to chipcost's metrics.
var chipMetrics = map[string]chipcost.Metric{CostSynOps: chipcost.MetricSynOps, CostEnergy: chipcost.MetricEnergy, CostLatency: chipcost.MetricLatency}

// meanCost is the normaliser of a chip cost, the counterpart of N_avg: the
// mean analytical cost of evo.Pool random architectures (seeded from
// evo.Seed), evaluated through the shared cache. Candidates that do not fit
// the chip count with their estimated cost, so the normaliser exists even
// on a chip few candidates fit.
func meanCost(ctx context.Context, space search.Space, cache *search.Cache, t *backends.Target, metric chipcost.Metric, evo search.EvoConfig) (float64, error) {
	r := rand.New(rand.NewPCG(evo.Seed, 0xc057))
	n := min(max(evo.Pool, 4), space.Size())
	archs := space.RandomDistinct(r, n)
	evs, err := cache.Evaluate(ctx, archs)
	if err != nil {
		return 0, fmt.Errorf("pipeline: cost normaliser: %w", err)
	}
	var sum float64
	for i, a := range archs {
		c, _, err := estimate(space, a, evs[i], t)
		if err != nil {
			return 0, err
		}
		v, err := c.Value(metric)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	if !(sum > 0) {
		return 0, fmt.Errorf("pipeline: cost normaliser: the %s of %d random architectures on %s is %g, want > 0", metric, len(archs), t.Name(), sum)
	}
	return sum / float64(len(archs)), nil
}

// estimate returns the analytical cost of a on t and whether it fits.
func estimate(space search.Space, a search.Arch, e search.Evaluation, t *backends.Target) (chipcost.Cost, bool, error) {
	g, err := frontend.Lower(space.Spec(a))
	if err != nil {
		return chipcost.Cost{}, false, fmt.Errorf("pipeline: %s: %w", a.Key(), err)
	}
	spikes := e.PopSpikes
	if spikes == nil {
		return chipcost.Cost{}, false, fmt.Errorf("pipeline: %s: the evaluator gave no per-population spikes", a.Key())
	}
	c, err := chipcost.Estimate(g, chipcost.Activity{Spikes: spikes}, t)
	if errors.Is(err, chipcost.ErrDoesNotFit) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("pipeline: %s: %w", a.Key(), err)
	}
	return c, true, nil
}

// candidates collects every architecture the histories evaluated, once.
func candidates(space search.Space, hs []*search.History, t *backends.Target) ([]Candidate, error) {
	seen := map[string]bool{}
	var out []Candidate
	for _, h := range hs {
		for _, r := range h.Records {
			if seen[r.Arch.Key()] {
				continue
			}
			seen[r.Arch.Key()] = true
			c, fits, err := estimate(space, r.Arch, search.Evaluation{Acc: r.Acc, Spikes: r.Spikes, PopSpikes: r.PopSpikes}, t)
			if err != nil {
				return nil, err
			}
			out = append(out, Candidate{Arch: r.Arch, Acc: r.Acc, Spikes: r.Spikes, Estimate: c, Fits: fits})
		}
	}
	return out, nil
}
