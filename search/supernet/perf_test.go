package supernet

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir/cpuclock"
	"github.com/autosnn/autosnn/search"
)

var (
	perfImages  = flag.Int("search.images", 0, "run TestSearchPerformance on this many random 3x32x32 validation images (0: skip)")
	perfBudget  = flag.Int("search.budget", 200, "TestSearchPerformance: architectures evaluated")
	perfNoShare = flag.Bool("search.noshare", false, "TestSearchPerformance: also time the search without prefix sharing")
	perfBatch   = flag.Int("search.batch", 64, "TestSearchPerformance: evaluation batch size")
)

// TestSearchPerformance times a full evolutionary search (Algorithm 1,
// budget -search.budget) at the paper's CIFAR setting, C = 16, T = 8,
// 3x32x32 input, on -search.images random images (the data's content does
// not change the dense kernels' cost). Run with
//
//	go test ./search/supernet -run SearchPerformance -search.images 10000 -v -timeout 2h
func TestSearchPerformance(t *testing.T) {
	if *perfImages == 0 {
		t.Skip("set -search.images to run")
	}
	sp, err := search.NewSpace("snn1", frontend.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	tr := mkTrainer(t, sp, tinyHyper(1))
	// A few training steps so that firing is not at its initial level.
	warm := &synth{shape: []int{3, 32, 32}, classes: 10, n: 192, batch: 32}
	start := time.Now()
	if err := tr.Run(context.Background(), warm); err != nil {
		t.Fatal(err)
	}
	t.Logf("warm-up: 6 training steps of 32 images in %v (%.2f s/step)", time.Since(start), time.Since(start).Seconds()/6)
	data := &synth{shape: []int{3, 32, 32}, classes: 10, n: *perfImages, batch: *perfBatch}
	cfg := search.DefaultEvoConfig()
	cfg.Budget = *perfBudget
	fit := search.Fitness{Lambda: -0.08, NAvg: tr.NAvg()}
	modes := []bool{false}
	if *perfNoShare {
		modes = append(modes, true)
	}
	for _, noShare := range modes {
		ev := &Evaluator{Net: tr.Net, Data: data, NoShare: noShare}
		cpu0 := cpuclock.Seconds()
		start := time.Now()
		h, err := search.Evolve(context.Background(), sp, ev, fit, cfg, func(done, budget int) {
			t.Logf("noshare=%v: %d/%d evaluated after %v", noShare, done, budget, time.Since(start).Round(time.Second))
		})
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		b := h.BestRecord()
		cpu := cpuclock.Seconds() - cpu0
		fmt.Printf("search noshare=%v: %d architectures on %d images: wall %v, process CPU %.1f s (%.3f CPU-s per architecture and batch of %d); block forwards %d; best %s\n",
			noShare, len(h.Records), *perfImages, el.Round(time.Millisecond), cpu, cpu/float64(len(h.Records))/float64((*perfImages+*perfBatch-1) / *perfBatch),
			*perfBatch, ev.Stats.BlockRuns, b.Arch.Key())
	}
}
