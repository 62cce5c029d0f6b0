package ir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteFileAtomicRemovesStaleTemps leaves the temporaries a killed run
// would leave beside a checkpoint, and files that only look like them,
// then writes the checkpoint: the temporaries go, the rest stays.
func TestWriteFileAtomicRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt")
	stale := []string{".run.ckpt.tmp123456", ".run.ckpt.tmp9"}
	keep := []string{".run.ckpt.tmp", ".run.ckpt.tmp12x", ".other.ckpt.tmp1", "run.ckpt.tmp1", ".run.ckpt.tmp77.d"}
	for _, n := range append(append([]string(nil), stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFileAtomic(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := append([]string{"run.ckpt"}, keep...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("%s holds %q, want %q", path, b, "new")
	}
}

// TestWriteFileAtomicErrorLeavesNothing writes over a directory (the
// rename fails): the error names the path and no temporary stays.
func TestWriteFileAtomicErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("data")); err == nil {
		t.Fatal("writing over a non-empty directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%s holds %d entries after the failed write, want the directory alone", dir, len(ents))
	}
}
