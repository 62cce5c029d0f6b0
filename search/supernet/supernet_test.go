package supernet

import (
	"context"
	"testing"

	"github.com/autosnn/autosnn/search"
)

func TestSmoke(t *testing.T) {
	tr, err := NewTrainer(tinySpace(t, "snn1"), tinyHyper(2))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Logf = t.Logf
	if err := tr.Run(context.Background(), tinyData()); err != nil {
		t.Fatal(err)
	}
	ev := &Evaluator{Net: tr.Net, Data: tinyData()}
	res, err := ev.Evaluate(context.Background(), []search.Arch{{0, 1, 2, 3, 4}, {4, 4, 4, 4, 4}, {0, 0, 0, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v navg %v stats %+v", res, tr.NAvg(), ev.Stats)
}
