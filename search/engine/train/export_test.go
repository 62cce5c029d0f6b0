package train

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/nn/fixture"
)

// TestExportMatchesExecutor is the differential test between the training
// engine and the IR's float reference executor. For every whole-network
// fixture it loads the initial tensors, runs the training step's forward
// (which moves the running statistics), exports the graph, and runs each
// image through ir.Executor. Predictions and per-population spike counts
// must equal the Net's eval-mode forward exactly. Exactness is possible
// because the fixtures' seeds were chosen so that every membrane potential
// in the eval forward is at least 5e-5 from the threshold, far more than the
// ~1e-6 float32 differences of the two implementations' summation orders; on
// arbitrary weights a rare spike may flip.
func TestExportMatchesExecutor(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.fix.gz"))
	for _, path := range paths {
		f, err := fixture.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(f.Name, func(t *testing.T) {
			net, err := Build(fixtureGraph(t, f), rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			tensors := netTensors(net)
			for _, name := range f.TensorNames() {
				if pn, ok := strings.CutPrefix(name, "init/"); ok {
					copy(tensors[pn].Data, fixtureData(t, f, name))
				}
			}
			in, _ := f.Tensor("input")
			x := &nn.Tensor{Shape: in.Shape, Data: in.Data}
			labels, _ := f.Ints("labels")
			if _, err := net.Forward(x, labels); err != nil {
				t.Fatal(err)
			}
			net.SetTraining(false)
			if _, err := net.Forward(x, nil); err != nil {
				t.Fatal(err)
			}
			wantPred := net.Predict(nil)
			wantSpikes := net.PopSpikes()

			g, err := net.Export()
			if err != nil {
				t.Fatal(err)
			}
			if !g.Trained() {
				t.Fatal("exported graph is not trained")
			}
			ex, err := ir.NewExecutor(g)
			if err != nil {
				t.Fatal(err)
			}
			per := len(in.Data) / in.Shape[0]
			gotSpikes := make([]int64, len(g.Pops))
			var gotPred []int
			var paper int
			for i := range in.Shape[0] {
				res, err := ex.Run(in.Data[i*per:(i+1)*per], nil)
				if err != nil {
					t.Fatal(err)
				}
				gotPred = append(gotPred, res.Predict())
				for p, s := range res.Spikes {
					gotSpikes[p] += int64(s)
				}
				pp, _ := ir.SpikeMetrics(g, res.Spikes)
				paper += pp
			}
			if diff := cmp.Diff(wantPred, gotPred); diff != "" {
				t.Errorf("predictions, net (-) vs executor (+):\n%s", diff)
			}
			if diff := cmp.Diff(wantSpikes, gotSpikes); diff != "" {
				t.Errorf("spikes per population, net (-) vs executor (+):\n%s", diff)
			}
			wantTotal, _ := f.Int("spikes_total")
			evalSum := int64(0)
			for _, v := range fixtureSpikes(f, "eval_spikes/") {
				evalSum += v
			}
			if int64(paper) != evalSum {
				t.Errorf("executor paper-metric spikes %d, want the fixture's eval total %d (train total %d)", paper, evalSum, wantTotal)
			}
		})
	}
}

// TestExportLoadRoundTrip checks that Export then Load (through the IR's
// serialisation) restores every parameter and buffer bit for bit, and that a
// graph of another architecture is refused.
func TestExportLoadRoundTrip(t *testing.T) {
	s := frontend.DefaultSpec("SRB_k3", "SCB_k5", "skip", "SRB_k5", "skip")
	s.Channels, s.T, s.Input = 4, 2, []int{3, 16, 16}
	g, err := frontend.Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(g, rand.New(rand.NewPCG(11, 11)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	step(t, a, 2, rand.New(rand.NewPCG(12, 12))) // moves running statistics
	for _, p := range a.Params() {
		if strings.HasSuffix(p.Name, ".w") {
			p.Data[0] = 0.25 // a trained-looking PLIF w
		}
	}
	exp, err := a.Export()
	if err != nil {
		t.Fatal(err)
	}
	doc, blob, err := ir.Encode(exp)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := ir.Decode(doc, blob)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(dec, rand.New(rand.NewPCG(99, 99)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	want, got := netTensors(a), netTensors(b)
	if len(want) != len(got) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for name, p := range want {
		if diff := cmp.Diff(p.Data, got[name].Data); diff != "" {
			t.Errorf("%s after round trip (-want +got):\n%s", name, diff)
		}
	}

	s2 := s
	s2.Blocks = []string{"SRB_k3", "SCB_k5", "skip", "SRB_k5", "SRB_k3"}
	other, err := frontend.Lower(s2)
	if err != nil {
		t.Fatal(err)
	}
	err = a.Load(other)
	if err == nil || !strings.Contains(err.Error(), "different architecture") {
		t.Errorf("Load of another architecture: got error %v, want a 'different architecture' error", err)
	}
}
