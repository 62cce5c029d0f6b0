package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/supernet"
)

// LambdaConfig is a lambda sweep over data: the sweep plus where its
// samples come from.
type LambdaConfig struct {
	SweepConfig
	// ValLimit is the number of D_val images candidates are evaluated on
	// (0: all); EvalBatch the evaluation batch size.
	ValLimit, EvalBatch int
	// ProfileSamples are the validation images the compiler profiles spike
	// rates on; SimImages the test images each winner is simulated on.
	ProfileSamples, SimImages int
	// RankCheck > 1 also measures the estimate's rank correlation with the
	// simulator over that many random candidates.
	RankCheck int
	// Evaluator, when not nil, evaluates the candidates in place of the
	// local evaluator on the super-network and the data (NewEvaluator): a
	// fleet.Evaluator runs the same evaluations on workers.
	Evaluator search.Evaluator
}

// LambdaResult is a sweep and, when asked for, its rank check.
type LambdaResult struct {
	*SweepResult
	RankRows  []RankRow
	RankStats []RankStat
}

// RunLambda runs the sweep of cfg over the super-network net (N_avg nAvg,
// trained with data seed dataSeed) on set and target t: candidates are
// evaluated on D_val (the last 20% of the training set, in order, no
// augmentation) exactly as `autosnn search` does, winners are profiled on
// the first cfg.ProfileSamples validation images and simulated on the
// first cfg.SimImages test images.
func RunLambda(ctx context.Context, net *supernet.SuperNet, nAvg float64, dataSeed uint64, set *dataset.Set, t *backends.Target, cfg LambdaConfig) (*LambdaResult, error) {
	sp := net.Space()
	if err := CheckSpaceSet(sp, set); err != nil {
		return nil, err
	}
	if cfg.EvalBatch < 1 || cfg.ValLimit < 0 || cfg.SimImages < 1 || cfg.ProfileSamples < 0 {
		return nil, fmt.Errorf("pipeline: eval batch %d, val limit %d, simulated images %d, profiling samples %d: want batch and images >= 1, the others >= 0",
			cfg.EvalBatch, cfg.ValLimit, cfg.SimImages, cfg.ProfileSamples)
	}
	var err error
	if cfg.Profile, err = LoadSamples(set, dataset.Val, cfg.ProfileSamples, sp.Base.T); err != nil {
		return nil, err
	}
	if cfg.Test, err = LoadSamples(set, dataset.Test, cfg.SimImages, sp.Base.T); err != nil {
		return nil, err
	}
	// One cache for the sweep and the rank check: candidates are evaluated once.
	var eval search.Evaluator = NewEvaluator(net, set, dataSeed, cfg.EvalBatch, cfg.ValLimit, cfg.Progress)
	if cfg.Evaluator != nil {
		eval = cfg.Evaluator
	}
	cache := search.NewCache(eval)
	res := &LambdaResult{}
	if res.SweepResult, err = Sweep(ctx, net, cache, nAvg, t, cfg.SweepConfig); err != nil {
		return nil, err
	}
	if cfg.RankCheck > 1 {
		if res.RankRows, res.RankStats, err = rankCheck(ctx, net, cache, t, cfg.RankCheck, cfg.Evo.Seed, cfg.Profile, cfg.Test, cfg.Progress, cfg.Deployer); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// WriteDir writes the sweep (SweepResult.WriteDir) and the rank check's
// rankcheck.csv into dir.
func (r *LambdaResult) WriteDir(dir string) error {
	if err := r.SweepResult.WriteDir(dir); err != nil {
		return err
	}
	if len(r.RankStats) == 0 {
		return nil
	}
	b, err := RankCSV(r.RankRows)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := ir.WriteFileAtomic(filepath.Join(dir, RankFile), b); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}
