package sim

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
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
// The compiled sub-benchmark is the target; the hand-compiled ones
// show the effect of placement (tiled: a spatial patch with all channels
// per core; fill: channel-major fill, so a spike reaches every core of the
// next layer).
// Run: go test ./sim -run '^$' -bench Loihi1 -benchtime 5x
func BenchmarkLoihi1(b *testing.B) {
	tg := mustTarget(b, "loihi1")
	b.Run("compiled-2x2", func(b *testing.B) {
		// The AutoSNN network of the paper (C = 16, CIFAR-sized inputs)
		// through the whole compile pipeline. Its expanded synapses need
		// about 290 cores, so it runs on a board of 2 x 2 loihi1 chips.
		board := loihiBoard(b, tg)
		g := zooGraph(b, "autosnn", 16, 32, 1)
		in := normalisedInputs(g, 4, 2)
		benchSim(b, compileReal(b, g, board, in[:1], 1), board, in)
	})
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
	b.Logf("load: %d neurons, %d synapses, %d cores on %d tiles in %v", s.nNeurons, s.Synapses(), len(s.corePops), s.TilesInUse(), time.Since(t0))
	var synops, msgs, spikes int64
	var energy, latency float64
	cpu0 := cpuSeconds()
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
	cpu := cpuSeconds() - cpu0
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

// cpuSeconds returns the user+system CPU time of the process so far: on a
// machine shared with other jobs it measures the simulator's own work,
// which wall time does not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
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
