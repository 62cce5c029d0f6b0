package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
)

// Batch is one mini-batch ready for the training engine.
//
// Static sets: X has layout [B][C][H][W] and holds normalised pixels
// ((v/255 - Mean[c]) / Std[c], or v/255 with BatchOptions.Raw).
// Event sets: X has layout [T][B][2][H][W] (time-major) and holds the
// per-pixel event counts as float32, not normalised.
// Labels has B entries in [0, classes). Shape is [B C H W] or [T B 2 H W].
//
// A Batch handed out by an Iterator is valid until the next call to Next or
// Close; its buffers are then reused.
type Batch struct {
	X      []float32
	Labels []int
	Shape  []int
	// Index is the batch number within the epoch, from 0.
	Index int
}

// Augment configures training-time augmentation. Each random choice is drawn
// per sample from a generator seeded by (seed, epoch, batch index), so
// results do not depend on goroutine timing. The same crop, flip and cutout
// apply to every channel and, for event data, every frame of a sample.
type Augment struct {
	// Pad is the zero padding of the random crop in pixels (4 in the
	// paper's CIFAR pipeline): the image is padded by Pad on each side and
	// a window of the original size is cut at a uniformly random position.
	// 0 disables cropping.
	Pad int
	// Flip mirrors the sample horizontally with probability 1/2.
	Flip bool
	// Cutout is the side in pixels of a square set to zero (after
	// normalisation) centred at a uniformly random pixel and clipped at the
	// border (DeVries & Taylor 2017). 0 disables it.
	Cutout int
}

// StandardAugment is pad-4 random crop plus horizontal flip, the pipeline
// of the AutoSNN reference for CIFAR; cutout is off.
var StandardAugment = Augment{Pad: 4, Flip: true}

// BatchOptions configures an Iterator.
type BatchOptions struct {
	// Size is the batch size B, > 0.
	Size int
	// Seed and Epoch determine the shuffling order and the augmentation;
	// the same (Seed, Epoch) gives the same batches bit for bit.
	Seed  uint64
	Epoch int
	// Shuffle permutes the split; otherwise samples come in split order.
	Shuffle bool
	// DropLast omits a final batch smaller than Size.
	DropLast bool
	// Augment, if not nil, is applied to every sample (training only).
	Augment *Augment
	// Raw disables per-channel normalisation of static data: X = v/255.
	Raw bool
}

// Iterator hands out the batches of one epoch of one split. A goroutine
// prepares the next batch while the caller uses the current one. The two
// batch buffers are allocated once, so the steady state does not allocate.
//
// Use:
//
//	it, err := set.Batches(ctx, dataset.Train, opts)
//	defer it.Close()
//	for it.Next() { b := it.Batch(); ... }
//	if err := it.Err(); err != nil { ... }
type Iterator struct {
	set    *Set
	split  Split
	opts   BatchOptions
	order  []int32
	nBatch int

	cancel context.CancelFunc
	ctx    context.Context
	free   chan *Batch
	ready  chan batchResult
	done   chan struct{}
	cur    *Batch
	err    error
	closed bool
	once   sync.Once

	// used only by the producer goroutine
	lut     [][256]float32
	scratch []uint16
	raw     []byte
	rng     *rand.Rand
	pcg     *rand.PCG
}

type batchResult struct {
	b   *Batch
	err error
}

