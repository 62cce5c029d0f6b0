package experiments

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// Markers around the generated part of docs/experiments.md: Splice
// replaces what lies between them and keeps the rest of the file as
// written by hand.
const (
	BeginMarker = "<!-- runs -->"
	EndMarker   = "<!-- /runs -->"
)

// Report renders the results found in the output directory out (each
// experiment's OUT/NAME.json, in the order of Names) as markdown
// sections, each as Result.Markdown writes it: table, paper's numbers,
// verdict, protocol, command, commit, machine and times. It ends with the
// experiments that have no result in out. A result file that cannot be
// read is an error naming it.
func Report(out string) ([]byte, error) {
	var b bytes.Buffer
	var missing []string
	for _, name := range Names() {
		var res Result
		ok, err := readJSON(filepath.Join(out, name+".json"), &res)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, name)
			continue
		}
		if res.Experiment != name || len(res.Rows) == 0 {
			return nil, fmt.Errorf("experiments: %s: not a result of %s (experiment %q, %d rows)", filepath.Join(out, name+".json"), name, res.Experiment, len(res.Rows))
		}
		b.WriteString(res.Markdown())
		b.WriteString("\n")
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "Not run into this directory yet: %s.\n", strings.Join(missing, ", "))
	}
	return b.Bytes(), nil
}

// Splice returns doc with the text between BeginMarker and EndMarker
// replaced by body. doc must hold each marker once, in that order, each on
// a line of its own.
func Splice(doc, body []byte) ([]byte, error) {
	begin, end := []byte(BeginMarker+"\n"), []byte("\n"+EndMarker)
	i, j := bytes.Index(doc, begin), bytes.Index(doc, end)
	switch {
	case i < 0 || j < 0:
		return nil, fmt.Errorf("experiments: the document has no %s ... %s section", BeginMarker, EndMarker)
	case j < i || bytes.Count(doc, begin) != 1 || bytes.Count(doc, end) != 1:
		return nil, fmt.Errorf("experiments: the document's %s and %s markers are not one pair in order", BeginMarker, EndMarker)
	}
	var b bytes.Buffer
	b.Write(doc[:i+len(begin)])
	b.Write(bytes.TrimRight(body, "\n"))
	b.Write(doc[j:])
	return b.Bytes(), nil
}
