// Spike positions recorded by a training-mode forward for the layer that
// reads them (EventList), and the nonzero scan that fills them.

package nn

// EventList holds the positions of the spikes of the last training-mode
// Forward of the Neuron or MaxPool2d that fills it, for a consumer that would
// otherwise scan the output for them (the event-driven convolutions of
// package train): the output [T, N, ...] is seen as T*N images of Img values
// each, cut into units of Unit values (Unit = min(Img, chunk size), one
// dividing the other); unit u's spikes are at Idx[u*Unit : u*Unit+Counts[u]],
// as indices within their image, in increasing order, so the units of image n
// in order list its spikes exactly as a scan of the image would. Lists are
// kept only for spike outputs (a Neuron's Heaviside output, a MaxPool2d over
// spikes), so every listed output is a spike of value 1. The layer records
// them from its output part by part while the part is in cache.
type EventList struct {
	Img, Unit int
	Idx       []int32
	Counts    []int

	data *float32 // first output value the list describes; nil: not valid
	n    int      // number of output values
}

// Of reports whether the list describes y, the output of the filling
// layer's last Forward (it does not after an evaluation-mode Forward, or
// when the image size does not fit the chunks or, for a MaxPool2d, a unit
// is not whole output planes).
func (e *EventList) Of(y []float32) bool {
	return e != nil && e.data != nil && len(y) == e.n && len(y) > 0 && &y[0] == e.data
}

// begin invalidates the list and, unless skip is set, prepares it for the
// output of x; it returns e when the Forward should record, else nil.
func (e *EventList) begin(x *Tensor, skip bool) *EventList {
	if e == nil {
		return nil
	}
	e.data = nil
	img := numel(x.Shape[2:])
	if skip || img == 0 || (img%chunk != 0 && chunk%img != 0) {
		return nil
	}
	e.Img, e.Unit = img, min(img, chunk)
	if cap(e.Idx) < len(x.Data) {
		e.Idx = make([]int32, len(x.Data))
	}
	e.Idx = e.Idx[:len(x.Data)]
	units := len(x.Data) / e.Unit
	if cap(e.Counts) < units {
		e.Counts = make([]int, units)
	}
	e.Counts = e.Counts[:units]
	return e
}

// end marks the list valid for y.
func (e *EventList) end(y []float32) {
	if e != nil {
		e.data, e.n = &y[0], len(y)
	}
}

// record lists the spikes of outputs ys, which start at output index off
// (a multiple of Unit, and ys whole units).
func (e *EventList) record(off int, ys []float32) {
	for i := 0; i < len(ys); i += e.Unit {
		start := off + i
		u := start / e.Unit
		e.Counts[u] = NonzeroIndices(ys[i:i+e.Unit], e.Idx[start:start+e.Unit], int32(start%e.Img))
	}
}

// NonzeroIndices writes base+i for every nonzero x[i] (x[i] != 0: NaN
// counts, -0 does not) to idx in increasing order and returns their
// number; idx must be at least as long as x. With AVX2 the multiple-of-8
// head is scanned without branching on the data (spikeIdxAVX2). The event
// lists of package train's convolutions are scanned with it too.
func NonzeroIndices(x []float32, idx []int32, base int32) int {
	_ = idx[:len(x)]
	n := 0
	if m := len(x) &^ 7; hasAVX2 && m > 0 {
		n = spikeIdxAVX2(&x[0], m, &idx[0], base)
		x, base = x[m:], base+int32(m)
	}
	for i, v := range x {
		if v != 0 {
			idx[n] = base + int32(i)
			n++
		}
	}
	return n
}
