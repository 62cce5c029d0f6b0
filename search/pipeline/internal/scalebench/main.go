// scalebench measures how the compiler scales: for each channel width -C
// it lowers a zoo network (default: AutoSNN), gives it seeded random
// weights, and compiles it as `autosnn compile --model NET -C N
// --random-weights SEED --chip auto` does (4 synthetic profiling samples,
// the smallest built-in target that holds it), then prints one markdown
// row per width: explicit synapses, the target, cores and chips used, wall
// time, the process's user+sys CPU over the compile, the peak heap
// (ir/heapwatch) and every pass's wall time. Usage:
//
//	go run ./search/pipeline/internal/scalebench [-net autosnn] [-C 16,32,64] [-chip auto] [-seed 1] [-samples 4] [-out DIR] [-cpuprofile FILE]
//
// With -out DIR each mapping is written to DIR/NET-cN (the mapping
// directory `autosnn simulate --mapping` reads). docs/compiler.md
// ("Scaling") has the table it printed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/ir/heapwatch"
	"github.com/autosnn/autosnn/search/pipeline"
)

func main() {
	net := flag.String("net", "autosnn", "zoo network")
	widths := flag.String("C", "16,32,64", "comma-separated channel widths")
	chip := flag.String("chip", pipeline.AutoChip, "chip profile name or file, or auto")
	seed := flag.Uint64("seed", 1, "seed of the weights, the samples and the annealing")
	nsamples := flag.Int("samples", 4, "synthetic profiling samples")
	out := flag.String("out", "", "directory for the mapping directories (none when empty)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	flag.Parse()
	if err := run(*net, *widths, *chip, *seed, *nsamples, *out, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}

func run(net, widths, chip string, seed uint64, nsamples int, out, cpuProfile string) error {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Println("| network | C | explicit synapses | target | cores / chips used | wall s | user+sys CPU s | peak heap MB | passes (wall s) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, w := range strings.Split(widths, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || c < 1 {
			return fmt.Errorf("-C %q: want positive integers separated by commas", widths)
		}
		if err := one(net, c, chip, seed, nsamples, out); err != nil {
			return fmt.Errorf("%s C=%d: %w", net, c, err)
		}
	}
	return nil
}

// cpu returns the process's user+sys CPU time so far.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func one(net string, c int, chip string, seed uint64, nsamples int, out string) error {
	s, err := frontend.Resolve(net)
	if err != nil {
		return err
	}
	s.Channels = c
	g, err := frontend.Lower(s)
	if err != nil {
		return err
	}
	frontend.RandomWeights(g, seed)
	syn := ir.Count(g).Synapses
	opt := pipeline.CompileOptions{Samples: pipeline.Synthetic(g, nsamples, seed), Seed: seed}
	var res *pipeline.Compiled
	var target string
	var cerr error
	cpu0, start := cpu(), time.Now()
	peak := heapwatch.Peak(func() {
		if chip == pipeline.AutoChip {
			cands, err := pipeline.DefaultCandidates()
			if err != nil {
				cerr = err
				return
			}
			ch, err := pipeline.ChooseTarget(context.Background(), g, cands, opt)
			if err != nil {
				cerr = err
				return
			}
			res, target = ch.Compiled, ch.Target.Name()
			return
		}
		t, err := backends.Resolve(chip)
		if err != nil {
			cerr = err
			return
		}
		res, cerr = pipeline.Compile(context.Background(), g, t, opt)
		target = t.Name()
	})
	wall, used := time.Since(start), cpu()-cpu0
	if cerr != nil {
		// A network no target holds is a row of the table, not a failure
		// of the benchmark: the time to fail is what is measured.
		fmt.Printf("| %s | %d | %d | fails: %s | | %.1f | %.1f | %d | |\n", net, c, syn, strings.ReplaceAll(cerr.Error(), "\n", "; "), wall.Seconds(), used.Seconds(), peak>>20)
		return nil
	}
	r := res.Report.Mapping
	var passes []string
	for _, p := range res.Report.Passes {
		passes = append(passes, fmt.Sprintf("%s %.1f", p.Name, p.Elapsed.Seconds()))
	}
	fmt.Printf("| %s | %d | %d | %s | %d / %d | %.1f | %.1f | %d | %s |\n", net, c, syn, target, r.CoresUsed, r.ChipsUsed,
		wall.Seconds(), used.Seconds(), peak>>20, strings.Join(passes, ", "))
	if out != "" {
		dir := filepath.Join(out, fmt.Sprintf("%s-c%d", net, c))
		if err := pipeline.WriteMappingDir(dir, res.Unit); err != nil {
			return err
		}
	}
	return nil
}
