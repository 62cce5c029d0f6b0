package supernet

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
)

// TestExportMatchesEvaluator checks that the exported graph of a path,
// rebuilt as a plain network, has the accuracy, paper-metric spikes and
// per-population spikes the Evaluator measures with inherited weights.
func TestExportMatchesEvaluator(t *testing.T) {
	sp := tinySpace(t, "snn1")
	tr := mkTrainer(t, sp, tinyHyper(1))
	if err := tr.Run(context.Background(), tinyData()); err != nil {
		t.Fatal(err)
	}
	archs := []search.Arch{{3, 4, 0, 1, 2}, {0, 0, 0, 0, 0}, {4, 3, 2, 1, 4}}
	ev := &Evaluator{Net: tr.Net, Data: tinyData()}
	want, err := ev.Evaluate(context.Background(), archs)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range archs {
		g, err := tr.Net.Export(a)
		if err != nil {
			t.Fatalf("arch %s: %v", a.Key(), err)
		}
		net, err := train.Build(g, rand.New(rand.NewPCG(7, 7)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := train.Evaluate(context.Background(), net, tinyData(), nil)
		net.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Accuracy != want[i].Acc || res.SpikesPerImage != want[i].Spikes {
			t.Errorf("arch %s: exported net accuracy %v spikes %v, evaluator %v %v", a.Key(), res.Accuracy, res.SpikesPerImage, want[i].Acc, want[i].Spikes)
		}
		got := map[string]float64{}
		for _, l := range res.Layers {
			if l.Spikes != 0 {
				got[l.Name] = l.Spikes
			}
		}
		w := map[string]float64{}
		for k, v := range want[i].PopSpikes {
			if v != 0 {
				w[k] = v
			}
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("arch %s: per-population spikes differ (-evaluator +exported):\n%s", a.Key(), d)
		}
	}
	if _, err := tr.Net.Export(search.Arch{0, 1}); err == nil {
		t.Errorf("Export of a 2-block architecture in a 5-position space: got no error")
	}
}
