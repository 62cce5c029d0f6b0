package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Report renders the results found in the output directory out (each
// experiment's OUT/NAME.json, in the order of Names) as markdown
// sections, each as Result.Markdown writes it: table, paper's numbers,
// verdict, protocol, command, commit, machine and times. It ends with the
// experiments that have no result in out. A missing out, or a result file
// that cannot be read, is an error naming it.
func Report(out string) ([]byte, error) {
	results, missing, err := ReadResults(out)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, res := range results {
		b.WriteString(res.Markdown())
		b.WriteString("\n")
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "Not run into this directory yet: %s.\n", strings.Join(missing, ", "))
	}
	return b.Bytes(), nil
}

// ReadResults reads the results in the output directory out (each
// experiment's OUT/NAME.json, in the order of Names) and names the
// experiments that have none there. A missing out, or a result file that
// cannot be read or holds another experiment's result (or no rows), is
// an error naming it. Every row's paper figure is the experiment
// definition's current one (Experiment.figure), whatever the file holds,
// so figures added after a run show without running it again.
func ReadResults(out string) (results []*Result, missing []string, err error) {
	switch fi, err := os.Stat(out); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("experiments: results directory %s does not exist (want the --out of autosnn experiments run)", out)
	case err != nil:
		return nil, nil, fmt.Errorf("experiments: results directory: %w", err)
	case !fi.IsDir():
		return nil, nil, fmt.Errorf("experiments: results directory %s is a file, want the directory autosnn experiments run --out wrote", out)
	}
	for _, name := range Names() {
		res := new(Result)
		path := filepath.Join(out, name+".json")
		ok, err := readJSON(path, res)
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
		registry[name].complete(res)
		results = append(results, res)
	}
	return results, missing, nil
}
