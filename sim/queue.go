package sim

// Event kinds.
const (
	evArrive     uint8 = iota // message b arrives in input buffer a
	evPortFree                // output port a finished sending a message
	evNIFree                  // the injection port of core a finished sending
	evUpdateDone              // core-population a finished its neuron update
)

// event is one scheduled occurrence. Events with equal times run in the
// order they were scheduled (seq), which makes a run deterministic.
type event struct {
	t    float64 // ns since the start of the timestep
	seq  uint64
	kind uint8
	a, b int32
}

func (e *event) before(f *event) bool {
	if e.t != f.t {
		return e.t < f.t
	}
	return e.seq < f.seq
}

// eventQueue is a binary min-heap of events ordered by (t, seq). It is
// written out by hand (not container/heap) to avoid interface calls on the
// hot path.
type eventQueue struct {
	h   []event
	seq uint64
}

func (q *eventQueue) len() int { return len(q.h) }

func (q *eventQueue) push(t float64, kind uint8, a, b int32) {
	q.seq++
	q.h = append(q.h, event{t: t, seq: q.seq, kind: kind, a: a, b: b})
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.h[i].before(&q.h[p]) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *eventQueue) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h = q.h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.h[r].before(&q.h[l]) {
			m = r
		}
		if !q.h[m].before(&q.h[i]) {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
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
