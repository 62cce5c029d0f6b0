package nn

import (
	"fmt"
	"math"
)

// Vote is the voting layer: each contiguous group of Group (10) output
// neurons is averaged into one class score, [T, N, Group*K] -> [T, N, K].
type Vote struct {
	name  string
	Group int
	x     *Tensor
	y, dx Tensor
}

// NewVote returns a voting layer over groups of the given size (10 in
// AutoSNN). It panics if group < 1.
func NewVote(name string, group int) *Vote {
	if group < 1 {
		panic(fmt.Sprintf("nn: NewVote %s: invalid group %d", name, group))
	}
	return &Vote{name: name, Group: group}
}

// Name implements Layer.
func (v *Vote) Name() string { return v.name }

// Params implements Layer.
func (v *Vote) Params() []*Param { return nil }

// SetTraining implements Layer.
func (v *Vote) SetTraining(bool) {}

// Forward implements Layer.
func (v *Vote) Forward(x *Tensor) (*Tensor, error) {
	if len(x.Shape) != 3 || x.Shape[2]%v.Group != 0 || x.Shape[2] == 0 || len(x.Data) != x.Len() {
		return nil, shapeError(v.name, "input", x.Shape, fmt.Sprintf("[T N K*%d]", v.Group))
	}
	k := x.Shape[2] / v.Group
	v.y.resize(x.Shape[0], x.Shape[1], k)
	g := v.Group
	for i := range v.y.Data {
		var sum float32
		for _, e := range x.Data[i*g : (i+1)*g] {
			sum += e
		}
		v.y.Data[i] = sum / float32(g)
	}
	v.x = x
	return &v.y, nil
}

// Backward implements Layer.
func (v *Vote) Backward(dy *Tensor) (*Tensor, error) {
	if v.x == nil {
		return nil, errNoForward(v.name)
	}
	if !sameShape(dy.Shape, v.y.Shape) || len(dy.Data) != len(v.y.Data) {
		return nil, shapeError(v.name, "output gradient", dy.Shape, fmt.Sprint(v.y.Shape))
	}
	v.dx.resize(v.x.Shape...)
	g := v.Group
	for i, d := range dy.Data {
		e := d / float32(g)
		row := v.dx.Data[i*g : (i+1)*g]
		for j := range row {
			row[j] = e
		}
	}
	return &v.dx, nil
}

func checkLabels(what string, labels []int, n, k int) error {
	if len(labels) != n {
		return fmt.Errorf("nn: %s: %d labels for a batch of %d", what, len(labels), n)
	}
	for i, l := range labels {
		if l < 0 || l >= k {
			return fmt.Errorf("nn: %s: label %d of sample %d outside [0, %d)", what, l, i, k)
		}
	}
	return nil
}

// MSERateLoss is AutoSNN's loss on voting outputs v [T, N, K]:
// counter = sum_t v[t], loss = mean over N*K of (counter/T - onehot(label))^2.
type MSERateLoss struct {
	counter Tensor
	grad    Tensor
	ok      bool
}

// Forward returns the loss for vote outputs v and labels (one per sample).
func (l *MSERateLoss) Forward(v *Tensor, labels []int) (float64, error) {
	if len(v.Shape) != 3 || len(v.Data) != v.Len() || v.Len() == 0 {
		return 0, shapeError("mse-rate loss", "input", v.Shape, "[T N K]")
	}
	steps, n, k := v.Shape[0], v.Shape[1], v.Shape[2]
	if err := checkLabels("mse-rate loss", labels, n, k); err != nil {
		return 0, err
	}
	l.counter.resize(n, k)
	copy(l.counter.Data, v.Data[:n*k])
	for t := 1; t < steps; t++ {
		for i, e := range v.Data[t*n*k : (t+1)*n*k] {
			l.counter.Data[i] += e
		}
	}
	l.grad.resize(v.Shape...)
	var loss float64
	scale := 2 / float32(n*k) / float32(steps)
	for i := range n {
		for j := range k {
			var target float32
			if labels[i] == j {
				target = 1
			}
			d := l.counter.Data[i*k+j]/float32(steps) - target
			loss += float64(d) * float64(d)
			g := d * scale
			for t := range steps {
				l.grad.Data[t*n*k+i*k+j] = g
			}
		}
	}
	l.ok = true
	return loss / float64(n*k), nil
}

