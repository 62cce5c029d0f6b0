package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/backends/chipcost"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

// RankFile is the per-candidate table RankCheck results are written to.
const RankFile = "rankcheck.csv"

// RankRow is one candidate of a rank check: its analytical cost and what
// the compiler and the simulator measured for it, per inference.
type RankRow struct {
	Blocks    []string
	Estimate  chipcost.Cost
	Simulated chipcost.Cost // Spikes, SynOps, Messages, Hops, Cores, EnergyPJ, LatencyNs from the simulator (NeuronUpdates too)
}

// RankStat is how well the estimate ranks candidates by one quantity.
type RankStat struct {
	Metric   string
	N        int
	Spearman float64
	Kendall  float64 // tau-b
}

// rankMetrics are the quantities compared, with their accessors.
var rankMetrics = []struct {
	name string
	get  func(c chipcost.Cost) float64
}{
	{"spikes", func(c chipcost.Cost) float64 { return c.Spikes }},
	{"synops", func(c chipcost.Cost) float64 { return c.SynOps }},
	{"messages", func(c chipcost.Cost) float64 { return c.Messages }},
	{"hops", func(c chipcost.Cost) float64 { return c.Hops }},
	{"cores", func(c chipcost.Cost) float64 { return float64(c.Cores) }},
	{"energy", func(c chipcost.Cost) float64 { return c.EnergyPJ }},
	{"latency", func(c chipcost.Cost) float64 { return c.LatencyNs }},
}

// RankCheck measures how well the analytical cost model (package chipcost)
// ranks candidates against the compiler and the simulator: n distinct
// random architectures of net's space (seeded) are evaluated through eval
// (for their per-population spikes), estimated on t, and deployed with
// their inherited weights (compiled with profile, simulated on test). Only
// candidates that fit t are compared. It returns the per-candidate rows
// and Spearman's rho and Kendall's tau-b per quantity.
func RankCheck(ctx context.Context, net *supernet.SuperNet, eval search.Evaluator, t *backends.Target, n int, seed uint64, profile, test Samples, progress *train.Progress) ([]RankRow, []RankStat, error) {
	return rankCheck(ctx, net, eval, t, n, seed, profile, test, progress, nil)
}

// rankCheck is RankCheck with the deployments made by dep when it is not
// nil (all at once, compiled with seed).
func rankCheck(ctx context.Context, net *supernet.SuperNet, eval search.Evaluator, t *backends.Target, n int, seed uint64, profile, test Samples, progress *train.Progress, dep Deployer) ([]RankRow, []RankStat, error) {
	space := net.Space()
	if n < 2 || n > space.Size() {
		return nil, nil, fmt.Errorf("pipeline: rank check of %d candidates, want 2..%d", n, space.Size())
	}
	r := rand.New(rand.NewPCG(seed, 0x4a4c))
	archs := space.RandomDistinct(r, n)
	evs, err := eval.Evaluate(ctx, archs)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline: rank check: %w", err)
	}
	var remote []*Deployment
	if dep != nil {
		progress.Printf("rank check: deploying %d candidates elsewhere", n)
		if remote, err = dep.DeployArchs(ctx, archs, seed); err != nil {
			return nil, nil, fmt.Errorf("pipeline: rank check: %w", err)
		}
		if len(remote) != len(archs) {
			return nil, nil, fmt.Errorf("pipeline: rank check: %d deployments for %d candidates", len(remote), len(archs))
		}
	}
	var rows []RankRow
	for i, a := range archs {
		est, fits, err := estimate(space, a, evs[i], t)
		if err != nil {
			return nil, nil, err
		}
		var d *Deployment
		if remote != nil {
			d = remote[i]
		} else {
			progress.Printf("rank check %d/%d: %s", i+1, n, strings.Join(space.Names(a), ","))
			g, err := net.Export(a)
			if err != nil {
				return nil, nil, err
			}
			if d, err = Deploy(ctx, g, t, profile, test, seed, nil, progress); err != nil {
				return nil, nil, err
			}
		}
		if !fits || !d.Fits {
			continue // only candidates both sides place on the chip are ranked
		}
		p := d.Sim.PerImage
		rows = append(rows, RankRow{Blocks: space.Names(a), Estimate: est, Simulated: chipcost.Cost{
			Spikes: float64(p.Spikes), SynOps: float64(p.SynOps), NeuronUpdates: float64(p.NeuronUpdates), Messages: float64(p.Messages),
			Hops: float64(p.Hops), Cores: d.Sim.CoresUsed, EnergyPJ: p.Energy.Total(), LatencyNs: p.LatencyNs}})
	}
	return rows, RankStats(rows), nil
}

// RankStats computes the rank correlations of rows per quantity.
func RankStats(rows []RankRow) []RankStat {
	var out []RankStat
	for _, m := range rankMetrics {
		x, y := make([]float64, len(rows)), make([]float64, len(rows))
		for i, r := range rows {
			x[i], y[i] = m.get(r.Estimate), m.get(r.Simulated)
		}
		out = append(out, RankStat{Metric: m.name, N: len(rows), Spearman: Spearman(x, y), Kendall: KendallTau(x, y)})
	}
	return out
}

// RankCSV returns the rows as CSV: per quantity the estimate and the
// simulated value.
func RankCSV(rows []RankRow) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	head := []string{"blocks"}
	for _, m := range rankMetrics {
		head = append(head, "est_"+m.name, "sim_"+m.name)
	}
	w.Write(head)
	for _, r := range rows {
		rec := []string{strings.Join(r.Blocks, " ")}
		for _, m := range rankMetrics {
			rec = append(rec, strconv.FormatFloat(m.get(r.Estimate), 'g', 8, 64), strconv.FormatFloat(m.get(r.Simulated), 'g', 8, 64))
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// WriteRankStats prints the correlations as a table.
func WriteRankStats(w io.Writer, stats []RankStat) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "quantity\tcandidates\tSpearman rho\tKendall tau-b")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\n", s.Metric, s.N, s.Spearman, s.Kendall)
	}
	return tw.Flush()
}
