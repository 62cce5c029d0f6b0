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

	training bool
	x        *Tensor
	mean     []float64 // [T*C] mean used in the last Forward
	invstd   []float64 // [T*C] 1/sqrt(var + eps) used in the last Forward
	y, dx    Tensor
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
	b.y.resize(x.Shape...)
	stepLen := n * c * inner
	for t := range steps {
		xs := x.Data[t*stepLen : (t+1)*stepLen]
		ys := b.y.Data[t*stepLen : (t+1)*stepLen]
		for ch := range c {
			var mean, invstd float64
			if b.training {
				var sum float64
				for i := range n {
					for _, v := range xs[(i*c+ch)*inner : (i*c+ch+1)*inner] {
						sum += float64(v)
					}
				}
				mean = sum / float64(m)
				var ss float64
				for i := range n {
					for _, v := range xs[(i*c+ch)*inner : (i*c+ch+1)*inner] {
						d := float64(v) - mean
						ss += d * d
					}
				}
				variance := ss / float64(m)
				invstd = 1 / math.Sqrt(variance+b.Eps)
				mom := b.Momentum
				b.RunningMean.Data[ch] = float32((1-mom)*float64(b.RunningMean.Data[ch]) + mom*mean)
				b.RunningVar.Data[ch] = float32((1-mom)*float64(b.RunningVar.Data[ch]) + mom*ss/float64(m-1))
			} else {
				mean = float64(b.RunningMean.Data[ch])
				invstd = 1 / math.Sqrt(float64(b.RunningVar.Data[ch])+b.Eps)
			}
			b.mean[t*c+ch], b.invstd[t*c+ch] = mean, invstd
			scale := float64(b.Weight.Data[ch]) * invstd
			shift := float64(b.Bias.Data[ch]) - mean*scale
			sc, sh := float32(scale), float32(shift)
			for i := range n {
				off := (i*c + ch) * inner
				for j, v := range xs[off : off+inner] {
					ys[off+j] = v*sc + sh
				}
			}
		}
	}
	b.x = x
	return &b.y, nil
}

// Backward implements Layer. In training the gradient flows through the
// batch statistics of each step; in evaluation the normalisation is affine.
func (b *BatchNorm) Backward(dy *Tensor) (*Tensor, error) {
	if b.x == nil {
		return nil, errNoForward(b.name)
	}
	if !sameShape(dy.Shape, b.y.Shape) || len(dy.Data) != len(b.y.Data) {
		return nil, shapeError(b.name, "output gradient", dy.Shape, fmt.Sprint(b.y.Shape))
	}
	x := b.x
	steps, n, c := x.Shape[0], x.Shape[1], b.C
	inner := numel(x.Shape[3:])
	m := float64(n * inner)
	stepLen := n * c * inner
	b.dx.resize(x.Shape...)
	for t := range steps {
		xs := x.Data[t*stepLen : (t+1)*stepLen]
		ds := dy.Data[t*stepLen : (t+1)*stepLen]
		dxs := b.dx.Data[t*stepLen : (t+1)*stepLen]
		for ch := range c {
			mean, invstd := b.mean[t*c+ch], b.invstd[t*c+ch]
			var sdy, sdyx float64 // sum dy, sum dy*xhat
			for i := range n {
				off := (i*c + ch) * inner
				for j, g := range ds[off : off+inner] {
					sdy += float64(g)
					sdyx += float64(g) * (float64(xs[off+j]) - mean) * invstd
				}
			}
			b.Weight.Grad[ch] += float32(sdyx)
			b.Bias.Grad[ch] += float32(sdy)
			gamma := float64(b.Weight.Data[ch])
			if !b.training {
				k := float32(gamma * invstd)
				for i := range n {
					off := (i*c + ch) * inner
					for j, g := range ds[off : off+inner] {
						dxs[off+j] = g * k
					}
				}
				continue
			}
			// dx = gamma invstd (dy - sum(dy)/m - xhat sum(dy xhat)/m)
			k := gamma * invstd
			a := sdy / m
			bb := sdyx / m
			for i := range n {
				off := (i*c + ch) * inner
				for j, g := range ds[off : off+inner] {
					xhat := (float64(xs[off+j]) - mean) * invstd
					dxs[off+j] = float32(k * (float64(g) - a - xhat*bb))
				}
			}
		}
	}
	return &b.dx, nil
}

func growF64(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