// Batches starts an iterator over one epoch of a split. An empty split is
// an error (see CheckSplit).
func (s *Set) Batches(ctx context.Context, sp Split, o BatchOptions) (*Iterator, error) {
	if o.Size <= 0 {
		return nil, fmt.Errorf("dataset: %s: batch size %d, want > 0", s.Name, o.Size)
	}
	if err := s.CheckSplit(sp); err != nil {
		return nil, err
	}
	if a := o.Augment; a != nil {
		if a.Pad < 0 || a.Pad > s.H || a.Pad > s.W || a.Cutout < 0 {
			return nil, fmt.Errorf("dataset: %s: augmentation pad %d cutout %d, want 0 <= pad <= %d and cutout >= 0", s.Name, a.Pad, a.Cutout, min(s.H, s.W))
		}
	}
	n := s.Len(sp)
	nb := n / o.Size
	if !o.DropLast && n%o.Size != 0 {
		nb++
	}
	ictx, cancel := context.WithCancel(ctx)
	it := &Iterator{
		set: s, split: sp, opts: o, nBatch: nb,
		ctx: ictx, cancel: cancel,
		free:  make(chan *Batch, 2),
		ready: make(chan batchResult, 1),
		done:  make(chan struct{}),
	}
	it.order = make([]int32, n)
	for i := range it.order {
		it.order[i] = int32(i)
	}
	it.pcg = rand.NewPCG(0, 0)
	it.rng = rand.New(it.pcg)
	if o.Shuffle {
		it.pcg.Seed(o.Seed, mix(uint64(o.Epoch), 0x5348554646)) // "SHUFF"
		it.rng.Shuffle(n, func(i, j int) { it.order[i], it.order[j] = it.order[j], it.order[i] })
	}
	if s.Kind == Static {
		it.lut = make([][256]float32, s.C)
		for c := range it.lut {
			for v := range 256 {
				x := float32(v) / 255
				if !o.Raw {
					x = (x - s.Mean[c]) / s.Std[c]
				}
				it.lut[c][v] = x
			}
		}
	} else {
		it.scratch = make([]uint16, s.SampleLen())
		it.raw = make([]byte, 2*s.SampleLen())
	}
	per := s.SampleLen()
	for range 2 {
		it.free <- &Batch{X: make([]float32, o.Size*per), Labels: make([]int, o.Size), Shape: make([]int, 0, 5)}
	}
	go it.produce()
	return it, nil
}

// mix is a 64-bit finaliser (SplitMix64) used to derive generator streams.
func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 + b
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Len returns the number of batches of the epoch.
func (it *Iterator) Len() int { return it.nBatch }

