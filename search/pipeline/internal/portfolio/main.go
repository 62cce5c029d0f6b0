package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// defaultNets is the suite of docs/performance.md without the trained
// checkpoints (which the command cannot assume exist).
const defaultNets = "autosnn:8,autosnn:16,snn1-scb3:8,snn3-srb3:8,resnet11-lee:8,cifarnet-wu:8"

type config struct {
	seed    uint64
	samples int
	grans   []int
	effort  float64
	gpmetis string
	tmp     string
	// linkStages gives the baselines placed by the project's placer its
	// link stages too (-baseline-link-stages).
	linkStages bool
	// postStages runs the compile's post-choice stages (passes.PostChoice)
	// on the placed fill and METIS mappings too, as extra baselines
	// (-baseline-post-stages).
	postStages bool
	// granularity pins the compile's split granularity (-granularity; 0
	// means the automatic candidates).
	granularity int
	// compileOnly skips the baselines (-baselines=false).
	compileOnly bool
	// log, if not nil, receives the compile's log (-v).
	log io.Writer
}

func main() {
	nets := flag.String("nets", defaultNets, "networks: NAME:C (zoo, random weights) or @CKPT:DATA (trained checkpoint, profiled on DATA), comma-separated")
	chips := flag.String("chips", "loihi1,loihi1-kapoho-bay,loihi2-kapoho-point", "targets, comma-separated")
	seed := flag.Uint64("seed", 1, "seed for weights, inputs and every placer")
	samples := flag.Int("samples", 4, "profile samples")
	grans := flag.String("granularities", "2,8,32", "split granularities of METIS's fragment graphs (fragments per core's worth)")
	effort := flag.Float64("effort", 1, "annealing effort of the project's placer (compile and baselines)")
	gpmetis := flag.String("gpmetis", "gpmetis", "gpmetis binary (Debian package metis)")
	baselines := flag.Bool("baselines", true, "map with the baselines too (false: the compile only, to compare with an earlier table)")
	verbose := flag.Bool("v", false, "write the compile's log to stderr")
	postStages := flag.Bool("baseline-post-stages", true, "also map the fill (placed by the project's placer) and each legal METIS partition through the compile's post-choice stages (passes.PostChoice: emptying parts, link spreading, heavy-edge and fine splitting), as extra baselines")
	granularity := flag.Int("granularity", 0, "pin the compile's split granularity (fragments per core's worth; 0: the automatic candidates)")
	linkStages := flag.Bool("baseline-link-stages", true, "run the placer's link stages (passes.BalanceLinks) on the baselines it places, as the compile does")
	flag.Parse()
	cfg := config{seed: *seed, samples: *samples, effort: *effort, gpmetis: *gpmetis, compileOnly: !*baselines, linkStages: *linkStages, postStages: *postStages, granularity: *granularity}
	if *verbose {
		cfg.log = os.Stderr
	}
	for _, s := range strings.Split(*grans, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 1 {
			fail(fmt.Errorf("-granularities: %q is not a positive integer", s))
		}
		cfg.grans = append(cfg.grans, v)
	}
	dir, err := os.MkdirTemp("", "portfolio")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	cfg.tmp = dir
	var all []result
	var notes []string
	for _, n := range strings.Split(*nets, ",") {
		for _, c := range strings.Split(*chips, ",") {
			rows, err := runOne(strings.TrimSpace(n), strings.TrimSpace(c), cfg)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s on %s: %v", n, c, err))
				fmt.Fprintf(os.Stderr, "portfolio: %s on %s: %v\n", n, c, err)
				continue
			}
			all = append(all, rows...)
		}
	}
	writeTables(os.Stdout, all, notes)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "portfolio:", err)
	os.Exit(1)
}

// cpuNow returns the user+sys CPU time of this process so far.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load builds the network of entry spec and its profile samples.
func load(spec string, cfg config) (g *ir.Graph, label string, samples [][]float32, err error) {
	if rest, ok := strings.CutPrefix(spec, "@"); ok {
		path, data, ok := strings.Cut(rest, ":")
		if !ok {
			return nil, "", nil, fmt.Errorf("-nets: %q: want @CKPT:DATA", spec)
		}
		if g, err = frontend.ReadGraph(path); err != nil {
			return nil, "", nil, err
		}
		if !g.Trained() {
			return nil, "", nil, fmt.Errorf("-nets: %s holds no trained weights", path)
		}
		src, done, err := pipeline.OpenData(context.Background(), data, dataset.Val, cfg.samples, g, cfg.seed)
		if err != nil {
			return nil, "", nil, err
		}
		all, err := pipeline.ReadAll(src)
		done()
		if err != nil {
			return nil, "", nil, err
		}
		return g, fmt.Sprintf("%s C=%d (trained, %s)", g.Name, g.Pop("stem").Shape.C, data), all.Inputs, nil
	}
	name, cs, ok := strings.Cut(spec, ":")
	c, cerr := strconv.Atoi(cs)
	if !ok || cerr != nil || c < 1 {
		return nil, "", nil, fmt.Errorf("-nets: %q: want NAME:C with C >= 1", spec)
	}
	e, found := frontend.LookupZoo(name)
	if !found {
		return nil, "", nil, fmt.Errorf("-nets: unknown zoo network %q", name)
	}
	e.Spec.Channels = c
	if g, err = frontend.Lower(e.Spec); err != nil {
		return nil, "", nil, err
	}
	frontend.RandomWeights(g, cfg.seed)
	return g, fmt.Sprintf("%s C=%d", name, c), frontend.RandomInputs(g, cfg.samples, cfg.seed), nil
}

