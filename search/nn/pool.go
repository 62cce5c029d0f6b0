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

	x      *Tensor
	arg    []uint8
	y, dx  Tensor
	spikes int64
}

// NewMaxPool2d returns a max-pool layer. It panics unless 1 <= K <= 16 and
// Stride >= 1.
func NewMaxPool2d(name string, k, stride int) *MaxPool2d {
	if k < 1 || k > 16 || stride < 1 {
		panic(fmt.Sprintf("nn: NewMaxPool2d %s: invalid k=%d stride=%d", name, k, stride))
	}
	return &MaxPool2d{name: name, K: k, Stride: stride}
}

// Name implements Layer.
func (p *MaxPool2d) Name() string { return p.name }

// Params implements Layer.
func (p *MaxPool2d) Params() []*Param { return nil }

// SetTraining implements Layer.
func (p *MaxPool2d) SetTraining(bool) {}

// Spikes implements SpikeCounter: the number of nonzero outputs of the last
// Forward (on spike maps, the pooled spikes the paper's metric counts).
func (p *MaxPool2d) Spikes() int64 { return p.spikes }

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
	h, w := x.Shape[3], x.Shape[4]
	planes := x.Shape[0] * x.Shape[1] * x.Shape[2]
	p.y.resize(x.Shape[0], x.Shape[1], x.Shape[2], oh, ow)
	if cap(p.arg) < len(p.y.Data) {
		p.arg = make([]uint8, len(p.y.Data))
	}
	p.arg = p.arg[:len(p.y.Data)]
	var count int64
	k, s := p.K, p.Stride
	for pl := range planes {
		in := x.Data[pl*h*w : (pl+1)*h*w]
		out := p.y.Data[pl*oh*ow : (pl+1)*oh*ow]
		arg := p.arg[pl*oh*ow : (pl+1)*oh*ow]
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
	p.spikes = count
	p.x = x
	return &p.y, nil
}

// Backward implements Layer.
func (p *MaxPool2d) Backward(dy *Tensor) (*Tensor, error) {
	if p.x == nil {
		return nil, errNoForward(p.name)
	}
	if !sameShape(dy.Shape, p.y.Shape) || len(dy.Data) != len(p.y.Data) {
		return nil, shapeError(p.name, "output gradient", dy.Shape, fmt.Sprint(p.y.Shape))
	}
	x := p.x
	h, w := x.Shape[3], x.Shape[4]
	oh, ow := p.y.Shape[3], p.y.Shape[4]
	planes := x.Shape[0] * x.Shape[1] * x.Shape[2]
	p.dx.resize(x.Shape...)
	clear(p.dx.Data)
	k, s := p.K, p.Stride
	for pl := range planes {
		dx := p.dx.Data[pl*h*w : (pl+1)*h*w]
		g := dy.Data[pl*oh*ow : (pl+1)*oh*ow]
		arg := p.arg[pl*oh*ow : (pl+1)*oh*ow]
		for oy := range oh {
			for ox := range ow {
				a := int(arg[oy*ow+ox])
				dx[(oy*s+a/k)*w+ox*s+a%k] += g[oy*ow+ox]
			}
		}
	}
	return &p.dx, nil
}

// AvgPool2d averages K x K windows with the given stride and no padding:
// [T, N, C, H, W] -> [T, N, C, (H-K)/S+1, (W-K)/S+1]; each window sum is
// divided by K*K.
type AvgPool2d struct {
	name      string
	K, Stride int

	x     *Tensor
	y, dx Tensor
}

// NewAvgPool2d returns an average-pool layer. It panics unless K >= 1 and
// Stride >= 1.
func NewAvgPool2d(name string, k, stride int) *AvgPool2d {
	if k < 1 || stride < 1 {
		panic(fmt.Sprintf("nn: NewAvgPool2d %s: invalid k=%d stride=%d", name, k, stride))
	}
	return &AvgPool2d{name: name, K: k, Stride: stride}
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
	h, w := x.Shape[3], x.Shape[4]
	planes := x.Shape[0] * x.Shape[1] * x.Shape[2]
	p.y.resize(x.Shape[0], x.Shape[1], x.Shape[2], oh, ow)
	k, s := p.K, p.Stride
	div := float32(k * k)
	for pl := range planes {
		in := x.Data[pl*h*w : (pl+1)*h*w]
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
	p.x = x
	return &p.y, nil
}

// Backward implements Layer.
func (p *AvgPool2d) Backward(dy *Tensor) (*Tensor, error) {
	if p.x == nil {
		return nil, errNoForward(p.name)
	}
	if !sameShape(dy.Shape, p.y.Shape) || len(dy.Data) != len(p.y.Data) {
		return nil, shapeError(p.name, "output gradient", dy.Shape, fmt.Sprint(p.y.Shape))
	}
	x := p.x
	h, w := x.Shape[3], x.Shape[4]
	oh, ow := p.y.Shape[3], p.y.Shape[4]
	planes := x.Shape[0] * x.Shape[1] * x.Shape[2]
	p.dx.resize(x.Shape...)
	clear(p.dx.Data)
	k, s := p.K, p.Stride
	div := float32(k * k)
	for pl := range planes {
		dx := p.dx.Data[pl*h*w : (pl+1)*h*w]
		g := dy.Data[pl*oh*ow : (pl+1)*oh*ow]
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
	return &p.dx, nil
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
