package backends

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoundTrip parses every built-in profile, marshals it and parses the
// result again: the two profiles must be equal.
func TestRoundTrip(t *testing.T) {
	for _, name := range Builtins() {
		t.Run(name, func(t *testing.T) {
			src, err := BuiltinSource(name)
			if err != nil {
				t.Fatal(err)
			}
			p1, err := Parse(src, "builtin:"+name)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(p1)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := Parse(out, "marshalled:"+name)
			if err != nil {
				t.Fatalf("re-parse of marshalled profile: %v\n%s", err, out)
			}
			if diff := cmp.Diff(p1, p2); diff != "" {
				t.Errorf("round trip changed the profile (-parsed +reparsed):\n%s", diff)
			}
		})
	}
}

func TestBuiltinsSortedAndRequired(t *testing.T) {
	got := Builtins()
	if !slices.IsSorted(got) {
		t.Errorf("Builtins() = %v, want sorted", got)
	}
	for _, want := range []string{"loihi1", "loihi1-sanafe", "loihi2", "speck", "spinnaker2", "tiny", "tiny-2chip", "truenorth"} {
		if !slices.Contains(got, want) {
			t.Errorf("Builtins() = %v, want it to contain %q", got, want)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, name := range []string{"loihi3", "", "../profiles/tiny", "TINY"} {
		_, err := Lookup(name)
		if err == nil || !strings.Contains(err.Error(), "unknown chip") {
			t.Errorf("Lookup(%q) error = %v, want an unknown-chip error", name, err)
		}
	}
}

func TestLoadAndResolve(t *testing.T) {
	dir := t.TempDir()
	src, err := BuiltinSource("tiny")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mychip.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.File != path {
		t.Errorf("File = %q, want %q", fromFile.File, path)
	}
	builtin, err := Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(builtin.Profile, fromFile.Profile); diff != "" {
		t.Errorf("Load(file) differs from Lookup (-builtin +file):\n%s", diff)
	}
	for _, arg := range []string{"tiny", path} {
		tg, err := Resolve(arg)
		if err != nil {
			t.Errorf("Resolve(%q): %v", arg, err)
			continue
		}
		if tg.Name() != "tiny" {
			t.Errorf("Resolve(%q).Name() = %q, want tiny", arg, tg.Name())
		}
	}
	if _, err := Resolve("nochip"); err == nil || !strings.Contains(err.Error(), "unknown chip") {
		t.Errorf("Resolve(nochip) error = %v, want unknown chip", err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := Resolve(missing); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Resolve(%q) error = %v, want an error naming the file", missing, err)
	}
}

// TestTargetIsACopy checks that a Target does not alias the profile it was
// made from.
func TestTargetIsACopy(t *testing.T) {
	tg, err := Lookup("speck")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := NewTarget(&tg.Profile, "x")
	if err != nil {
		t.Fatal(err)
	}
	cp.Profile.LayerCores.KernelMemoryEntries[0] = 1
	cp.Profile.Core.NeuronModels[0] = "lif"
	if tg.Profile.LayerCores.KernelMemoryEntries[0] != 16384 || tg.Profile.Core.NeuronModels[0] != "if" {
		t.Errorf("modifying a derived Target changed the original")
	}
}
