package experiments

import (
	"bytes"
	"fmt"
	"path/filepath"
)

// RunMarkers returns the two lines that enclose experiment name's
// generated section in docs/experiments.md. SpliceRuns replaces what lies
// between them; the text around the blocks (the analysis of each table)
// is kept as written by hand.
func RunMarkers(name string) (begin, end string) {
	return "<!-- run " + name + " -->", "<!-- /run " + name + " -->"
}

// Sections renders each experiment that has a result in the output
// directory out (OUT/NAME.json) as Result.Markdown writes it, keyed by
// name; missing lists, in the order of Names, the experiments without
// one. A result file that cannot be read, or holds another experiment's
// result, is an error naming it.
func Sections(out string) (sections map[string][]byte, missing []string, err error) {
	sections = map[string][]byte{}
	for _, name := range Names() {
		var res Result
		path := filepath.Join(out, name+".json")
		ok, err := readJSON(path, &res)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			missing = append(missing, name)
			continue
		}
		if res.Experiment != name || len(res.Rows) == 0 {
			return nil, nil, fmt.Errorf("experiments: %s: not a result of %s (experiment %q, %d rows)", path, name, res.Experiment, len(res.Rows))
		}
		sections[name] = []byte(res.Markdown())
	}
	return sections, missing, nil
}

// SpliceRuns returns doc with the block of each experiment in sections
// (the lines between its RunMarkers) replaced by its section, and kept
// lists, in the order of Names, the experiments whose blocks doc has but
// sections does not (their text stays as it was). Every experiment in
// sections needs its block in doc, each marker once, in order, on a line
// of its own; otherwise SpliceRuns returns an error naming the
// experiment and changes nothing.
func SpliceRuns(doc []byte, sections map[string][]byte) (out []byte, kept []string, err error) {
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
