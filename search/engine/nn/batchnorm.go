package nn

import (
	"fmt"
	"math"
)

// BatchNorm normalises channel C (dimension 2) of [T, N, C, ...] inputs; it
// serves as BatchNorm2d ([T, N, C, H, W]) and BatchNorm1d ([T, N, C]).
//
// It is one PyTorch module called once per timestep. In training each step t
// is normalised with its own batch statistics over N and the spatial
// dimensions (biased variance), and the running statistics are updated once
// per step with the unbiased variance:
//
//	running = (1 - Momentum) running + Momentum batchStat
//
// so a Forward over T steps updates them T times (the T = 1 stem once). In
// evaluation the running statistics normalise every step. Parameters:
// Name()+".weight" (gamma, init 1) and ".bias" (beta, init 0); buffers
// ".running_mean" (init 0) and ".running_var" (init 1).
type BatchNorm struct {
	name     string
	C        int
	Eps      float64 // added to the variance; 1e-5
	Momentum float64 // running-statistics momentum; 0.1

	Weight, Bias            *Param
	RunningMean, RunningVar *Param

	// Workers splits the (step, channel group) tasks across goroutines
	// (nil: serial).
	Workers *Workers

	// Defer makes Forward compute the statistics but not the normalised
	// output: it returns its input x itself and keeps the affine map of
	// each (step, channel), y = (x - c) sc + sh, for a Neuron whose In is
	// this layer to apply on the fly (bit-identical to the y it would have
	// written). It saves one write and one read of the whole tensor.
	// Backward is unchanged.
	Defer bool

	training  bool
	x         *Tensor
	mean      []float64 // [T*C] mean used in the last Forward
	invstd    []float64 // [T*C] 1/sqrt(var + eps) used in the last Forward
	uvar      []float64 // [T*C] unbiased batch variance (training)
	sdy, sdyx []float64 // [T*C] backward partial sums
	// gk, gp, gq hold the gradient map of the last Backward or
	// BackwardMap, per [T*C]: dx = (gk dy + gp (x - afc)) + gq (gp and
	// gq are 0 in evaluation, where dx = gk dy).
	gk, gp, gq []float32
	afc, afsc  []float32 // [T*C] affine map of the last Forward: centre and scale
	afsh       []float32 // [T*C] and shift
	// blk holds, when the deferred consumer computed them (blkFor is the
	// output gradient they belong to), the backward sums of each (step,
	// image, channel) block: blk[2*((t*N+i)*C+ch)] = sum dy and [+1] = sum
	// dy (x - c), exactly the dotDevF32 values Backward's first pass would
	// compute.
	blk    []float64
	blkFor *float32
	inner  int // values per channel and image of the last Forward
	y, dx  Tensor
	job    bnJob
	fwd    bnFwd
	bwd    bnBwd
	aff    bnAff
}

// NewBatchNorm returns a BatchNorm over c channels in training mode with
// PyTorch defaults. It panics if c is not positive.
func NewBatchNorm(name string, c int) *BatchNorm {
	if c <= 0 {
		panic(fmt.Sprintf("nn: NewBatchNorm %s: invalid channels %d", name, c))
	}
	b := &BatchNorm{name: name, C: c, Eps: 1e-5, Momentum: 0.1, training: true,
		Weight:      newParam(name+".weight", true, c),
		Bias:        newParam(name+".bias", true, c),
		RunningMean: newParam(name+".running_mean", false, c),
		RunningVar:  newParam(name+".running_var", false, c),
	}
	b.fwd.j, b.bwd.j, b.aff.j = &b.job, &b.job, &b.job
	for i := range c {
		b.Weight.Data[i] = 1
		b.RunningVar.Data[i] = 1
	}
	return b
}

// Name implements Layer.
func (b *BatchNorm) Name() string { return b.name }

// Params implements Layer.
func (b *BatchNorm) Params() []*Param { return []*Param{b.Weight, b.Bias} }

