package backends

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteDOT(t *testing.T) {
	tg, err := Lookup("tiny-2chip")
	if err != nil {
		t.Fatal(err)
	}
	cg := &CoreGraph{Name: "net",
		Nodes: []CoreNode{{Core: 0, Neurons: 10, Util: 0.5, Layers: []string{"a"}}, {Core: 9, Neurons: 64, Util: 1, Layers: []string{"b", "c"}}},
		Edges: []CoreEdge{{From: 0, To: 9, Messages: 12.5}, {From: 9, To: 0, Messages: 2}}}
	var b bytes.Buffer
	if err := WriteDOT(&b, tg, cg); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`digraph "net" {`,
		"subgraph cluster_chip0", "subgraph cluster_chip1",
		`c9 [label="core 9\n(2,0)/1\n64 neurons (100%)\nb\nc", pos="420,0!"];`,
		`c0 -> c9 [label="12.5", weight=12.5, penwidth=5.00];`,
		`c9 -> c0 [label="2", weight=2, penwidth=1.22];`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("DOT lacks %q:\n%s", want, out)
		}
	}
	if err := WriteDOT(&b, tg, &CoreGraph{Nodes: []CoreNode{{Core: 16}}}); err == nil {
		t.Errorf("WriteDOT with core 16 of 16: nil error")
	}
}
