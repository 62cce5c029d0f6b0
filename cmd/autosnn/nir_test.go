package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNIRImportFlags: show and compile import a NIR file with --dt and --T,
// and refuse them where they mean nothing.
func TestNIRImportFlags(t *testing.T) {
	mlp := filepath.Join("..", "..", "frontend", "testdata", "nir", "snntorch_mlp.nir")
	msg, err := runApp(t, "show", "--T", "5", "--dt", "2e-4", mlp)
	if err != nil || !strings.Contains(msg, "T=5 ") || !strings.Contains(msg, "lif(tau=2.5 ") {
		t.Fatalf("show --T 5 --dt 2e-4: %v\n%s\nwant T=5 and the head's tau halved to 2.5", err, msg)
	}
	msg, err = runApp(t, "show", mlp)
	if err != nil || !strings.Contains(msg, "T=10 ") || !strings.Contains(msg, "lif(tau=5 ") {
		t.Fatalf("show: %v\n%s\nwant the defaults T=10, tau 5", err, msg)
	}
	out := t.TempDir()
	msg, err = runApp(t, "compile", "--quiet", "--model", mlp, "--T", "4", "--dt", "2e-4", "--out", out)
	if err != nil {
		t.Fatalf("compile --T 4 --dt 2e-4: %v\n%s", err, msg)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "--dt", "2e-4", "autosnn"}, "--dt is for a NIR file"},
		{[]string{"show", "--dt", "0", mlp}, "--dt 0, want"},
		{[]string{"show", "--T", "0", mlp}, "--T"},
		{[]string{"compile", "--model", mlp, "--T", "0", "--out", out}, "--T 0, want"},
		{[]string{"compile", "--model", "autosnn", "--random-weights", "1", "--dt", "1e-3", "--out", out}, "--dt is for a NIR --model"},
		{[]string{"compile", "--model", filepath.Join("..", "..", "frontend", "testdata", "tiny-v1.ckpt"), "--T", "3", "--out", out}, "--T is for a NIR or architecture --model"},
	} {
		if _, err := runApp(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
