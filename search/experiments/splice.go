package experiments

import (
	"bytes"
	"fmt"
)

// RunMarkers returns the two lines that enclose experiment name's
// generated section in docs/experiments.md. SpliceRuns replaces what lies
// between them; the text around the blocks (the analysis of each table)
// is kept as written by hand.
func RunMarkers(name string) (begin, end string) {
	return "<!-- run " + name + " -->", "<!-- /run " + name + " -->"
}

// SpliceRuns returns doc with the block of each result (the lines
// between its experiment's RunMarkers) replaced by the result's Markdown,
// and kept lists, in the order of Names, the experiments whose blocks doc
// has but results do not (their text stays as it was). Every result needs
// its block in doc, each marker once, in order, on a line of its own;
// otherwise SpliceRuns returns an error naming the experiment and changes
// nothing.
func SpliceRuns(doc []byte, results []*Result) (out []byte, kept []string, err error) {
	sections := map[string][]byte{}
	for _, res := range results {
		sections[res.Experiment] = []byte(res.Markdown())
	}
	for _, name := range Names() {
		begin, end := RunMarkers(name)
		b, e := []byte(begin+"\n"), []byte("\n"+end+"\n")
		nb, ne := bytes.Count(doc, b), bytes.Count(doc, e)
		sec, ok := sections[name]
		switch {
		case !ok && nb == 0 && ne == 0:
			continue
		case nb == 0 && ne == 0:
			return nil, nil, fmt.Errorf("experiments: %s has a result but the document has no block for it: add the lines %s and %s where its section goes", name, begin, end)
		}
		i, j := bytes.Index(doc, b), bytes.Index(doc, e)
		if nb != 1 || ne != 1 || j < i {
			return nil, nil, fmt.Errorf("experiments: the document's %s and %s lines are not one pair in order (%d and %d found)", begin, end, nb, ne)
		}
		if !ok {
			kept = append(kept, name)
			continue
		}
		var buf bytes.Buffer
		buf.Write(doc[:i+len(b)])
		buf.Write(bytes.TrimRight(sec, "\n"))
		buf.Write(doc[j:])
		doc = buf.Bytes()
	}
	return doc, kept, nil
}