// Buffers implements Buffered.
func (b *BatchNorm) Buffers() []*Param { return []*Param{b.RunningMean, b.RunningVar} }

// SetTraining implements Layer.
func (b *BatchNorm) SetTraining(training bool) { b.training = training }

// Forward implements Layer.
func (b *BatchNorm) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) < 3 || x.Shape[2] != b.C || len(x.Data) != x.Len() {
		return nil, shapeError(b.name, "input", x.Shape, fmt.Sprintf("[T N %d ...]", b.C))
	}
	steps, n, c := x.Shape[0], x.Shape[1], b.C
	inner := numel(x.Shape[3:])
	m := n * inner // values per channel and step
	if b.training && m < 2 {
		return nil, fmt.Errorf("nn: %s: training needs more than 1 value per channel, got input shape %v", b.name, x.Shape)
	}
	b.mean = growF64(b.mean, steps*c)
	b.invstd = growF64(b.invstd, steps*c)
	b.uvar = growF64(b.uvar, steps*c)
	b.afc = growF32(b.afc, steps*c)
	b.afsc = growF32(b.afsc, steps*c)
	b.afsh = growF32(b.afsh, steps*c)
	b.inner = inner
	if !b.Defer {
		b.y.resize(x.Shape...)
	}
	b.x = x
	b.job = bnJob{b: b, n: n, c: c, inner: inner, groups: bnGroups(b.Workers, steps, c), t0: -1}
	b.Workers.run(steps*b.job.groups, &b.fwd)
	if b.training {
		// Running statistics: one update per step, in step order.
		mom := b.Momentum
		for t := range steps {
			for ch := range c {
				b.RunningMean.Data[ch] = float32((1-mom)*float64(b.RunningMean.Data[ch]) + mom*b.mean[t*c+ch])
				b.RunningVar.Data[ch] = float32((1-mom)*float64(b.RunningVar.Data[ch]) + mom*b.uvar[t*c+ch])
			}
		}
	}
	if b.Defer {
		return x, nil
	}
	return &b.y, nil
}

// StatsFinite reports whether the batch statistics of the last
// training-mode Forward, which was on x, are all finite. They sum every
// value of x, so a NaN or infinity in x makes one of them non-finite: true
// means that x is finite (false can also come from finite values whose
// sums overflow float32 lanes). A consumer that must screen x can skip the
// pass over it when this reports true.
func (b *BatchNorm) StatsFinite(x *Tensor) bool {
	if !b.training || b.x != x || x == nil || len(b.mean) < x.Shape[0]*b.C {
		return false
	}
	for i := range x.Shape[0] * b.C {
		if math.IsNaN(b.mean[i]) || math.IsInf(b.mean[i], 0) || math.IsNaN(b.uvar[i]) || math.IsInf(b.uvar[i], 0) {
			return false
		}
	}
	return true
}

// AffineAdd writes to dst the last deferred Forward's normalised output
// plus add, elementwise (dst may be add): the bits of writing the output
// and then adding add to it, in one pass. It needs Defer set.
func (b *BatchNorm) AffineAdd(dst, add []float32) error {
	if b.x == nil || !b.Defer || len(b.afc) < b.x.Shape[0]*b.C {
		return fmt.Errorf("nn: %s: AffineAdd without a deferred Forward", b.name)
	}
	if len(dst) != len(b.x.Data) || len(add) != len(b.x.Data) {
		return fmt.Errorf("nn: %s: AffineAdd on %d and %d values, want %d", b.name, len(dst), len(add), len(b.x.Data))
	}
	b.job.add, b.job.dst = add, dst
	b.Workers.run(b.x.Shape[0]*b.job.groups, &b.aff)
	b.job.add, b.job.dst = nil, nil
	return nil
}

type bnAff struct{ j *bnJob }

