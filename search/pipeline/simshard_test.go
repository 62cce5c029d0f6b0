package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// localShards is a SimShards that runs shards of the given sizes here, and
// returns them last first (the order of completion must not matter).
type localShards struct {
	g     *ir.Graph
	t     *backends.Target
	src   Source
	opt   SimOptions
	sizes []int
}

func (l localShards) SimulateShards(ctx context.Context, n int) ([]*SimShard, error) {
	var out []*SimShard
	lo := 0
	for _, k := range l.sizes {
		sh, err := SimulateShard(ctx, l.g, l.t, l.src, lo, min(lo+k, n), l.opt)
		if err != nil {
			return nil, err
		}
		out = append([]*SimShard{sh}, out...)
		lo += k
	}
	return out, nil
}

// fixedShards returns its shards.
type fixedShards []*SimShard

func (f fixedShards) SimulateShards(context.Context, int) ([]*SimShard, error) { return f, nil }

// labelled gives a source labels.
type labelled struct{ Source }

func (l labelled) Label(i int) int { return i % 3 }

// TestSimulateShards checks that a simulation merged from shards of any
// sizes, returned in any order, writes the same files as the local run, in
// each semantics and with the comparison of both.
func TestSimulateShards(t *testing.T) {
	ctx := context.Background()
	mg, mt, _ := tinyMapping(t)
	src := labelled{Synthetic(mg, 7, 3)}
	for _, opt := range []SimOptions{{Semantics: sim.Trained}, {Semantics: sim.Chip}, {Semantics: sim.Chip, Compare: true}} {
		local, err := Simulate(ctx, mg, mt, src, opt)
		if err != nil {
			t.Fatal(err)
		}
		want := simFiles(t, local)
		for _, sizes := range [][]int{{7}, {1, 1, 1, 1, 1, 1, 1}, {3, 2, 2}, {2, 5}} {
			o := opt
			o.Shards = localShards{mg, mt, src, opt, sizes}
			r, err := Simulate(ctx, mg, mt, src, o)
			if err != nil {
				t.Fatalf("%v shards %v: %v", opt.Semantics, sizes, err)
			}
			got := simFiles(t, r)
			for f, b := range want {
				if !bytes.Equal(got[f], b) {
					t.Errorf("semantics %v (compare %v), shards %v: %s differs from the local run's", opt.Semantics, opt.Compare, sizes, f)
				}
			}
			if len(got) != len(want) || r.MaxLinkLoad != local.MaxLinkLoad || r.BusiestLink != local.BusiestLink || !equalFloats(r.PopSpikes, local.PopSpikes) {
				t.Errorf("shards %v: %d files, busiest %s %v, spikes %v; local %d, %s %v, %v", sizes, len(got), r.BusiestLink, r.MaxLinkLoad, r.PopSpikes, len(want), local.BusiestLink, local.MaxLinkLoad, local.PopSpikes)
			}
		}
	}
	// Shards that do not cover the images once are refused.
	a, _ := SimulateShard(ctx, mg, mt, src, 0, 4, SimOptions{})
	b, _ := SimulateShard(ctx, mg, mt, src, 3, 7, SimOptions{})
	e, _ := SimulateShard(ctx, mg, mt, src, 4, 6, SimOptions{})
	for _, c := range []struct {
		shards []*SimShard
		want   string
	}{{[]*SimShard{a, e}, "cover 6 of 7 images"}, {[]*SimShard{a, b}, "repeats image 4"}, {[]*SimShard{e, a, e}, "repeats image 6"}} {
		if _, err := Simulate(ctx, mg, mt, src, SimOptions{Shards: fixedShards(c.shards)}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	if _, err := SimulateShard(ctx, mg, mt, src, 5, 9, SimOptions{}); err == nil || !strings.Contains(err.Error(), "[5, 9) of 7") {
		t.Errorf("shard [5, 9) of 7: got %v", err)
	}
}

func simFiles(t *testing.T, r *SimResult) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