func (it *Iterator) produce() {
	defer close(it.done)
	defer close(it.ready)
	for bi := range it.nBatch {
		var b *Batch
		select {
		case b = <-it.free:
		case <-it.ctx.Done():
			return
		}
		err := it.fill(b, bi)
		select {
		case it.ready <- batchResult{b, err}:
		case <-it.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// Next advances to the next batch, returning false at the end of the epoch,
// on error or on cancellation (see Err).
func (it *Iterator) Next() bool {
	if it.closed || it.err != nil {
		return false
	}
	if it.cur != nil {
		it.free <- it.cur // never blocks: two buffers, capacity two
		it.cur = nil
	}
	select {
	case r, ok := <-it.ready:
		if !ok {
			// The producer ends early only when the context is done.
			if err := it.ctx.Err(); err != nil {
				it.err = err
			}
			return false
		}
		if r.err != nil {
			it.err = r.err
			return false
		}
		it.cur = r.b
		return true
	case <-it.ctx.Done():
		it.err = it.ctx.Err()
		return false
	}
}

// Batch returns the current batch; valid until the next Next or Close.
func (it *Iterator) Batch() *Batch { return it.cur }

// Err returns the error that ended the iteration, or nil at a normal end.
// A cancelled context gives its error (context.Canceled or
// context.DeadlineExceeded).
func (it *Iterator) Err() error { return it.err }

// Close stops the producer goroutine and waits for it to exit. It is safe
// to call more than once.
func (it *Iterator) Close() {
	it.once.Do(func() {
		it.cancel()
		<-it.done
		it.closed = true
		it.cur = nil
	})
}

// fill writes batch bi of the epoch into b.
func (it *Iterator) fill(b *Batch, bi int) error {
	s := it.set
	lo := bi * it.opts.Size
	hi := min(lo+it.opts.Size, len(it.order))
	nb := hi - lo
	per := s.SampleLen()
	b.X = b.X[:nb*per]
	b.Labels = b.Labels[:nb]
	b.Index = bi
	b.Shape = b.Shape[:0]
	if s.Kind == Events {
		b.Shape = append(b.Shape, s.T, nb, s.C, s.H, s.W)
	} else {
		b.Shape = append(b.Shape, nb, s.C, s.H, s.W)
	}
	// One generator stream per batch: independent of any other batch.
	it.pcg.Seed(mix(it.opts.Seed, 0x4155474d), mix(uint64(it.opts.Epoch), uint64(bi)))
	for k := range nb {
		idx := int(it.order[lo+k])
		p, j := s.locate(it.split, idx)
		b.Labels[k] = int(p.labels[j])
		var g geom
		if a := it.opts.Augment; a != nil {
			g = drawGeom(it.rng, a, s.H, s.W)
		}
		if s.Kind == Static {
			n := s.C * s.H * s.W
			it.writeStatic(b.X[k*n:(k+1)*n], p.pix[j*n:(j+1)*n], g)
			continue
		}
		if err := p.frames.read(j, it.scratch, it.raw); err != nil {
			return err
		}
		it.writeEvents(b.X, k, nb, g)
	}
	return nil
}

// geom is the random geometry of one augmented sample.
type geom struct {
	dy, dx       int  // source offset of the crop window, in [-Pad, Pad]
	flip         bool // mirror horizontally
	cy, cx, half int  // cutout centre and half side; half < 0 means none
	cutout       bool
}

func drawGeom(r *rand.Rand, a *Augment, h, w int) geom {
	var g geom
	if a.Pad > 0 {
		g.dy = r.IntN(2*a.Pad+1) - a.Pad
		g.dx = r.IntN(2*a.Pad+1) - a.Pad
	}
	if a.Flip {
		g.flip = r.IntN(2) == 1
	}
	if a.Cutout > 0 {
		g.cutout = true
		g.cy, g.cx = r.IntN(h), r.IntN(w)
		g.half = a.Cutout / 2
	}
	return g
}

// src maps an output pixel to the source pixel; ok is false in the padding.
func (g *geom) src(y, x, h, w int) (sy, sx int, ok bool) {
	if g.flip {
		x = w - 1 - x
	}
	sy, sx = y+g.dy, x+g.dx
	return sy, sx, sy >= 0 && sy < h && sx >= 0 && sx < w
}

// cut reports whether output pixel (y, x) lies in the cutout square.
func (g *geom) cut(y, x int) bool {
	return g.cutout && y >= g.cy-g.half && y < g.cy-g.half+2*g.half && x >= g.cx-g.half && x < g.cx-g.half+2*g.half
}

func (it *Iterator) writeStatic(dst []float32, src []uint8, g geom) {
	s := it.set
	h, w := s.H, s.W
	plain := g == geom{}
	for c := range s.C {
		lut := &it.lut[c]
		plane := src[c*h*w : (c+1)*h*w]
		out := dst[c*h*w : (c+1)*h*w]
		if plain {
			for i, v := range plane {
				out[i] = lut[v]
			}
			continue
		}
		for y := range h {
			for x := range w {
				v := lut[0]
				if sy, sx, ok := g.src(y, x, h, w); ok {
					v = lut[plane[sy*w+sx]]
				}
				if g.cut(y, x) {
					v = 0
				}
				out[y*w+x] = v
			}
		}
	}
}

// writeEvents writes sample k (frames in it.scratch, [T][2][H][W]) into the
// time-major batch X [T][nb][2][H][W].
func (it *Iterator) writeEvents(X []float32, k, nb int, g geom) {
	s := it.set
	h, w := s.H, s.W
	hw := h * w
	plain := g == geom{}
	for t := range s.T {
		for c := range s.C {
			in := it.scratch[(t*s.C+c)*hw : (t*s.C+c+1)*hw]
			out := X[((t*nb+k)*s.C+c)*hw : ((t*nb+k)*s.C+c+1)*hw]
			if plain {
				for i, v := range in {
					out[i] = float32(v)
				}
				continue
			}
			for y := range h {
				for x := range w {
					var v float32
					if sy, sx, ok := g.src(y, x, h, w); ok {
						v = float32(in[sy*w+sx])
					}
					if g.cut(y, x) {
						v = 0
					}
					out[y*w+x] = v
				}
			}
		}
	}
}
