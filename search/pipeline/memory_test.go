package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
)

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"4GB", 4e9}, {"4gb", 4e9}, {"512MiB", 512 << 20}, {"1.5e9", 1.5e9}, {"100 kB", 1e5}, {"2T", 2e12}, {"64", 64}, {"3KiB", 3072},
	} {
		if got, err := ParseBytes(c.in); err != nil || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "GB", "-1GB", "0", "4XB", "4 G B", "1e30TB", "NaN"} {
		if got, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", bad, got)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1000, "1 kB"}, {1_540_000_000, "1.54 GB"}, {4e15, "4 PB"}, {9e18, "9e+03 PB"}} {
		if got := FormatBytes(c.n); got != c.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestMemInfo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meminfo")
	os.WriteFile(p, []byte("MemTotal:       24683748 kB\nMemAvailable:   1000 kB\nHugePages_Total: 0\n"), 0o644)
	if v, ok := memInfo(p, "MemAvailable:"); !ok || v != 1000*1024 {
		t.Errorf("memInfo MemAvailable = %d, %v; want 1024000, true", v, ok)
	}
	if v, ok := memInfo(p, "HugePages_Total:"); !ok || v != 0 {
		t.Errorf("memInfo HugePages_Total = %d, %v; want 0, true", v, ok)
	}
	if _, ok := memInfo(p, "SwapFree:"); ok {
		t.Errorf("memInfo of a missing key: ok")
	}
	if _, ok := memInfo(filepath.Join(t.TempDir(), "none"), "MemAvailable:"); ok {
		t.Errorf("memInfo of a missing file: ok")
	}
}

// TestMachineMemory checks that on Linux the limit is known and below the
// machine's total memory.
func TestMachineMemory(t *testing.T) {
	total, ok := memInfo("/proc/meminfo", "MemTotal:")
	if !ok {
		t.Skip("no /proc/meminfo")
	}
	got, from := MachineMemory()
	if got <= 0 || got > total || from == "" {
		t.Errorf("MachineMemory() = %d (%q), want 0 < limit <= MemTotal %d", got, from, total)
	}
}

// TestEntryPointsRefuse runs the pipeline's entry points under a limit of
// one kilobyte: each refuses with a *MemoryError before doing any work.
func TestEntryPointsRefuse(t *testing.T) {
	SetMaxMemory(1000)
	defer SetMaxMemory(0)
	ctx := context.Background()
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	g := tinyGraph(t, false)
	_, errCompile := Compile(ctx, g, chip, CompileOptions{})
	_, errSim := Simulate(ctx, g, chip, Synthetic(g, 1, 1), SimOptions{})
	for name, err := range map[string]error{"Compile": errCompile, "Simulate": errSim, "CheckTrain": CheckTrain(g, 8), "CheckEval": CheckEval(g, 8, 100)} {
		var me *MemoryError
		if !errors.As(err, &me) || me.Limit != 1000 || !strings.Contains(err.Error(), "1 kB given by --max-memory") {
			t.Errorf("%s under 1 kB: got %v, want a *MemoryError naming the limit", name, err)
		}
	}
	SetMaxMemory(1 << 40)
	if err := CheckTrain(g, 8); err != nil {
		t.Errorf("CheckTrain under 1 TiB: %v", err)
	}
}

// TestCheckEvalClipsBatch: an evaluation of fewer images than the batch
// runs only those images, but the iterator's buffers hold a whole batch.
func TestCheckEvalClipsBatch(t *testing.T) {
	defer SetMaxMemory(0)
	g := tinyGraph(t, false)
	var few, many *MemoryError
	SetMaxMemory(1)
	errors.As(CheckEval(g, 1000, 10), &few)
	errors.As(CheckEval(g, 1000, 1000), &many)
	if few == nil || many == nil || !(few.Need < many.Need) || few.Need < batchBuffers(g, 1000) {
		t.Errorf("CheckEval estimates: 10 images %v, 1000 images %v; want fewer bytes for fewer images, at least the batch buffers %d", few, many, batchBuffers(g, 1000))
	}
}