// result is one mapping's row.
type result struct {
	net, chip, method string
	cores             int
	hops, maxLink     float64 // per inference
	interChip         float64 // messages per inference
	netUJ, staticUJ   float64 // energy per inference
	cpu               time.Duration
	violations        []string
	baseline          bool
}

// evaluate writes cores (per population, per neuron; nil for the input)
// into g and measures the mapping with the verify pass's own checks.
func evaluate(g *ir.Graph, t *backends.Target, cores [][]int32) result {
	for i, p := range g.Pops {
		if i > 0 {
			p.Core = cores[i]
		}
	}
	a := passes.Analyze(g, t)
	rt := passes.BuildRoutes(t, a)
	v := a.Violations(g, t, rt)
	r := passes.BuildReport(g, t, a)
	return result{cores: r.CoresUsed, hops: r.RateHops, maxLink: r.MaxLinkLoad, interChip: r.InterChipMessages,
		netUJ: r.Energy.Network * 1e-6, staticUJ: r.StaticPJ * 1e-6, violations: v}
}

// perNeuron expands a part per neuron and a core per part into a core per
// neuron.
func perNeuron(part [][]int32, core []int32) [][]int32 {
	out := make([][]int32, len(part))
	for i, pp := range part {
		if pp == nil {
			continue
		}
		c := make([]int32, len(pp))
		for j, q := range pp {
			c[j] = core[q]
		}
		out[i] = c
	}
	return out
}

// projectPlace places k parts with the project's placer as PlaceAndRefine
// does without fragment moves: annealing, a cooler second annealing, then
// the link stages (passes.BalanceLinks) unless -baseline-link-stages=false.
// On a board, parts that fit one chip are annealed on it (passes.PlaceTarget),
// as PlaceAndRefine does.
func projectPlace(t *backends.Target, k int, es []passes.Edge, cfg config) ([]int32, error) {
	tp := passes.PlaceTarget(t, k)
	pl, err := passes.Place(tp, k, es, passes.PlaceOptions{Seed: cfg.seed, Effort: cfg.effort})
	if err != nil {
		return nil, err
	}
	pl2, err := passes.Place(tp, k, es, passes.PlaceOptions{Seed: cfg.seed + 1, Start: pl.Core, Moves: pl.Moves / 2})
	if err != nil {
		return nil, err
	}
	if cfg.linkStages {
		if _, err := passes.BalanceLinks(tp, es, pl2.Core, passes.BalanceOptions{Seed: cfg.seed + 2, Moves: pl.Moves / 4}); err != nil {
			return nil, err
		}
	}
	return pl2.Core, nil
}

