package sim

// Event kinds.
const (
	evArrive     uint8 = iota // message b arrives in input buffer a
	evPortFree                // output port a finished sending a message
	evUpdateDone              // core-population a finished its neuron update
)

// event is one scheduled occurrence, packed in 16 bytes: the kind sits in
// the top two bits of ka. Events with equal times run in an order fixed by
// the heap's sequence of operations, so a run is deterministic; the model
// does not depend on the order of simultaneous events.
type event struct {
	t  float64 // ns since the start of the timestep
	ka uint32  // kind<<30 | a
	b  int32
}

func (e *event) kind() uint8 { return uint8(e.ka >> 30) }
func (e *event) a() int32    { return int32(e.ka & (1<<30 - 1)) }

func (e *event) before(f *event) bool { return e.t < f.t }

// eventQueue is a 4-ary min-heap of events ordered by time, written
// out by hand (not container/heap) to avoid interface calls on the hot
// path; four children per node halve the depth of a binary heap.
type eventQueue struct {
	h []event
}

func (q *eventQueue) len() int { return len(q.h) }

func (q *eventQueue) push(t float64, kind uint8, a, b int32) {
	e := event{t: t, ka: uint32(kind)<<30 | uint32(a), b: b}
	q.h = append(q.h, e)
	h := q.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (q *eventQueue) pop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	e := h[n]
	q.h = h[:n]
	h = h[:n]
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if h[k].before(&h[m]) {
				m = k
			}
		}
		if !h[m].before(&e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	if n > 0 {
		h[i] = e
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