func (f *bnAff) run(task int) {
	j := f.j
	b := j.b
	t, c0, c1 := j.channels(task)
	xs, as, ds := j.step(b.x.Data, t), j.step(j.add, t), j.step(j.dst, t)
	for i := range j.n {
		for ch := c0; ch < c1; ch++ {
			off := (i*j.c + ch) * j.inner
			q := t*j.c + ch
			bnAffineAdd(xs[off:off+j.inner], as[off:off+j.inner], ds[off:off+j.inner], b.afc[q], b.afsc[q], b.afsh[q])
		}
	}
}

// affineRun writes the normalised values of elements [lo, lo+len(dst)) of
// step t of the last deferred Forward's input (xs holds them) to dst, by
// runs of one channel, with bnAffine: the values Forward would have
// written.
func (b *BatchNorm) affineRun(t, lo int, xs, dst []float32) {
	for i := 0; i < len(xs); {
		run, c, sc, sh := b.run(t, lo+i, len(xs)-i)
		bnAffine(xs[i:i+run], dst[i:i+run], c, sc, sh)
		i += run
	}
}

// fusable reports whether a consumer can apply the affine map inside its
// AVX2 kernels on runs of m values: channel runs are whole multiples of 8.
func (b *BatchNorm) fusable(m int) bool {
	return hasAVX2 && b.inner%8 == 0 && m%8 == 0
}

// run returns the length (at most m) of the channel run that starts at
// element e of step t of the last deferred Forward's input, and the affine
// map of that channel.
func (b *BatchNorm) run(t, e, m int) (n int, c, sc, sh float32) {
	task := t*b.C + (e/b.inner)%b.C
	return min(m, b.inner-e%b.inner), b.afc[task], b.afsc[task], b.afsh[task]
}

// affRuns describes the channel runs of a stretch of one step's elements
// for the affine LIF kernels: the step's per-channel maps (c, sc, sh point
// at the step's first channel), the run length inner and the channel count
// nch, and where the stretch starts, in channel ch with first elements
// left in that channel's run. The kernels read the fields by offset: c 0,
// sc 8, sh 16, inner 24, nch 32, ch 40, first 48.
type affRuns struct {
	c, sc, sh *float32
	inner     int
	nch       int
	ch        int
	first     int
}

// runs returns the affRuns of step t's elements from e on (for a consumer
// for which fusable holds).
func (b *BatchNorm) runs(t, e int) affRuns {
	q := t * b.C
	return affRuns{c: &b.afc[q], sc: &b.afsc[q], sh: &b.afsh[q], inner: b.inner, nch: b.C,
		ch: (e / b.inner) % b.C, first: b.inner - e%b.inner}
}

// evalStats returns channel ch's mean and 1/std in evaluation mode, from
// the running statistics.
func (b *BatchNorm) evalStats(ch int) (mean, invstd float64) {
	return float64(b.RunningMean.Data[ch]), 1 / math.Sqrt(float64(b.RunningVar.Data[ch])+b.Eps)
}

// affineOf returns the affine map y = (x - c) sc + sh of channel ch for the
// statistics mean and invstd. It is centred on c = float32(mean) so that a
// large mean does not cancel against the shift.
func (b *BatchNorm) affineOf(ch int, mean, invstd float64) (c, sc, sh float32) {
	meanf := float32(mean)
	scale := float64(b.Weight.Data[ch]) * invstd
	return meanf, float32(scale), float32(float64(b.Bias.Data[ch]) - (mean-float64(meanf))*scale)
}

// blockSums reports whether a consumer reading runs of chunk-aligned
// elements can compute the backward block sums (each (image, channel)
// block of inner values lies within one chunk), and sizes b.blk.
func (b *BatchNorm) blockSums(steps, size int) bool {
	if !b.Defer || !b.training || b.inner == 0 || chunk%b.inner != 0 || size%b.inner != 0 {
		return false
	}
	b.blk = growF64(b.blk, 2*steps*(size/b.inner))
	return true
}

