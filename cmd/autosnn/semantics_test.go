package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulateSemantics: --semantics chip, the default (the chip's own
// time for energy and latency), runs T + D - 1 = 3 + 2 - 1 steps per image
// on the two-layer tiny mapping and says so on stdout, in summary.yaml and
// in steps.csv; trained runs T steps; both runs chip and compares it with
// trained (a chain: full agreement) on stdout and in agreement.yaml.
func TestSimulateSemantics(t *testing.T) {
	m := tinyMapping(t)
	chipLine := "images            2 x 3 timesteps, chip semantics: 4 steps, votes from step 1\n"
	chipYAML := "semantics: chip\nsteps_per_image: 4\noutput_offset: 1\n"
	for _, c := range []struct {
		args  []string
		line  string
		yaml  string
		steps int
	}{
		{nil, chipLine, chipYAML, 4},
		{[]string{"--semantics", "chip"}, chipLine, chipYAML, 4},
		{[]string{"--semantics", "trained"}, "images            2 x 3 timesteps\n", "semantics: trained\nsteps_per_image: 3\noutput_offset: 0\n", 3},
		{[]string{"--semantics", "both"}, "trained vs chip semantics over 2 images: predictions equal 100.00% (2/2)\n", chipYAML, 4},
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
		a, err := os.ReadFile(filepath.Join(out, "agreement.yaml"))
		switch both := len(c.args) > 0 && c.args[1] == "both"; {
		case both && (err != nil || !strings.Contains(string(a), "images: 2\npredictions_equal: 2\n") || !strings.Contains(string(a), "spike_agreement: 1\n")):
			t.Errorf("%v: agreement.yaml (%v):\n%s", c.args, err, a)
		case !both && err == nil:
			t.Errorf("%v: agreement.yaml written without --semantics both", c.args)
		}
	}
}
