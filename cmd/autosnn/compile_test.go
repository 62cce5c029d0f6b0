package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/search/pipeline"
)

// runCompileCmd runs the CLI with args and returns its standard output.
func runCompileCmd(args ...string) (string, error) {
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"autosnn", "compile"}, args...))
	return out.String(), err
}

func TestCompileCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := runCompileCmd("--model", "autosnn", "--C", "4", "--random-weights", "1", "--chip", "loihi2",
		"--profile-samples", "1", "--out", dir)
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, out)
	}
	for _, want := range []string{"pass split", "pass verify", "compiled autosnn onto loihi2", "energy per inference", "tbd5.l2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{backends.MappingFile, backends.MappingJSONFile, backends.SummaryFile, backends.RoutesFile, pipeline.CoreGraphFile, pipeline.MetisFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	g, tg, m, err := backends.ReadMapping(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tg.Name() != "loihi2" || g.Name != "autosnn" || m.CoresUsed == 0 || g.Pops[1].Core == nil || g.Pops[1].Q == nil {
		t.Errorf("read back %s on %s with %d cores (core set %v, quantized %v)", g.Name, tg.Name(), m.CoresUsed, g.Pops[1].Core != nil, g.Pops[1].Q != nil)
	}
	// The compiled IR directory is itself a valid --model.
	out, err = runCompileCmd("--model", dir, "--chip", "loihi2", "--profile-samples", "0", "--out", t.TempDir(), "--quiet")
	if err != nil || !strings.Contains(out, "uniform rates") {
		t.Errorf("recompiling the written graph: %v\n%s", err, out)
	}
}

var compileErrors = []struct {
	name string
	args []string
	want string
}{
	{"untrained", []string{"--model", "autosnn", "--C", "4", "--chip", "loihi2"}, "untrained architecture"},
	{"does not fit", []string{"--model", "autosnn", "--random-weights", "1", "--chip", "tiny", "--profile-samples", "0"}, "would fit"},
	{"unknown chip", []string{"--model", "autosnn", "--random-weights", "1", "--chip", "nochip"}, "unknown chip"},
	{"unknown pass", []string{"--model", "autosnn", "--C", "4", "--random-weights", "1", "--chip", "loihi2", "--stop-after", "nopass"}, `--stop-after "nopass", want one of fold-bn`},
	{"bad model", []string{"--model", "NOPE_k9", "--chip", "loihi2"}, "not a checkpoint or IR directory"},
}

func TestCompileErrors(t *testing.T) {
	for _, c := range compileErrors {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCompileCmd(append(c.args, "--out", t.TempDir())...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("compile %v: %v, want an error containing %q\n%s", c.args, err, c.want, out)
			}
		})
	}
	out, err := runCompileCmd("--model", "autosnn", "--C", "4", "--random-weights", "1", "--chip", "loihi2", "--profile-samples", "0",
		"--stop-after", "split", "--out", t.TempDir())
	if err != nil || !strings.Contains(out, "stopped after split") {
		t.Errorf("--stop-after split: %v\n%s", err, out)
	}
}