// recordBlocks computes the backward block sums of elements [lo,
// lo+len(g)) of step t: g is the output gradient (the consumer's input
// gradient), xs the deferred Forward's input there.
func (b *BatchNorm) recordBlocks(t, lo int, g, xs []float32, size int) {
	inner, c := b.inner, b.C
	for i := 0; i < len(g); i += inner {
		e := lo + i
		blkIdx := t*(size/inner) + e/inner // = (t*N+image)*C+ch
		ch := (e / inner) % c
		a, bb := dotDevF32(g[i:i+inner], xs[i:i+inner], b.afc[t*c+ch])
		b.blk[2*blkIdx], b.blk[2*blkIdx+1] = a, bb
	}
}

// bnJob holds the arguments of one pass; its tasks are (step, channel
// group) pairs. A task reads its step image by image, the values of its
// channels being contiguous in each image (one sequential stream rather
// than one stream per channel and image, each at most a page long, which
// the prefetchers serve poorly); every channel's sums still add the
// images in order, so the grouping does not change any result.
type bnJob struct {
	b           *BatchNorm
	n, c, inner int
	groups      int // channel groups per step
	dy          *Tensor
	add, dst    []float32 // AffineAdd
	pre         bool      // Backward: the block sums are in b.blk
	apply       bool      // Backward: write dx (else only the map: BackwardMap)
	t0          int       // >= 0: the tasks are those of step t0 only (BackwardMapStep)
}

// channels returns the step and the channel range [c0, c1) of task (tasks
// of step t0 only when t0 >= 0).
func (j *bnJob) channels(task int) (t, c0, c1 int) {
	t, g := task/j.groups, task%j.groups
	if j.t0 >= 0 {
		t = j.t0
	}
	return t, g * j.c / j.groups, (g + 1) * j.c / j.groups
}

// step returns the values of step t of a [T, N, C, ...] tensor's data.
func (j *bnJob) step(data []float32, t int) []float32 {
	n := j.n * j.c * j.inner
	return data[t*n : (t+1)*n]
}

// bnGroups returns the number of channel groups per step: enough tasks for
// about four per worker, at most one group per channel.
func bnGroups(w *Workers, steps, c int) int {
	return max(1, min(c, (4*w.count()+steps-1)/steps))
}

type bnFwd struct{ j *bnJob }
type bnBwd struct{ j *bnJob }

func (f *bnFwd) run(task int) {
	j := f.j
	b := j.b
	t, c0, c1 := j.channels(task)
	xs := j.step(b.x.Data, t)
	mean, ss := b.mean[t*j.c+c0:t*j.c+c1], b.uvar[t*j.c+c0:t*j.c+c1] // sums first
	m := j.n * j.inner
	if b.training {
		clear(mean)
		for i := range j.n {
			for ch := c0; ch < c1; ch++ {
				off := (i*j.c + ch) * j.inner
				mean[ch-c0] += sumF32(xs[off : off+j.inner])
			}
		}
		clear(ss)
		for ch := range mean {
			mean[ch] /= float64(m)
		}
		for i := range j.n {
			for ch := c0; ch < c1; ch++ {
				off := (i*j.c + ch) * j.inner
				ss[ch-c0] += sumSqDevF32(xs[off:off+j.inner], float32(mean[ch-c0]))
			}
		}
	}
	for ch := c0; ch < c1; ch++ {
		task := t*j.c + ch
		var mean, invstd float64
		if b.training {
			mean = b.mean[task]
			// Correct for the rounding of the mean to float32:
			// sum (x - mean)^2 = sum (x - meanf)^2 - m (mean - meanf)^2.
			dm := mean - float64(float32(mean))
			ss := max(b.uvar[task]-float64(m)*dm*dm, 0)
			invstd = 1 / math.Sqrt(ss/float64(m)+b.Eps)
			b.uvar[task] = ss / float64(m-1)
		} else {
			mean, invstd = b.evalStats(ch)
		}
		b.mean[task], b.invstd[task] = mean, invstd
		b.afc[task], b.afsc[task], b.afsh[task] = b.affineOf(ch, mean, invstd)
	}
	if b.Defer {
		return
	}
	ys := j.step(b.y.Data, t)
	for i := range j.n {
		for ch := c0; ch < c1; ch++ {
			off := (i*j.c + ch) * j.inner
			task := t*j.c + ch
			bnAffine(xs[off:off+j.inner], ys[off:off+j.inner], b.afc[task], b.afsc[task], b.afsh[task])
		}
	}
}