// Backward returns dL/dv for the last Forward.
func (l *MSERateLoss) Backward() (*Tensor, error) {
	if !l.ok {
		return nil, errNoForward("mse-rate loss")
	}
	return &l.grad, nil
}

// Counter returns the spike counter [N, K] of the last Forward.
func (l *MSERateLoss) Counter() *Tensor { return &l.counter }

// Predict writes argmax over classes of each row of scores [N, K] (the first
// maximum on ties, as torch.argmax) into dst, growing it as needed.
func Predict(scores *Tensor, dst []int) []int {
	n, k := scores.Shape[0], scores.Shape[1]
	dst = dst[:0]
	for i := range n {
		row := scores.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		dst = append(dst, best)
	}
	return dst
}

// CrossEntropyLoss is the ANN-mode loss: mean over the batch of
// -log softmax(logits)[label], for logits [1, N, K] or [N, K].
type CrossEntropyLoss struct {
	grad Tensor
	ok   bool
}

// Forward returns the loss.
func (l *CrossEntropyLoss) Forward(x *Tensor, labels []int) (float64, error) {
	if len(x.Data) != x.Len() || !(len(x.Shape) == 2 || (len(x.Shape) == 3 && x.Shape[0] == 1)) || x.Len() == 0 {
		return 0, shapeError("cross-entropy loss", "input", x.Shape, "[1 N K] or [N K]")
	}
	n, k := x.Shape[len(x.Shape)-2], x.Shape[len(x.Shape)-1]
	if err := checkLabels("cross-entropy loss", labels, n, k); err != nil {
		return 0, err
	}
	l.grad.resize(x.Shape...)
	var loss float64
	for i := range n {
		row := x.Data[i*k : (i+1)*k]
		m := float64(row[0])
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(z)
		loss += lse - float64(row[labels[i]])
		for j, v := range row {
			p := math.Exp(float64(v) - lse)
			if j == labels[i] {
				p--
			}
			l.grad.Data[i*k+j] = float32(p / float64(n))
		}
	}
	l.ok = true
	return loss / float64(n), nil
}

// Backward returns dL/dlogits for the last Forward.
func (l *CrossEntropyLoss) Backward() (*Tensor, error) {
	if !l.ok {
		return nil, errNoForward("cross-entropy loss")
	}
	return &l.grad, nil
}

// SpikeRegularizer is the spike-count penalty added to the task loss, in the
// spirit of the paper's Table 10 comparison (regularising spikes in the loss
// instead of in the search fitness):
//
//	L = L_task + Beta * S / N
//
// where S is the number of spikes of all neuron layers in the network (every
// Neuron output, all T steps, the whole batch; max-pool outputs are not
// counted again because they are not neurons) and N the batch size, i.e.
// Beta times the mean neuron spikes per image. Spikes are not differentiable;
// its gradient is taken through the same ATan surrogate as the task loss:
// dL/dS = Beta/N for every neuron output, which Neuron applies when its
// SpikeRegBeta field is set to Beta (Apply does that for a list of neurons).
type SpikeRegularizer struct {
	Beta float64
}

// Apply sets SpikeRegBeta on every neuron so that their backward passes add
// the penalty's gradient.
func (r SpikeRegularizer) Apply(neurons []*Neuron) {
	for _, n := range neurons {
		n.SpikeRegBeta = float32(r.Beta)
	}
}

// Value returns Beta * (sum of the neurons' spikes of the last Forward) / batch.
func (r SpikeRegularizer) Value(neurons []*Neuron, batch int) float64 {
	var s int64
	for _, n := range neurons {
		s += n.Spikes()
	}
	return r.Beta * float64(s) / float64(batch)
}
