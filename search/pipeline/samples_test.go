package pipeline

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
)

// tinyGraph lowers a C=2, T=2 network on 1x8x8 inputs (2x8x8 event frames
// with frames true) with seeded random weights.
func tinyGraph(t *testing.T, frames bool) *ir.Graph {
	t.Helper()
	g, err := lowerTiny(t, []int{1, 8, 8}, 3)
	if frames {
		g, err = lowerTiny(t, []int{2, 8, 8}, 3)
	}
	if err != nil {
		t.Fatal(err)
	}
	frontend.RandomWeights(g, 1)
	return g
}

// lowerTiny lowers a C=2, T=2 snn1 network with the given input shape
// (2 channels: event frames) and classes.
func lowerTiny(t *testing.T, input []int, classes int) (*ir.Graph, error) {
	t.Helper()
	s, err := frontend.Resolve("SRB_k3,SRB_k3,skip,SRB_k3,SRB_k5")
	if err != nil {
		t.Fatal(err)
	}
	s.Name, s.Channels, s.T, s.Input, s.Classes = "tiny", 2, 2, input, classes
	return frontend.Lower(s)
}

// TestSynthetic: synthetic inputs lie in the range the network was trained
// on (normalised images: [-1, 1); event frames: counts 0, 1, 2), have the
// network's input length, no labels, and depend only on the seed.
func TestSynthetic(t *testing.T) {
	for _, frames := range []bool{false, true} {
		g := tinyGraph(t, frames)
		s := Synthetic(g, 3, 7)
		want := g.Input().Shape.Len()
		if frames {
			want *= g.T
		}
		if s.Len() != 3 || len(s.Inputs[0]) != want || s.Label(0) != -1 {
			t.Fatalf("frames %v: %d inputs of %d values, label %d; want 3 of %d, -1", frames, s.Len(), len(s.Inputs[0]), s.Label(0), want)
		}
		var neg bool
		for _, x := range s.Inputs {
			for _, v := range x {
				switch {
				case frames && v != 0 && v != 1 && v != 2:
					t.Fatalf("frame input %v, want an event count 0, 1 or 2", v)
				case !frames && (v < -1 || v >= 1):
					t.Fatalf("image input %v, want [-1, 1)", v)
				}
				neg = neg || v < 0
			}
		}
		if !frames && !neg {
			t.Errorf("no negative image input: normalised images are zero-mean")
		}
		if again := Synthetic(g, 3, 7); !slices.Equal(again.Inputs[2], s.Inputs[2]) {
			t.Errorf("frames %v: the same seed gave other inputs", frames)
		}
		if other := Synthetic(g, 3, 8); slices.Equal(other.Inputs[0], s.Inputs[0]) {
			t.Errorf("frames %v: seeds 7 and 8 gave the same inputs", frames)
		}
	}
}

func TestSamplesSource(t *testing.T) {
	s := Samples{Inputs: [][]float32{{1}, {2}, {3}}, Labels: []int{4, 5}}
	all, err := ReadAll(s)
	if err != nil {
		t.Fatal(err)
	}
	if all.Len() != 3 || !slices.Equal(all.Labels, []int{4, 5, -1}) || all.Inputs[2][0] != 3 {
		t.Errorf("ReadAll: %v %v, want 3 inputs with labels [4 5 -1]", all.Inputs, all.Labels)
	}
}

// TestOpenSource: the checks every command applies to dataset samples.
func TestOpenSource(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	ctx := context.Background()
	if _, err := dataset.LocateMNIST(ctx); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	set, err := dataset.Open(ctx, "mnist", dataset.Options{T: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	g := tinyGraph(t, false)
	if _, err := OpenSource(set, dataset.Test, 2, g); err == nil || !strings.Contains(err.Error(), "wants input 1x8x8") {
		t.Errorf("1x28x28 samples for a 1x8x8 graph: got %v, want a shape error", err)
	}
	if _, err := OpenSource(set, dataset.Test, 2, tinyGraph(t, true)); err == nil {
		t.Errorf("static samples for a frame-encoded graph: no error")
	}
	mg, err := lowerTiny(t, []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSource(set, dataset.Test, set.Len(dataset.Test)+1, mg); err == nil || !strings.Contains(err.Error(), "has 10000") {
		t.Errorf("more samples than the split: got %v, want an error", err)
	}
	src, err := OpenSource(set, dataset.Test, 3, mg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := src.Input(1, nil)
	if err != nil || len(x) != 28*28 || src.Label(1) != set.Label(dataset.Test, 1) {
		t.Errorf("input 1: %d values (%v), label %d; want 784 and the set's label", len(x), err, src.Label(1))
	}
	loaded, err := LoadSamples(set, dataset.Test, 3, 2)
	if err != nil || loaded.Len() != 3 || !slices.Equal(loaded.Inputs[1], x) {
		t.Errorf("LoadSamples: %d inputs (%v), want the same 3 as OpenSource", loaded.Len(), err)
	}
}
