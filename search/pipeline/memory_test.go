package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/supernet"
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
	ctx := WithMemoryLimit(context.Background(), 1000)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	g := tinyGraph(t, false)
	space := tinySpace(t)
	_, errCompile := Compile(ctx, g, chip, CompileOptions{})
	_, errSim := Simulate(ctx, g, chip, Synthetic(g, 1, 1), SimOptions{})
	_, _, errOpen := OpenSupernet(ctx, filepath.Join("..", "supernet", "testdata", "tiny-v1.ckpt"), 8)
	for name, err := range map[string]error{"Compile": errCompile, "Simulate": errSim, "OpenSupernet": errOpen,
		"CheckTrain": CheckTrain(ctx, g, 8), "CheckEval": CheckEval(ctx, g, 8, 100),
		"CheckSupernet": CheckSupernet(ctx, space, 8), "CheckSupernetEval": CheckSupernetEval(ctx, space, 8)} {
		var me *MemoryError
		if !errors.As(err, &me) || me.Limit != 1000 || !strings.Contains(err.Error(), "1 kB given by --max-memory") {
			t.Errorf("%s under 1 kB: got %v, want a *MemoryError naming the limit", name, err)
		}
	}
	big := WithMemoryLimit(context.Background(), 1<<40)
	if err := CheckTrain(big, g, 8); err != nil {
		t.Errorf("CheckTrain under 1 TiB: %v", err)
	}
	if err := CheckSupernetEval(big, space, 8); err != nil {
		t.Errorf("CheckSupernetEval under 1 TiB: %v", err)
	}
	net, _, err := OpenSupernet(big, filepath.Join("..", "supernet", "testdata", "tiny-v1.ckpt"), 8)
	if err != nil {
		t.Errorf("OpenSupernet under 1 TiB: %v", err)
	} else {
		net.Close()
	}
}

// tinySpace is the snn1 space at 2 channels, T=2, 1x8x8 inputs.
func tinySpace(t *testing.T) search.Space {
	t.Helper()
	space, err := search.NewSpace("snn1", frontend.Spec{Name: "m", Channels: 2, T: 2, Input: []int{1, 8, 8}, Classes: 10, Neuron: "plif"})
	if err != nil {
		t.Fatal(err)
	}
	return space
}

// TestSupernetEvalEstimate: evaluating the super-network needs less than
// training it (no gradients, no Adam moments, eval activations), at least
// supernet.Memory in evaluation plus the batch buffers, and more with a
// bigger batch.
func TestSupernetEvalEstimate(t *testing.T) {
	ctx := WithMemoryLimit(context.Background(), 1)
	space := tinySpace(t)
	need := func(err error) int64 {
		var me *MemoryError
		if !errors.As(err, &me) {
			t.Fatalf("under 1 byte: got %v, want a *MemoryError", err)
		}
		return me.Need
	}
	tr, ev, ev4 := need(CheckSupernet(ctx, space, 16)), need(CheckSupernetEval(ctx, space, 16)), need(CheckSupernetEval(ctx, space, 64))
	bare, err := supernet.Memory(space, 16, false)
	if err != nil {
		t.Fatal(err)
	}
	g, err := frontend.Lower(space.Spec(make(search.Arch, space.Positions)))
	if err != nil {
		t.Fatal(err)
	}
	if want := bare + batchBuffers(g, 16); ev != want || !(ev < tr) || !(ev < ev4) {
		t.Errorf("super-network estimates: eval %d (want %d = supernet.Memory %d + buffers), train %d, eval at batch 64 %d; want eval < train and growing with the batch",
			ev, want, bare, tr, ev4)
	}
}

// TestMemoryLimitContext: no value is 0 (the machine's), a negative one is
// 0, and the value set is the one read.
func TestMemoryLimitContext(t *testing.T) {
	ctx := context.Background()
	if MemoryLimit(ctx) != 0 || MemoryLimit(WithMemoryLimit(ctx, -5)) != 0 || MemoryLimit(WithMemoryLimit(ctx, 4e9)) != 4e9 {
		t.Errorf("MemoryLimit: got %d, %d, %d; want 0, 0, 4e9", MemoryLimit(ctx), MemoryLimit(WithMemoryLimit(ctx, -5)), MemoryLimit(WithMemoryLimit(ctx, 4e9)))
	}
}

// TestCheckEvalClipsBatch: an evaluation of fewer images than the batch
// runs only those images, but the iterator's buffers hold a whole batch.
func TestCheckEvalClipsBatch(t *testing.T) {
	ctx := WithMemoryLimit(context.Background(), 1)
	g := tinyGraph(t, false)
	var few, many *MemoryError
	errors.As(CheckEval(ctx, g, 1000, 10), &few)
	errors.As(CheckEval(ctx, g, 1000, 1000), &many)
	if few == nil || many == nil || !(few.Need < many.Need) || few.Need < batchBuffers(g, 1000) {
		t.Errorf("CheckEval estimates: 10 images %v, 1000 images %v; want fewer bytes for fewer images, at least the batch buffers %d", few, many, batchBuffers(g, 1000))
	}
}

// TestCheckEvalSpec: before the load, the Test split counts as
// shape.Test images (clipped by the limit) and another split as one image,
// so the estimate is CheckEval's with those counts and never above it with
// the real count.
func TestCheckEvalSpec(t *testing.T) {
	ctx := WithMemoryLimit(context.Background(), 1)
	g := tinyGraph(t, false)
	shape := dataset.Shape{C: 1, H: 8, W: 8, Classes: 10, Test: 300}
	need := func(err error) int64 {
		var me *MemoryError
		if !errors.As(err, &me) {
			t.Fatalf("under 1 byte: got %v, want a *MemoryError", err)
		}
		return me.Need
	}
	for _, c := range []struct {
		sp            dataset.Split
		limit, images int
	}{{dataset.Test, 0, 300}, {dataset.Test, 50, 50}, {dataset.Val, 0, 1}, {dataset.Val, 50, 1}} {
		if got, want := need(CheckEvalSpec(ctx, g, shape, c.sp, 1000, c.limit)), need(CheckEval(ctx, g, 1000, c.images)); got != want {
			t.Errorf("%v limit %d: CheckEvalSpec needs %d bytes, want CheckEval's of %d images, %d", c.sp, c.limit, got, c.images, want)
		}
	}
}