// sumF32 adds v in eight float32 lanes of at most 64 values each, combined
// in float64: accurate to ~1e-7 relative and much faster than a float64
// conversion per element.
func sumF32(v []float32) float64 {
	var total float64
	if nb := len(v) / 64; hasAVX2 && nb > 0 {
		total = sumF32AVX2(&v[0], nb)
		v = v[nb*64:]
	}
	for len(v) > 0 {
		blk := v[:min(len(v), 64)]
		v = v[len(blk):]
		var s [8]float32
		for len(blk) >= 8 {
			s[0] += blk[0]
			s[1] += blk[1]
			s[2] += blk[2]
			s[3] += blk[3]
			s[4] += blk[4]
			s[5] += blk[5]
			s[6] += blk[6]
			s[7] += blk[7]
			blk = blk[8:]
		}
		for i, e := range blk {
			s[i] += e
		}
		total += float64(s[0]+s[1]+s[2]+s[3]) + float64(s[4]+s[5]+s[6]+s[7])
	}
	return total
}

// sumSqDevF32 returns sum (v - c)^2, accumulated like sumF32.
func sumSqDevF32(v []float32, c float32) float64 {
	var total float64
	if nb := len(v) / 64; hasAVX2 && nb > 0 {
		total = sumSqDevAVX2(&v[0], nb, c)
		v = v[nb*64:]
	}
	for len(v) > 0 {
		blk := v[:min(len(v), 64)]
		v = v[len(blk):]
		var s [8]float32
		for len(blk) >= 8 {
			for l := range 8 {
				d := blk[l] - c
				s[l] += d * d
			}
			blk = blk[8:]
		}
		for l, e := range blk {
			d := e - c
			s[l] += d * d
		}
		total += float64(s[0]+s[1]+s[2]+s[3]) + float64(s[4]+s[5]+s[6]+s[7])
	}
	return total
}

// dotDevF32 returns sum g and sum g (x - c), accumulated like sumF32.
func dotDevF32(g, x []float32, c float32) (sg, sgx float64) {
	x = x[:len(g)]
	if nb := len(g) / 64; hasAVX2 && nb > 0 {
		sg, sgx = dotDevAVX2(&g[0], &x[0], nb, c)
		g, x = g[nb*64:], x[nb*64:]
	}
	for len(g) > 0 {
		n := min(len(g), 64)
		bg, bx := g[:n], x[:n]
		g, x = g[n:], x[n:]
		var s, q [8]float32
		for len(bg) >= 8 {
			for l := range 8 {
				s[l] += bg[l]
				q[l] += bg[l] * (bx[l] - c)
			}
			bg, bx = bg[8:], bx[8:]
		}
		for l, e := range bg {
			s[l] += e
			q[l] += e * (bx[l] - c)
		}
		sg += float64(s[0]+s[1]+s[2]+s[3]) + float64(s[4]+s[5]+s[6]+s[7])
		sgx += float64(q[0]+q[1]+q[2]+q[3]) + float64(q[4]+q[5]+q[6]+q[7])
	}
	return sg, sgx
}

// Backward implements Layer. In training the gradient flows through the
// batch statistics of each step; in evaluation the normalisation is affine.
func (b *BatchNorm) Backward(dy *Tensor) (*Tensor, error) {
	if err := b.backward(dy, true); err != nil {
		return nil, err
	}
	return &b.dx, nil
}

