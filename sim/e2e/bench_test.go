package e2e

import (
	"testing"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir/cpuclock"
	"github.com/autosnn/autosnn/sim"
)

// BenchmarkAutoSNNLoihi1 simulates the AutoSNN network of the paper (C =
// 16, CIFAR-sized 32x32 inputs, T = 8) with seeded random parameters,
// compiled by the whole pipeline for loihi1 (which holds it with
// convolutional weight sharing; a profile without it needs the 2 x 2
// board of BenchmarkAutoSNNLoihi1Board). It reports synaptic events per
// wall-clock and per CPU second (the target is >= 100 M/s on one
// core), images per second and the per-image cost.
//
//	go test ./sim/e2e -run '^$' -bench AutoSNNLoihi1 -benchtime 6x
func BenchmarkAutoSNNLoihi1(b *testing.B) {
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		b.Fatal(err)
	}
	benchAutoSNN(b, tg)
}

// BenchmarkAutoSNNLoihi1Board runs the same network on a board of 2 x 2
// loihi1 chips without convolutional weight sharing (expanded synapses, as
// SANA-FE models Loihi): about 290 cores.
func BenchmarkAutoSNNLoihi1Board(b *testing.B) {
	tg, err := backends.Lookup("loihi1")
	if err != nil {
		b.Fatal(err)
	}
	board := loihiBoard(b, tg)
	p := board.Profile
	p.Core.ConvWeightSharing = false
	expanded, err := backends.NewTarget(&p, board.File+" (expanded synapses)")
	if err != nil {
		b.Fatal(err)
	}
	benchAutoSNN(b, expanded)
}

func benchAutoSNN(b *testing.B, tg *backends.Target) {
	g := zooGraph(b, "autosnn", 16, 32, 1)
	inputs := normalisedInputs(g, 4, 2)
	g = compileReal(b, g, tg, inputs[:1], 1)
	board := tg
	t0 := time.Now()
	s, err := sim.New(g, board)
	if err != nil {
		b.Fatal(err)
	}
	m := sim.NewSummary(s)
	b.Logf("load: %d neurons, %d synapses, %d cores on %d tiles in %v", m.Neurons, m.Synapses, m.CoresUsed, m.TilesUsed, time.Since(t0))
	var synops, msgs, spikes, hops int64
	var energy, latency float64
	cpu0 := cpuclock.Seconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := s.Run(inputs[i%len(inputs)], nil)
		if err != nil {
			b.Fatal(err)
		}
		synops += r.Total.SynOps
		msgs += r.Total.Messages
		spikes += r.Total.Spikes
		hops += r.Total.Hops
		energy += r.Total.Energy.Total()
		latency += r.Total.LatencyNs
	}
	sec := b.Elapsed().Seconds()
	cpu := cpuclock.Seconds() - cpu0
	n := float64(b.N)
	b.ReportMetric(float64(synops)/sec, "synevents/s")
	b.ReportMetric(float64(synops)/cpu, "synevents/cpu-s")
	b.ReportMetric(n/sec, "images/s")
	b.ReportMetric(float64(synops)/n, "synops/image")
	b.ReportMetric(float64(msgs)/n, "messages/image")
	b.ReportMetric(float64(hops)/n, "hops/image")
	b.ReportMetric(float64(spikes)/n, "spikes/image")
	b.ReportMetric(energy/n/1e6, "uJ/image")
	b.ReportMetric(latency/n/1e3, "us/image")
}

// loihiBoard returns a board of 2 x 2 chips of t (loihi1). The inter-chip
// hop (30 pJ, 100 ns) is ASSUMED: Davies et al. 2018 do not publish it.
func loihiBoard(tb testing.TB, t *backends.Target) *backends.Target {
	tb.Helper()
	p := t.Profile
	p.Name = "loihi1-2x2"
	p.Mesh.ChipsX, p.Mesh.ChipsY = 2, 2
	p.NoC.InterChipHopLatencyNs = 100
	p.Energy.InterChipHopPJ = 30
	bt, err := backends.NewTarget(&p, "loihi1 x 2 x 2 (inter-chip hop assumed)")
	if err != nil {
		tb.Fatal(err)
	}
	return bt
}
