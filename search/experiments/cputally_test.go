package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCPUTally(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "r-s1.ckpt")
	for _, tc := range []struct {
		name, file     string // file "" = none
		resumed        bool
		atLeast, below float64
		err            string
	}{
		{"fresh run ignores an earlier tally", `{"cpu_seconds": 500}`, false, 0, 400, ""},
		{"resumed run adds the earlier processes'", `{"cpu_seconds": 500}`, true, 500, 900, ""},
		{"resumed without a tally counts 0 before", "", true, 0, 400, ""},
		{"corrupt tally", `{"cpu_seconds": -1}`, true, 0, 0, "r-s1.ckpt.cpu"},
		{"not JSON", `x`, true, 0, 0, "r-s1.ckpt.cpu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(ckpt + ".cpu")
			if tc.file != "" {
				if err := os.WriteFile(ckpt+".cpu", []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tl, err := openCPUTally(ckpt, tc.resumed)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("openCPUTally: error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := tl.seconds(); s < tc.atLeast || s >= tc.below {
				t.Errorf("seconds() = %g, want in [%g, %g)", s, tc.atLeast, tc.below)
			}
			if err := tl.save(); err != nil {
				t.Fatal(err)
			}
			again, err := openCPUTally(ckpt, true)
			if err != nil || again.seconds() < tc.atLeast {
				t.Errorf("reopened tally: %v, %v; want at least %g", again, err, tc.atLeast)
			}
		})
	}
}
