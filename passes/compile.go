package passes

// The pass manager: the Unit the passes transform, the ordered pass table
// with its ordering constraints, and the driver Compile that runs, times,
// verifies and dumps them.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// Unit is what the pipeline transforms: the graph, the target, and state
// passed between passes that is not IR.
type Unit struct {
	// G is the graph; passes modify it in place.
	G *ir.Graph
	// Target is the chip the graph is compiled for.
	Target *backends.Target
	// Samples are sample inputs, each shaped like the input of
	// ir.Executor.Run (the input population's length for Direct encoding,
	// T times that for Frames). The quantize report and the profile pass
	// use them; may be empty.
	Samples [][]float32
	// Seed seeds every randomised pass (annealing and the like), so a
	// compile is deterministic given the unit.
	Seed uint64
	// Log receives progress and information lines; nil means io.Discard.
	Log io.Writer
	// Granularity is split's target of fragments per core; 0 means each of
	// AutoGranularities, the best placed mapping winning (see placePass),
	// or DefaultGranularity alone on layer-per-core targets.
	Granularity int
	// Effort scales the annealing budgets of place (0 means 1; see
	// RefineOptions.Effort).
	Effort float64
	// Report collects what the passes measured; Compile allocates it when
	// nil.
	Report *Report
	// Layout is the mapping the back half builds, handed from pass to
	// pass: split creates it, partition, place and route fill it in (nil
	// before split; see Layout for what each pass sets).
	Layout *Layout

	// intSpikes is quantize's count of the integer network's spikes on
	// Samples, which the profile pass takes instead of running them again
	// (nil outside that window).
	intSpikes *spikeCounts
}

// logf writes one line to u.Log, if any.
func (u *Unit) logf(format string, args ...any) {
	if u.Log != nil {
		fmt.Fprintf(u.Log, format+"\n", args...)
	}
}

// report returns u.Report, allocating it when nil (a pass run outside
// Compile).
func (u *Unit) report() *Report {
	if u.Report == nil {
		u.Report = &Report{}
	}
	return u.Report
}

// Report is what the passes of one compile measured.
type Report struct {
	// Passes lists the passes that ran, in order, with their wall time.
	Passes []PassTime
	// Lower is lower-ops' report on neuron models it approximated (nil
	// when it changed none).
	Lower *LowerReport
	// Quant is the quantize pass's accuracy report (nil before quantize).
	Quant *QuantReport
	// Profile is the profile pass's rate summary (nil before profile).
	Profile *ProfileReport
	// Delay is the delay pass's report on residual joins (nil before
	// delay, or when it was skipped).
	Delay *DelayReport
	// Mapping is the verify pass's mapping report (nil before verify).
	Mapping *MappingReport
}

// PassTime is the wall time of one pass.
type PassTime struct {
	Name    string
	Elapsed time.Duration
}

// Pass is one entry of the pipeline.
type Pass struct {
	// Name is the pass name used by Config.DumpAfter, StopAfter and Skip.
	Name string
	// Fn runs the pass on the unit; it returns an error for bad user input
	// and may panic on a broken IR (a bug).
	Fn func(*Unit) error
	// Required passes cannot be skipped.
	Required bool
}

// passes is the ordered pipeline.
var passes = [...]Pass{
	{Name: "fold-bn", Fn: foldBNPass, Required: true},
	{Name: "lower-ops", Fn: lowerOpsPass, Required: true},
	{Name: "quantize", Fn: quantizePass, Required: true},
	{Name: "fan-out", Fn: fanOutPass, Required: true},
	{Name: "axon-types", Fn: axonTypesPass, Required: true},
	{Name: "profile", Fn: profilePass},
	{Name: "delay", Fn: delayPass},
	{Name: "split", Fn: splitPass, Required: true},
	{Name: "partition", Fn: partitionPass, Required: true},
	{Name: "partition-chips", Fn: partitionChipsPass, Required: true},
	{Name: "place", Fn: placePass, Required: true},
	{Name: "route", Fn: routePass, Required: true},
	{Name: "verify", Fn: verifyPass, Required: true},
}

