package passes

import (
	"math"
	"testing"

	"github.com/autosnn/autosnn/ir"
	"github.com/google/go-cmp/cmp"
)

// TestProfileKnown checks rates computed by hand on knownNet: over the
// samples (1, 0) and (1, 1), h[0] and out[0] fire at every step (rate 1),
// h[1] and out[1] on one sample of two (rate 0.5).
func TestProfileKnown(t *testing.T) {
	g := knownNet(t)
	u := newUnit(t, g, "tiny", knownSamples[:1])
	runPasses(t, u, "fold-bn", "lower-ops", "quantize")
	u.Samples = [][]float32{{1, 0}, {1, 1}}
	runPasses(t, u, "profile")
	for _, name := range []string{"h", "out"} {
		if diff := cmp.Diff([]float32{1, 0.5}, g.Pop(name).Rates); diff != "" {
			t.Errorf("rates of %s (-want +got):\n%s", name, diff)
		}
	}
	if g.Input().Rates != nil {
		t.Errorf("input rates %v, want nil (host-driven)", g.Input().Rates)
	}
	want := &ProfileReport{Samples: 2, Layers: []LayerRate{{"h", 0.75}, {"out", 0.75}}, MeanRate: 0.75}
	if diff := cmp.Diff(want, u.Report.Profile); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	u.Samples = nil
	runPasses(t, u, "profile")
	for _, p := range g.Pops {
		if p.Rates != nil {
			t.Errorf("population %s: rates %v without samples, want nil", p.Name, p.Rates)
		}
	}
}

// TestProfileMatchesSpikes checks, on a zoo network, that the rates times
// neurons, timesteps and samples give back the integer executor's spike
// count of every population.
func TestProfileMatchesSpikes(t *testing.T) {
	g := zooNet(t, "autosnn", 2, 16)
	train(g, 8)
	ins := samples(g, 3, 2)
	u := newUnit(t, g, "loihi1", ins)
	runPasses(t, u, "fold-bn", "lower-ops", "quantize", "profile")
	ix, err := ir.NewIntExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, len(g.Pops))
	for _, in := range ins {
		res, err := ix.Run(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range res.Spikes {
			want[i] += s
		}
	}
	steps := float64(len(ins) * g.T)
	for i, p := range g.Pops[1:] {
		var sum float64
		for _, r := range p.Rates {
			if r < 0 || r > 1 {
				t.Fatalf("population %s: rate %g outside [0, 1]", p.Name, r)
			}
			sum += float64(r)
		}
		if got := int(math.Round(sum * steps)); got != want[i+1] {
			t.Errorf("population %s: rates give %d spikes, executor %d", p.Name, got, want[i+1])
		}
	}
	if u.Report.Profile.MeanRate <= 0 {
		t.Errorf("mean rate %g, want > 0", u.Report.Profile.MeanRate)
	}
}
