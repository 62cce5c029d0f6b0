package backends

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestWriteTableGolden(t *testing.T) {
	var targets []*Target
	for _, n := range Builtins() {
		targets = append(targets, mustLookup(t, n))
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, targets); err != nil {
		t.Fatal(err)
	}
	golden(t, "chips.txt", buf.Bytes())
}

func TestWriteTextGolden(t *testing.T) {
	for _, name := range []string{"tiny-2chip", "speck", "spinnaker2"} {
		var buf bytes.Buffer
		if err := mustLookup(t, name).WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		golden(t, name+".txt", buf.Bytes())
	}
}

// TestWriteTextUnits checks every built-in prints every section with units.
func TestWriteTextUnits(t *testing.T) {
	for _, name := range Builtins() {
		var buf bytes.Buffer
		if err := mustLookup(t, name).WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{name + ": ", "board\n", "core limits\n", "precision\n", "network on chip\n",
			"energy per event", "time per event\n", "timestep synchronisation\n", " pJ", " ns", " bits", " mW per chip"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: WriteText output lacks %q:\n%s", name, want, out)
			}
		}
	}
}

var bytesCases = []struct {
	in   int
	want string
}{{0, "0 B"}, {100, "100 B"}, {1024, "1 KiB"}, {1536, "1.5 KiB"}, {131072, "128 KiB"}, {1 << 20, "1 MiB"}, {1025, "1025 B"}}

func TestFmtBytes(t *testing.T) {
	for _, tc := range bytesCases {
		if got := fmtBytes(tc.in); got != tc.want {
			t.Errorf("fmtBytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
