package ir

import (
	"fmt"
	"testing"
)

// TestDepths: a chain x -> a -> b -> c -> fc with a shortcut a -> c; c is
// reached in 2 steps by the shortcut and 3 by the chain, unless the
// shortcut's delay of 2 steps balances the join (counted only with
// delays).
func TestDepths(t *testing.T) {
	b := NewBuilder("depths", Header{T: 2, Classes: 2, Vote: 1})
	x := b.Input("x", Shape{C: 1, H: 4, W: 4})
	n := Neuron{Model: IF, Threshold: 1}
	a := b.Layer("a", n, Role{Kind: RoleStem}, Edge{Src: x, Op: Conv2D, Out: 2, Kernel: 3, Stride: 1, Pad: 1})
	bb := b.Layer("b", n, Role{Kind: RoleBlock, Block: 1, Layer: 1}, Edge{Src: a, Op: Conv2D, Out: 2, Kernel: 3, Stride: 1, Pad: 1})
	c := b.Layer("c", n, Role{Kind: RoleBlock, Block: 1, Layer: 2},
		Edge{Src: bb, Op: Conv2D, Out: 2, Kernel: 3, Stride: 1, Pad: 1}, Edge{Src: a, Op: Identity})
	b.Layer("fc", n, Role{Kind: RoleHead}, Full(c, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Projs {
		if e.Src == a && e.Dst == g.Pop("c") {
			e.Delay = 2
		}
	}
	for _, tc := range []struct {
		delays      bool
		first, want string
	}{
		{false, "[0 1 2 2 3]", "[0 1 2 3 4]"},
		{true, "[0 1 2 3 4]", "[0 1 2 3 4]"},
	} {
		first, depth := Depths(g, tc.delays)
		if fmt.Sprint(first) != tc.first || fmt.Sprint(depth) != tc.want {
			t.Errorf("Depths(delays %v) = %v, %v; want %s, %s", tc.delays, first, depth, tc.first, tc.want)
		}
	}
}
