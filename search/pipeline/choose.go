package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
)

// AutoChip is the --chip value that makes the compiler choose the target.
const AutoChip = "auto"

// Skip is a candidate target ChooseTarget passed over, and why.
type Skip struct {
	// Target is the profile name.
	Target string
	// Stage is where it was rejected: "duplicate" (same cores and limits
	// as a smaller candidate), "screen" (the passes up to split, then the
	// partitioner's packing) or "compile" (the full compile gave a
	// FitError).
	Stage string
	// Reason is one line: the layer, the resource and the numbers.
	Reason string
}

// Choice is the outcome of ChooseTarget: the chosen target, its compile,
// and every smaller candidate skipped, in the order tried.
type Choice struct {
	Target   *backends.Target
	Compiled *Compiled
	Skipped  []Skip
	// Screen is the wall time spent screening and compiling the rejected
	// candidates (Compiled.Duration is the chosen compile's own).
	Screen time.Duration
}

// DefaultCandidates returns the built-in targets a compile with --chip
// auto chooses from: every built-in profile except the made-up test chips
// (whose source says "made up"), in OrderTargets order.
func DefaultCandidates() ([]*backends.Target, error) {
	var out []*backends.Target
	for _, name := range backends.Builtins() {
		t, err := backends.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("pipeline: auto chip: %w", err)
		}
		if strings.HasPrefix(strings.ToLower(t.Profile.Source), "made up") {
			continue
		}
		out = append(out, t)
	}
	return OrderTargets(out), nil
}

// OrderTargets returns ts sorted from the smallest target to the largest:
// fewer cores first (the hardware a mapping occupies), then fewer chips
// (a single chip before a board of the same core count), then lower
// energy per synaptic operation (pJ, dense), then name. ts is not modified.
func OrderTargets(ts []*backends.Target) []*backends.Target {
	out := slices.Clone(ts)
	slices.SortStableFunc(out, func(a, b *backends.Target) int {
		return cmp.Or(cmp.Compare(a.NumCores, b.NumCores), cmp.Compare(a.NumChips, b.NumChips),
			cmp.Compare(a.SynOpEnergyPJ(backends.Dense), b.SynOpEnergyPJ(backends.Dense)), cmp.Compare(a.Name(), b.Name()))
	})
	return out
}

// TargetSize describes t's size as "128 cores, 1 chip" or "256 cores on
// 2 chips".
func TargetSize(t *backends.Target) string {
	if t.NumChips == 1 {
		return fmt.Sprintf("%d cores, 1 chip", t.NumCores)
	}
	return fmt.Sprintf("%d cores on %d chips", t.NumCores, t.NumChips)
}

// sameResources reports whether a and b have the same mesh, core limits
// and precision (their citations aside), so that a network fits one
// exactly when it fits the other: profiles that differ only in their
// energy or timing model.
func sameResources(a, b *backends.Target) bool {
	ca, cb := a.Profile.Core, b.Profile.Core
	ca.ConvWeightSharingSource, cb.ConvWeightSharingSource = "", ""
	pa, pb := a.Profile.Precision, b.Profile.Precision
	pa.Source, pb.Source = "", ""
	la, lb := a.Profile.LayerCores, b.Profile.LayerCores
	if la != nil && lb != nil {
		x, y := *la, *lb
		x.Source, y.Source = "", ""
		la, lb = &x, &y
	}
	return a.NumCores == b.NumCores && a.NumChips == b.NumChips && reflect.DeepEqual(a.Profile.Mesh, b.Profile.Mesh) &&
		reflect.DeepEqual(ca, cb) && reflect.DeepEqual(pa, pb) && reflect.DeepEqual(la, lb)
}

