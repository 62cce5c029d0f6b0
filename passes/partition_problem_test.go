package passes

import (
	"testing"
)

// TestCostMulticast checks the cost on a hand-made problem: one source
// fragment whose net reaches three fragments.
func TestCostMulticast(t *testing.T) {
	p := &Problem{Frags: make([]Fragment, 4), Src: []int32{0}, W: []float64{0.5}, NN: []int32{1},
		pinStart: []int32{0, 3}, pins: []int32{1, 2, 3}}
	cases := []struct {
		part []int32
		want float64
	}{
		{[]int32{0, 0, 0, 0}, 0},   // all on the source's core
		{[]int32{0, 1, 1, 1}, 0.5}, // one destination core: one message
		{[]int32{0, 1, 2, 1}, 1},   // two destination cores
		{[]int32{0, 0, 1, 2}, 1},   // own core not counted
		{[]int32{3, 0, 1, 2}, 1.5}, // three foreign cores
	}
	for _, c := range cases {
		if got := p.Cost(c.part); got != c.want {
			t.Errorf("Cost(%v) = %g, want %g", c.part, got, c.want)
		}
	}
}
