package sim

import (
	"math/rand/v2"
	"testing"
)

// TestEventQueue checks against a plain list: every pop returns an event
// with the smallest pending time, with its kind and operands intact, and
// every pushed event comes out once. As in the simulation, no event is
// scheduled before the last one popped.
func TestEventQueue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	type rec struct {
		t    float64
		kind uint8
		a, b int32
	}
	var live []rec
	now := 0.0
	for i := 0; i < 20000; i++ {
		if q.len() == 0 || (i < 15000 && r.IntN(3) > 0) {
			dt := float64(r.IntN(40)) / 4
			if r.IntN(10) == 0 {
				dt = 1000 * r.Float64()
			}
			e := rec{t: now + dt, kind: uint8(r.IntN(5)), a: int32(r.IntN(1 << kindShift)), b: r.Int32()}
			live = append(live, e)
			q.push(e.t, e.kind, e.a, e.b)
			continue
		}
		ev := q.pop()
		now = ev.t
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

// TestEventQueueMonotone: scheduling before the current time is a bug.
func TestEventQueueMonotone(t *testing.T) {
	var q eventQueue
	q.push(5, evArrive, 1, 2)
	q.pop()
	defer func() {
		if recover() == nil {
			t.Error("push before the current time did not panic")
		}
	}()
	q.push(4, evArrive, 1, 2)
}
