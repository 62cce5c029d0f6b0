package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
)

// stubEval is a deterministic evaluator (a non-separable function of the
// architecture) that cancels its context at its stopAt-th call (1-based; 0:
// never), as Ctrl-C does during an evaluation.
type stubEval struct {
	calls, stopAt int
	evaluated     int // architectures evaluated
	cancel        context.CancelFunc
}

func (s *stubEval) Evaluate(ctx context.Context, archs []search.Arch) ([]search.Evaluation, error) {
	s.calls++
	if s.calls == s.stopAt {
		s.cancel()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.evaluated += len(archs)
	out := make([]search.Evaluation, len(archs))
	for i, a := range archs {
		acc, spikes := 0.4, 5000.0
		for j, c := range a {
			acc += 0.03*float64(c) + 0.02*math.Sin(float64(j*c+3*j+1))
			spikes += 7000 * float64(c*(j+1)) * (1 + 0.3*math.Cos(float64(c+j)))
		}
		out[i] = search.Evaluation{Acc: math.Min(acc, 1), Spikes: spikes, PopSpikes: map[string]float64{"head": spikes / 10}}
	}
	return out, nil
}

// historyFiles returns the contents of every history file of a run in out.
func historyFiles(t *testing.T, out string, lambdas []float64) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, lam := range lambdas {
		for _, f := range []string{"best.yaml", "history.csv", "history.json", "pareto.png"} {
			p := filepath.Join(LambdaDir(lam), f)
			b, err := os.ReadFile(filepath.Join(out, p))
			if err != nil {
				t.Fatal(err)
			}
			files[p] = b
		}
	}
	return files
}

// TestSearchResume interrupts runs of searches (evolution and random,
// several seeds, at several evaluator calls, some of them twice), resumes
// them, and checks that they end with the histories, winners and counts of
// new evaluations of an uninterrupted run, evaluating no architecture twice
// (the stub stops before evaluating, so an interrupted call loses nothing).
func TestSearchResume(t *testing.T) {
	space, err := search.NewSpace("snn1", frontend.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	lambdas := []float64{-0.08, 0, -0.3}
	evo := search.EvoConfig{Rounds: 4, Pool: 6, TopK: 3, Mutations: 2, Crossovers: 2, MutationProb: 0.3, Budget: 20}
	for _, random := range []bool{false, true} {
		for seed := uint64(1); seed <= 2; seed++ {
			evo.Seed = seed
			run := map[string]string{"seed": fmt.Sprint(seed), "algo": fmt.Sprint(random)}
			cfg := func(out string, resume bool) SearchConfig {
				return SearchConfig{Lambdas: lambdas, NAvg: 30000, Random: random, Evo: evo, Out: out, Run: run, Resume: resume}
			}
			ref := t.TempDir()
			refEval := &stubEval{}
			refRows, err := Search(context.Background(), space, search.NewCache(refEval), cfg(ref, false))
			if err != nil {
				t.Fatal(err)
			}
			want := historyFiles(t, ref, lambdas)
			// The evaluator is called once per round with new architectures: 4
			// rounds for the first lambda (and for random search in all: every
			// lambda draws the same architectures), fewer for later ones.
			allStops := [][]int{{1}, {2}, {6}, {3, 3}, {3, 1, 2}} // up to the second call of lambda 2
			if random {
				allStops = [][]int{{1}, {2}, {4}, {3, 2}, {3, 1, 1}}
			}
			for _, stops := range allStops {
				name := fmt.Sprintf("random=%v/seed=%d/stops=%v", random, seed, stops)
				out := t.TempDir()
				resume, interrupted, evaluated := false, 0, 0
				var rows []SearchRow
				for k := 0; ; k++ {
					ctx, cancel := context.WithCancel(context.Background())
					ev := &stubEval{cancel: cancel}
					if k < len(stops) {
						ev.stopAt = stops[k]
					}
					rows, err = Search(ctx, space, search.NewCache(ev), cfg(out, resume))
					cancel()
					evaluated += ev.evaluated
					var ie *train.Interrupted
					if errors.As(err, &ie) {
						if ie.Checkpoint != filepath.Join(out, SearchCheckpoint) || !strings.Contains(err.Error(), "search: interrupted in the search of lambda") {
							t.Fatalf("%s: interrupted: %v (checkpoint %q)", name, err, ie.Checkpoint)
						}
						interrupted++
						resume = true
						// Ctrl-C while replaying (before any evaluation)
						// leaves the checkpoint, which is further on.
						done, cancel := context.WithCancel(context.Background())
						cancel()
						if _, err := Search(done, space, search.NewCache(&stubEval{}), cfg(out, true)); !errors.As(err, &ie) {
							t.Fatalf("%s: resumed with a cancelled context: got %v, want an interruption", name, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					break
				}
				if interrupted == 0 {
					t.Errorf("%s: never interrupted (the test's stop points are past the run's evaluator calls)", name)
				}
				if evaluated != refEval.evaluated {
					t.Errorf("%s: %d architectures evaluated over the interrupted and resumed runs, want the uninterrupted run's %d (none again)", name, evaluated, refEval.evaluated)
				}
				got := historyFiles(t, out, lambdas)
				for p, w := range want {
					if !bytes.Equal(got[p], w) {
						t.Errorf("%s: %s differs from the uninterrupted run's:\n%s\n---\n%s", name, p, got[p], w)
					}
				}
				for i, r := range rows {
					if r.NewEvals != refRows[i].NewEvals || r.History.Best != refRows[i].History.Best {
						t.Errorf("%s: lambda %g: new evaluations %d, best %d; uninterrupted: %d, %d", name, r.Lambda, r.NewEvals, r.History.Best, refRows[i].NewEvals, refRows[i].History.Best)
					}
				}
			}
		}
	}
}

// TestSearchResumeRefusals: --resume with other settings names each flag;
// without a checkpoint or with a corrupt one it says which file.
func TestSearchResumeRefusals(t *testing.T) {
	space, err := search.NewSpace("snn1", frontend.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	evo := search.EvoConfig{Rounds: 2, Pool: 4, TopK: 2, Mutations: 1, Crossovers: 1, MutationProb: 0.3, Budget: 8, Seed: 1}
	out := t.TempDir()
	cfg := SearchConfig{Lambdas: []float64{0}, NAvg: 30000, Evo: evo, Out: out, Run: map[string]string{"seed": "1", "lambda": "0"}, Resume: true}
	if _, err := Search(context.Background(), space, search.NewCache(&stubEval{}), cfg); err == nil || !strings.Contains(err.Error(), SearchCheckpoint) {
		t.Errorf("resume without a checkpoint: got %v, want an error naming %s", err, SearchCheckpoint)
	}
	cfg.Resume = false
	if _, err := Search(context.Background(), space, search.NewCache(&stubEval{}), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Resume = true
	cfg.Run = map[string]string{"seed": "2", "lambda": "0", "pool": "4"}
	_, err = Search(context.Background(), space, search.NewCache(&stubEval{}), cfg)
	for _, want := range []string{"--seed 2 (the checkpoint's run has 1)", "--pool 4 (the checkpoint's run does not set it)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("resume with other settings: got %v, want an error containing %q", err, want)
		}
	}
	ck := filepath.Join(out, SearchCheckpoint)
	if err := os.WriteFile(ck, []byte("autosnn search checkpoint v1\ngarbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Run = map[string]string{"seed": "1", "lambda": "0"}
	if _, err := Search(context.Background(), space, search.NewCache(&stubEval{}), cfg); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt checkpoint: got %v, want an error saying corrupt", err)
	}
}
