package e2e

import (
	"context"
	"math"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/backends/chipcost"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/sim"
)

// TestChipCostAgainstSim checks the analytic chip-cost model (package
// backends/chipcost) against the simulator on compiler output: the AutoSNN
// network (C = 4, 16x16 inputs, seeded random parameters) compiled for a
// chip, three images simulated, and the model evaluated over the compiler's
// placement with the simulator's measured spikes.
//
//   - With per-neuron spikes and the measured active updates, every count
//     (spikes, synaptic ops, neuron updates, messages, hops) is exact and
//     the synaptic, neuron and network energy agree to 1e-9: the model and
//     the simulator count the same events at the same per-event costs.
//   - Without measured active updates (the usual case) the model's
//     estimate puts the neuron energy within 5%.
//   - With per-population spikes only (what the search has), the model
//     spreads each population's spikes evenly over its neurons: the counts
//     that depend on which neuron fired (synaptic ops and messages at the
//     borders of convolutions, hops) agree within 15%.
//   - The mapping report of a compile profiled on the first image is exact
//     against the simulator on that image (its rates are that image's).
//   - Latency is zero-load in the model and measured in the simulator
//     (static energy is proportional to it): within a factor of 2.
func TestChipCostAgainstSim(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a zoo network")
	}
	for _, chip := range []string{"loihi1", "loihi2", "loihi1-sanafe"} {
		t.Run(chip, func(t *testing.T) {
			tg, err := backends.Lookup(chip)
			if err != nil {
				t.Fatal(err)
			}
			g := zooGraph(t, "autosnn", 4, 16, 1)
			in := normalisedInputs(g, 3, 2)
			u := &passes.Unit{G: g, Target: tg, Samples: in[:1], Seed: 1}
			if err := passes.Compile(context.Background(), u, passes.Config{Verify: true}); err != nil {
				t.Fatalf("compile: %v", err)
			}
			g = u.G
			for i, x := range in {
				res, neuron := simulateCounts(t, g, tg, x)
				st := res.Total
				if st.Spikes == 0 {
					t.Fatalf("image %d: no spikes: vacuous", i)
				}
				exact := chipcost.Activity{Spikes: map[string]float64{}, NeuronSpikes: map[string][]float64{}, Active: map[string]float64{}}
				perPop := chipcost.Activity{Spikes: map[string]float64{}}
				var neurons float64
				for _, p := range g.Pops[1:] {
					neurons += float64(p.Shape.Len())
				}
				for pi, p := range g.Pops[1:] {
					var sum float64
					for _, v := range neuron[pi+1] {
						sum += v
					}
					exact.Spikes[p.Name], exact.NeuronSpikes[p.Name] = sum, neuron[pi+1]
					perPop.Spikes[p.Name] = sum
					// The simulator reports active updates in total; the
					// energy is linear in them, so any split gives its total.
					exact.Active[p.Name] = float64(st.ActiveUpdates) * float64(p.Shape.Len()) / neurons
				}
				c, err := chipcost.Placed(g, exact, tg)
				if err != nil {
					t.Fatal(err)
				}
				simNet := st.Energy.NetworkPJ
				t.Logf("image %d: sim spikes %d synops %d messages %d hops %d updates %d (active %d); energy pJ synapse %.6g neuron %.6g network %.6g static %.6g; latency %.6g ns",
					i, st.Spikes, st.SynOps, st.Messages, st.Hops, st.NeuronUpdates, st.ActiveUpdates,
					st.Energy.SynapsePJ, st.Energy.NeuronPJ, simNet, st.Energy.StaticPJ, st.LatencyNs)
				for _, q := range []struct {
					name      string
					model, sm float64
				}{
					{"spikes", c.Spikes, float64(st.Spikes)},
					{"synops", c.SynOps, float64(st.SynOps)},
					{"neuron updates", c.NeuronUpdates, float64(st.NeuronUpdates)},
					{"active updates", c.ActiveUpdates, float64(st.ActiveUpdates)},
					{"messages", c.Messages, float64(st.Messages)},
					{"hops", c.Hops, float64(st.Hops)},
					{"synapse energy", c.Energy.SynOpsPJ, st.Energy.SynapsePJ},
					{"neuron energy", c.Energy.NeuronPJ + c.Energy.SpikePJ, st.Energy.NeuronPJ},
					{"network energy", c.Energy.MessagePJ + c.Energy.RoutePJ, simNet},
				} {
					if relErr(q.model, q.sm) > 1e-9 {
						t.Errorf("image %d, per-neuron spikes: %s %.12g, simulator %.12g, want equal", i, q.name, q.model, q.sm)
					}
				}
				ratio := func(a, b float64) float64 { return a / b }
				t.Logf("image %d, per-neuron: exact counts; model/simulator latency %.3f, total energy %.3f",
					i, ratio(c.LatencyNs, st.LatencyNs), ratio(c.EnergyPJ, st.Energy.Total()))
				if r := ratio(c.LatencyNs, st.LatencyNs); r < 0.5 || r > 2 {
					t.Errorf("image %d: model latency %.6g ns, simulator %.6g ns, want within a factor of 2", i, c.LatencyNs, st.LatencyNs)
				}
				// Without measured active updates the model estimates them
				// (biased neurons every step, the others when they fire).
				est := exact
				est.Active = nil
				ce, err := chipcost.Placed(g, est, tg)
				if err != nil {
					t.Fatal(err)
				}
				ne := ce.Energy.NeuronPJ + ce.Energy.SpikePJ
				t.Logf("image %d: estimated active updates %.0f (simulator %d), neuron energy %.4f of the simulator's", i, ce.ActiveUpdates, st.ActiveUpdates, ne/st.Energy.NeuronPJ)
				if relErr(ne, st.Energy.NeuronPJ) > 0.05 {
					t.Errorf("image %d: neuron energy with estimated active updates %.6g pJ, simulator %.6g, want within 5%%", i, ne, st.Energy.NeuronPJ)
				}
				cp, err := chipcost.Placed(g, perPop, tg)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("image %d, per-population spikes: synops %+.2f%%, messages %+.2f%%, hops %+.2f%%, synapse energy %+.2f%%, network energy %+.2f%%",
					i, pct(cp.SynOps, float64(st.SynOps)), pct(cp.Messages, float64(st.Messages)), pct(cp.Hops, float64(st.Hops)),
					pct(cp.Energy.SynOpsPJ, st.Energy.SynapsePJ), pct(cp.Energy.MessagePJ+cp.Energy.RoutePJ, simNet))
				for _, q := range []struct {
					name      string
					model, sm float64
				}{
					{"spikes", cp.Spikes, float64(st.Spikes)},
					{"neuron updates", cp.NeuronUpdates, float64(st.NeuronUpdates)},
				} {
					if relErr(q.model, q.sm) > 1e-9 {
						t.Errorf("image %d, per-population spikes: %s %.12g, simulator %.12g, want equal", i, q.name, q.model, q.sm)
					}
				}
				for _, q := range []struct {
					name      string
					model, sm float64
				}{
					{"synops", cp.SynOps, float64(st.SynOps)},
					{"messages", cp.Messages, float64(st.Messages)},
					{"hops", cp.Hops, float64(st.Hops)},
				} {
					if relErr(q.model, q.sm) > 0.15 {
						t.Errorf("image %d, per-population spikes: %s %.6g, simulator %.6g, want within 15%%", i, q.name, q.model, q.sm)
					}
				}
				// The search's estimate packs the populations itself: its
				// placement-dependent figures are only logged.
				ce2, err := chipcost.Estimate(g, perPop, tg)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("image %d, Estimate (own packing) / simulator: cores %d / %d, messages %.3f, hops %.3f, energy %.3f, latency %.3f",
					i, ce2.Cores, c.Cores, ce2.Messages/float64(st.Messages), ce2.Hops/float64(st.Hops), ce2.EnergyPJ/st.Energy.Total(), ce2.LatencyNs/st.LatencyNs)
				if i == 0 {
					checkReport(t, u.Report.Mapping, st)
				}
			}
		})
	}
}

