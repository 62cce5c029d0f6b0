package pipeline

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

// synth is a deterministic synthetic source of 1x8x8 images of 3 classes
// (the class shifts the mean of every third pixel), so paths can learn.
type synth struct{ n, batch int }

type synthIter struct {
	s     synth
	rng   *rand.Rand
	i, nb int
	b     dataset.Batch
}

func (s synth) Train(ctx context.Context, epoch int) (train.Batches, error) {
	return &synthIter{s: s, rng: rand.New(rand.NewPCG(uint64(epoch)+1, 7))}, nil
}
func (s synth) Eval(ctx context.Context) (train.Batches, error) {
	return &synthIter{s: s, rng: rand.New(rand.NewPCG(1000, 7))}, nil
}

func (it *synthIter) Next() bool {
	if it.i >= it.s.n {
		return false
	}
	n := min(it.s.batch, it.s.n-it.i)
	it.b.Labels = it.b.Labels[:0]
	it.b.X = make([]float32, n*64)
	for k := range n {
		y := it.rng.IntN(3)
		it.b.Labels = append(it.b.Labels, y)
		for j := range 64 {
			v := float32(it.rng.NormFloat64()) * 0.5
			if j%3 == 0 {
				v += float32(y) * 0.8
			}
			it.b.X[k*64+j] = v
		}
	}
	it.b.Shape = []int{n, 1, 8, 8}
	it.b.Index = it.nb
	it.nb++
	it.i += n
	return true
}
func (it *synthIter) Batch() *dataset.Batch { return &it.b }
func (it *synthIter) Err() error            { return nil }
func (it *synthIter) Close()                {}
func (it *synthIter) Len() int              { return (it.s.n + it.s.batch - 1) / it.s.batch }

// samples draws n labelled inputs like synth's.
func samples(n int, seed uint64) Samples {
	it, _ := synth{n: n, batch: n}.Train(context.Background(), int(seed))
	it.Next()
	b := it.Batch()
	var s Samples
	for k := range n {
		s.Inputs = append(s.Inputs, b.X[k*64:(k+1)*64])
		s.Labels = append(s.Labels, b.Labels[k])
	}
	return s
}

