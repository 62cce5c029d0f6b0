package nn

import "fmt"

// MaxPool2d takes the maximum over K x K windows with the given stride and
// no padding: [T, N, C, H, W] -> [T, N, C, (H-K)/S+1, (W-K)/S+1]. The
// gradient goes to the first maximum of each window in row-major order (as
// in PyTorch), which matters on spike maps where ties are the rule. The
// argmax is stored as one byte per output, so K*K <= 256.
type MaxPool2d struct {
	name      string
	K, Stride int

	// Workers splits the planes across goroutines (nil: serial).
	Workers *Workers
	// Events, when set, receives the positions of the nonzero outputs of
	// every training-mode Forward (see EventList), recorded while each
	// output image is in cache. Set it only where the input is spikes, so
	// that the outputs listed are spikes of value 1.
	Events *EventList

	training bool
	ev       *EventList // Events while a Forward records, else nil
	x        *Tensor
	arg      []uint8
	y, dx    Tensor
	spikes   int64
	counts   []int64
	job      poolJob
	fwd      maxFwd
	bwd      maxBwd
}

// NewMaxPool2d returns a max-pool layer. It panics unless 1 <= K <= 16 and
// Stride >= 1.
func NewMaxPool2d(name string, k, stride int) *MaxPool2d {
	if k < 1 || k > 16 || stride < 1 {
		panic(fmt.Sprintf("nn: NewMaxPool2d %s: invalid k=%d stride=%d", name, k, stride))
	}
	p := &MaxPool2d{name: name, K: k, Stride: stride, training: true}
	p.fwd.p, p.bwd.p = p, p
	return p
}

// Name implements Layer.
func (p *MaxPool2d) Name() string { return p.name }

// Params implements Layer.
func (p *MaxPool2d) Params() []*Param { return nil }

// SetTraining implements Layer.
func (p *MaxPool2d) SetTraining(training bool) { p.training = training }

// Spikes implements SpikeCounter: the number of nonzero outputs of the last
// Forward (on spike maps, the pooled spikes the paper's metric counts).
func (p *MaxPool2d) Spikes() int64 { return p.spikes }

// Positions implements SpikeCounter.
func (p *MaxPool2d) Positions() int64 { return int64(len(p.y.Data)) }

func poolShape(layer string, x *Tensor, k, s int) (oh, ow int, err error) {
	if len(x.Shape) != 5 || len(x.Data) != x.Len() || x.Shape[3] < k || x.Shape[4] < k {
		return 0, 0, shapeError(layer, "input", x.Shape, fmt.Sprintf("[T N C H W] with H, W >= %d", k))
	}
	return (x.Shape[3]-k)/s + 1, (x.Shape[4]-k)/s + 1, nil
}

// Forward implements Layer.
func (p *MaxPool2d) Forward(x *Tensor) (*Tensor, error) {
	oh, ow, err := poolShape(p.name, x, p.K, p.Stride)
	if err != nil {
		return nil, err
	}
	p.y.resize(x.Shape[0], x.Shape[1], x.Shape[2], oh, ow)
	p.arg = growU8(p.arg, len(p.y.Data))
	p.x = x
	p.job = poolJob{planes: x.Shape[0] * x.Shape[1] * x.Shape[2], h: x.Shape[3], w: x.Shape[4], oh: oh, ow: ow}
	p.ev = p.Events.begin(&p.y, !p.training)
	if p.ev != nil {
		// Tasks of whole event-list units (unit output planes each).
		unit := p.ev.Unit / (oh * ow)
		if unit*oh*ow != p.ev.Unit {
			p.ev = nil // a unit is not whole planes: no list
		} else {
			p.job.per = unit * max(1, p.job.planesPer()/unit) // per is still 0: the default
		}
	}
	tasks := p.job.tasks()
	p.counts = growI64(p.counts, tasks)
	p.Workers.run(tasks, &p.fwd)
	p.ev.end(p.y.Data)
	var count int64
	for _, c := range p.counts {
		count += c
	}
	p.spikes = count
	return &p.y, nil
}

// poolJob describes a pooling pass; its tasks are runs of per whole
// planes (0: chunk's worth).
type poolJob struct {
	planes, h, w, oh, ow int
	per                  int
	dy, dy2              *Tensor // during backward only; dy2 nil or added to dy (MaxPool2d.BackwardSum)
}

