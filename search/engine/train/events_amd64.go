//go:build amd64 && !purego

package train

import "github.com/autosnn/autosnn/search/engine/tensor"

// eventArgs are the arguments of spikeEventsAVX2 (field offsets are
// #defined in events_amd64.s).
type eventArgs struct {
	idx         *int32
	n           int
	x, a, b     *float32
	plane, w, k int
	pad, oh, ow int
	cout        int
	mPlane, mW  uint64
	binary      int // nonzero: every event's value is 1 (not read)
}

//go:noescape
func spikeEventsAVX2(p *eventArgs)

// eventsAsm runs spikeConv.events in assembly and reports whether it did:
// it needs the filter direction (eventFilter; the forward direction runs
// table-driven in convEventsTabAVX2, see eventImageFast), AVX2/FMA, Cout a
// multiple of 8 and both dividers in their multiply-shift form. It checks what the assembly relies on: events in
// increasing order inside xn, and a and b as long as the shape says (the
// geometry keeps every row inside them).
func eventsAsm(c *spikeConv, s tensor.ConvShape, mode eventMode, xn []float32, events []int32, a, b []float32, divPlane, divW divider) bool {
	if mode != eventFilter || !hasAVX2FMA || c.Cout%8 != 0 || divPlane.m == 0 || divW.m == 0 {
		return false
	}
	if events[0] < 0 || int(events[len(events)-1]) >= len(xn) || len(xn) != s.Cin*s.H*s.W {
		panic("train: spike events outside the image")
	}
	if len(a) < c.Cin*c.K*c.K*c.Cout || len(b) < s.OutH()*s.OutW()*c.Cout {
		panic("train: spike event buffers too short")
	}
	p := eventArgs{idx: &events[0], n: len(events), x: &xn[0], a: &a[0], b: &b[0],
		plane: s.H * s.W, w: s.W, k: c.K, pad: c.Pad, oh: s.OutH(), ow: s.OutW(), cout: c.Cout,
		mPlane: divPlane.m, mW: divW.m}
	if c.fromSource {
		p.binary = 1 // spikes listed by neurons: every value is 1
	}
	spikeEventsAVX2(&p)
	return true
}
