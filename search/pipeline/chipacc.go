package pipeline

// Accuracy on chip: the trained float network against the network lowered
// and quantised for each chip, on the same labelled inputs.

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"text/tabwriter"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
)

// ChipAccuracy is what one network computes on n labelled inputs: the
// float network (ir.Executor on the trained graph) or its lowered and
// quantised form for one chip (ir.IntExecutor, which the simulator matches
// spike for spike).
type ChipAccuracy struct {
	// Chip is the target's name, "" for the float network.
	Chip string
	// RunsAs says what the chip runs the leaky layers as ("LIF, 12-bit
	// decay", "IF + linear leak"), from the lower-ops and quantize reports.
	RunsAs string
	// WeightBits is the chip's weight precision (0 for the float network).
	WeightBits int
	// Images is the number of labelled inputs, Correct those predicted
	// right and Agree those predicted as the float network predicts them.
	Images, Correct, Agree int
	// Spikes is the spikes of all non-input populations over all inputs.
	Spikes int64
}

// Accuracy returns Correct/Images (0 without images).
func (a ChipAccuracy) Accuracy() float64 {
	if a.Images == 0 {
		return 0
	}
	return float64(a.Correct) / float64(a.Images)
}

// ChipAccuracies runs the float network load() returns and, for each
// chip, a fresh copy of it through the compiler's passes up to quantize
// (fold-bn, lower-ops, quantize: the neuron model the chip implements,
// its weight, membrane and decay precision), on every labelled input of
// src, and returns the float row first, then one row per chip. Whether the
// network fits the chip's cores is not asked: the integer network is what
// the chip computes wherever the mapping succeeds. load must return an
// independent graph on every call (the passes modify theirs). Inputs run
// on GOMAXPROCS goroutines; the counts do not depend on their number.
func ChipAccuracies(ctx context.Context, load func() (*ir.Graph, error), chips []*backends.Target, src Source) ([]ChipAccuracy, error) {
	g, err := load()
	if err != nil {
		return nil, err
	}
	if err := CheckCompile(ctx, g, 0); err != nil {
		return nil, err
	}
	var labelled []int
	for i := range src.Len() {
		if src.Label(i) >= 0 {
			labelled = append(labelled, i)
		}
	}
	if len(labelled) == 0 {
		return nil, fmt.Errorf("pipeline: chip accuracy: none of the %d inputs has a label", src.Len())
	}
	graphs := []*ir.Graph{g}
	rows := []ChipAccuracy{{}}
	for _, t := range chips {
		cg, err := load()
		if err != nil {
			return nil, err
		}
		u := &passes.Unit{G: cg, Target: t}
		if err := passes.Compile(ctx, u, passes.Config{StopAfter: "quantize"}); err != nil {
			return nil, fmt.Errorf("pipeline: chip accuracy on %s: %w", t.Name(), err)
		}
		graphs = append(graphs, cg)
		rows = append(rows, ChipAccuracy{Chip: t.Name(), RunsAs: runsAs(u.Report), WeightBits: t.Profile.Precision.WeightBits})
	}
	// preds[k][j]: the class graph k predicts for labelled input j.
	preds := make([][]int, len(graphs))
	spikes := make([][]int64, len(graphs))
	for k := range graphs {
		preds[k] = make([]int, len(labelled))
		spikes[k] = make([]int64, len(labelled))
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), len(labelled)))
	errs := make([]error, workers)
	var mu sync.Mutex // src.Input may reuse a buffer; reads are serialised
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			runs := make([]func([]float32) (ir.Result, error), len(graphs))
			for k, gk := range graphs {
				if k == 0 {
					x, err := ir.NewExecutor(gk)
					if err != nil {
						errs[w] = err
						return
					}
					runs[k] = func(in []float32) (ir.Result, error) { return x.Run(in, nil) }
					continue
				}
				x, err := ir.NewIntExecutor(gk)
				if err != nil {
					errs[w] = fmt.Errorf("%s: %w", rows[k].Chip, err)
					return
				}
				runs[k] = func(in []float32) (ir.Result, error) { return x.Run(in, nil) }
			}
			for j := w; j < len(labelled); j += workers {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				mu.Lock()
				in, err := src.Input(labelled[j], nil)
				in = append([]float32(nil), in...)
				mu.Unlock()
				if err != nil {
					errs[w] = err
					return
				}
				for k, run := range runs {
					r, err := run(in)
					if err != nil {
						errs[w] = err
						return
					}
					preds[k][j] = r.Predict()
					for _, s := range r.Spikes[1:] {
						spikes[k][j] += int64(s)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("pipeline: chip accuracy: %w", err)
		}
	}
	for k := range rows {
		rows[k].Images = len(labelled)
		for j, i := range labelled {
			if preds[k][j] == src.Label(i) {
				rows[k].Correct++
			}
			if preds[k][j] == preds[0][j] {
				rows[k].Agree++
			}
			rows[k].Spikes += spikes[k][j]
		}
	}
	rows[0].RunsAs = "float32, PLIF/LIF as trained"
	return rows, nil
}

// runsAs says what the compiler made of the leaky layers for one chip.
func runsAs(r *passes.Report) string {
	switch {
	case r == nil:
		return ""
	case r.Lower != nil && len(r.Lower.LinearLeak) > 0:
		return fmt.Sprintf("IF + linear leak (%d layers)", len(r.Lower.LinearLeak))
	case r.Quant != nil && r.Quant.DecayBits > 0:
		return fmt.Sprintf("LIF, %d-bit decay", r.Quant.DecayBits)
	default:
		return "IF"
	}
}

// WriteChipAccuracies prints rows as a table: the float network's first,
// then each chip's with its accuracy change.
func WriteChipAccuracies(w io.Writer, rows []ChipAccuracy) error {
	if len(rows) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "network\truns leaky layers as\tweights\taccuracy\tvs float\tagrees with float\tspikes/image")
	f := rows[0]
	for _, r := range rows {
		name, bits, delta := "float", "float32", "-"
		if r.Chip != "" {
			name, bits = r.Chip, fmt.Sprintf("%d-bit", r.WeightBits)
			delta = fmt.Sprintf("%+.2f pp", 100*(r.Accuracy()-f.Accuracy()))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f%% (%d/%d)\t%s\t%d/%d\t%.0f\n", name, r.RunsAs, bits, 100*r.Accuracy(), r.Correct, r.Images,
			delta, r.Agree, r.Images, float64(r.Spikes)/float64(max(1, r.Images)))
	}
	return tw.Flush()
}