// backward checks the output gradient dy of a pooling layer named name
// (input x, output y) and runs its backward pass bwd into dx on ws.
func (j *poolJob) backward(name string, x, y, dx, dy *Tensor, ws *Workers, bwd job) (*Tensor, error) {
	if x == nil {
		return nil, errNoForward(name)
	}
	if !sameShape(dy.Shape, y.Shape) || len(dy.Data) != len(y.Data) {
		return nil, shapeError(name, "output gradient", dy.Shape, fmt.Sprint(y.Shape))
	}
	dx.resize(x.Shape...)
	j.dy = dy
	ws.run(j.tasks(), bwd)
	j.dy = nil
	return dx, nil
}

// planesPer returns the planes per task: per, or by default enough for about
// chunk input elements (at least one).
func (j *poolJob) planesPer() int {
	if j.per > 0 {
		return j.per
	}
	return max(1, chunk/(j.h*j.w))
}

// tasks returns the number of tasks: the planes cut into groups of
// planesPer (the last may be short).
func (j *poolJob) tasks() int {
	per := j.planesPer()
	return (j.planes + per - 1) / per
}

func (j *poolJob) span(task int) (lo, hi int) {
	per := j.planesPer()
	return task * per, min((task+1)*per, j.planes)
}

type maxFwd struct{ p *MaxPool2d }
type maxBwd struct{ p *MaxPool2d }

func (f *maxFwd) run(task int) {
	p := f.p
	j := &p.job
	lo, hi := j.span(task)
	h, w, oh, ow := j.h, j.w, j.oh, j.ow
	k, s := p.K, p.Stride
	var count int64
	for pl := lo; pl < hi; pl++ {
		in := p.x.Data[pl*h*w : (pl+1)*h*w]
		out := p.y.Data[pl*oh*ow : (pl+1)*oh*ow]
		arg := p.arg[pl*oh*ow : (pl+1)*oh*ow]
		if k == 2 && s == 2 {
			count += max2x2(in, out, arg, w, oh, ow)
			continue
		}
		for oy := range oh {
			for ox := range ow {
				base := oy*s*w + ox*s
				best := in[base]
				bi := 0
				for ky := range k {
					row := in[base+ky*w : base+ky*w+k]
					for kx, v := range row {
						if v > best {
							best, bi = v, ky*k+kx
						}
					}
				}
				out[oy*ow+ox] = best
				arg[oy*ow+ox] = uint8(bi)
				if best != 0 {
					count++
				}
			}
		}
	}
	p.counts[task] = count
	if p.ev != nil {
		// This task's output units, while they are in cache.
		plane := oh * ow
		p.ev.record(lo*plane, p.y.Data[lo*plane:hi*plane])
	}
}

// max2x2 is the 2x2 stride-2 case: window order (0,0), (0,1), (1,0), (1,1),
// first maximum wins. It returns the number of nonzero outputs.
func max2x2(in, out []float32, arg []uint8, w, oh, ow int) int64 {
	var count int64
	for oy := range oh {
		r0 := in[2*oy*w : 2*oy*w+2*ow]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*ow]
		o := out[oy*ow : (oy+1)*ow]
		a := arg[oy*ow : (oy+1)*ow]
		if m := ow &^ 7; hasAVX2 && m > 0 {
			count += max2x2AVX2(&r0[0], &r1[0], &o[0], &a[0], m)
			r0, r1, o, a = r0[2*m:], r1[2*m:], o[m:], a[m:]
		}
		for ox := range o {
			best, bi := r0[2*ox], uint8(0)
			if v := r0[2*ox+1]; v > best {
				best, bi = v, 1
			}
			if v := r1[2*ox]; v > best {
				best, bi = v, 2
			}
			if v := r1[2*ox+1]; v > best {
				best, bi = v, 3
			}
			o[ox], a[ox] = best, bi
			if best != 0 {
				count++
			}
		}
	}
	return count
}

// Backward implements Layer.
func (p *MaxPool2d) Backward(dy *Tensor) (*Tensor, error) {
	return p.BackwardSum(dy, nil)
}

