package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulateSemantics: --semantics chip runs T + D - 1 = 3 + 2 - 1 steps
// per image on the two-layer tiny mapping and says so on stdout, in
// summary.yaml and in steps.csv; the default stays trained.
func TestSimulateSemantics(t *testing.T) {
	m := tinyMapping(t)
	for _, c := range []struct {
		args  []string
		line  string
		yaml  string
		steps int
	}{
		{nil, "images            2 x 3 timesteps\n", "semantics: trained\nsteps_per_image: 3\noutput_offset: 0\n", 3},
		{[]string{"--semantics", "chip"}, "images            2 x 3 timesteps, chip semantics: 4 steps, votes from step 1\n", "semantics: chip\nsteps_per_image: 4\noutput_offset: 1\n", 4},
	} {
		out := filepath.Join(t.TempDir(), "out")
		stdout, err := runSimulate(t, append([]string{"--mapping", m, "--images", "2", "--out", out}, c.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, c.line) {
			t.Errorf("%v: stdout lacks %q:\n%s", c.args, c.line, stdout)
		}
		y, err := os.ReadFile(filepath.Join(out, "summary.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(y), c.yaml) {
			t.Errorf("%v: summary.yaml lacks %q", c.args, c.yaml)
		}
		csv, err := os.ReadFile(filepath.Join(out, "steps.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if rows := strings.Count(string(csv), "\n") - 1; rows != 2*c.steps {
			t.Errorf("%v: steps.csv has %d rows, want %d", c.args, rows, 2*c.steps)
		}
	}
}