// tinySupernet trains a C=2, T=2 super-network on 1x8x8 inputs for one
// epoch of synthetic data.
func tinySupernet(t *testing.T) (*supernet.Trainer, synth) {
	t.Helper()
	base := frontend.Spec{Name: "tiny", Channels: 2, T: 2, Input: []int{1, 8, 8}, Classes: 3, Neuron: "plif"}
	sp, err := search.NewSpace("snn1", base)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := supernet.NewTrainer(sp, train.Hyper{Epochs: 1, Batch: 8, LR: 1e-2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	data := synth{n: 64, batch: 8}
	if err := tr.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	return tr, data
}

var tinyEvo = search.EvoConfig{Rounds: 2, Pool: 4, TopK: 2, Mutations: 1, Crossovers: 1, MutationProb: 0.2, Budget: 6, Seed: 5}

// TestSweep runs a lambda sweep on loihi1 and checks the table against the
// histories, the policy, the budget and the files written.
func TestSweep(t *testing.T) {
	tr, data := tinySupernet(t)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	for _, cost := range []string{CostSpikes, CostEnergy} {
		t.Run(cost, func(t *testing.T) {
			cfg := SweepConfig{Lambdas: []float64{0, -0.5}, Cost: cost, Evo: tinyEvo, Profile: samples(2, 9), Test: samples(3, 10), CompileSeed: 1}
			ev := &supernet.Evaluator{Net: tr.Net, Data: data}
			res, err := Sweep(context.Background(), tr.Net, ev, tr.NAvg(), chip, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != 2 || len(res.Histories) != 2 || len(res.Deployments) != 2 {
				t.Fatalf("got %d rows, %d histories, %d deployments, want 2 each", len(res.Rows), len(res.Histories), len(res.Deployments))
			}
			if res.Evaluations < 6 || res.Evaluations > 2*6+tinyEvo.Pool {
				t.Errorf("evaluations %d, want 6..%d (the cache is shared)", res.Evaluations, 2*6+tinyEvo.Pool)
			}
			for i, r := range res.Rows {
				b := res.Histories[i].BestRecord()
				if r.Key != b.Arch.Key() || r.Acc != b.Acc || r.Spikes != b.Spikes {
					t.Errorf("row %d: %s acc %v spikes %v, history best %s %v %v", i, r.Key, r.Acc, r.Spikes, b.Arch.Key(), b.Acc, b.Spikes)
				}
				if r.Fits {
					if r.Cores < 1 || r.Cores > chip.NumCores || !(r.EnergyPJ > 0) || !(r.LatencyNs > 0) {
						t.Errorf("row %d fits but has cores %d, energy %v, latency %v", i, r.Cores, r.EnergyPJ, r.LatencyNs)
					}
				} else if r.FitError == "" {
					t.Errorf("row %d does not fit but has no reason", i)
				}
				if cost == CostEnergy && r.Cost != 0 && math.Abs(r.Cost-r.Estimate.EnergyPJ) > 1e-9*r.Cost {
					t.Errorf("row %d: fitness cost %v, want the analytical energy %v", i, r.Cost, r.Estimate.EnergyPJ)
				}
			}
			if cost == CostSpikes && res.CostAvg != tr.NAvg() {
				t.Errorf("spikes cost normaliser %v, want N_avg %v", res.CostAvg, tr.NAvg())
			}
			if !(res.CostAvg > 0) {
				t.Errorf("cost normaliser %v, want > 0", res.CostAvg)
			}
			if got := Choose(res.Rows, 0); got != res.Chosen {
				t.Errorf("Chosen %d, Choose says %d", res.Chosen, got)
			}
			dir := t.TempDir()
			if err := res.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			want := []string{TableCSV, TableJSON, ParetoFile, filepath.Join(LambdaDir(0), "best.yaml"), filepath.Join(LambdaDir(-0.5), "history.csv")}
			if res.Chosen < 0 {
				t.Fatalf("nothing chosen on %s: %+v", chip.Name(), res.Rows)
			}
			{
				want = append(want, "chosen/mapping/mapping.yaml", "chosen/sim/summary.yaml", "chosen/sim/linkload.png")
			}
			for _, f := range want {
				if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s: %v (size %v), want a non-empty file", f, err, st)
				}
			}
			var tab strings.Builder
			if err := res.WriteTable(&tab); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s sweep on loihi1:\n%s", cost, tab.String())
			if !strings.Contains(tab.String(), "lambda") || strings.Count(tab.String(), "\n") < 4 {
				t.Errorf("table:\n%s\nwant a header, two rows and the choice", tab.String())
			}

			// A budget nothing meets leaves nothing chosen.
			cfg.Budget = Budget{EnergyPJ: 1}
			res2, err := Sweep(context.Background(), tr.Net, search.NewCache(ev), tr.NAvg(), chip, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res2.Chosen != -1 {
				t.Errorf("budget energy=1pJ: chosen %d, want -1 (rows %+v)", res2.Chosen, res2.Rows)
			}
			for i, r := range res2.Rows {
				if r.Fits && (len(r.Violations) != 1 || !strings.HasPrefix(r.Violations[0], "energy ")) {
					t.Errorf("budget energy=1pJ: row %d violations %v, want the energy limit", i, r.Violations)
				}
			}
		})
	}
}

func TestSweepErrors(t *testing.T) {
	tr, data := tinySupernet(t)
	chip, err := backends.Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	ev := &supernet.Evaluator{Net: tr.Net, Data: data}
	cases := []struct {
		name string
		nAvg float64
		cfg  SweepConfig
		want string
	}{
		{"no lambdas", 1, SweepConfig{Evo: tinyEvo, Test: samples(1, 1)}, "no lambdas"},
		{"no N_avg", 0, SweepConfig{Lambdas: []float64{0}, Evo: tinyEvo, Test: samples(1, 1)}, "N_avg 0"},
		{"bad cost", 1, SweepConfig{Lambdas: []float64{0}, Cost: "joules", Evo: tinyEvo, Test: samples(1, 1)}, `cost "joules"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Sweep(context.Background(), tr.Net, ev, c.nAvg, chip, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Sweep error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestSweepNothingFits sweeps on the tiny test chip (8 cores of 64 neurons),
// which no candidate of the space fits: every row says why and nothing is
// chosen.
func TestSweepNothingFits(t *testing.T) {
	tr, data := tinySupernet(t)
	chip, err := backends.Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg := SweepConfig{Lambdas: []float64{0, -0.5}, Cost: CostEnergy, Evo: tinyEvo, Profile: samples(2, 9), Test: samples(3, 10), CompileSeed: 1}
	res, err := Sweep(context.Background(), tr.Net, &supernet.Evaluator{Net: tr.Net, Data: data}, tr.NAvg(), chip, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Chosen != -1 {
		t.Errorf("chosen %d on %s, want -1", res.Chosen, chip.Name())
	}
	for i, r := range res.Rows {
		if r.Fits || !strings.Contains(r.FitError, "passes:") || !math.IsInf(r.Cost, 1) {
			t.Errorf("row %d: fits %v, reason %q, cost %v; want a compiler fit error and cost +Inf", i, r.Fits, r.FitError, r.Cost)
		}
	}
	dir := t.TempDir()
	if err := res.WriteDir(dir); err != nil {
		t.Fatalf("WriteDir with infinite costs: %v", err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "lambda.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(js), `"fitness_cost": null`); n != len(res.Rows) {
		t.Errorf("lambda.json has %d null fitness costs, want %d (one per row):\n%s", n, len(res.Rows), js)
	}
}

// TestRankCheck ranks 5 random candidates on loihi1 and checks the rows
// and the statistics.
func TestRankCheck(t *testing.T) {
	tr, data := tinySupernet(t)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	cache := search.NewCache(&supernet.Evaluator{Net: tr.Net, Data: data})
	rows, stats, err := RankCheck(context.Background(), tr.Net, cache, chip, 5, 3, samples(2, 9), samples(3, 10), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || cache.Misses != 5 {
		t.Fatalf("%d rows from %d evaluations, want 5 and 5 (every candidate fits loihi1)", len(rows), cache.Misses)
	}
	if len(stats) != len(rankMetrics) {
		t.Fatalf("%d statistics, want %d", len(stats), len(rankMetrics))
	}
	for _, r := range rows {
		if r.Simulated.Cores < 1 || r.Estimate.Cores < 1 || !(r.Simulated.EnergyPJ > 0) || !(r.Estimate.EnergyPJ > 0) {
			t.Errorf("%v: estimate %+v, simulated %+v: want cores >= 1 and energy > 0 on both sides", r.Blocks, r.Estimate, r.Simulated)
		}
	}
	for _, s := range stats {
		if s.N != 5 || (!math.IsNaN(s.Spearman) && (s.Spearman < -1 || s.Spearman > 1)) {
			t.Errorf("%+v: want N 5 and rho in [-1, 1] (or NaN for a constant column)", s)
		}
	}
	b, err := RankCSV(rows)
	if err != nil || strings.Count(string(b), "\n") != 6 {
		t.Errorf("RankCSV: %v, %d lines, want a header and 5 rows", err, strings.Count(string(b), "\n"))
	}
	if _, _, err := RankCheck(context.Background(), tr.Net, cache, chip, 1, 3, samples(2, 9), samples(3, 10), nil); err == nil {
		t.Errorf("RankCheck of 1 candidate: got no error")
	}
}
