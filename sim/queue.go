package sim

import (
	"fmt"
	"math"
	"math/bits"
)

// Event kinds.
const (
	evArrive     uint8 = iota // message b arrives in input buffer a
	evPortFree                // output port a finished sending a message
	evUpdateDone              // core-population a finished its neuron update
	evNIFree                  // the head of core a's injection queue is ready
	evDropWait                // the drop wait of the head of input buffer a may have expired
)

// kindShift places the event kind in the top three bits of event.ka; the
// index a of an event is below 1<<kindShift.
const kindShift = 29

// event is one scheduled occurrence, packed in 16 bytes: the kind sits in
// the top three bits of ka. Events with equal times run in an order fixed by
// the heap's sequence of operations, so a run is deterministic; the model
// does not depend on the order of simultaneous events.
type event struct {
	t  float64 // ns since the start of the timestep
	ka uint32  // kind<<kindShift | a
	b  int32
}

func (e *event) kind() uint8 { return uint8(e.ka >> kindShift) }
func (e *event) a() int32    { return int32(e.ka & (1<<kindShift - 1)) }

func (e *event) before(f *event) bool { return e.t < f.t }

// eventQueue is a radix heap of events: a monotone priority queue, which
// is all a discrete-event simulation needs (no event is scheduled before
// the last one popped). Keys are the IEEE-754 bits of the non-negative
// times, which order like the times. Bucket i holds the events whose key
// first differs from the last popped key in bit i-1 (bucket 0: equal
// keys, served in the order they arrived there, so simultaneous events
// mostly run in the order they were scheduled); a pop takes from bucket 0
// or first redistributes the lowest non-empty bucket around its minimum. Push is O(1) and each event moves down at
// most 64 buckets, so the queue beats a comparison heap on the hot path.
type eventQueue struct {
	buckets [65][]event
	b0      int // next event of bucket 0: it is served first in, first out
	last    uint64
	n       int
}

func (q *eventQueue) len() int { return q.n }

func bucketOf(k, last uint64) int { return bits.Len64(k ^ last) }

func (q *eventQueue) push(t float64, kind uint8, a, b int32) {
	k := math.Float64bits(t)
	if k < q.last || t < 0 {
		panic(fmt.Sprintf("sim: event at %g ns scheduled before the current time %g ns", t, math.Float64frombits(q.last)))
	}
	i := bucketOf(k, q.last)
	q.buckets[i] = append(q.buckets[i], event{t: t, ka: uint32(kind)<<kindShift | uint32(a), b: b})
	q.n++
}

func (q *eventQueue) pop() event {
	if q.b0 == len(q.buckets[0]) {
		q.buckets[0], q.b0 = q.buckets[0][:0], 0
		i := 1
		for len(q.buckets[i]) == 0 {
			i++
		}
		bk := q.buckets[i]
		m := math.Float64bits(bk[0].t)
		for _, e := range bk[1:] {
			m = min(m, math.Float64bits(e.t))
		}
		q.last = m
		for _, e := range bk {
			j := bucketOf(math.Float64bits(e.t), m)
			q.buckets[j] = append(q.buckets[j], e)
		}
		q.buckets[i] = bk[:0]
	}
	e := q.buckets[0][q.b0]
	q.b0++
	q.n--
	return e
}

// reset empties the queue and sets the time back to 0 (a new timestep).
func (q *eventQueue) reset() {
	if q.n != 0 {
		panic("sim: event queue reset with pending events")
	}
	q.buckets[0], q.b0 = q.buckets[0][:0], 0
	q.last = 0
}

// fifo is an unbounded queue of message ids.
type fifo struct {
	buf  []int32
	head int
}

func (f *fifo) len() int { return len(f.buf) - f.head }

func (f *fifo) push(m int32) { f.buf = append(f.buf, m) }

func (f *fifo) front() int32 { return f.buf[f.head] }

func (f *fifo) pop() int32 {
	m := f.buf[f.head]
	f.head++
	if f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
	}
	return m
}

func (f *fifo) reset() { f.buf, f.head = f.buf[:0], 0 }