// BackwardMap is Backward without the input gradient: it adds the weight
// and bias gradients and computes the map from the output gradient dy to
// the input gradient, which its consumer then applies (GradRow) where it
// needs the values, so that they never go to memory as a whole tensor. dy
// must stay unchanged until then.
func (b *BatchNorm) BackwardMap(dy *Tensor) error { return b.backward(dy, false) }

// GradRow writes to dst the input gradient of the values of step t and
// channel ch whose output gradient is g and input x (the last Forward's
// input there), by the gradient map of the last backward pass (Backward,
// BackwardMap, or BackwardMapStep of step t): the values Backward would
// have written, bit for bit.
func (b *BatchNorm) GradRow(t, ch int, g, x, dst []float32) {
	i := t*b.C + ch
	if !b.training {
		k := b.gk[i]
		for e, v := range g {
			dst[e] = v * k
		}
		return
	}
	bnGrad(g, x, dst, b.gk[i], b.gp[i], b.afc[i], b.gq[i])
}

func (b *BatchNorm) backward(dy *Tensor, apply bool) error {
	if err := b.backwardBegin(dy, apply); err != nil {
		return err
	}
	b.Workers.run(b.x.Shape[0]*b.job.groups, &b.bwd)
	b.BackwardMapEnd()
	return nil
}

// BackwardMapBegin, BackwardMapStep(t) for every step t (in any order)
// and BackwardMapEnd do what BackwardMap does, step by step, so that a
// consumer can apply step t's map while that step's gradients are in
// cache. The output gradient of step t must be complete before
// BackwardMapStep(t).
func (b *BatchNorm) BackwardMapBegin(dy *Tensor) error { return b.backwardBegin(dy, false) }

// BackwardMapStep computes the sums and the gradient map of step t.
func (b *BatchNorm) BackwardMapStep(t int) {
	b.job.t0 = t
	b.Workers.run(b.job.groups, &b.bwd)
	b.job.t0 = -1
}

// BackwardMapEnd adds the weight and bias gradients of every step (in
// step order).
func (b *BatchNorm) BackwardMapEnd() {
	steps, c := b.x.Shape[0], b.C
	b.job.dy, b.blkFor = nil, nil
	for t := range steps {
		for ch := range c {
			b.Weight.Grad[ch] += float32(b.sdyx[t*c+ch])
			b.Bias.Grad[ch] += float32(b.sdy[t*c+ch])
		}
	}
}

func (b *BatchNorm) backwardBegin(dy *Tensor, apply bool) error {
	if b.x == nil {
		return errNoForward(b.name)
	}
	if !sameShape(dy.Shape, b.x.Shape) || len(dy.Data) != len(b.x.Data) {
		return shapeError(b.name, "output gradient", dy.Shape, fmt.Sprint(b.x.Shape))
	}
	steps, c := b.x.Shape[0], b.C
	if apply {
		b.dx.resize(b.x.Shape...)
	}
	b.sdy = growF64(b.sdy, steps*c)
	b.sdyx = growF64(b.sdyx, steps*c)
	b.gk = growF32(b.gk, steps*c)
	b.gp = growF32(b.gp, steps*c)
	b.gq = growF32(b.gq, steps*c)
	b.job.dy, b.job.apply, b.job.t0 = dy, apply, -1
	b.job.pre = b.Defer && b.training && b.blkFor != nil && len(dy.Data) > 0 && b.blkFor == &dy.Data[0]
	return nil
}