// BackwardSum is Backward for the output gradient dy + dy2 (dy2 nil: dy),
// added as the pass reads them; bit for bit Backward on the sum (dy[i] +
// dy2[i], in that order).
func (p *MaxPool2d) BackwardSum(dy, dy2 *Tensor) (*Tensor, error) {
	if dy2 != nil && p.x != nil && (!sameShape(dy2.Shape, p.y.Shape) || len(dy2.Data) != len(p.y.Data)) {
		return nil, shapeError(p.name, "second output gradient", dy2.Shape, fmt.Sprint(p.y.Shape))
	}
	p.job.dy2 = dy2
	dx, err := p.job.backward(p.name, p.x, &p.y, &p.dx, dy, p.Workers, &p.bwd)
	p.job.dy2 = nil
	return dx, err
}

func (b *maxBwd) run(task int) {
	p := b.p
	j := &p.job
	lo, hi := j.span(task)
	h, w, oh, ow := j.h, j.w, j.oh, j.ow
	k, s := p.K, p.Stride
	if k == 2 && s == 2 && h == 2*oh && w == 2*ow && ow%4 == 0 && hasAVX2 && hi > lo {
		// Every input gradient written once, no clearing pass.
		var g2 *float32
		if j.dy2 != nil {
			g2 = &j.dy2.Data[lo*oh*ow]
		}
		_, _ = j.dy.Data[hi*oh*ow-1], p.arg[hi*oh*ow-1]
		_ = p.dx.Data[hi*h*w-1]
		maxBwd2x2AVX(&j.dy.Data[lo*oh*ow], g2, &p.arg[lo*oh*ow], &p.dx.Data[lo*h*w], (hi-lo)*oh, ow)
		return
	}
	clear(p.dx.Data[lo*h*w : hi*h*w])
	// Offset of window element a from the window's corner (no division
	// per element).
	var offs [256]int
	for a := range k * k {
		offs[a] = (a/k)*w + a%k
	}
	for pl := lo; pl < hi; pl++ {
		dx := p.dx.Data[pl*h*w : (pl+1)*h*w]
		g := j.dy.Data[pl*oh*ow : (pl+1)*oh*ow]
		arg := p.arg[pl*oh*ow : (pl+1)*oh*ow]
		if j.dy2 != nil {
			g2 := j.dy2.Data[pl*oh*ow : (pl+1)*oh*ow]
			for oy := range oh {
				gr, g2r, ar := g[oy*ow:(oy+1)*ow], g2[oy*ow:(oy+1)*ow], arg[oy*ow:(oy+1)*ow]
				corner := oy * s * w
				for ox, gv := range gr {
					dx[corner+ox*s+offs[ar[ox]]] += gv + g2r[ox]
				}
			}
			continue
		}
		for oy := range oh {
			gr, ar := g[oy*ow:(oy+1)*ow], arg[oy*ow:(oy+1)*ow]
			corner := oy * s * w
			for ox, gv := range gr {
				dx[corner+ox*s+offs[ar[ox]]] += gv
			}
		}
	}
}

func growU8(s []uint8, n int) []uint8 {
	if cap(s) < n {
		return make([]uint8, n)
	}
	return s[:n]
}

// AvgPool2d averages K x K windows with the given stride and no padding:
// [T, N, C, H, W] -> [T, N, C, (H-K)/S+1, (W-K)/S+1]; each window sum is
// divided by K*K.
type AvgPool2d struct {
	name      string
	K, Stride int

	// Workers splits the planes across goroutines (nil: serial).
	Workers *Workers

	x     *Tensor
	y, dx Tensor
	job   poolJob
	fwd   avgFwd
	bwd   avgBwd
}

// NewAvgPool2d returns an average-pool layer. It panics unless K >= 1 and
// Stride >= 1.
func NewAvgPool2d(name string, k, stride int) *AvgPool2d {
	if k < 1 || stride < 1 {
		panic(fmt.Sprintf("nn: NewAvgPool2d %s: invalid k=%d stride=%d", name, k, stride))
	}
	p := &AvgPool2d{name: name, K: k, Stride: stride}
	p.fwd.p, p.bwd.p = p, p
	return p
}

// Name implements Layer.
func (p *AvgPool2d) Name() string { return p.name }

// Params implements Layer.
func (p *AvgPool2d) Params() []*Param { return nil }

// SetTraining implements Layer.
func (p *AvgPool2d) SetTraining(bool) {}

