package backends

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// metisExample is the 7-vertex graph of the METIS manual's figure (format
// 011 with one vertex weight), used for a byte-exact write and a round trip.
var metisExample = &MetisGraph{
	VWeights: [][]int64{{4}, {2}, {5}, {3}, {1}, {6}, {2}},
	Adj:      [][]int{{4, 2, 1}, {0, 2, 3}, {4, 3, 1, 0}, {1, 2, 5, 6}, {0, 2, 5}, {4, 3, 6}, {5, 3}},
	EWeights: [][]int64{{1, 2, 1}, {1, 2, 1}, {3, 2, 2, 2}, {1, 2, 2, 5}, {1, 3, 2}, {2, 2, 6}, {6, 5}},
}

const metisExampleText = `7 11 011 1
4 5 1 3 2 2 1
2 1 1 3 2 4 1
5 5 3 4 2 2 2 1 2
3 2 1 3 2 6 2 7 5
1 1 1 3 3 6 2
6 5 2 4 2 7 6
2 6 6 4 5
`

func TestWriteMETIS(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMETIS(&b, metisExample); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(metisExampleText, b.String()); diff != "" {
		t.Errorf("WriteMETIS (-want +got):\n%s", diff)
	}
	g, err := ReadMETIS(strings.NewReader("% a comment\n" + b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(metisExample, g); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

var metisErrors = []struct {
	name, text, want string
}{
	{"asymmetric", "2 1 001\n2 5\n1 4\n", "want symmetric"},
	{"edge count", "2 2 001\n2 5\n1 5\n", "header says 2 edges"},
	{"neighbour", "2 1\n3\n1\n", "neighbour 3, want 1..2"},
	{"self loop", "2 1\n1\n2\n", "no self loop"},
	{"sizes", "2 1 100\n2\n1\n", "no vertex sizes"},
	{"short", "3 1\n2\n1\n", "2 vertex lines, want 3"},
	{"header", "x 1\n", "header field 1"},
}

func TestReadMETISErrors(t *testing.T) {
	for _, c := range metisErrors {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMETIS(strings.NewReader(c.text))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ReadMETIS(%q): %v, want an error containing %q", c.text, err, c.want)
			}
		})
	}
	bad := &MetisGraph{VWeights: [][]int64{{1}, {1}}, Adj: [][]int{{1}, {0}}, EWeights: [][]int64{{0}, {0}}}
	if err := WriteMETIS(&bytes.Buffer{}, bad); err == nil || !strings.Contains(err.Error(), "want > 0") {
		t.Errorf("WriteMETIS with a zero edge weight: %v", err)
	}
}

func TestReadMETISPartition(t *testing.T) {
	got, err := ReadMETISPartition(strings.NewReader("0\n2\n1\n\n0\n"), 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 2, 1, 0}, got); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
	for _, c := range []struct{ text, want string }{
		{"0\n3\n", "line 2: \"3\", want a part id 0..2"},
		{"0\n", "1 lines, want 2"},
		{"0\nx\n", "line 2"},
	} {
		if _, err := ReadMETISPartition(strings.NewReader(c.text), 2, 3); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadMETISPartition(%q): %v, want an error containing %q", c.text, err, c.want)
		}
	}
}
