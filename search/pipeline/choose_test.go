package pipeline

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// targets looks up built-in profiles by name.
func targets(t *testing.T, names ...string) []*backends.Target {
	t.Helper()
	var out []*backends.Target
	for _, n := range names {
		tt, err := backends.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tt)
	}
	return out
}

func names(ts []*backends.Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name())
	}
	return out
}

func TestOrderTargets(t *testing.T) {
	got := strings.Join(names(OrderTargets(targets(t, "loihi1-kapoho-bay", "truenorth", "loihi2", "loihi1-sanafe", "loihi1", "tiny-2chip", "tiny"))), " ")
	// loihi1 and loihi1-sanafe tie on cores and chips; loihi1's synaptic
	// operation costs less. loihi1 and loihi2 tie on all three: by name.
	want := "tiny tiny-2chip loihi1 loihi2 loihi1-sanafe loihi1-kapoho-bay truenorth"
	if got != want {
		t.Errorf("OrderTargets: got %s, want %s", got, want)
	}
}

func TestDefaultCandidates(t *testing.T) {
	cands, err := DefaultCandidates()
	if err != nil {
		t.Fatal(err)
	}
	got := names(cands)
	for _, test := range []string{"tiny", "tiny-2chip"} {
		for _, n := range got {
			if n == test {
				t.Errorf("DefaultCandidates: got the test chip %s in %v", n, got)
			}
		}
	}
	if len(got) < 2 || got[0] == "" {
		t.Fatalf("DefaultCandidates: got %v, want the real built-ins", got)
	}
	if o := names(OrderTargets(cands)); strings.Join(o, " ") != strings.Join(got, " ") {
		t.Errorf("DefaultCandidates: got %v, want them in OrderTargets order %v", got, o)
	}
	var boards int
	for _, c := range cands {
		if c.NumChips > 1 {
			boards++
		}
	}
	if boards == 0 {
		t.Errorf("DefaultCandidates: got no board in %v", got)
	}
}