// constraint says that pass a must run before pass b, and why.
type constraint struct {
	a, b   string
	reason string
}

// passOrder lists the ordering constraints of the pipeline; init checks
// that the table obeys them.
var passOrder = [...]constraint{
	{"fold-bn", "quantize", "quantize scales the folded weights and bias; a batch-norm has no integer form"},
	{"lower-ops", "quantize", "max-pool has no integer form; its OR neurons are quantized like any population"},
	{"fold-bn", "lower-ops", "lower-ops checks that every remaining projection is chip-implementable, which a batch-norm is not"},
	{"lower-ops", "fan-out", "fan-out walks the synapses of the lowered graph (max-pools are sum-pools into OR neurons by then)"},
	{"quantize", "fan-out", "the integer network (quantize) exists for every chip, so accuracy on chip can be measured where the mapping fails; quantize takes milliseconds"},
	{"fan-out", "split", "a network whose fan-out no mapping can meet is refused before split, partition and place spend their time"},
	{"quantize", "axon-types", "a chip holds the quantized weights, whose distinct values per neuron are what its axon types limit"},
	{"axon-types", "split", "a neuron with more distinct weights than axon types is refused before split, partition and place spend their time"},
	{"quantize", "profile", "rates come from the integer forward, which needs the integer form"},
	{"lower-ops", "delay", "lower-ops adds the OR-neuron populations of max-pools, whose paths count toward a join's depth"},
	{"delay", "verify", "verify checks every delay against the chip's core.max_synaptic_delay_steps"},
	{"profile", "partition", "partition weights cut edges by spike rates"},
	{"lower-ops", "split", "split sizes fragments of the lowered populations (OR neurons included)"},
	{"quantize", "split", "synaptic memory per core depends on the quantized weights"},
	{"split", "partition", "partition assigns the fragments split makes"},
	{"partition", "place", "place puts the cores partition formed on mesh positions"},
	{"partition", "partition-chips", "partition-chips groups the cores partition formed into chips"},
	{"partition-chips", "place", "place keeps every core on the chip partition-chips gave it"},
	{"place", "route", "routing tables depend on mesh positions"},
	{"route", "verify", "verify checks the routing tables against their limits"},
}

func init() {
	if err := checkOrder(passes[:], passOrder[:]); err != nil {
		panic(err)
	}
}

// checkOrder returns an error if table violates a constraint or a
// constraint names a pass the table lacks.
func checkOrder(table []Pass, order []constraint) error {
	pos := make(map[string]int, len(table))
	for i, p := range table {
		if _, dup := pos[p.Name]; dup {
			return fmt.Errorf("passes: pass %s listed twice", p.Name)
		}
		pos[p.Name] = i
	}
	for _, c := range order {
		i, ok := pos[c.a]
		j, ok2 := pos[c.b]
		if !ok || !ok2 {
			return fmt.Errorf("passes: ordering constraint %s < %s names a pass not in the table", c.a, c.b)
		}
		if i >= j {
			return fmt.Errorf("passes: pass %s must run before %s (%s), got positions %d and %d", c.a, c.b, c.reason, i, j)
		}
	}
	if last := table[len(table)-1]; last.Name != "verify" || !last.Required {
		return fmt.Errorf("passes: last pass is %s, want the required verify pass", last.Name)
	}
	return nil
}

// PassNames returns the names of the passes in pipeline order.
func PassNames() []string {
	names := make([]string, len(passes))
	for i, p := range passes {
		names[i] = p.Name
	}
	return names
}

