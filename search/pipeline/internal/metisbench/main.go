// metisbench lowers a zoo network (default: the C=16 AutoSNN network), gives it
// seeded random weights (no trained checkpoint is needed: partitioning
// depends on connectivity and spike rates only, and the rates come from
// the profile pass running the quantized random-weight network on seeded
// random inputs), runs the compiler up to the profile pass, splits it for
// the chip, and then partitions the fragments twice with the same number
// of parts and the same per-core limits:
//
//   - this compiler's partition pass (hypergraph, multicast-aware);
//   - gpmetis (METIS 5, k-way, objective cut and vol) on the graph model
//     written by Problem.MetisGraph, with -ubvec set so that every part
//     respects the neuron and synaptic-memory limits.
//
// Both partitions are placed by the same placer with the same seed
// (passes.PlaceAndRefine without its fragment moves: annealing, then a
// cooler second annealing) and measured the same way. The problem is the
// one of the compile's mapping: with -granularity 0 the compile tries
// every passes.AutoGranularities and keeps the best, and METIS gets that
// granularity's fragments. It also times a full compile. Usage:
//
//	go run ./search/pipeline/internal/metisbench [-net autosnn] [-C 16] [-chip passes/testdata/loihi1-2x2.yaml] [-seed 1] [-samples 4] [-granularity 4] [-effort 1]
//
// With -model CKPT it partitions a trained network (a checkpoint written by
// `autosnn train`, or an IR directory; read by frontend.ReadGraph) instead
// of a random-weight zoo network, and with -data SPEC the profile pass runs
// on the first -samples validation images of that dataset instead of random
// inputs.

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

func main() {
	net := flag.String("net", "autosnn", "zoo network")
	chip := flag.String("chip", "passes/testdata/loihi1-2x2.yaml", "chip profile name or file")
	seed := flag.Uint64("seed", 1, "seed for weights, inputs and annealing")
	nsamples := flag.Int("samples", 4, "random inputs for the profile pass")
	metisBin := flag.String("gpmetis", "gpmetis", "gpmetis binary")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	gran := flag.Int("granularity", 0, "split's fragments per core (0: the default)")
	effort := flag.Float64("effort", 1, "annealing effort of the placer (the compile's and METIS's)")
	channels := flag.Int("C", 0, "initial channels (0: the zoo entry's)")
	model := flag.String("model", "", "trained checkpoint (autosnn train --out) instead of a random-weight zoo network")
	data := flag.String("data", "", "dataset spec for the profile samples (validation split) instead of random inputs")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "metisbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*net, *chip, *seed, *nsamples, *gran, *channels, *effort, *metisBin, *model, *data); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "metisbench:", err)
		os.Exit(1)
	}
}

func lower(net string, channels int, seed uint64) (*ir.Graph, error) {
	e, ok := frontend.LookupZoo(net)
	if !ok {
		return nil, fmt.Errorf("unknown zoo network %q", net)
	}
	if channels > 0 {
		e.Spec.Channels = channels
	}
	g, err := frontend.Lower(e.Spec)
	if err != nil {
		return nil, err
	}
	frontend.RandomWeights(g, seed)
	return g, nil
}

type row struct {
	name    string
	k       int
	m       passes.Metrics
	viol    int
	kinds   string
	use     string
	elapsed time.Duration
}

// meanUse returns the mean use of the non-empty parts of pt as a
// percentage of each limit: "neurons/memory/fan-in".
func meanUse(p *passes.Problem, pt *passes.Partition, lim passes.Limits) string {
	u := p.PartUsage(pt)
	var n, m, f float64
	used := 0
	for q := range u.Neurons {
		if u.Neurons[q] == 0 {
			continue
		}
		used++
		n += float64(u.Neurons[q]) / float64(lim.Neurons)
		m += float64(u.Mem[q]) / float64(lim.MemBytes)
		if lim.FanIn > 0 {
			f += float64(u.FanIn[q]) / float64(lim.FanIn)
		}
	}
	d := float64(max(used, 1)) / 100
	return fmt.Sprintf("%.0f/%.0f/%.0f%%", n/d, m/d, f/d)
}

// violationKinds counts limit violations by resource.
func violationKinds(v []string) string {
	var mem, neu, fan int
	for _, s := range v {
		switch {
		case strings.Contains(s, "memory"):
			mem++
		case strings.Contains(s, "neurons"):
			neu++
		case strings.Contains(s, "axons"):
			fan++
		}
	}
	if len(v) == 0 {
		return "-"
	}
	return fmt.Sprintf("mem %d, neurons %d, fan-in %d", mem, neu, fan)
}

