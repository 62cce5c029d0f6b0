package pipeline

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/sim"
)

// TestSimulateWorkers is the determinism rule of Simulate: one worker and
// several give the same summary, per-step CSV, spikes, link load, heatmap
// and semantics comparison, bit for bit.
func TestSimulateWorkers(t *testing.T) {
	ctx := context.Background()
	g := tinyGraph(t, false)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(ctx, g, chip, CompileOptions{Samples: Synthetic(g, 2, 1), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := Synthetic(c.Unit.G, 7, 3)
	var want *SimResult
	for _, workers := range []int{1, 2, 3, 7, 0} {
		r, err := Simulate(ctx, c.Unit.G, c.Unit.Target, in, SimOptions{Semantics: sim.Chip, Compare: true, Workers: workers})
		if err != nil {
			t.Fatalf("%d workers: %v", workers, err)
		}
		var y bytes.Buffer
		if err := r.Sim.WriteYAML(&y); err != nil {
			t.Fatal(err)
		}
		if r.Sim.Images != 7 || r.Sim.PerImage.Spikes == 0 || r.Agreement == nil || r.Agreement.Images != 7 {
			t.Fatalf("%d workers: %d images, %d spikes per image, agreement %v", workers, r.Sim.Images, r.Sim.PerImage.Spikes, r.Agreement)
		}
		if want == nil {
			want = r
			continue
		}
		var wy bytes.Buffer
		if err := want.Sim.WriteYAML(&wy); err != nil {
			t.Fatal(err)
		}
		if y.String() != wy.String() {
			t.Errorf("%d workers: summary\n%s\nwant (1 worker)\n%s", workers, y.String(), wy.String())
		}
		if !bytes.Equal(r.Steps, want.Steps) || !bytes.Equal(r.HeatmapPNG, want.HeatmapPNG) {
			t.Errorf("%d workers: per-step CSV or heatmap differs from 1 worker's", workers)
		}
		if !reflect.DeepEqual(r.PopSpikes, want.PopSpikes) || r.BusiestLink != want.BusiestLink || r.MaxLinkLoad != want.MaxLinkLoad {
			t.Errorf("%d workers: spikes %v, busiest link %s %v; want %v, %s %v", workers, r.PopSpikes, r.BusiestLink, r.MaxLinkLoad, want.PopSpikes, want.BusiestLink, want.MaxLinkLoad)
		}
		if r.Agreement.String() != want.Agreement.String() {
			t.Errorf("%d workers: agreement\n%s\nwant\n%s", workers, r.Agreement, want.Agreement)
		}
	}
	if _, err := Simulate(ctx, c.Unit.G, c.Unit.Target, in, SimOptions{Workers: -1}); err == nil || !strings.Contains(err.Error(), "-1 workers") {
		t.Errorf("-1 workers: got %v, want an error naming them", err)
	}
}

// failingSource fails on one input.
type failingSource struct {
	Source
	bad int
}

func (f failingSource) Input(i int, buf []float32) ([]float32, error) {
	if i >= f.bad {
		return nil, errBadInput(i)
	}
	return f.Source.Input(i, buf)
}

type errBadInput int

func (e errBadInput) Error() string { return "bad input " + string(rune('0'+int(e))) }

// TestSimulateWorkersError: the error is the first failing image's, for
// any number of workers.
func TestSimulateWorkersError(t *testing.T) {
	ctx := context.Background()
	g := tinyGraph(t, false)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(ctx, g, chip, CompileOptions{Samples: Synthetic(g, 2, 1), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := failingSource{Synthetic(c.Unit.G, 6, 3), 3}
	for _, workers := range []int{1, 4} {
		_, err := Simulate(ctx, c.Unit.G, c.Unit.Target, in, SimOptions{Workers: workers})
		if err == nil || !strings.Contains(err.Error(), "bad input 3") {
			t.Errorf("%d workers: got %v, want the error of image 3", workers, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Simulate(cctx, c.Unit.G, c.Unit.Target, Synthetic(c.Unit.G, 4, 3), SimOptions{Workers: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v, want context.Canceled", err)
	}
}