func (f *bnBwd) run(task int) {
	j := f.j
	b := j.b
	t, c0, c1 := j.channels(task)
	xs, ds := j.step(b.x.Data, t), j.step(j.dy.Data, t)
	sdy, sdyx := b.sdy[t*j.c+c0:t*j.c+c1], b.sdyx[t*j.c+c0:t*j.c+c1] // sum dy, sum dy (x - meanf)
	clear(sdy)
	clear(sdyx)
	for i := range j.n {
		for ch := c0; ch < c1; ch++ {
			var a, bb float64
			if j.pre {
				q := 2 * ((t*j.n+i)*j.c + ch)
				a, bb = b.blk[q], b.blk[q+1]
			} else {
				off := (i*j.c + ch) * j.inner
				a, bb = dotDevF32(ds[off:off+j.inner], xs[off:off+j.inner], float32(b.mean[t*j.c+ch]))
			}
			sdy[ch-c0] += a
			sdyx[ch-c0] += bb
		}
	}
	// Per channel: the gradient map dx = k dy + p (x - meanf) + q.
	m := float64(j.n * j.inner)
	for ch := c0; ch < c1; ch++ {
		task := t*j.c + ch
		mean, invstd := b.mean[task], b.invstd[task]
		meanf := float32(mean)
		// sum dy (x - mean) = sum dy (x - meanf) - (mean - meanf) sum dy
		b.sdyx[task] = (b.sdyx[task] - (mean-float64(meanf))*b.sdy[task]) * invstd
		gamma := float64(b.Weight.Data[ch])
		k := gamma * invstd
		if !b.training {
			b.gk[task], b.gp[task], b.gq[task] = float32(k), 0, 0
			continue
		}
		// dx = gamma invstd (dy - sum(dy)/m - xhat sum(dy xhat)/m), expanded
		// to dx = k dy + p (x - meanf) + q with xhat = (x - mean) invstd.
		// Centring on meanf keeps p (x - meanf) free of cancellation.
		p := -k * invstd * b.sdyx[task] / m
		q := -k*b.sdy[task]/m - p*(mean-float64(meanf))
		b.gk[task], b.gp[task], b.gq[task] = float32(k), float32(p), float32(q)
	}
	if !j.apply {
		return
	}
	dxs := j.step(b.dx.Data, t)
	for i := range j.n {
		for ch := c0; ch < c1; ch++ {
			off := (i*j.c + ch) * j.inner
			b.GradRow(t, ch, ds[off:off+j.inner], xs[off:off+j.inner], dxs[off:off+j.inner])
		}
	}
}

func growF64(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// bnAffine sets y[i] = (x[i] - c) sc + sh for i < len(x).
func bnAffine(x, y []float32, c, sc, sh float32) {
	y = y[:len(x)]
	if m := len(x) &^ 7; hasAVX2 && m > 0 {
		bnAffineAVX2(&x[0], &y[0], m, c, sc, sh)
		x, y = x[m:], y[m:]
	}
	for i, v := range x {
		y[i] = (v-c)*sc + sh
	}
}

// bnAffineAdd sets y[i] = ((x[i] - c) sc + sh) + a[i]: bnAffine's value
// plus a, rounded as the two steps would.
func bnAffineAdd(x, a, y []float32, c, sc, sh float32) {
	a, y = a[:len(x)], y[:len(x)]
	if m := len(x) &^ 7; hasAVX2 && m > 0 {
		bnAffineAddAVX2(&x[0], &a[0], &y[0], m, c, sc, sh)
		x, a, y = x[m:], a[m:], y[m:]
	}
	for i, v := range x {
		y[i] = ((v-c)*sc + sh) + a[i]
	}
}

// bnGrad sets dx[i] = k g[i] + p (x[i] - c) + q for i < len(g).
func bnGrad(g, x, dx []float32, k, p, c, q float32) {
	x, dx = x[:len(g)], dx[:len(g)]
	if m := len(g) &^ 7; hasAVX2 && m > 0 {
		bnBwdAVX2(&g[0], &x[0], &dx[0], m, k, p, c, q)
		g, x, dx = g[m:], x[m:], dx[m:]
	}
	for i, e := range g {
		dx[i] = k*e + p*(x[i]-c) + q
	}
}
