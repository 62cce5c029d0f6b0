package passes

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/autosnn/autosnn/ir"
)

var frontReport = flag.Bool("front-report", false, "print the front-half measurements of docs/compiler.md (slow)")

// TestFrontReport prints the numbers of docs/compiler.md: quantization
// agreement of randomly initialised zoo networks on several chips, and the
// time of each front-half pass. Run with
//
//	go test ./passes -run TestFrontReport -front-report -v
func TestFrontReport(t *testing.T) {
	if !*frontReport {
		t.Skip("run with -front-report")
	}
	const n = 50
	for _, c := range []int{4, 16} {
		for _, chip := range []string{"loihi1", "tiny", "spinnaker2"} {
			g := zooNet(t, "autosnn", c, 32)
			train(g, 1)
			u := newUnit(t, g, chip, samples(g, n, 2))
			runPasses(t, u, "fold-bn", "lower-ops", "quantize")
			r := u.Report.Quant
			fmt.Printf("autosnn C=%-2d %-10s %2d-bit w %2d-bit v: agree %d/%d (%.0f%%), spikes int/float %d/%d = %.4f, raster differs %.4f\n",
				c, chip, r.WeightBits, r.MembraneBits, r.Agree, r.Samples, 100*r.Agreement(), r.IntSpikes, r.FloatSpikes, r.SpikeRatio(), r.MismatchRate(-1))
			if c == 16 && chip == "loihi1" {
				for i, l := range r.Layers {
					fmt.Printf("    %-16s scale %9.2f  threshold %6d  zeroed %5d/%-6d  spikes int/float %8d/%-8d  raster differs %.4f\n",
						l.Name, l.Scale, l.Threshold, l.Zeroed, l.Weights, l.IntSpikes, l.FloatSpikes, r.MismatchRate(i))
				}
			}
		}
	}
	for _, ns := range []int{0, 16} {
		g := zooNet(t, "autosnn", 16, 32)
		train(g, 1)
		u := &Unit{G: g, Target: target(t, "loihi1"), Samples: samples(g, ns, 3)}
		start := time.Now()
		if err := Compile(context.Background(), u, Config{StopAfter: "profile", Verify: true}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("autosnn C=16 loihi1, %d samples, front half %v:", ns, time.Since(start).Round(time.Millisecond))
		for _, p := range u.Report.Passes {
			fmt.Printf(" %s %v", p.Name, p.Elapsed.Round(100*time.Microsecond))
		}
		fmt.Println()
	}
}

// BenchmarkIntExecutor and BenchmarkFloatExecutor run one inference of the
// C=16 AutoSNN network (T = 8, 32x32 input).
func BenchmarkIntExecutor(b *testing.B)   { benchExec(b, true) }
func BenchmarkFloatExecutor(b *testing.B) { benchExec(b, false) }

func benchExec(b *testing.B, integer bool) {
	t := &testing.T{}
	g := zooNet(t, "autosnn", 16, 32)
	train(g, 1)
	u := newUnit(t, g, "loihi1", nil)
	for _, p := range []string{"fold-bn", "lower-ops", "quantize"} {
		if err := passByName(p).Fn(u); err != nil {
			b.Fatal(err)
		}
	}
	in := samples(g, 1, 4)[0]
	run := func([]float32, ir.StepFunc) (ir.Result, error) { return ir.Result{}, nil }
	if integer {
		x, err := ir.NewIntExecutor(g)
		if err != nil {
			b.Fatal(err)
		}
		run = x.Run
	} else {
		x, err := ir.NewExecutor(g)
		if err != nil {
			b.Fatal(err)
		}
		run = x.Run
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := run(in, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func passByName(name string) Pass {
	for _, p := range passes {
		if p.Name == name {
			return p
		}
	}
	panic("no pass " + name)
}