// checkReport compares the mapping report of a compile profiled on one
// image with the simulator's counts on that image.
func checkReport(t *testing.T, r *passes.MappingReport, st sim.Stats) {
	t.Helper()
	if !r.RatesProfiled {
		t.Fatal("report: rates not profiled")
	}
	var spikes, synops float64
	for _, l := range r.Layers {
		spikes += l.Spikes
		synops += l.SynOps
	}
	for _, q := range []struct {
		name      string
		model, sm float64
	}{
		{"spikes", spikes, float64(st.Spikes)},
		{"synops", synops, float64(st.SynOps)},
		{"inter-core messages", r.InterCoreMessages, float64(st.Messages) - r.IntraCoreMessages},
		{"message hops", r.RateHops, float64(st.Hops)},
		{"synapse energy", r.Energy.SynOps, st.Energy.SynapsePJ},
		{"network energy", r.Energy.Network, st.Energy.NetworkPJ},
	} {
		if relErr(q.model, q.sm) > 1e-6 {
			t.Errorf("report: %s %.12g, simulator %.12g on the profiled image, want equal", q.name, q.model, q.sm)
		}
	}
	t.Logf("report on the profiled image: exact spikes, synops, messages, hops, synapse and network energy; neuron energy %.3f, latency %.3f of the simulator's",
		(r.Energy.Neurons+r.Energy.Spikes)/st.Energy.NeuronPJ, r.LatencyNs/st.LatencyNs)
}

// simulateCounts runs one image and returns its result and, per
// population, each neuron's spikes.
func simulateCounts(t *testing.T, g *ir.Graph, tg *backends.Target, x []float32) (sim.ImageResult, [][]float64) {
	t.Helper()
	s, err := sim.New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([][]float64, len(g.Pops))
	for i, p := range g.Pops {
		counts[i] = make([]float64, p.Shape.Len())
	}
	res, err := s.Run(x, func(_, p int, out []float32) {
		for j, v := range out {
			if v != 0 {
				counts[p][j]++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, counts
}

func relErr(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

func pct(model, sm float64) float64 {
	if model == sm {
		return 0
	}
	return 100 * (model - sm) / sm
}
