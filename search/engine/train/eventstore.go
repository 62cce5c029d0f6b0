// Nonzero lists recorded by a fused forward and handed to the spike
// convolutions that read its output (LinkInput).

package train

import "github.com/autosnn/autosnn/search/engine/nn"

// eventStore holds the indices of the nonzero values of one output tensor,
// image-step by image-step (the image-step at = t*batch + n), as nonzero
// lists them; the workers that wrote the output each append to their own
// buffer.
type eventStore struct {
	valid bool
	out   *nn.Tensor // the tensor described
	img   int        // values per image-step
	bufs  [][]int32  // per worker
	where []evRef    // per image-step
}

type evRef struct{ w, off, n int32 }

// reset prepares the store for an output of steps*batch image-steps of img
// values written by nw workers.
func (e *eventStore) reset(out *nn.Tensor, img, images, nw int) {
	e.valid, e.out, e.img = false, out, img
	for len(e.bufs) < nw {
		e.bufs = append(e.bufs, nil)
	}
	for w := range e.bufs {
		e.bufs[w] = e.bufs[w][:0]
	}
	e.where = grow(e.where, images)
}

// record lists the nonzero values of image-step at (x, img values) as
// worker w, using idx (at least img long) as scratch.
func (e *eventStore) record(w, at int, x []float32, idx []int32) {
	n := nonzero(x, idx)
	off := len(e.bufs[w])
	e.bufs[w] = append(e.bufs[w], idx[:n]...)
	e.where[at] = evRef{w: int32(w), off: int32(off), n: int32(n)}
}

// list returns the indices of image-step at.
func (e *eventStore) list(at int) []int32 {
	r := e.where[at]
	return e.bufs[r.w][r.off : r.off+r.n]
}

// describes reports whether the store is valid for tensor x read as
// image-steps of img values.
func (e *eventStore) describes(x *nn.Tensor, img int) bool {
	return e != nil && e.valid && e.out == x && e.img == img && len(e.where)*img == len(x.Data)
}

// EventSource is a Block or a Part whose output another block reads
// (LinkInput).
type EventSource interface{ lastStage() *stage }

func (b *Block) lastStage() *stage {
	if b == nil || b.identity || len(b.seg.stages) == 0 {
		return nil
	}
	return b.seg.stages[len(b.seg.stages)-1]
}

func (p *Part) lastStage() *stage {
	if p == nil || len(p.seg.stages) == 0 {
		return nil
	}
	return p.seg.stages[len(p.seg.stages)-1]
}

// LinkInput lets the next Forward of block b take the nonzero lists of its
// input from src, the Block or Part whose last population's output that
// input is, when src's last forward ran fused and recorded them (instead
// of b's spike convolutions scanning the input again: in a search a block's
// output is read by every candidate after it). The lists are used only if
// they describe the very tensor b reads, so a stale or wrong link costs a
// scan, never a wrong result. The returned function removes the link.
func LinkInput(b *Block, src EventSource) (unlink func()) {
	nop := func() {}
	if b == nil || b.identity || len(b.seg.stages) == 0 || src == nil {
		return nop
	}
	last := src.lastStage()
	if last == nil || last.fz == nil {
		return nop
	}
	first := b.seg.stages[0]
	if b.seg.fusedOf(first) == nil && first.fz == nil {
		return nop
	}
	first.fz.entry = &last.fz.ev
	return func() { first.fz.entry = nil }
}
