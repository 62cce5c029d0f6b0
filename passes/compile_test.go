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
	want := []string{"fold-bn", "lower-ops", "quantize", "profile", "split", "partition", "place", "route", "verify"}
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
