//go:build amd64 && !purego

//go:generate go run ./internal/pixgen -out pixevents_amd64.s

package train

import "github.com/autosnn/autosnn/search/tensor"

// pixArgs are the arguments of pixEventsAVX2 (field offsets are #defined
// in pixevents_amd64.s).
type pixArgs struct {
	masks        *uint64
	npix         int
	a, b         *float32
	list         *[64]int64
	w, k, pad    int
	oh, ow, cout int
	cistride     int // bytes between the reversed filters of consecutive input channels
	mW           uint64
}

//go:noescape
func pixEventsAVX2(p *pixArgs)

// pixEventsAsm runs pixEvents in assembly and reports whether it did: it
// needs AVX2, Cout a multiple of 8 and the width divider in its
// multiply-shift form.
func pixEventsAsm(c *spikeConv, s tensor.ConvShape, masks []uint64, a, b []float32, list *[64]int64, divW divider) bool {
	if !hasAVX2FMA || c.Cout%8 != 0 || divW.m == 0 {
		return false
	}
	if len(masks) != s.H*s.W || len(a) < c.Cin*c.K*c.K*c.Cout || len(b) < s.OutH()*s.OutW()*c.Cout {
		panic("train: pixel event buffers too short")
	}
	p := pixArgs{masks: &masks[0], npix: len(masks), a: &a[0], b: &b[0], list: list,
		w: s.W, k: c.K, pad: c.Pad, oh: s.OutH(), ow: s.OutW(), cout: c.Cout,
		cistride: 4 * c.K * c.K * c.Cout, mW: divW.m}
	pixEventsAVX2(&p)
	return true
}
