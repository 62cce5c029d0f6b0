package main

import (
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
)

// TestCompileAuto: --chip auto compiles a small AutoSNN onto the smallest
// real built-in that holds it, says why each smaller one was skipped, and
// writes a mapping for the chosen chip.
func TestCompileAuto(t *testing.T) {
	dir := t.TempDir()
	out, err := runCompileCmd("--model", "autosnn", "--C", "4", "--random-weights", "1", "--chip", "auto", "--profile-samples", "0", "--out", dir, "--quiet")
	if err != nil {
		t.Fatalf("compile --chip auto: %v\n%s", err, out)
	}
	for _, want := range []string{"auto chip: chose loihi1 (128 cores, 1 chip)", "skipped speck (screen): network: layer cores: needs 13 cores, have 9",
		"skipped spinnaker1 (screen): network: cores (neurons): needs 22 cores, have 16", "compiled autosnn onto loihi1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, tg, _, err := backends.ReadMapping(dir)
	if err != nil || tg.Name() != "loihi1" {
		t.Errorf("mapping: target %v, error %v; want loihi1", tg, err)
	}
}
