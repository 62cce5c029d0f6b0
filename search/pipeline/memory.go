package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

// The memory check: every entry point that trains, evaluates, compiles or
// simulates first estimates its peak memory from the IR (train.Memory,
// supernet.Memory, passes.Memory, sim.Memory) and refuses work that would
// not fit with a *MemoryError, before allocating anything, instead of
// ending in the runtime's "out of memory" crash or the kernel's OOM kill.

// memoryLimitKey is the context key of WithMemoryLimit's value.
type memoryLimitKey struct{}

// WithMemoryLimit returns ctx carrying the memory, in bytes, that work
// started with it through this package may use; 0 (or no value) means what
// the machine has (MachineMemory), a negative value counts as 0. A limit
// above the machine's forces work the estimate says would not fit. The CLI
// sets it once, from --max-memory, on the context every command runs with.
func WithMemoryLimit(ctx context.Context, bytes int64) context.Context {
	return context.WithValue(ctx, memoryLimitKey{}, max(bytes, 0))
}

// MemoryLimit returns the limit, in bytes, WithMemoryLimit set on ctx (0:
// none set, the machine's memory applies).
func MemoryLimit(ctx context.Context) int64 {
	n, _ := ctx.Value(memoryLimitKey{}).(int64)
	return n
}

// MemoryError is work refused because its estimated peak memory exceeds
// the limit.
type MemoryError struct {
	// Work names the work ("train autosnn (417,626 parameters, T=8, batch 96)").
	Work string
	// Need is the estimated peak, Limit the memory it may use, in bytes;
	// LimitFrom says where Limit comes from.
	Need, Limit int64
	LimitFrom   string
	// Lower says what to lower ("--batch, --C or --T").
	Lower string
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("%s needs about %s of memory (estimate), more than the %s %s; lower %s, or set --max-memory to override",
		e.Work, FormatBytes(e.Need), FormatBytes(e.Limit), e.LimitFrom, e.Lower)
}

// CheckMemory returns a *MemoryError when need bytes exceed the limit (ctx's
// MemoryLimit, or else the machine's memory); work and lower are the
// error's Work and Lower.
func CheckMemory(ctx context.Context, work string, need int64, lower string) error {
	limit, from := MemoryLimit(ctx), "given by --max-memory"
	if limit == 0 {
		limit, from = MachineMemory()
	}
	if limit > 0 && need > limit {
		return &MemoryError{Work: work, Need: need, Limit: limit, LimitFrom: from, Lower: lower}
	}
	return nil
}

// CheckTrain refuses training g with batch images per step when
// train.Memory and the data's batch buffers exceed the limit.
func CheckTrain(ctx context.Context, g *ir.Graph, batch int) error {
	return CheckMemory(ctx, fmt.Sprintf("train %s (%s parameters, T=%d, batch %d)", g.Name, group(int64(ir.Count(g).Params)), g.T, batch),
		train.Memory(g, batch, true)+batchBuffers(g, batch), "--batch, --C or --T")
}

// CheckEval refuses evaluating g on images images (0: unknown) with batch
// images per step when train.Memory of the batches that run and the data's
// batch buffers (batch images each, however few images there are) exceed
// the limit.
func CheckEval(ctx context.Context, g *ir.Graph, batch, images int) error {
	run := batch
	if images > 0 {
		run = min(batch, images)
	}
	return CheckMemory(ctx, fmt.Sprintf("eval %s (%s parameters, T=%d, batch %d)", g.Name, group(int64(ir.Count(g).Params)), g.T, batch),
		train.Memory(g, run, false)+batchBuffers(g, batch), "--batch")
}

// The checks a command runs before loading its data, from the data's
// shape (dataset.StandardShape), so that work that cannot fit is refused
// in milliseconds rather than after the load; the entry points check again
// with the loaded set's shape. A spec that does not lower or a space that
// does not exist passes here: the entry point reports it.

// CheckTrainSpec is CheckTrain of arch lowered as NewTrainer lowers it on
// a set of shape shape.
func CheckTrainSpec(ctx context.Context, arch frontend.Spec, shape dataset.Shape, batch int) error {
	g, err := frontend.Lower(onShape(arch, shape))
	if err != nil {
		return nil
	}
	return CheckTrain(ctx, g, batch)
}

// CheckSupernetSpec is CheckSupernet of the super-network NewSupernetTrainer
// builds for spaceName, C and T on a set of shape shape.
func CheckSupernetSpec(ctx context.Context, spaceName string, C, T int, shape dataset.Shape, batch int) error {
	space, err := supernetSpace(spaceName, C, T, shape)
	if err != nil {
		return nil
	}
	return CheckSupernet(ctx, space, batch)
}

// CheckEvalSpec is CheckEval of g on split sp of a set of shape shape,
// limit images (0: all) batch images at a time, counting the images of
// the Test split as shape.Test and those of another split as 1 (a lower
// bound, so that it refuses only what CheckEval refuses after the load
// with the standard files).
func CheckEvalSpec(ctx context.Context, g *ir.Graph, shape dataset.Shape, sp dataset.Split, batch, limit int) error {
	n := 1
	if sp == dataset.Test && shape.Test > 0 {
		n = shape.Test
	}
	if limit > 0 {
		n = min(n, limit)
	}
	return CheckEval(ctx, g, batch, n)
}

// batchBuffers is the memory, in bytes, of the two float32 batches of
// inputs of g that a dataset iterator keeps (dataset.Set.Batches).
func batchBuffers(g *ir.Graph, batch int) int64 {
	per := int64(g.Input().Shape.Len())
	if g.Encoding == ir.Frames {
		per *= int64(max(g.T, 1))
	}
	return 2 * 4 * int64(batch) * per
}

