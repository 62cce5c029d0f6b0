package experiments

import (
	"context"
	"fmt"
	"strings"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/pipeline"
)

// trainRow trains arch alone once per seed (mod applied to the
// hyper-parameters) and summarises the runs. Row.Paper is left to Run
// (Experiment.figure).
func (r *Runner) trainRow(ctx context.Context, key string, cells []string, arch frontend.Spec, mod func(*train.Hyper), init *NetInit) (Row, error) {
	row := Row{Key: key, Cells: cells, Extra: map[string]string{}}
	for _, seed := range r.P.Seeds {
		run, err := r.Train(ctx, key, arch, seed, mod, init)
		if err != nil {
			return Row{}, err
		}
		row.Runs = append(row.Runs, run)
	}
	row.summarise()
	return row, nil
}

// zoo returns the zoo architecture called name.
func zoo(name string) (frontend.Spec, error) {
	e, ok := frontend.LookupZoo(name)
	if !ok {
		return frontend.Spec{}, fmt.Errorf("experiments: no zoo architecture %q", name)
	}
	return e.Spec, nil
}

// archKey is a file-name-safe key of an architecture in a space.
func archKey(space search.Space, a search.Arch) string {
	return space.Name + "-" + strings.ToLower(strings.ReplaceAll(strings.Join(space.Names(a), "."), "_", ""))
}

// winnerRow retrains the best architecture of a search (in space, as an
// SNN: PLIF neurons even when the space is the ANN one) and reports its
// inherited-weight D_val accuracy and spikes beside the retrained ones.
func (r *Runner) winnerRow(ctx context.Context, space search.Space, sr pipeline.SearchRow, cells []string) (Row, error) {
	best := sr.History.BestRecord()
	spec := space.Spec(best.Arch)
	spec.Neuron, spec.Name = "plif", strings.Join(spec.Blocks, ",")
	row, err := r.trainRow(ctx, archKey(space, best.Arch), cells, spec, nil, nil)
	if err != nil {
		return Row{}, err
	}
	row.Extra["architecture"] = strings.Join(spec.Blocks, ", ")
	row.Extra["D_val accuracy (inherited)"] = fmt.Sprintf("%.2f%%", 100*best.Acc)
	row.Extra["D_val spikes (inherited)"] = group(best.Spikes)
	return row, nil
}

// uniform returns macro with block at every position.
func uniform(macro, block string) (frontend.Spec, error) {
	spec, err := zoo(macro + "-scb3")
	if err != nil {
		return spec, err
	}
	for i := range spec.Blocks {
		spec.Blocks[i] = block
	}
	spec.Name = macro + "-" + strings.ToLower(strings.ReplaceAll(block, "_", ""))
	return spec, nil
}