// ChooseTarget compiles g onto the smallest of cands that holds it. The
// candidates are tried in OrderTargets order; each is first screened by
// the compiler's own passes up to split on a copy of g, without profiling
// samples (neuron models the chip runs, per-layer limits of one core,
// and the cores needed by a lower bound on neurons and synaptic memory),
// then by the partitioner's packing of those fragments (packScreen), and
// the first one that passes is compiled with opt; a *passes.FitError
// from that compile moves on to the next candidate. A candidate with the
// same cores and limits as a smaller one already rejected is skipped
// without a compile. g is not modified (each attempt compiles a copy).
// When no candidate fits, the error lists every candidate's reason, one
// line each. Errors other than a misfit (a cancelled ctx, a panic in a
// pass, bad options) end the search and are returned as they are.
func ChooseTarget(ctx context.Context, g *ir.Graph, cands []*backends.Target, opt CompileOptions) (*Choice, error) {
	if len(cands) == 0 {
		return nil, errors.New("pipeline: auto chip: no candidate targets")
	}
	if err := CheckCompile(ctx, g, 0); err != nil {
		return nil, err
	}
	doc, blob, err := ir.Encode(g)
	if err != nil {
		return nil, fmt.Errorf("pipeline: auto chip: %w", err)
	}
	fresh := func() (*ir.Graph, error) {
		c, err := ir.Decode(doc, blob)
		if err != nil {
			return nil, fmt.Errorf("pipeline: auto chip: copy of %s: %w", g.Name, err)
		}
		return c, nil
	}
	logf := func(format string, args ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", args...)
		}
	}
	ch := &Choice{}
	start := time.Now()
	var rejected []*backends.Target
	for _, t := range OrderTargets(cands) {
		skip := func(stage, reason string) {
			ch.Skipped = append(ch.Skipped, Skip{Target: t.Name(), Stage: stage, Reason: reason})
			rejected = append(rejected, t)
			logf("auto chip: skip %s (%s): %s", t.Name(), TargetSize(t), reason)
		}
		if i := slices.IndexFunc(rejected, func(r *backends.Target) bool { return sameResources(r, t) }); i >= 0 {
			skip("duplicate", fmt.Sprintf("same cores and limits as %s, rejected above", rejected[i].Name()))
			continue
		}
		c, err := fresh()
		if err != nil {
			return nil, err
		}
		u := &passes.Unit{G: c, Target: t, Seed: opt.Seed, Granularity: opt.Granularity, Effort: opt.Effort}
		if err := passes.Compile(ctx, u, passes.Config{StopAfter: "split"}); err != nil {
			if fatal(ctx, err) {
				return nil, err
			}
			skip("screen", misfitReason(err))
			continue
		}
		if err := packScreen(u); err != nil {
			skip("screen", misfitReason(err))
			continue
		}
		if c, err = fresh(); err != nil {
			return nil, err
		}
		logf("auto chip: compiling for %s (%s), the smallest candidate left that passes the screen", t.Name(), TargetSize(t))
		res, err := Compile(ctx, c, t, opt)
		var fe *passes.FitError
		if errors.As(err, &fe) && ctx.Err() == nil {
			skip("compile", misfitReason(err))
			continue
		}
		if err != nil {
			return nil, err
		}
		ch.Target, ch.Compiled = t, res
		ch.Screen = time.Since(start) - res.Duration
		logf("auto chip: chose %s (%s); %d smaller candidates skipped", t.Name(), TargetSize(t), len(ch.Skipped))
		return ch, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline: auto chip: network %s fits none of the %d candidate targets:", g.Name, len(cands))
	for _, s := range ch.Skipped {
		fmt.Fprintf(&b, "\n  %s: %s", s.Target, s.Reason)
	}
	return nil, errors.New(b.String())
}

// packScreen runs the partitioner's greedy packing, without its
// refinement sweeps, on the fragments of every candidate granularity of
// u's split, under u's target's per-core limits and core count, and
// returns the first candidate's *passes.FitError when none packs (nil when
// one does). It packs only when the fragments' neurons or synaptic memory
// alone need more than packScreenShare of the target's cores (the packing
// costs about 9 s of CPU per granularity on AutoSNN C=128, and a target
// with room to spare packs), and not on a layer-core chip, whose split
// already placed every layer. The screen has no profiling samples, so the
// packing sees uniform rates: it fills cores in the same order as the
// compile's but may pick a different open core for a fragment, so a
// target within a few cores of the packing's count may be rejected where
// the compile with profiled rates would have fitted it (the next larger
// candidate is then chosen).
func packScreen(u *passes.Unit) error {
	t := u.Target
	if t.Profile.LayerCores != nil || u.Layout == nil {
		return nil
	}
	lim := passes.TargetLimits(t)
	var first error
	for _, c := range u.Layout.Candidates {
		var neurons, mem int64
		for f := range c.Problem.Frags {
			neurons += int64(c.Problem.Neurons[f])
			mem += c.Problem.Mem[f]
		}
		need := float64(neurons) / float64(max(lim.Neurons, 1))
		if lim.MemBytes > 0 {
			need = max(need, float64(mem)/float64(lim.MemBytes))
		}
		if need <= packScreenShare*float64(t.NumCores) {
			return nil
		}
		_, err := passes.PartitionProblem(u.G, c.Problem, lim,
			passes.PartitionOptions{Imbalance: 0.03, MaxParts: t.NumCores, Passes: -1}) // -1: no refinement sweeps
		var fe *passes.FitError
		if !errors.As(err, &fe) {
			return nil // packs (or fails for another reason the compile will report)
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// packScreenShare is the share of a target's cores above which the
// fragments' neurons or memory make packScreen pack them: the packings
// measured take at most 16% more cores than that bound (AutoSNN C=128 on
// spinnaker1-spin5: 807 cores for a bound of 697).
const packScreenShare = 0.75

// fatal reports whether err ends the search instead of rejecting one
// candidate: a cancelled context or a panic inside a pass (a bug).
func fatal(ctx context.Context, err error) bool {
	var pe *passes.PanicError
	return ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pe)
}

// misfitReason is err as one line: a FitError's layer, resource, need
// and have (without its hint, which names other chips), else the error
// text with the pass prefix removed.
func misfitReason(err error) string {
	var fe *passes.FitError
	if errors.As(err, &fe) {
		short := *fe
		short.Hint = ""
		return short.Error()
	}
	s := err.Error()
	if i := strings.LastIndex(s, "layer "); i > 0 && strings.HasPrefix(s, "passes: ") {
		s = s[i:]
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// WriteChoice prints which target ChooseTarget chose and, one line each,
// why every smaller candidate was skipped.
func WriteChoice(w io.Writer, ch *Choice) {
	fmt.Fprintf(w, "auto chip: chose %s (%s), compiled in %v after %v on %d smaller candidates\n", ch.Target.Name(), TargetSize(ch.Target),
		ch.Compiled.Duration.Round(time.Millisecond), ch.Screen.Round(time.Millisecond), len(ch.Skipped))
	for _, s := range ch.Skipped {
		fmt.Fprintf(w, "  skipped %s (%s): %s\n", s.Target, s.Stage, s.Reason)
	}
}