// evalImages is the number of images an evaluation of split sp of set
// with limit (0: all) runs.
func evalImages(set *dataset.Set, sp dataset.Split, limit int) int {
	n := set.Len(sp)
	if limit > 0 {
		n = min(n, limit)
	}
	return n
}

// CheckSupernet refuses training the super-network of space with batch
// images per step when supernet.Memory (in training) and the data's batch
// buffers exceed the limit.
func CheckSupernet(ctx context.Context, space search.Space, batch int) error {
	need, err := supernetMemory(space, batch, true)
	if err != nil {
		return err
	}
	return CheckMemory(ctx, fmt.Sprintf("supernet %s (C=%d, T=%d, input %v, batch %d)", space.Name, space.Base.Channels, space.Base.T, space.Base.Input, batch),
		need, "--batch, --C or --T")
}

// CheckSupernetEval refuses evaluating candidates of the super-network of
// space (search, lambda) with batch images per step when supernet.Memory
// in evaluation and the data's batch buffers exceed the limit.
func CheckSupernetEval(ctx context.Context, space search.Space, batch int) error {
	need, err := supernetMemory(space, batch, false)
	if err != nil {
		return err
	}
	return CheckMemory(ctx, fmt.Sprintf("search on the super-network %s (C=%d, T=%d, input %v, batch %d)", space.Name, space.Base.Channels, space.Base.T, space.Base.Input, batch),
		need, "--batch")
}

// supernetMemory is supernet.Memory of space plus the batch buffers of its
// inputs (those of its first uniform architecture: every candidate has the
// same input).
func supernetMemory(space search.Space, batch int, training bool) (int64, error) {
	need, err := supernet.Memory(space, batch, training)
	if err != nil {
		return 0, err
	}
	g, err := frontend.Lower(space.Spec(make(search.Arch, space.Positions)))
	if err != nil {
		return 0, fmt.Errorf("pipeline: memory of space %s: %w", space.Name, err)
	}
	return need + batchBuffers(g, batch), nil
}

// compileHeapToRSS is the measured ratio of a compile's peak resident
// memory (above the process's before it) to passes.Memory's peak heap: 1.6
// to 2.2 (docs/performance.md, "Memory estimates"). The passes' many
// short-lived allocations leave freed spans the runtime has not returned
// yet; training and simulation hold long-lived buffers and need no factor.
const compileHeapToRSS = 2

// CheckCompile refuses compiling g with samples profiling samples when
// passes.Memory (times compileHeapToRSS), plus the float weights g does
// not hold yet, exceeds the limit. Call it before giving g weights.
func CheckCompile(ctx context.Context, g *ir.Graph, samples int) error {
	need := compileHeapToRSS * passes.Memory(g, samples)
	for _, e := range g.Projs {
		if e.Op.HasWeights() && e.Weights == nil {
			need += 4 * int64(e.WeightLen())
		}
	}
	c := ir.Count(g)
	return CheckMemory(ctx, fmt.Sprintf("compile %s (%s parameters, %s synapses)", g.Name, group(int64(c.Params)), group(c.Synapses)),
		need, "--C or the input size")
}

// MachineMemory returns the memory, in bytes, that this process can still
// allocate, and where the figure comes from: the least of MemAvailable in
// /proc/meminfo, the cgroup's memory.max less memory.current, and the
// address-space limit (RLIMIT_AS, ulimit -v) less the address space in use.
// It returns 0 when none is known (other systems: only --max-memory then).
func MachineMemory() (int64, string) {
	best, from := int64(0), ""
	take := func(v int64, what string) {
		if v > 0 && (best == 0 || v < best) {
			best, from = v, what
		}
	}
	if v, ok := memInfo("/proc/meminfo", "MemAvailable:"); ok {
		take(v, "available (MemAvailable in /proc/meminfo)")
	}
	if max, ok := readInt("/sys/fs/cgroup/memory.max"); ok {
		cur, _ := readInt("/sys/fs/cgroup/memory.current")
		take(max-cur, "left under the cgroup's memory.max")
	}
	if as, ok := addressSpaceLimit(); ok {
		take(as-addressSpaceInUse(), "left under the address-space limit (ulimit -v)")
	}
	return best, from
}

// memInfo returns the value of key in a /proc/meminfo-style file, in bytes.
func memInfo(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == key {
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, false
			}
			if len(f) == 3 && f[2] == "kB" {
				v *= 1024
			}
			return v, true
		}
	}
	return 0, false
}

// readInt reads a file holding one integer ("max" and errors: false).
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}

// addressSpaceInUse returns the process's virtual size in bytes (VmSize of
// /proc/self/status; 0 when unknown).
func addressSpaceInUse() int64 {
	v, _ := memInfo("/proc/self/status", "VmSize:")
	return v
}

// byteUnits are the units ParseBytes accepts (case-insensitive), by factor.
var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseBytes parses a memory size: a positive number with an optional unit
// B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of
// 1024), case-insensitive, e.g. 4GB, 512MiB, 1.5e9.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] >= 'a' && t[i-1] <= 'z' || t[i-1] >= 'A' && t[i-1] <= 'Z') {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(t[i:])
	f, ok := byteUnits[unit]
	x, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || !(x > 0) || x*f >= math.MaxInt64 {
		return 0, fmt.Errorf("memory size %q: want a positive number with an optional unit B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, e.g. 4GB", s)
	}
	return int64(x * f), nil
}

// FormatBytes prints n bytes with a decimal unit and three significant
// digits ("1.54 GB").
func FormatBytes(n int64) string {
	x := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB", "PB"} {
		if x < 999.5 || u == "PB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return strconv.FormatFloat(x, 'g', 3, 64) + " " + u
		}
		x /= 1000
	}
	panic("unreachable")
}