// Config controls one run of the pipeline.
type Config struct {
	// DumpAfter names a pass after which the IR, and the layout once split
	// has made it, are printed to Dump ("" for none).
	DumpAfter string
	// StopAfter names the last pass to run ("" runs them all).
	StopAfter string
	// Skip names passes not to run; only passes that are not Required may
	// be skipped.
	Skip []string
	// Verify runs ir.Verify before the first pass and after every pass,
	// and Layout.Verify after every pass once split has made the layout.
	Verify bool
	// Dump receives the IR dump; nil means the unit's Log.
	Dump io.Writer
}

// PanicError is a panic inside a pass, converted into an error by Compile.
type PanicError struct {
	Pass, Net string
	Value     any
	// Stack is the goroutine stack at the panic.
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("passes: panic during %s while compiling %s: %v", e.Pass, e.Net, e.Value)
}

// Compile runs the pipeline on u. It times every pass (u.Report.Passes),
// runs ir.Verify and Layout.Verify between passes when cfg.Verify is set,
// prints the IR and the layout after cfg.DumpAfter and stops after
// cfg.StopAfter. A pass's error is returned as "passes: PASS: ..."; a
// panic as a *PanicError. Compile checks ctx between passes.
func Compile(ctx context.Context, u *Unit, cfg Config) error {
	if u == nil || u.G == nil {
		return errors.New("passes: compile: no graph")
	}
	if u.Target == nil {
		return fmt.Errorf("passes: compile %s: no target chip", u.G.Name)
	}
	if u.Report == nil {
		u.Report = &Report{}
	}
	names := PassNames()
	for _, n := range []string{cfg.DumpAfter, cfg.StopAfter} {
		if n != "" && !slices.Contains(names, n) {
			return fmt.Errorf("passes: unknown pass %q, want one of %v", n, names)
		}
	}
	for _, n := range cfg.Skip {
		i := slices.Index(names, n)
		switch {
		case i < 0:
			return fmt.Errorf("passes: cannot skip unknown pass %q, want one of %v", n, names)
		case passes[i].Required:
			return fmt.Errorf("passes: cannot skip required pass %s", n)
		}
	}
	dump := cfg.Dump
	if dump == nil {
		dump = u.Log
	}
	if cfg.Verify {
		if err := ir.Verify(u.G); err != nil {
			return fmt.Errorf("passes: input graph: %w", err)
		}
	}
	for _, p := range passes {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("passes: before %s: %w", p.Name, err)
		}
		if slices.Contains(cfg.Skip, p.Name) {
			u.logf("pass %-10s skipped", p.Name)
		} else {
			start := time.Now()
			err := runPass(p, u)
			d := time.Since(start)
			u.Report.Passes = append(u.Report.Passes, PassTime{Name: p.Name, Elapsed: d})
			u.logf("pass %-10s %v", p.Name, d.Round(time.Microsecond))
			if err != nil {
				var pe *PanicError
				if errors.As(err, &pe) {
					return err
				}
				return fmt.Errorf("passes: %s: %w", p.Name, err)
			}
			if cfg.Verify {
				if err := ir.Verify(u.G); err != nil {
					return fmt.Errorf("passes: IR invalid after %s (a compiler bug): %w", p.Name, err)
				}
				if u.Layout != nil {
					if err := u.Layout.Verify(u.G, u.Target); err != nil {
						return fmt.Errorf("passes: layout invalid after %s (a compiler bug): %w", p.Name, err)
					}
				}
			}
		}
		if p.Name == cfg.DumpAfter && dump != nil {
			fmt.Fprintf(dump, "# IR after %s\n%s", p.Name, u.G.String())
			if u.Layout != nil {
				fmt.Fprintf(dump, "# layout after %s\n", p.Name)
				u.Layout.Print(dump, u.G, u.Target)
			}
		}
		if p.Name == cfg.StopAfter {
			break
		}
	}
	return nil
}

// runPass runs one pass, converting a panic into a *PanicError.
func runPass(p Pass, u *Unit) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Pass: p.Name, Net: u.G.Name, Value: r, Stack: debug.Stack()}
		}
	}()
	return p.Fn(u)
}
