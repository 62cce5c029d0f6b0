package tensor

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var checkAsmgen = flag.Bool("asmgen", false, "fail (rather than skip) TestGeneratedAssemblyUpToDate when the generator cannot be built or run")

// TestGeneratedAssemblyUpToDate fails when kernel_amd64.s or
// kernel_stub_amd64.go differ from what internal/asmgen generates. Building
// the generator needs the avo module (from the module cache or proxy); when
// that fails the test is skipped, unless -asmgen is given. -short skips it.
//
//	go test ./search/engine/tensor -run Generated -asmgen
func TestGeneratedAssemblyUpToDate(t *testing.T) {
	if testing.Short() && !*checkAsmgen {
		t.Skip("skipped in -short mode")
	}
	dir := t.TempDir()
	out, stubs := filepath.Join(dir, "kernel_amd64.s"), filepath.Join(dir, "kernel_stub_amd64.go")
	cmd := exec.Command("go", "run", ".", "-out", out, "-stubs", stubs, "-pkg", "tensor")
	cmd.Dir = filepath.Join("internal", "asmgen")
	if msg, err := cmd.CombinedOutput(); err != nil {
		if !*checkAsmgen {
			t.Skipf("cannot run the generator (use -asmgen to make this an error): %v\n%s", err, msg)
		}
		t.Fatalf("running the generator: %v\n%s", err, msg)
	}
	for _, f := range []struct{ committed, fresh string }{{"kernel_amd64.s", out}, {"kernel_stub_amd64.go", stubs}} {
		want, err := os.ReadFile(f.fresh)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f.committed)
		if err != nil {
			t.Fatal(err)
		}
		// The first line records the generator's command line, which names
		// the output paths; compare from the second line on.
		if !bytes.Equal(afterFirstLine(got), afterFirstLine(want)) {
			t.Errorf("%s is stale: run go generate ./search/engine/tensor", f.committed)
		}
	}
}

func afterFirstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}
