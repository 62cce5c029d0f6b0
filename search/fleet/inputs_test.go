package fleet

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestInputsSharedCache fetches one file input and one directory input
// from many workers at once into one cache directory (as worker processes
// on one machine sharing --work-dir do): every caller gets the complete
// input, and no temporary file is left behind.
func TestInputsSharedCache(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	coord := c.open(time.Second)
	src := t.TempDir()
	want := map[string]string{"a.txt": "alpha\n", "sub/b.bin": "\x00\x01beta"}
	for name, body := range want {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := coord.PutDir(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	file, err := coord.PutFile(ctx, filepath.Join(src, "a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	job, err := NewJob(KindEcho, "x", map[string]Input{"dir": dir, "file": file})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		f := c.open(time.Second) // each worker its own connection
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := &Inputs{f: f, cache: cache, job: job}
			d, err := in.Path(ctx, "dir")
			if err != nil {
				errs[i] = err
				return
			}
			for name, body := range want {
				got, err := os.ReadFile(filepath.Join(d, filepath.FromSlash(name)))
				if err != nil || string(got) != body {
					t.Errorf("worker %d: %s = %q, %v; want %q", i, name, got, err, body)
				}
			}
			p, err := in.Path(ctx, "file")
			if err != nil {
				errs[i] = err
				return
			}
			if got, err := os.ReadFile(p); err != nil || string(got) != want["a.txt"] {
				t.Errorf("worker %d: file input = %q, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	ents, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %v, want the file and the directory only", names)
	}
}

// TestRenameDirLosesRace is the moment two workers finish unpacking the
// same directory input: the second rename finds the first's directory in
// place and keeps it.
func TestRenameDirLosesRace(t *testing.T) {
	cache := t.TempDir()
	dst := filepath.Join(cache, "h.d")
	for _, d := range []string{dst, filepath.Join(cache, "tmp1")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "f"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := renameDir(filepath.Join(cache, "tmp1"), dst); err != nil {
		t.Fatalf("renameDir onto a complete directory: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "f")); string(got) != dst {
		t.Errorf("dst/f = %q, want the first worker's %q", got, dst)
	}
	if err := renameDir(filepath.Join(cache, "missing"), filepath.Join(cache, "other.d")); err == nil {
		t.Error("renameDir of a missing directory: no error")
	}
}
