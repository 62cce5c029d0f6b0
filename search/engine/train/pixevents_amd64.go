//go:build amd64 && !purego

//go:generate go run ./internal/pixgen -out pixevents_amd64.s

package train

import "github.com/autosnn/autosnn/search/engine/tensor"

// pixArgs are the arguments of pixEventsAVX2 (field offsets are #defined
// in pixevents_amd64.s).
type pixArgs struct {
	masks *uint64
	npix  int
	a, b  *float32
	list  *[64]int64
	tab   *pixEntry
	p     *eventParams
}

//go:noescape
func pixEventsAVX2(p *pixArgs)

// pixEventsAsm runs pixEvents in assembly and reports whether it did: it
// needs AVX2 and Cout a multiple of 8. It checks what the assembly relies
// on: one table entry per mask and buffers as long as the shape says.
func pixEventsAsm(c *spikeConv, s tensor.ConvShape, masks []uint64, tab []pixEntry, a, b []float32, list *[64]int64) bool {
	if !hasAVX2FMA || c.Cout%8 != 0 {
		return false
	}
	if len(masks) != s.H*s.W || len(tab) != len(masks) || len(a) < c.Cin*c.K*c.K*c.Cout || len(b) < s.OutH()*s.OutW()*c.Cout {
		panic("train: pixel event buffers too short")
	}
	ep := c.eventParams(s, divider{})
	p := pixArgs{masks: &masks[0], npix: len(masks), a: &a[0], b: &b[0], list: list, tab: &tab[0], p: &ep}
	pixEventsAVX2(&p)
	return true
}
