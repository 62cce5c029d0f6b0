package search

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/backends/chipcost"
	"github.com/autosnn/autosnn/frontend"
)

// synthetic is a deterministic stand-in for a super-network: bigger blocks
// are more accurate and fire more, with an interaction so the landscape is
// not separable.
type synthetic struct{ calls int }

func (s *synthetic) Evaluate(_ context.Context, archs []Arch) ([]Evaluation, error) {
	s.calls++
	out := make([]Evaluation, len(archs))
	for i, a := range archs {
		acc, spikes := 0.5, 10000.0
		for j, c := range a {
			acc += 0.02*float64(c) + 0.01*math.Sin(float64(j*c+1))
			spikes += 20000 * float64(c) * float64(j+1) / 5
		}
		out[i] = Evaluation{Acc: math.Min(acc, 1), Spikes: spikes}
	}
	return out, nil
}

func snn1(t *testing.T) Space {
	t.Helper()
	s, err := NewSpace("snn1", frontend.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSpaces(t *testing.T) {
	want := map[string]int{"snn1": 3125, "snn2": 3125, "snn3": 390625, "snn4": 3125, "snn1-8": 390625, "ann": 3125}
	for _, name := range SpaceNames() {
		s, err := NewSpace(name, frontend.DefaultSpec())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Size() != want[name] {
			t.Errorf("%s: size %d, want %d", name, s.Size(), want[name])
		}
	}
	if _, err := NewSpace("snn9", frontend.DefaultSpec()); err == nil {
		t.Error("unknown space accepted")
	}
	// DVS input: 128x128x2 must build for search too.
	dvs := frontend.DefaultSpec()
	dvs.Input = []int{2, 128, 128}
	if _, err := NewSpace("snn1", dvs); err != nil {
		t.Errorf("DVS space: %v", err)
	}
}

// TestRandomDistinct: n distinct architectures, the same ones for the same
// seed, and the whole space when n is its size.
func TestRandomDistinct(t *testing.T) {
	s, err := NewSpace("snn1", frontend.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	s.Positions = 2 // 25 architectures
	for _, n := range []int{1, 10, 25} {
		got := s.RandomDistinct(rand.New(rand.NewPCG(3, 4)), n)
		seen := map[string]bool{}
		for _, a := range got {
			seen[a.Key()] = true
		}
		if len(got) != n || len(seen) != n {
			t.Errorf("n=%d: %d architectures, %d distinct; want %d", n, len(got), len(seen), n)
		}
		again := s.RandomDistinct(rand.New(rand.NewPCG(3, 4)), n)
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("n=%d: not deterministic (-first +second):\n%s", n, diff)
		}
	}
}

func TestEvolveAlgorithm1(t *testing.T) {
	space := snn1(t)
	ev := &synthetic{}
	fit := Fitness{Lambda: -0.08, NAvg: 100000}
	h, err := Evolve(context.Background(), space, ev, fit, DefaultEvoConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Records) != 200 || ev.calls != 10 {
		t.Fatalf("got %d records in %d evaluator calls, want 200 in 10 rounds", len(h.Records), ev.calls)
	}
	seen := map[string]bool{}
	origins := map[Origin]int{}
	for i, r := range h.Records {
		if seen[r.Arch.Key()] {
			t.Fatalf("record %d: %v evaluated twice", i, r.Arch)
		}
		seen[r.Arch.Key()] = true
		origins[r.Origin]++
		if r.Round == 1 && r.Origin != FromRandom {
			t.Errorf("round 1 record %d has origin %s", i, r.Origin)
		}
		if r.Fitness > h.BestRecord().Fitness {
			t.Errorf("record %d fitter than the reported best", i)
		}
	}
	if origins[FromRandom] != 20 || origins[FromMutation] < 50 || origins[FromCrossover] < 50 {
		t.Errorf("origins %v: want 20 random and most of the rest bred", origins)
	}
	// Same seed, same history.
	h2, _ := Evolve(context.Background(), space, &synthetic{}, fit, DefaultEvoConfig(), nil)
	if diff := cmp.Diff(h, h2); diff != "" {
		t.Errorf("not deterministic:\n%s", diff)
	}
}

func TestEvolutionBeatsRandom(t *testing.T) {
	space := snn1(t)
	fit := Fitness{Lambda: -0.5, NAvg: 100000}
	var evo, rnd float64
	for seed := uint64(1); seed <= 8; seed++ {
		cfg := DefaultEvoConfig()
		cfg.Seed = seed
		cfg.Budget, cfg.Rounds = 100, 5
		h, err := Evolve(context.Background(), space, &synthetic{}, fit, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := RandomSearch(context.Background(), space, &synthetic{}, fit, 100, 20, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		evo += h.BestRecord().Fitness
		rnd += r.BestRecord().Fitness
	}
	if evo <= rnd {
		t.Errorf("mean best fitness: evolution %g <= random %g", evo/8, rnd/8)
	}
}

func TestLambdaTradesSpikes(t *testing.T) {
	space := snn1(t)
	cache := NewCache(&synthetic{})
	prev := math.Inf(1)
	for _, lambda := range []float64{0, -0.3, -1, -3} {
		h, err := Evolve(context.Background(), space, cache, Fitness{Lambda: lambda, NAvg: 100000}, DefaultEvoConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		b := h.BestRecord()
		if b.Spikes > prev {
			t.Errorf("lambda %g chose %g spikes, more than %g at the weaker lambda", lambda, b.Spikes, prev)
		}
		prev = b.Spikes
	}
	if cache.Misses >= 800 {
		t.Errorf("cache saved nothing: %d evaluations for 4 searches", cache.Misses)
	}
}

func TestFitness(t *testing.T) {
	tests := []struct {
		f    Fitness
		e    Evaluation
		want float64
	}{
		{Fitness{Lambda: 0, NAvg: 100}, Evaluation{Acc: 0.9, Spikes: 50}, 0.9},
		{Fitness{Lambda: -1, NAvg: 100}, Evaluation{Acc: 0.9, Spikes: 50}, 1.8},
		{Fitness{Lambda: -0.08, NAvg: 100}, Evaluation{Acc: 0.9, Spikes: 100}, 0.9},
		{Fitness{Form: Linear, Lambda: 0.1, NAvg: 100}, Evaluation{Acc: 0.9, Spikes: 200}, 0.7},
		{Fitness{Lambda: -0.5, NAvg: 100}, Evaluation{Acc: 0.1, Spikes: 0}, 0.1}, // silent network ranks by accuracy
		{Fitness{Lambda: 0}, Evaluation{Acc: 0.8}, 0.8},                          // ANN space: N_avg = 0, accuracy alone
		{Fitness{Form: Linear, Lambda: 0}, Evaluation{Acc: 0.7}, 0.7},            // not 0.7 - 0 x 0/0 = NaN
	}
	for _, tt := range tests {
		if got := tt.f.Of(nil, tt.e); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%+v of %+v = %g, want %g", tt.f, tt.e, got, tt.want)
		}
	}
	if err := (Fitness{Lambda: 0.1, NAvg: 1}).Validate(); err == nil {
		t.Error("positive lambda accepted")
	}
	if err := (Fitness{Lambda: -0.1}).Validate(); err == nil || !strings.Contains(err.Error(), "N_avg") {
		t.Errorf("got %v, want an N_avg error", err)
	}
	if err := (Fitness{Lambda: 0}).Validate(); err != nil {
		t.Errorf("lambda 0 with N_avg 0 (the ANN space): %v, want accepted", err)
	}
}

func TestPareto(t *testing.T) {
	h := &History{Records: []Record{{Acc: 0.5, Spikes: 10}, {Acc: 0.6, Spikes: 20}, {Acc: 0.55, Spikes: 30}, {Acc: 0.7, Spikes: 30}, {Acc: 0.4, Spikes: 5}}}
	if diff := cmp.Diff([]int{4, 0, 1, 3}, h.Pareto()); diff != "" {
		t.Errorf("front (-want +got):\n%s", diff)
	}
}

func TestWriteDir(t *testing.T) {
	space := snn1(t)
	h, err := Evolve(context.Background(), space, &synthetic{}, Fitness{Lambda: -0.08, NAvg: 1e5}, DefaultEvoConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := h.WriteDir(dir, space); err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(filepath.Join(dir, "best.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := frontend.ParseSpec(y, "best.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h.BestRecord().Blocks, spec.Blocks); diff != "" {
		t.Errorf("best.yaml blocks (-want +got):\n%s", diff)
	}
	var j historyJSON
	data, _ := os.ReadFile(filepath.Join(dir, "history.json"))
	if err := json.Unmarshal(data, &j); err != nil || len(j.Records) != 200 {
		t.Errorf("history.json: %v, %d records", err, len(j.Records))
	}
	png, _ := os.ReadFile(filepath.Join(dir, "pareto.png"))
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Errorf("pareto.png is not a PNG (%d bytes)", len(png))
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "history.csv"))
	if n := strings.Count(string(csv), "\n"); n != 201 {
		t.Errorf("history.csv has %d lines, want 201", n)
	}
}

func TestChipCostFitness(t *testing.T) {
	space := snn1(t)
	tg, err := backends.Lookup("loihi2")
	if err != nil {
		t.Fatal(err)
	}
	cost, err := ChipCost(space, tg, chipcost.MetricEnergy)
	if err != nil {
		t.Fatal(err)
	}
	fit := Fitness{Lambda: -0.5, NAvg: 1e9, Cost: cost, CostName: "energy"}
	h, err := Evolve(context.Background(), space, &synthetic{}, fit, DefaultEvoConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h.Records {
		if !(r.Cost > 0) || math.IsInf(r.Cost, 0) {
			t.Fatalf("record %v: energy %g pJ, want finite > 0 on loihi2", r.Blocks, r.Cost)
		}
	}
	// On the tiny test chip nothing fits: every cost is +Inf, every fitness 0.
	tiny, _ := backends.Lookup("tiny")
	cost, _ = ChipCost(space, tiny, chipcost.MetricEnergy)
	f := Fitness{Lambda: -0.5, NAvg: 1, Cost: cost}
	if v := f.Of(Arch{0, 0, 0, 0, 0}, Evaluation{Acc: 0.9, Spikes: 1000}); v != 0 {
		t.Errorf("fitness of a network that does not fit = %g, want 0", v)
	}
	// Histories with such candidates still serialise (cost null in JSON).
	h, err = Evolve(context.Background(), space, &synthetic{}, f, DefaultEvoConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.WriteDir(t.TempDir(), space); err != nil {
		t.Errorf("writing a history of candidates that do not fit: %v", err)
	}
	if _, err := ChipCost(space, tg, "joy"); err == nil {
		t.Error("unknown metric accepted")
	}
}
