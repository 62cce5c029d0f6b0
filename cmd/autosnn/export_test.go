package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
)

// TestExportNIR: export writes a NIR file that the import reads back, and
// refuses an untrained architecture and an unknown format.
func TestExportNIR(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.nir")
	msg, err := runApp(t, "export", "--model", "autosnn", "--C", "4", "--random-weights", "3", "--out", out)
	if err != nil || !strings.Contains(msg, "wrote "+out) {
		t.Fatalf("export: %v\n%s", err, msg)
	}
	g, ok, err := frontend.ReadNIRFile(out, frontend.NIROptions{})
	if err != nil || !ok {
		t.Fatalf("reading the export back: ok %v, %v", ok, err)
	}
	if g.Classes != 10 || g.Output().Name != "vote" || g.Pop("pool1") == nil {
		t.Errorf("imported graph: %d classes, output %s, pool1 %v", g.Classes, g.Output().Name, g.Pop("pool1"))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", "autosnn", "--out", out}, "untrained architecture"},
		{[]string{"--format", "onnx", "--model", "autosnn", "--random-weights", "1", "--out", out}, `--format "onnx", want one of nir`},
		{[]string{"--model", "autosnn", "--random-weights", "1", "--dt", "0", "--out", out}, "--dt 0"},
	} {
		if _, err := runApp(t, append([]string{"export"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("export %v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
