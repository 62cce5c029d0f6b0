package sim

import (
	"math/rand/v2"
	"testing"
)

// TestEventQueue checks against a plain list: every pop returns an event
// with the smallest pending time, with its kind and operands intact, and
// every pushed event comes out once.
func TestEventQueue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	type rec struct {
		t    float64
		kind uint8
		a, b int32
	}
	var live []rec
	for i := 0; i < 20000; i++ {
		if q.len() == 0 || (i < 15000 && r.IntN(3) > 0) {
			e := rec{t: float64(r.IntN(500)) / 4, kind: uint8(r.IntN(4)), a: int32(r.IntN(1 << 30)), b: r.Int32()}
			live = append(live, e)
			q.push(e.t, e.kind, e.a, e.b)
			continue
		}
		ev := q.pop()
		got := rec{ev.t, ev.kind(), ev.a(), ev.b}
		k := -1
		for j, e := range live {
			if e.t < got.t {
				t.Fatalf("pop %d: got time %g, but %g is pending", i, got.t, e.t)
			}
			if e == got {
				k = j
			}
		}
		if k < 0 {
			t.Fatalf("pop %d: got %+v, which was not pushed", i, got)
		}
		live = append(live[:k], live[k+1:]...)
	}
	if q.len() != len(live) {
		t.Fatalf("queue holds %d events, want %d", q.len(), len(live))
	}
}