// runOne compiles one network for one target and maps it with every
// baseline.
func runOne(spec, chip string, cfg config) ([]result, error) {
	t, err := backends.Resolve(chip)
	if err != nil {
		return nil, err
	}
	g, label, samples, err := load(spec, cfg)
	if err != nil {
		return nil, err
	}
	u := &passes.Unit{G: g, Target: t, Samples: samples, Seed: cfg.seed, Effort: cfg.effort, Log: cfg.log, Granularity: cfg.granularity}
	c0 := cpuNow()
	if err := passes.Compile(context.Background(), u, passes.Config{}); err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	compileCPU := cpuNow() - c0
	compiled := make([][]int32, len(g.Pops))
	for i, p := range g.Pops {
		compiled[i] = p.Core
	}
	var rows []result
	add := func(method string, r result, cpu time.Duration, baseline bool) {
		r.net, r.chip, r.method, r.cpu, r.baseline = label, t.Name(), method, cpu, baseline
		rows = append(rows, r)
		legal := "legal"
		if len(r.violations) > 0 {
			legal = fmt.Sprintf("%d violations, first: %s", len(r.violations), r.violations[0])
		}
		fmt.Fprintf(os.Stderr, "%s on %s: %-40s cores %4d  message-hops %10.0f  max link %8.0f  cpu %6.1fs  %s\n",
			label, t.Name(), method, r.cores, r.hops, r.maxLink, cpu.Seconds(), legal)
	}
	add("compile (autosnn)", evaluate(g, t, compiled), compileCPU, false)
	if cfg.compileOnly {
		return rows, nil
	}

	var stageLog func(string, ...any) // the post-choice stages' lines, with -v
	if cfg.log != nil {
		stageLog = func(format string, args ...any) { fmt.Fprintf(cfg.log, format+"\n", args...) }
	}

	// (a) Channels-last layer fill; on a fan-out or routing violation the
	// fill is redone with fewer neurons per core.
	lim := passes.TargetLimits(t)
	capN := 0
	var kFill int
	for try := 0; try < 5; try++ {
		c0 = cpuNow()
		part, k, err := passes.FillChannelsLast(g, t, passes.FillOptions{MaxNeurons: capN})
		if err != nil {
			return rows, fmt.Errorf("fill: %w", err)
		}
		ident := make([]int32, k)
		for q := range ident {
			ident[q] = int32(q)
		}
		for i, p := range g.Pops {
			if i > 0 {
				p.Core = part[i]
			}
		}
		es := passes.Edges(passes.Analyze(g, t).Traffic)
		fillCPU := cpuNow() - c0
		c0 = cpuNow()
		pc, err := projectPlace(t, k, es, cfg)
		if err != nil {
			return rows, fmt.Errorf("fill: place: %w", err)
		}
		placeCPU := cpuNow() - c0
		rp := evaluate(g, t, perNeuron(part, pc))
		if len(rp.violations) > 0 && try < 4 {
			capN = max(1, 3*min(lim.Neurons, maxPart(part, k))/4)
			fmt.Fprintf(os.Stderr, "%s on %s: fill: %s; refilling with at most %d neurons per core\n", label, t.Name(), rp.violations[0], capN)
			continue
		}
		suffix := ""
		if capN > 0 {
			suffix = fmt.Sprintf(" (<= %d neurons/core)", capN)
		}
		add("fill HWC + row-major"+suffix, evaluate(g, t, perNeuron(part, rowMajor(t, k))), fillCPU, true)
		add("fill HWC + project placer"+suffix, rp, fillCPU+placeCPU, true)
		c0 = cpuNow()
		gc, err := greedySwap(t, k, es)
		if err != nil {
			return rows, err
		}
		add("fill HWC + greedy/swap placer"+suffix, evaluate(g, t, perNeuron(part, gc)), fillCPU+cpuNow()-c0, true)
		kFill = k
		if cfg.postStages && len(rp.violations) == 0 {
			// The compile's post-choice stages on the fill placed by the
			// project's placer, with the fill's cores as the budget.
			c0 = cpuNow()
			m, err := passes.FillMapping(g, t, part, k)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s on %s: fill: %v\n", label, t.Name(), err)
				break
			}
			m.Core = pc
			m, _ = passes.PostChoice(g, t, m, k, cfg.effort, cfg.seed, "fill HWC + project placer", stageLog)
			add("fill HWC + project placer + post-choice stages"+suffix, evaluate(g, t, m.NeuronCores(g)), fillCPU+placeCPU+cpuNow()-c0, true)
		}
		break
	}

	// (b) METIS on fragment graphs.
	for _, gr := range cfg.grans {
		sr, p, err := passes.SplitAndBuild(g, t, passes.SplitOptions{Granularity: gr})
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s on %s: granularity %d: %v\n", label, t.Name(), gr, err)
			continue
		}
		mean := 0
		for _, n := range p.Neurons {
			mean += n
		}
		mean /= max(len(p.Neurons), 1)
		// k: the cores of the fill, the best legal baseline so far (METIS
		// gets as many cores as the fill uses, not fewer).
		for _, k := range []int{kFill} {
			for _, obj := range []string{"cut", "vol"} {
				name := fmt.Sprintf("METIS %s, %d-neuron frags, k=%d", obj, mean, k)
				pt, cpu, err := metis(p, lim, k, obj, cfg)
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s on %s: %s: %v\n", label, t.Name(), name, err)
					continue
				}
				c0 = cpuNow()
				rp, err := p.RepairPartition(pt, lim, t.NumCores)
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s on %s: %s: repair: %v\n", label, t.Name(), name, err)
					continue
				}
				r, pp, core, err := placeLegal(g, t, p, rp, lim, cfg)
				if err != nil {
					return rows, err
				}
				cpu += cpuNow() - c0
				add(name, r, cpu, true)
				if !cfg.postStages || len(r.violations) > 0 {
					continue
				}
				// The compile's post-choice stages on METIS's mapping, with
				// the compile's core budget (the fill's cores).
				c0 = cpuNow()
				m, _ := passes.PostChoice(g, t, passes.Mapping{Split: sr, Problem: p, Partition: pp, Core: core}, kFill, cfg.effort, cfg.seed, name, stageLog)
				add(name+" + post-choice stages", evaluate(g, t, m.NeuronCores(g)), cpu+cpuNow()-c0, true)
			}
		}
	}
	return rows, nil
}

