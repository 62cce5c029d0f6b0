package passes

import (
	"errors"
	"testing"
)

// TestFillChannelsLast: every neuron in a part, parts single-layer, in
// channels-last order within a layer, and within every per-core limit
// that the fill checks (neurons, synaptic memory, input axons), as verify
// recounts them with the parts as cores.
func TestFillChannelsLast(t *testing.T) {
	done := 0
	for _, chip := range testChips {
		tg := lookup(t, chip)
		if tg.Profile.LayerCores != nil {
			continue
		}
		lim := TargetLimits(tg)
		for seed := uint64(1); seed <= 6; seed++ {
			g := randGraph(t, seed)
			part, k, err := FillChannelsLast(g, tg, FillOptions{})
			if err != nil {
				var fe *FitError
				if !errors.As(err, &fe) {
					t.Fatalf("%s seed %d: %v, want nil or a *FitError", chip, seed, err)
				}
				continue
			}
			done++
			layerOf := make([]int, k)
			for i := range layerOf {
				layerOf[i] = -1
			}
			for i, p := range g.Pops {
				if i == 0 {
					if part[0] != nil {
						t.Fatalf("%s seed %d: the input has parts", chip, seed)
					}
					continue
				}
				s := p.Shape
				last := int32(-1)
				for h := 0; h < s.H; h++ {
					for w := 0; w < s.W; w++ {
						for c := 0; c < s.C; c++ {
							q := part[i][(c*s.H+h)*s.W+w]
							if q < last || q < 0 || int(q) >= k {
								t.Fatalf("%s seed %d: %s (c=%d, h=%d, w=%d) in part %d after part %d, want channels-last order in 0..%d", chip, seed, p.Name, c, h, w, q, last, k-1)
							}
							if layerOf[q] != -1 && layerOf[q] != i {
								t.Fatalf("%s seed %d: part %d holds two layers", chip, seed, q)
							}
							layerOf[q], last = i, q
						}
					}
				}
				p.Core = part[i]
			}
			a := Analyze(g, tg)
			for c, u := range a.Cores {
				if u.Neurons > lim.Neurons || u.MemBytes > lim.MemBytes || (lim.FanIn > 0 && u.FanIn > lim.FanIn) {
					t.Errorf("%s seed %d: part %d holds %d neurons, %d bytes, %d axons, want <= %d, %d, %d", chip, seed, c, u.Neurons, u.MemBytes, u.FanIn, lim.Neurons, lim.MemBytes, lim.FanIn)
				}
			}
		}
	}
	if done == 0 {
		t.Fatal("no network fitted any chip")
	}
}