func run(net, chip string, seed uint64, nsamples, gran, channels int, effort float64, metisBin, model, data string) error {
	t, err := backends.Resolve(chip)
	if err != nil {
		return err
	}
	// Full compile, timed.
	var g *ir.Graph
	weights := fmt.Sprintf("random weights, seed %d", seed)
	if model != "" {
		if g, err = frontend.ReadGraph(model); err != nil {
			return err
		}
		if !g.Trained() {
			return fmt.Errorf("metisbench: -model %s holds no trained weights; give a checkpoint or IR directory, or use -net for a random-weight network", model)
		}
		net, channels, weights = g.Name, g.Pop("stem").Shape.C, "trained: "+model
	} else if g, err = lower(net, channels, seed); err != nil {
		return err
	}
	samples := frontend.RandomInputs(g, nsamples, seed)
	if data != "" {
		src, done, err := pipeline.OpenData(context.Background(), data, dataset.Val, nsamples, g, seed)
		if err != nil {
			return fmt.Errorf("metisbench: -data: %w", err)
		}
		all, err := pipeline.ReadAll(src)
		done()
		if err != nil {
			return fmt.Errorf("metisbench: -data %s: %w", data, err)
		}
		samples = all.Inputs
		weights += ", profiled on " + data
	}
	u := &passes.Unit{G: g, Target: t, Samples: samples, Seed: seed, Granularity: gran, Effort: effort}
	start := time.Now()
	if err := passes.Compile(context.Background(), u, passes.Config{}); err != nil {
		return err
	}
	full := time.Since(start)
	fmt.Printf("network %s C=%d (%s), chip %s, %d profile samples, granularity %d\n", net, channels, weights, t.Name(), nsamples, gran)
	fmt.Printf("full compile: %v (", full.Round(time.Millisecond))
	for i, p := range u.Report.Passes {
		if i > 0 {
			fmt.Print(", ")
		}
		fmt.Printf("%s %v", p.Name, p.Elapsed.Round(time.Millisecond))
	}
	fmt.Println(")")
	rep := u.Report.Mapping
	fmt.Printf("compiled: %d cores on %d chips, %.4g inter-core messages/inference, mean hops %.3f, max link load %.4g, energy %.4g uJ/inference\n\n",
		rep.CoresUsed, rep.ChipsUsed, rep.InterCoreMessages, rep.MeanHops, rep.MaxLinkLoad, rep.Energy.Total*1e-6)

	// The shared problem, from the compiled unit (rates profiled).
	chosen := u.Layout.Chosen
	p := chosen.Problem
	lim := passes.TargetLimits(t)
	T := float64(g.T)
	var rows []row
	start = time.Now()
	ours, err := passes.PartitionProblem(g, p, lim, passes.PartitionOptions{Imbalance: 0.03, MaxParts: t.NumCores})
	if err != nil {
		return err
	}
	partTime := time.Since(start)
	k := ours.K
	place := func(name string, p *passes.Problem, pt *passes.Partition, elapsed time.Duration) error {
		// The compile's placer (annealing, then a second cooler annealing)
		// without its fragment moves, which belong to the partitioner.
		start := time.Now()
		pt, pl, err := passes.PlaceAndRefine(p, t, pt, passes.RefineOptions{Seed: seed, Effort: effort})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		es := passes.Edges(p.Traffic(pt.Part))
		elapsed += time.Since(start)
		m := passes.Measure(t, es, pl.Core)
		v := p.PartLimits(pt, lim)
		rows = append(rows, row{name: name, k: pt.K, m: m, viol: len(v), kinds: violationKinds(v), use: meanUse(p, pt, lim), elapsed: elapsed})
		return nil
	}
	if err := place("autosnn partition + place", p, ours, partTime); err != nil {
		return err
	}
	start = time.Now()
	ml, err := passes.PartitionProblem(g, p, lim, passes.PartitionOptions{Imbalance: 0.03, MaxParts: t.NumCores, Levels: -1})
	if err != nil {
		return err
	}
	if err := place(fmt.Sprintf("autosnn multilevel (%d levels) + place", ml.Levels), p, ml, time.Since(start)); err != nil {
		return err
	}
	// The compiled mapping: partition, place, mesh refinement, re-anneal.
	var passTime time.Duration
	for _, pt := range u.Report.Passes {
		if pt.Name == "partition" || pt.Name == "place" {
			passTime += pt.Elapsed
		}
	}
	cpt := chosen.Partition
	cm := passes.Measure(t, passes.Edges(p.Traffic(cpt.Part)), chosen.Placement.Core)
	cv := p.PartLimits(cpt, lim)
	rows = append(rows, row{name: "autosnn compile (+ mesh refinement)", k: cpt.K, m: cm, viol: len(cv), kinds: violationKinds(cv), use: meanUse(p, cpt, lim), elapsed: passTime})
	dir, err := os.MkdirTemp("", "metisbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// runMETIS partitions problem p into k parts with gpmetis (both
	// objectives), places each answer as it is and repaired to the limits,
	// and returns the -ubvec it used.
	runMETIS := func(p *passes.Problem, k int, label string) (string, error) {
		file := filepath.Join(dir, "problem"+label+".graph")
		var buf bytes.Buffer
		if err := backends.WriteMETIS(&buf, p.MetisGraph()); err != nil {
			return "", err
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			return "", err
		}
		ubN, ubM := p.MetisUBVec(lim, k)
		ub := fmt.Sprintf("%.4f %.4f", min(ubN, 100), min(ubM, 100))
		for _, obj := range []string{"cut", "vol"} {
			cmd := exec.Command(metisBin, "-ptype=kway", "-objtype="+obj, fmt.Sprintf("-seed=%d", seed), "-ubvec="+ub, file, fmt.Sprint(k))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return "", fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
			}
			el := time.Since(start)
			f, err := os.Open(fmt.Sprintf("%s.part.%d", file, k))
			if err != nil {
				return "", err
			}
			part, err := backends.ReadMETISPartition(f, len(p.Frags), k)
			f.Close()
			if err != nil {
				return "", err
			}
			pt, err := p.ImportPartition(part, k)
			if err != nil {
				return "", err
			}
			if err := place("METIS kway -objtype="+obj+label, p, pt, el); err != nil {
				return "", err
			}
			start = time.Now()
			rp, err := p.RepairPartition(pt, lim, t.NumCores)
			if err != nil {
				fmt.Printf("METIS kway -objtype=%s%s: %v\n", obj, label, err)
				continue
			}
			if err := place(fmt.Sprintf("METIS kway -objtype=%s%s, repaired (%d moves)", obj, label, rp.Moves), p, rp, el+time.Since(start)); err != nil {
				return "", err
			}
		}
		return ub, nil
	}
	compileRows := len(rows)
	ub, err := runMETIS(p, k, "")
	if err != nil {
		return err
	}
	if gran == 0 {
		// METIS on the other granularities' problems too, so the
		// comparison holds against METIS at its best granularity.
		for _, gr := range passes.AutoGranularities() {
			_, p2, err := passes.SplitAndBuild(g, t, passes.SplitOptions{Granularity: gr})
			if err != nil || len(p2.Frags) == len(p.Frags) {
				continue // does not fit, or the compile's own problem
			}
			ours2, err := passes.PartitionProblem(g, p2, lim, passes.PartitionOptions{Imbalance: 0.03, MaxParts: t.NumCores})
			if err != nil {
				fmt.Printf("granularity %d: %v\n", gr, err)
				continue
			}
			if _, err := runMETIS(p2, ours2.K, fmt.Sprintf(" [granularity %d, k = %d]", gr, ours2.K)); err != nil {
				return err
			}
		}
	}
	fmt.Printf("partitioning problem: %d fragments, %d nets, %d graph edges, k = %d parts, METIS -ubvec=\"%s\"\n", len(p.Frags), p.NumNets(), p.MetisGraph().Edges(), k, ub)
	w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "partitioner\tparts\tviolations\tby resource\tmean use n/mem/fan-in\tinter-core msgs/inf\tsum(rate x hops)/inf\tmax link load/inf\tmean hops\ttime\t")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.3f\t%v\t\n", r.name, r.k, r.viol, r.kinds, r.use, r.m.Messages*T, r.m.RateHops*T, r.m.MaxLinkLoad*T, r.m.MeanHops, r.elapsed.Round(time.Millisecond))
	}
	w.Flush()
	// The compile against every METIS row, then against the best METIS
	// answer as it is and repaired (over objectives and granularities).
	c := rows[2]
	var best, bestRepaired *row
	for i := compileRows; i < len(rows); i++ {
		r := &rows[i]
		fmt.Printf("%s / %s: messages %.3f, sum(rate x hops) %.3f, max link load %.3f\n", c.name, r.name, c.m.Messages/r.m.Messages, c.m.RateHops/r.m.RateHops, c.m.MaxLinkLoad/r.m.MaxLinkLoad)
		b := &best
		if strings.Contains(r.name, "repaired") {
			b = &bestRepaired
		}
		if *b == nil || r.m.RateHops < (*b).m.RateHops {
			*b = r
		}
	}
	for _, b := range []*row{best, bestRepaired} {
		if b != nil {
			fmt.Printf("best METIS by sum(rate x hops) (%s): compile / METIS: sum(rate x hops) %.3f, max link load %.3f\n", b.name, c.m.RateHops/b.m.RateHops, c.m.MaxLinkLoad/b.m.MaxLinkLoad)
		}
	}
	return nil
}
