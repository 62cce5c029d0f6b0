package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// TestChipAccuracies: the float row counts what ir.Executor predicts
// against the labels (recounted here), every chip row has the chip's
// neuron form, and the chip rows run the integer network the passes made
// for that chip (SpiNNaker's 16-bit weights and 30-bit decays agree with
// the float network more often than TrueNorth's linear leak does, on
// this net and these inputs; the counts are deterministic).
func TestChipAccuracies(t *testing.T) {
	load := func() (*ir.Graph, error) { return tinyGraph(t, false), nil }
	g := tinyGraph(t, false)
	ins := frontend.RandomInputs(g, 24, 5)
	x, err := ir.NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	var labels []int
	correct := 0
	for i, in := range ins {
		r, err := x.Run(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, i%3)
		if r.Predict() == i%3 {
			correct++
		}
	}
	var chips []*backends.Target
	for _, name := range []string{"spinnaker1", "truenorth"} {
		tg, err := backends.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		chips = append(chips, tg)
	}
	rows, err := ChipAccuracies(context.Background(), load, chips, Samples{Inputs: ins, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Chip != "" || rows[1].Chip != "spinnaker1" || rows[2].Chip != "truenorth" {
		t.Fatalf("rows %+v, want float, spinnaker1, truenorth", rows)
	}
	if f := rows[0]; f.Images != 24 || f.Correct != correct || f.Agree != 24 {
		t.Errorf("float row %+v, want 24 images, %d correct (recounted), 24 agreeing", f, correct)
	}
	if !strings.HasPrefix(rows[1].RunsAs, "LIF, 30-bit decay") || !strings.HasPrefix(rows[2].RunsAs, "IF + linear leak") {
		t.Errorf("runs as %q and %q, want LIF with 30-bit decays and IF + linear leak", rows[1].RunsAs, rows[2].RunsAs)
	}
	if rows[1].Agree < rows[2].Agree || rows[1].Spikes == 0 {
		t.Errorf("spinnaker1 agrees on %d, truenorth on %d, spikes %d: want spinnaker1 >= truenorth and spikes", rows[1].Agree, rows[2].Agree, rows[1].Spikes)
	}
	var out strings.Builder
	if err := WriteChipAccuracies(&out, rows); err != nil || !strings.Contains(out.String(), "truenorth") {
		t.Errorf("table %q (%v), want a truenorth row", out.String(), err)
	}
	if _, err := ChipAccuracies(context.Background(), load, chips, Samples{Inputs: ins}); err == nil || !strings.Contains(err.Error(), "label") {
		t.Errorf("unlabelled inputs: %v, want an error about labels", err)
	}
}