// placeLegal places partition pt of p with the project's placer and
// measures it; while a core breaks the fan-out limit (which
// RepairPartition cannot see: it depends on the consumers' cores) the
// fragments of its part are split in two halves and the partition placed
// again, up to 8 times.
func placeLegal(g *ir.Graph, t *backends.Target, p *passes.Problem, pt *passes.Partition, lim passes.Limits, cfg config) (result, *passes.Partition, []int32, error) {
	for try := 0; ; try++ {
		pt2, pl, err := passes.PlaceAndRefine(p, t, pt, passes.RefineOptions{Seed: cfg.seed, Effort: cfg.effort, Balance: cfg.linkStages})
		if err != nil {
			return result{}, nil, nil, err
		}
		r := evaluate(g, t, passes.Mapping{Problem: p, Partition: pt2, Core: pl.Core}.NeuronCores(g))
		if len(r.violations) == 0 || lim.FanOut == 0 || try == 8 {
			return r, pt2, pl.Core, nil
		}
		a := passes.Analyze(g, t)
		partOf := map[int32]int32{}
		for q, c := range pl.Core {
			partOf[c] = int32(q)
		}
		part := slices.Clone(pt.Part)
		k := pt.K
		split := false
		for c, u := range a.Cores {
			if u.FanOut <= lim.FanOut {
				continue
			}
			q := partOf[int32(c)]
			var fr []int
			for f, pq := range part {
				if pq == q {
					fr = append(fr, f)
				}
			}
			if len(fr) < 2 || k >= t.NumCores {
				continue
			}
			for _, f := range fr[len(fr)/2:] {
				part[f] = int32(k)
			}
			k++
			split = true
		}
		if !split {
			return r, pt2, pl.Core, nil
		}
		pt = &passes.Partition{Part: part, K: k}
	}
}

// ratio formats a / b, or "0 / 0" and "x / 0" when b is zero.
func ratio(a, b float64) string {
	switch {
	case b > 0:
		return fmt.Sprintf("%.3f", a/b)
	case a == 0:
		return "0 / 0"
	}
	return fmt.Sprintf("%.0f / 0", a)
}

// maxPart returns the neurons of the largest of the k parts.
func maxPart(part [][]int32, k int) int {
	n := make([]int, k)
	for _, pp := range part {
		for _, q := range pp {
			n[q]++
		}
	}
	m := 0
	for _, v := range n {
		m = max(m, v)
	}
	return m
}

// writeTables prints the rows and, per network and target, the compile
// against the best legal baseline.
func writeTables(w io.Writer, rows []result, notes []string) {
	fmt.Fprintln(w, "| network | target | mapping | cores | message-hops | max link load | inter-chip msgs | network µJ | static µJ | CPU s | legal |")
	fmt.Fprintln(w, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|")
	for _, r := range rows {
		legal := "yes"
		if len(r.violations) > 0 {
			legal = fmt.Sprintf("no: %d (%s)", len(r.violations), r.violations[0])
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %.0f | %.0f | %.0f | %.3f | %.3f | %.1f | %s |\n",
			r.net, r.chip, r.method, r.cores, r.hops, r.maxLink, r.interChip, r.netUJ, r.staticUJ, r.cpu.Seconds(), legal)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| network | target | best baseline (fewest message-hops, legal) | compile / best: message-hops | max link load | cores (compile / best) | goal met |")
	fmt.Fprintln(w, "|---|---|---|--:|--:|--:|---|")
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].net == rows[i].net && rows[j].chip == rows[i].chip {
			j++
		}
		c := rows[i]
		var best *result
		for k := i; k < j; k++ {
			r := &rows[k]
			if r.baseline && len(r.violations) == 0 && (best == nil || r.hops < best.hops) {
				best = r
			}
		}
		if best != nil {
			var miss []string
			if c.hops > 0.85*best.hops {
				miss = append(miss, "hops")
			}
			if c.maxLink > 0.75*best.maxLink {
				miss = append(miss, "link")
			}
			if c.cores > best.cores {
				miss = append(miss, "cores")
			}
			goal := "yes"
			if len(miss) > 0 {
				goal = "no (" + strings.Join(miss, ", ") + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d / %d | %s |\n", c.net, c.chip, best.method, ratio(c.hops, best.hops), ratio(c.maxLink, best.maxLink), c.cores, best.cores, goal)
		}
		i = j
	}
	for _, n := range notes {
		fmt.Fprintf(w, "\nNot measured: %s\n", n)
	}
}
