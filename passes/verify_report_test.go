package passes

import (
	"math"
	"strings"
	"testing"
)

// TestReportMatchesRecount checks the mapping report, whose energy and
// per-layer traffic come from the chip-cost model (chipcost.Placed, a
// source-major count), against verify's own recount (Analyze,
// destination-major) of the same placement and rates: spikes, synaptic
// ops and inter-core messages per layer agree, with and without profiled
// rates, and the report states its assumption when rates are missing.
func TestReportMatchesRecount(t *testing.T) {
	for _, chip := range testChips {
		for seed := uint64(1); seed <= 6; seed++ {
			u, ok := compileRandom(t, chip, seed)
			if !ok {
				continue
			}
			g := u.G
			for _, profiled := range []bool{true, false} {
				if !profiled {
					for _, p := range g.Pops {
						p.Rates = nil
					}
				}
				a := Analyze(g, u.Target)
				r := BuildReport(g, u.Target, a)
				T := float64(g.T)
				if r.RatesProfiled != profiled {
					t.Fatalf("%s seed %d: rates profiled %v, want %v", chip, seed, r.RatesProfiled, profiled)
				}
				for i, l := range r.Layers {
					for _, q := range []struct {
						name      string
						got, want float64
					}{
						{"spikes", l.Spikes, a.Spikes[i+1] * T},
						{"synaptic ops", l.SynOps, a.SynOps[i+1] * T},
						{"inter-core messages", l.Messages, a.Sent[i+1] * T},
					} {
						if math.Abs(q.got-q.want) > 1e-9*math.Max(1, q.want) {
							t.Errorf("%s seed %d profiled %v layer %s: %s %g, recount %g", chip, seed, profiled, l.Name, q.name, q.got, q.want)
						}
					}
				}
				if !(r.LatencyNs > 0) || r.StaticPJ < 0 || !(r.Energy.Total > 0) {
					t.Errorf("%s seed %d: latency %g ns, static %g pJ, energy %g pJ", chip, seed, r.LatencyNs, r.StaticPJ, r.Energy.Total)
				}
				stated := strings.Contains(strings.Join(r.Notes, "\n"), unprofiledAssumption)
				if stated == profiled {
					t.Errorf("%s seed %d profiled %v: assumption stated %v, want %v", chip, seed, profiled, stated, !profiled)
				}
			}
		}
	}
}