// tinyCopy is the tiny test chip under another name, with other energy
// figures and citations: the same resources.
func tinyCopy(t *testing.T) *backends.Target {
	t.Helper()
	p := targets(t, "tiny")[0].Profile
	p.Name, p.Source, p.Core.ConvWeightSharingSource, p.Precision.Source = "tiny-copy", "copied", "copied", "copied"
	p.Energy.SynOpPJ *= 2
	c, err := backends.NewTarget(&p, "test:tiny-copy")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSameResources(t *testing.T) {
	ts := targets(t, "tiny", "loihi1", "loihi1-sanafe", "loihi2", "loihi1-kapoho-bay")
	if !sameResources(ts[0], tinyCopy(t)) {
		t.Errorf("tiny and a renamed copy with other energies: got different resources, want the same")
	}
	// loihi1-sanafe expands convolutions (no weight sharing): not the same.
	for _, o := range ts[2:] {
		if sameResources(ts[1], o) {
			t.Errorf("loihi1 and %s: got the same resources, want different", o.Name())
		}
	}
}

// TestChooseTarget: the tiny net (726 neurons, 13 populations) goes to
// the smallest target that holds it, and every smaller one is reported
// with the resource and the numbers.
func TestChooseTarget(t *testing.T) {
	for _, c := range []struct {
		name  string
		cands []string
		extra bool // add tinyCopy to the candidates
		want  string
		skips []string // "target: substring of the reason"
	}{
		{"smallest single chip", []string{"loihi1-kapoho-bay", "loihi2", "loihi1"}, false, "loihi1", nil},
		{"too big for one chip: a board", []string{"tiny-2chip", "tiny"}, false, "tiny-2chip",
			[]string{"tiny: cores (neurons): needs 12 cores, have 8"}},
		{"a duplicate of a rejected chip, then a layer-core chip", []string{"speck", "tiny", "loihi1", "tiny-2chip"}, true, "tiny-2chip",
			[]string{"tiny: needs 12 cores, have 8", "tiny-copy: same cores and limits as tiny", "speck: layer cores: needs 13 cores, have 9"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := tinyGraph(t, false)
			doc0, blob0, err := ir.Encode(g)
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			cands := targets(t, c.cands...)
			if c.extra {
				cands = append(cands, tinyCopy(t))
			}
			ch, err := ChooseTarget(context.Background(), g, cands, CompileOptions{Seed: 1, Log: &log})
			if err != nil {
				t.Fatalf("ChooseTarget: %v\n%s", err, log.String())
			}
			if ch.Target.Name() != c.want || !ch.Compiled.Mapped() || ch.Compiled.Unit.Target != ch.Target {
				t.Fatalf("chose %s (mapped %v), want %s\n%s", ch.Target.Name(), ch.Compiled.Mapped(), c.want, log.String())
			}
			if len(ch.Skipped) != len(c.skips) {
				t.Fatalf("skipped %+v, want %d: %v", ch.Skipped, len(c.skips), c.skips)
			}
			for i, s := range c.skips {
				name, sub, _ := strings.Cut(s, ": ")
				if ch.Skipped[i].Target != name || !strings.Contains(ch.Skipped[i].Reason, sub) || strings.Contains(ch.Skipped[i].Reason, "\n") {
					t.Errorf("skip %d: got %+v, want %s with a one-line reason containing %q", i, ch.Skipped[i], name, sub)
				}
				if !strings.Contains(log.String(), "auto chip: skip "+name) {
					t.Errorf("log: no line for skipping %s:\n%s", name, log.String())
				}
			}
			if !strings.Contains(log.String(), "auto chip: chose "+c.want) {
				t.Errorf("log: no line saying %s was chosen:\n%s", c.want, log.String())
			}
			doc1, blob1, err := ir.Encode(g)
			if err != nil || !bytes.Equal(doc0, doc1) || !bytes.Equal(blob0, blob1) {
				t.Errorf("ChooseTarget modified its graph (encode error %v)", err)
			}
		})
	}
}

// TestChooseTargetNoneFits: one error, one line per candidate, each with
// the resource and the numbers.
func TestChooseTargetNoneFits(t *testing.T) {
	_, err := ChooseTarget(context.Background(), tinyGraph(t, false), targets(t, "speck", "tiny"), CompileOptions{})
	if err == nil {
		t.Fatal("ChooseTarget onto tiny and speck: got no error, want one naming both")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "fits none of the 2 candidate targets") ||
		!strings.HasPrefix(lines[1], "  tiny: ") || !strings.Contains(lines[1], "726 neurons") ||
		!strings.HasPrefix(lines[2], "  speck: ") || !strings.Contains(lines[2], "layer cores") {
		t.Errorf("got error\n%v\nwant a header and one line for tiny (neurons) and speck (layer cores)", err)
	}
	if _, err := ChooseTarget(context.Background(), tinyGraph(t, false), nil, CompileOptions{}); err == nil {
		t.Error("no candidates: got no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ChooseTarget(ctx, tinyGraph(t, false), targets(t, "loihi1"), CompileOptions{}); err == nil || strings.Contains(err.Error(), "fits none") {
		t.Errorf("cancelled: got %v, want the cancellation, not a misfit", err)
	}
}

// TestChooseTargetCompileMisfit: a chip with exactly the cores split's
// lower bound asks for (12 cores of 64 neurons for 726 neurons) passes the
// split screen; with 80 output axons per core the partitioner's packing
// needs more cores, and the screen's packing (before any compile with
// samples) moves the choice on to the next candidate.
func TestChooseTargetCompileMisfit(t *testing.T) {
	p := targets(t, "tiny")[0].Profile
	p.Name, p.Mesh.TilesY, p.Core.MaxFanOutAxons = "tiny12", 3, 80
	tight, err := backends.NewTarget(&p, "test:tiny12")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	ch, err := ChooseTarget(context.Background(), tinyGraph(t, false), []*backends.Target{targets(t, "tiny-2chip")[0], tight}, CompileOptions{Seed: 1, Log: &log})
	if err != nil {
		t.Fatalf("ChooseTarget: %v\n%s", err, log.String())
	}
	if ch.Target.Name() != "tiny-2chip" || len(ch.Skipped) != 1 || ch.Skipped[0].Target != "tiny12" || ch.Skipped[0].Stage != "screen" || !strings.Contains(ch.Skipped[0].Reason, "have 12") {
		t.Errorf("chose %s, skipped %+v; want tiny-2chip after tiny12 failed the packing screen with 12 cores\n%s", ch.Target.Name(), ch.Skipped, log.String())
	}
}
