package passes

import (
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// TestLowerOps checks that lowering leaves only chip operations and that
// the float executor's spike rasters are bit-identical before and after:
// a max over 0/1 spikes is exactly the OR that the SumPool + memoryless
// threshold-1 neuron computes.
func TestLowerOps(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    func(t *testing.T) *ir.Graph
		ors  int
	}{
		{"tiny-direct", func(t *testing.T) *ir.Graph { return tinyNet(t, ir.Direct) }, 1},
		{"tiny-frames", func(t *testing.T) *ir.Graph { return tinyNet(t, ir.Frames) }, 1},
		{"autosnn-c2", func(t *testing.T) *ir.Graph { return zooNet(t, "autosnn", 2, 16) }, 3},
		{"snn4-avgpool", func(t *testing.T) *ir.Graph { return zooNet(t, "snn4-srb3", 2, 16) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g(t)
			train(g, 21)
			u := newUnit(t, g, "loihi1", nil)
			runPasses(t, u, "fold-bn")
			ins := samples(g, 2, 4)
			before := floatRaster(t, g, ins)
			var pools []string
			for _, p := range g.Pops {
				if p.Neuron.Model == ir.Relay {
					pools = append(pools, p.Name)
				}
			}
			runPasses(t, u, "lower-ops")
			if len(pools) != tc.ors {
				t.Errorf("%d relays before lowering, want %d", len(pools), tc.ors)
			}
			for _, name := range pools {
				p := g.Pop(name)
				if p.Neuron != orNeuron {
					t.Errorf("population %s: neuron %v, want %v", name, p.Neuron, orNeuron)
				}
				if in := g.In(p); in[0].Op != ir.SumPool {
					t.Errorf("population %s fed by %v, want sumpool", name, in[0].Op)
				}
			}
			for _, p := range g.Pops[1:] {
				if !p.Neuron.Model.Spiking() {
					t.Errorf("population %s is %v after lowering, want spiking", p.Name, p.Neuron.Model)
				}
			}
			for _, e := range g.Projs {
				if e.Op == ir.MaxPool {
					t.Errorf("projection %s is still a max-pool", e.Name)
				}
			}
			after := floatRaster(t, g, ins)
			if diff := rasterDiff(g, before, after); diff != "" {
				t.Errorf("spike rasters changed by lowering: %s", diff)
			}
			var pooled int
			for _, steps := range after {
				for i, s := range steps {
					if g.Pops[i%len(g.Pops)].Neuron == orNeuron {
						for _, v := range s {
							pooled += int(v)
						}
					}
				}
			}
			if tc.ors > 0 && pooled == 0 {
				t.Error("no OR neuron ever fired; the comparison proves nothing")
			}
		})
	}
}

func TestLowerOpsErrors(t *testing.T) {
	ann := func(t *testing.T) *ir.Graph {
		e, _ := frontend.LookupZoo("autosnn")
		e.Spec.Neuron, e.Spec.Channels = "ann", 2
		g, err := frontend.Lower(e.Spec)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	inputPool := func(t *testing.T) *ir.Graph {
		b := ir.NewBuilder("inpool", ir.Header{T: 2, Classes: 1, Vote: 1})
		x := b.Input("x", ir.Shape{C: 1, H: 4, W: 4})
		p := b.Layer("pool", ir.Neuron{Model: ir.Relay}, ir.Role{Kind: ir.RolePool}, ir.Pool(ir.MaxPool, x, 2))
		b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(p, 1))
		g, err := b.Graph()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	for _, tc := range []struct {
		name, chip string
		g          func(t *testing.T) *ir.Graph
		want       string
	}{
		{"ann", "loihi1", ann, "layer stem: cannot compile ANN-mode network autosnn: ReLU neurons"},
		{"max-pool of the input", "loihi1", inputPool, "layer pool: max-pool pool.maxpool over input population x is not an OR of spikes"},
		{"no leaky or IF neuron on chip", "izhikevich-only", func(t *testing.T) *ir.Graph { return tinyNet(t, ir.Direct) }, "layer stem: plif neurons need one of the core models [lif or cuba_lif with decay_bits > 0 if lif_linear], but chip izhikevich-only implements only [izhikevich]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &Unit{G: tc.g(t), Report: &Report{}}
			if tc.chip == "izhikevich-only" {
				u.Target = modelsTarget(t, "izhikevich-only", backends.NeuronIzhikevich)
			} else {
				u.Target = target(t, tc.chip)
			}
			err := lowerOpsPass(u)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
