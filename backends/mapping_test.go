package backends

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
)

// placedGraph is input -> conv (2x4x4) -> dense head (3) with a core
// assignment on tiny.
func placedGraph(t *testing.T) *ir.Graph {
	t.Helper()
	b := ir.NewBuilder("placed", ir.Header{T: 2, Classes: 3, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 4, W: 4})
	c := b.Layer("conv", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleStem}, ir.ConvBN(x, 2, 3, 1))
	h := b.Layer("head", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(c, 3))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	c.Core = make([]int32, 32)
	for j := range c.Core {
		c.Core[j] = int32(j / 12) // 0..11 core 0, 12..23 core 1, 24..31 core 2
	}
	h.Core = []int32{5, 5, 2}
	return g
}

func TestNewMapping(t *testing.T) {
	tg, err := Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMapping(placedGraph(t), tg)
	if err != nil {
		t.Fatal(err)
	}
	want := []CoreMapping{
		{Core: 0, Neurons: 12, Fragments: []FragmentRef{{Pop: "conv", Neurons: 12, Ranges: [][2]int{{0, 12}}}}},
		{Core: 1, Slot: 1, Neurons: 12, Fragments: []FragmentRef{{Pop: "conv", Neurons: 12, Ranges: [][2]int{{12, 24}}}}},
		{Core: 2, Y: 1, Neurons: 9, Fragments: []FragmentRef{{Pop: "conv", Neurons: 8, Ranges: [][2]int{{24, 32}}}, {Pop: "head", Neurons: 1, Ranges: [][2]int{{2, 3}}}}},
		{Core: 5, X: 1, Slot: 1, Neurons: 2, Fragments: []FragmentRef{{Pop: "head", Neurons: 2, Ranges: [][2]int{{0, 2}}}}},
	}
	if diff := cmp.Diff(want, m.Cores); diff != "" {
		t.Errorf("cores (-want +got):\n%s", diff)
	}
	if m.CoresUsed != 4 || m.Neurons != 35 || m.Version != MappingVersion {
		t.Errorf("cores used %d, neurons %d, version %d, want 4, 35, %d", m.CoresUsed, m.Neurons, m.Version, MappingVersion)
	}
	g := placedGraph(t)
	g.Pops[2].Core = nil
	if _, err := NewMapping(g, tg); err == nil || !strings.Contains(err.Error(), "layer head has 0 core entries, want 3") {
		t.Errorf("NewMapping without placement: %v", err)
	}
	g.Pops[2].Core = []int32{0, 0, 99}
	if _, err := NewMapping(g, tg); err == nil || !strings.Contains(err.Error(), "core 99, want 0..7") {
		t.Errorf("NewMapping with core 99: %v", err)
	}
}

func TestMappingRoundTrip(t *testing.T) {
	tg, err := Lookup("tiny-2chip")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	g := placedGraph(t)
	summary := map[string]int{"cores_used": 4}
	if err := WriteMapping(dir, g, tg, MappingExtras{Summary: summary}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{MappingFile, MappingJSONFile, SummaryFile, ir.GraphFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	g2, t2, m, err := ReadMapping(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tg.Profile, t2.Profile); diff != "" {
		t.Errorf("embedded profile (-want +got):\n%s", diff)
	}
	for i, p := range g.Pops {
		if diff := cmp.Diff(p.Core, g2.Pops[i].Core); diff != "" {
			t.Errorf("layer %s cores (-want +got):\n%s", p.Name, diff)
		}
	}
	if m.CoresUsed != 4 || t2.NumCores != 16 {
		t.Errorf("mapping cores used %d, target cores %d, want 4 and 16", m.CoresUsed, t2.NumCores)
	}
	js, err := os.ReadFile(filepath.Join(dir, MappingJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"tiles_x":2`)) || !bytes.Contains(js, []byte(`"pop":"conv"`)) {
		t.Errorf("mapping.json lacks the profile or the fragments: %.200s", js)
	}
}

func TestReadMappingErrors(t *testing.T) {
	tg, err := Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(doc string) string
		want string
	}{
		{"version", func(d string) string { return strings.Replace(d, "\nversion: 1\n", "\nversion: 7\n", 1) }, "version 7, want 1"},
		{"neurons", func(d string) string { return strings.Replace(d, "neurons: 12\n", "neurons: 11\n", 1) }, "disagrees"},
		{"profile", func(d string) string { return strings.Replace(d, "max_neurons: 64", "max_neurons: -1", 1) }, "max_neurons"},
		{"yaml", func(d string) string { return d + "\n\t- : [" }, MappingFile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteMapping(dir, placedGraph(t), tg, MappingExtras{}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, MappingFile)
			doc, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(c.edit(string(doc))), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, _, err = ReadMapping(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ReadMapping: %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, _, _, err := ReadMapping(t.TempDir()); err == nil {
		t.Errorf("ReadMapping of an empty directory: nil error")
	}
}
