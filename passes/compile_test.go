package passes

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/google/go-cmp/cmp"
)

func TestPassOrder(t *testing.T) {
	if err := checkOrder(passes[:], passOrder[:]); err != nil {
		t.Fatal(err)
	}
	want := []string{"fold-bn", "lower-ops", "quantize", "fan-out", "axon-types", "profile", "delay", "split", "partition", "partition-chips", "place", "route", "verify"}
	if diff := cmp.Diff(want, PassNames()); diff != "" {
		t.Errorf("PassNames() mismatch (-want +got):\n%s", diff)
	}
	swapped := append([]Pass(nil), passes[:]...)
	swapped[0], swapped[2] = swapped[2], swapped[0]
	if err := checkOrder(swapped, passOrder[:]); err == nil || !strings.Contains(err.Error(), "fold-bn must run before quantize") {
		t.Errorf("checkOrder with quantize first: got %v, want a fold-bn before quantize error", err)
	}
}

func TestCompileDriver(t *testing.T) {
	tgt, err := backends.Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	newUnit := func() *Unit {
		b := ir.NewBuilder("drv", ir.Header{T: 2, Classes: 2, Vote: 1})
		x := b.Input("x", ir.Shape{C: 1, H: 2, W: 2})
		b.Layer("fc", ir.DefaultPLIF(), ir.Role{Kind: ir.RoleHead}, ir.Full(x, 2))
		g, err := b.Graph()
		if err != nil {
			t.Fatal(err)
		}
		return &Unit{G: g, Target: tgt}
	}
	t.Run("unknown pass", func(t *testing.T) {
		err := Compile(context.Background(), newUnit(), Config{StopAfter: "nope"})
		if err == nil || !strings.Contains(err.Error(), `unknown pass "nope"`) {
			t.Errorf("got %v, want unknown pass error", err)
		}
	})
	t.Run("skip required", func(t *testing.T) {
		err := Compile(context.Background(), newUnit(), Config{Skip: []string{"quantize"}})
		if err == nil || !strings.Contains(err.Error(), "cannot skip required pass quantize") {
			t.Errorf("got %v, want cannot-skip error", err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		p := Pass{Name: "boom", Fn: func(*Unit) error { var m map[string]int; m["x"]++; return nil }}
		err := runPass(p, newUnit())
		var pe *PanicError
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "passes: panic during boom while compiling drv: ") {
			t.Errorf("got %v, want a *PanicError naming boom and drv", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := Compile(ctx, newUnit(), Config{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

// TestCompileFrontHalf runs the pipeline through profile with verification,
// a dump and a log, on a zoo network.
func TestCompileFrontHalf(t *testing.T) {
	g := zooNet(t, "autosnn", 2, 16)
	train(g, 4)
	var log, dump strings.Builder
	u := &Unit{G: g, Target: target(t, "loihi1"), Samples: samples(g, 2, 3), Log: &log}
	err := Compile(context.Background(), u, Config{DumpAfter: "lower-ops", StopAfter: "profile", Verify: true, Dump: &dump})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, p := range u.Report.Passes {
		ran = append(ran, p.Name)
	}
	if diff := cmp.Diff([]string{"fold-bn", "lower-ops", "quantize", "fan-out", "axon-types", "profile"}, ran); diff != "" {
		t.Errorf("passes run (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(dump.String(), "# IR after lower-ops\n") || !strings.Contains(dump.String(), "sumpool") || strings.Contains(dump.String(), " maxpool(") {
		t.Errorf("dump after lower-ops does not show the lowered IR:\n%s", dump.String())
	}
	for _, want := range []string{"fold-bn: folded", "lower-ops: 3 max-pools became OR neurons", "quantize: 9-bit weights", "profile: 2 samples"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if u.Report.Quant == nil || u.Report.Quant.Samples != 2 || u.Report.Profile == nil {
		t.Errorf("report %+v, want quantize and profile reports over 2 samples", u.Report)
	}
	for _, p := range g.Pops[1:] {
		if p.Q == nil || p.Rates == nil {
			t.Errorf("population %s: quantized %v, rates %v; want both set", p.Name, p.Q != nil, p.Rates != nil)
		}
	}

	// The same compile of a fresh copy must give the same integer form and rates.
	g2 := zooNet(t, "autosnn", 2, 16)
	train(g2, 4)
	u2 := &Unit{G: g2, Target: target(t, "loihi1"), Samples: samples(g2, 2, 3)}
	if err := Compile(context.Background(), u2, Config{StopAfter: "profile"}); err != nil {
		t.Fatal(err)
	}
	for i, p := range g.Pops {
		if diff := cmp.Diff(p.Q, g2.Pops[i].Q); diff != "" {
			t.Errorf("population %s: integer form differs between two compiles:\n%s", p.Name, diff)
		}
		if diff := cmp.Diff(p.Rates, g2.Pops[i].Rates); diff != "" {
			t.Errorf("population %s: rates differ between two compiles:\n%s", p.Name, diff)
		}
	}
}

// TestCompileErrorNamesPass checks the "passes: PASS: ..." wrapping of a
// user error.
func TestCompileErrorNamesPass(t *testing.T) {
	g := tinyNet(t, ir.Direct)
	train(g, 1)
	err := Compile(context.Background(), &Unit{G: g, Target: modelsTarget(t, "izhikevich-only", backends.NeuronIzhikevich)}, Config{})
	if err == nil || !strings.HasPrefix(err.Error(), "passes: lower-ops: layer stem: ") {
		t.Errorf("got %v, want an error starting with \"passes: lower-ops: layer stem: \"", err)
	}
}
