package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/ir/cpuclock"
)

// autoSNNShaped builds a network with the shape of the AutoSNN macro at
// C = 16 on 32x32 inputs (stem, two conv layers with a residual shortcut
// per stage, OR-pooling between stages, a dense head of 10 classes x 10
// votes): about 82,000 neurons and 12 million synapses. Until the compile
// pipeline lands, it stands in for the compiled C=16 AutoSNN mapping.
func autoSNNShaped(c int) (*ir.Graph, error) {
	b := ir.NewBuilder("autosnn-shaped", ir.Header{T: 8, Classes: 10, Vote: 10})
	conv := func(src *ir.Population, out int) ir.Edge {
		return ir.Edge{Src: src, Op: ir.Conv2D, Out: out, Kernel: 3, Stride: 1, Pad: 1}
	}
	plif := ir.DefaultPLIF()
	or := ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: 1}
	x := b.Input("x", ir.Shape{C: 3, H: 32, W: 32})
	cur := b.Layer("stem", plif, ir.Role{Kind: ir.RoleStem}, conv(x, c))
	chans := []int{c, 2 * c, 4 * c}
	for i, ch := range chans {
		l1 := b.Layer("b"+string(rune('1'+i))+".l1", plif, ir.Role{Kind: ir.RoleBlock, Block: i + 1, Layer: 1}, conv(cur, ch))
		in := []ir.Edge{conv(l1, ch)}
		if cur.Shape.C == ch {
			in = append(in, ir.Skip(cur))
		}
		l2 := b.Layer("b"+string(rune('1'+i))+".l2", plif, ir.Role{Kind: ir.RoleBlock, Block: i + 1, Layer: 2}, in...)
		cur = b.Layer("pool"+string(rune('1'+i)), or, ir.Role{Kind: ir.RolePool, Block: i + 1}, ir.Pool(ir.SumPool, l2, 2))
	}
	b.Layer("fc", plif, ir.Role{Kind: ir.RoleHead}, ir.Full(cur, 100))
	return b.Graph()
}

// BenchmarkLoihi1 reports synaptic events per second (the target
// is >= 100 M/s on one core), images per second and the per-image cost.
// The compiled C=16 AutoSNN mapping is benchmarked in package e2e; these
// hand-compiled networks show the effect of placement (tiled: a spatial
// patch with all channels per core; fill: channel-major fill, so a spike
// reaches every core of the next layer).
// Run: go test ./sim -run '^$' -bench Loihi1 -benchtime 4x
func BenchmarkLoihi1(b *testing.B) {
	tg := mustTarget(b, "loihi1")
	hand := func(place placement) func(b *testing.B) {
		return func(b *testing.B) {
			g, err := autoSNNShaped(16)
			if err != nil {
				b.Fatal(err)
			}
			g = compileNet(b, g, tg, place, 1)
			rng := rand.New(rand.NewPCG(1, 1))
			in := make([][]float32, 4)
			for i := range in {
				in[i] = randomInput(g, rng)
			}
			benchSim(b, g, tg, in)
		}
	}
	b.Run("hand-tiled", hand(tiled))
	b.Run("hand-fill", hand(fill))
}

func benchSim(b *testing.B, g *ir.Graph, tg *backends.Target, inputs [][]float32) {
	t0 := time.Now()
	s, err := New(g, tg)
	if err != nil {
		b.Fatal(err)
	}
	m := NewSummary(s)
	b.Logf("load: %d neurons, %d synapses, %d cores on %d tiles in %v", m.Neurons, m.Synapses, m.CoresUsed, m.TilesUsed, time.Since(t0))
	var synops, msgs, spikes int64
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
	b.ReportMetric(float64(spikes)/n, "spikes/image")
	b.ReportMetric(energy/n/1e6, "uJ/image")
	b.ReportMetric(latency/n/1e3, "us/image")
}

// BenchmarkNew measures loading the AutoSNN-shaped network at C = 16 (12
// million synapses) onto loihi1: expanding and grouping the synapses,
// which dominates New for big networks (a C = 64 AutoSNN has 534 million).
// Run: go test ./sim -run '^$' -bench New -benchtime 3x -benchmem
func BenchmarkNew(b *testing.B) {
	tg := mustTarget(b, "loihi1")
	g, err := autoSNNShaped(16)
	if err != nil {
		b.Fatal(err)
	}
	g = compileNet(b, g, tg, tiled, 1)
	b.Run("trained", func(b *testing.B) {
		cpu0 := cpuclock.Seconds()
		for b.Loop() {
			if _, err := New(g, tg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric((cpuclock.Seconds()-cpu0)/float64(b.N), "cpu-s/op")
	})
	// With delays (a residual join balanced by the delay pass's rule) the
	// groups are split into segments by delay.
	balanceByHand(g)
	b.Run("delays", func(b *testing.B) {
		cpu0 := cpuclock.Seconds()
		for b.Loop() {
			if _, err := NewWithOptions(g, tg, Options{Semantics: Chip}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric((cpuclock.Seconds()-cpu0)/float64(b.N), "cpu-s/op")
	})
}