// Forward implements Layer.
func (p *AvgPool2d) Forward(x *Tensor) (*Tensor, error) {
	oh, ow, err := poolShape(p.name, x, p.K, p.Stride)
	if err != nil {
		return nil, err
	}
	p.y.resize(x.Shape[0], x.Shape[1], x.Shape[2], oh, ow)
	p.x = x
	p.job = poolJob{planes: x.Shape[0] * x.Shape[1] * x.Shape[2], h: x.Shape[3], w: x.Shape[4], oh: oh, ow: ow}
	p.Workers.run(p.job.tasks(), &p.fwd)
	return &p.y, nil
}

type avgFwd struct{ p *AvgPool2d }
type avgBwd struct{ p *AvgPool2d }

func (f *avgFwd) run(task int) {
	p := f.p
	j := &p.job
	lo, hi := j.span(task)
	h, w, oh, ow := j.h, j.w, j.oh, j.ow
	k, s := p.K, p.Stride
	div := float32(k * k)
	for pl := lo; pl < hi; pl++ {
		in := p.x.Data[pl*h*w : (pl+1)*h*w]
		out := p.y.Data[pl*oh*ow : (pl+1)*oh*ow]
		for oy := range oh {
			for ox := range ow {
				base := oy*s*w + ox*s
				var sum float32
				for ky := range k {
					for _, v := range in[base+ky*w : base+ky*w+k] {
						sum += v
					}
				}
				out[oy*ow+ox] = sum / div
			}
		}
	}
}

// Backward implements Layer.
func (p *AvgPool2d) Backward(dy *Tensor) (*Tensor, error) {
	return p.job.backward(p.name, p.x, &p.y, &p.dx, dy, p.Workers, &p.bwd)
}

func (b *avgBwd) run(task int) {
	p := b.p
	j := &p.job
	lo, hi := j.span(task)
	h, w, oh, ow := j.h, j.w, j.oh, j.ow
	k, s := p.K, p.Stride
	div := float32(k * k)
	clear(p.dx.Data[lo*h*w : hi*h*w])
	for pl := lo; pl < hi; pl++ {
		dx := p.dx.Data[pl*h*w : (pl+1)*h*w]
		g := j.dy.Data[pl*oh*ow : (pl+1)*oh*ow]
		for oy := range oh {
			for ox := range ow {
				v := g[oy*ow+ox] / div
				base := oy*s*w + ox*s
				for ky := range k {
					row := dx[base+ky*w : base+ky*w+k]
					for kx := range row {
						row[kx] += v
					}
				}
			}
		}
	}
}

// GlobalAvgPool averages each channel over its spatial extent:
// [T, N, C, H, W] -> [T, N, C].
type GlobalAvgPool struct {
	name  string
	x     *Tensor
	y, dx Tensor
}

// NewGlobalAvgPool returns a global average pool layer.
func NewGlobalAvgPool(name string) *GlobalAvgPool { return &GlobalAvgPool{name: name} }

// Name implements Layer.
func (p *GlobalAvgPool) Name() string { return p.name }

// Params implements Layer.
func (p *GlobalAvgPool) Params() []*Param { return nil }

// SetTraining implements Layer.
func (p *GlobalAvgPool) SetTraining(bool) {}

// Forward implements Layer.
func (p *GlobalAvgPool) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) != 5 || len(x.Data) != x.Len() || x.Shape[3]*x.Shape[4] == 0 {
		return nil, shapeError(p.name, "input", x.Shape, "[T N C H W]")
	}
	hw := x.Shape[3] * x.Shape[4]
	p.y.resize(x.Shape[0], x.Shape[1], x.Shape[2])
	for i := range p.y.Data {
		var sum float32
		for _, v := range x.Data[i*hw : (i+1)*hw] {
			sum += v
		}
		p.y.Data[i] = sum / float32(hw)
	}
	p.x = x
	return &p.y, nil
}

// Backward implements Layer.
func (p *GlobalAvgPool) Backward(dy *Tensor) (*Tensor, error) {
	if p.x == nil {
		return nil, errNoForward(p.name)
	}
	if !sameShape(dy.Shape, p.y.Shape) || len(dy.Data) != len(p.y.Data) {
		return nil, shapeError(p.name, "output gradient", dy.Shape, fmt.Sprint(p.y.Shape))
	}
	hw := p.x.Shape[3] * p.x.Shape[4]
	p.dx.resize(p.x.Shape...)
	for i, g := range dy.Data {
		v := g / float32(hw)
		row := p.dx.Data[i*hw : (i+1)*hw]
		for j := range row {
			row[j] = v
		}
	}
	return &p.dx, nil
}
