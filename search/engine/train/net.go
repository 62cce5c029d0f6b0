package train

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// Net is a trainable network built from an IR graph: the segment of every
// population after the input, then the voting layer and the loss.
type Net struct {
	g      *ir.Graph // private copy of the architecture (weights not kept in sync)
	env    *Env
	ownEnv bool
	seg    *segment

	vote    *nn.Vote
	mse     nn.MSERateLoss
	ce      nn.CrossEntropyLoss
	counter nn.Tensor
	in, fl  nn.Tensor
	hasLoss bool

	params  []*nn.Param
	buffers []*nn.Param
	neurons []*nn.Neuron
}

// Build builds a trainable network from g with its own Env (GOMAXPROCS
// workers). Weights are initialised from rng like PyTorch's defaults
// (kaiming-uniform convolutions and linear layers, BN gamma 1, beta 0,
// running statistics 0 and 1), then every weight, batch-norm vector and PLIF
// W that g holds is loaded over them. Call Close when done.
func Build(g *ir.Graph, rng *rand.Rand) (*Net, error) {
	env := NewEnv(0)
	n, err := BuildEnv(g, rng, env)
	if err != nil {
		env.Close()
		return nil, err
	}
	n.ownEnv = true
	return n, nil
}

// BuildEnv is Build with a caller-owned Env (which Close does not close).
func BuildEnv(g *ir.Graph, rng *rand.Rand, env *Env) (*Net, error) {
	if g == nil || rng == nil || env == nil {
		return nil, fmt.Errorf("train: build: nil graph, generator or environment")
	}
	gc, err := cloneGraph(g)
	if err != nil {
		return nil, fmt.Errorf("train: build %s: %w", g.Name, err)
	}
	if len(gc.Pops) < 2 {
		return nil, fmt.Errorf("train: build %s: %d populations, want an input and at least one layer", g.Name, len(gc.Pops))
	}
	n := &Net{g: gc, env: env}
	seg, err := buildSegment(gc, gc.Pops[0], gc.Pops[1:], newNamer(gc, ""), rng, env)
	if err != nil {
		return nil, fmt.Errorf("train: build %s: %w", g.Name, err)
	}
	n.seg = seg
	out := gc.Output()
	switch {
	case gc.Vote < 1 || out.Shape.Len() != gc.Vote*gc.Classes:
		return nil, fmt.Errorf("train: build %s: output %s has %d neurons, want vote %d x classes %d", g.Name, out.Name, out.Shape.Len(), gc.Vote, gc.Classes)
	case gc.Loss == ir.CrossEntropy && gc.T != 1:
		return nil, fmt.Errorf("train: build %s: cross-entropy loss with T = %d, want T = 1 (ANN mode)", g.Name, gc.T)
	case gc.Loss != ir.CrossEntropy && gc.Loss != ir.MSERate:
		return nil, fmt.Errorf("train: build %s: unknown loss %v", g.Name, gc.Loss)
	}
	if gc.Vote > 1 {
		n.vote = nn.NewVote("vote", gc.Vote)
	}
	n.params = seg.params()
	n.buffers = seg.buffers()
	for _, st := range seg.stages {
		if st.neuron != nil {
			n.neurons = append(n.neurons, st.neuron)
		}
	}
	if err := n.Load(g); err != nil {
		return nil, err
	}
	n.SetTraining(true)
	return n, nil
}

// Close releases the Env if Build created it.
func (n *Net) Close() {
	if n.ownEnv {
		n.env.Close()
	}
}

// Graph returns the architecture the net was built from (a private copy
// whose weights are not kept up to date; use Export for trained weights).
func (n *Net) Graph() *ir.Graph { return n.g }

// Env returns the net's compute environment.
func (n *Net) Env() *Env { return n.env }

// Params returns the learnable parameters (weights, BN gamma and beta, PLIF
// w) in a fixed build order, named in the reference's convention.
func (n *Net) Params() []*nn.Param { return n.params }

// Buffers returns the batch-norm running statistics in build order.
func (n *Net) Buffers() []*nn.Param { return n.buffers }

// Neurons returns the spiking neuron layers in graph order.
func (n *Net) Neurons() []*nn.Neuron { return n.neurons }

// SetTraining switches every layer between training mode (batch
// statistics) and evaluation mode (running statistics).
func (n *Net) SetTraining(training bool) { n.seg.setTraining(training) }

// InputShape returns the shape Forward expects for a batch of b samples:
// [b, C, H, W] under direct encoding and [T, b, C, H, W] under frames.
func (n *Net) InputShape(b int) []int {
	s := n.g.Input().Shape
	if n.g.Encoding == ir.Frames {
		return []int{n.g.T, b, s.C, s.H, s.W}
	}
	return []int{b, s.C, s.H, s.W}
}

// Forward runs a batch and returns the mean loss over the batch; with nil
// labels it only computes the class counter (Counter) and returns 0. x is
// [N, C, H, W] under direct encoding (each image fed at every step) and
// [T, N, C, H, W] (time-major frames) under frame encoding. The input is
// referenced, not copied, until the next Forward.
func (n *Net) Forward(x *nn.Tensor, labels []int) (float64, error) {
	s := n.g.Input().Shape
	n.hasLoss = false
	switch n.g.Encoding {
	case ir.Frames:
		if len(x.Shape) != 5 || x.Shape[0] != n.g.T || x.Shape[2] != s.C || x.Shape[3] != s.H || x.Shape[4] != s.W || len(x.Data) != x.Len() {
			return 0, fmt.Errorf("train: %s: input has shape %v, want [%d N %d %d %d] (time-major frames)", n.g.Name, x.Shape, n.g.T, s.C, s.H, s.W)
		}
		n.in = nn.Tensor{Shape: append(n.in.Shape[:0], x.Shape...), Data: x.Data}
	default:
		if len(x.Shape) != 4 || x.Shape[1] != s.C || x.Shape[2] != s.H || x.Shape[3] != s.W || len(x.Data) != x.Len() {
			return 0, fmt.Errorf("train: %s: input has shape %v, want [N %d %d %d]", n.g.Name, x.Shape, s.C, s.H, s.W)
		}
		n.in = nn.Tensor{Shape: append(n.in.Shape[:0], 1, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]), Data: x.Data}
	}
	batch := n.in.Shape[1]
	if labels != nil && len(labels) != batch {
		return 0, fmt.Errorf("train: %s: %d labels for a batch of %d", n.g.Name, len(labels), batch)
	}
	y, err := n.seg.forward(&n.in)
	if err != nil {
		return 0, err
	}
	// The output population is dense ([T, N, F]); flatten other shapes.
	if len(y.Shape) != 3 {
		n.fl = nn.Tensor{Shape: append(n.fl.Shape[:0], y.Shape[0], y.Shape[1], len(y.Data)/(y.Shape[0]*y.Shape[1])), Data: y.Data}
		y = &n.fl
	}
	if n.vote != nil {
		if y, err = n.vote.Forward(y); err != nil {
			return 0, err
		}
	}
	steps, k := y.Shape[0], y.Shape[2]
	n.counter.Shape = append(n.counter.Shape[:0], batch, k)
	n.counter.Data = grow(n.counter.Data, batch*k)
	copy(n.counter.Data, y.Data[:batch*k])
	for t := 1; t < steps; t++ {
		for i, v := range y.Data[t*batch*k : (t+1)*batch*k] {
			n.counter.Data[i] += v
		}
	}
	if labels == nil {
		return 0, nil
	}
	var loss float64
	if n.g.Loss == ir.CrossEntropy {
		loss, err = n.ce.Forward(y, labels)
	} else {
		loss, err = n.mse.Forward(y, labels)
	}
	if err != nil {
		return 0, fmt.Errorf("train: %s: %w", n.g.Name, err)
	}
	if n.env.CheckFinite {
		if err := nn.CheckFiniteScalar("loss", n.env.Step, "loss", loss); err != nil {
			return 0, err
		}
	}
	n.hasLoss = true
	return loss, nil
}

// Backward computes the gradients of the last Forward's loss and adds them
// to Param.Grad (clear them with nn.ZeroGrad before each step).
func (n *Net) Backward() error {
	if !n.hasLoss {
		return fmt.Errorf("train: %s: Backward without a Forward with labels", n.g.Name)
	}
	var d *nn.Tensor
	var err error
	if n.g.Loss == ir.CrossEntropy {
		d, err = n.ce.Backward()
	} else {
		d, err = n.mse.Backward()
	}
	if err != nil {
		return err
	}
	if n.vote != nil {
		if d, err = n.vote.Backward(d); err != nil {
			return err
		}
	}
	last := n.seg.stages[len(n.seg.stages)-1].out
	if len(last.Shape) != len(d.Shape) {
		d = &nn.Tensor{Shape: last.Shape, Data: d.Data}
	}
	if _, err := n.seg.backward(d); err != nil {
		return err
	}
	if n.env.CheckFinite {
		for _, p := range n.params {
			if err := nn.CheckFinite(layerOf(p.Name), n.env.Step, "gradient of "+p.Name, p.Grad); err != nil {
				return err
			}
		}
	}
	return nil
}

// layerOf strips the parameter suffix from a parameter name.
func layerOf(param string) string {
	if i := strings.LastIndexByte(param, '.'); i > 0 {
		return param[:i]
	}
	return param
}

// Counter returns the class scores [N, K] of the last Forward: the sum over
// steps of the voting layer's output (the logits in ANN mode).
func (n *Net) Counter() *nn.Tensor { return &n.counter }

// Predict writes the predicted class of each sample of the last Forward
// (argmax of Counter, the first maximum on ties) into dst.
func (n *Net) Predict(dst []int) []int { return nn.Predict(&n.counter, dst) }

// PopSpikes returns, per population of Graph().Pops, the spikes of the last
// Forward summed over steps and the batch, as ir.Result.Spikes counts them:
// spikes of spiking populations, nonzero outputs of relay populations, 0
// for the input and ReLU populations.
func (n *Net) PopSpikes() []int64 {
	out := make([]int64, len(n.g.Pops))
	for i, p := range n.g.Pops {
		if st := n.seg.byPop[p]; st != nil {
			out[i] = st.popSpikes()
		}
	}
	return out
}

// SpikeMetrics returns the two spike counts of the last Forward summed over
// the batch: the paper's metric (neuron spikes plus pooled spike maps) and
// the neuron-only metric, as ir.SpikeMetrics defines them.
func (n *Net) SpikeMetrics() (paper, neuron int64) {
	for i, s := range n.PopSpikes() {
		p := n.g.Pops[i]
		switch m := p.Neuron.Model; {
		case m.Spiking():
			paper += s
			neuron += s
		case m == ir.Relay && n.g.In(p)[0].Src.Neuron.Model.Spiking():
			paper += s
		}
	}
	return paper, neuron
}

// LayerNames returns, per population, the name of its neuron layer in the
// reference convention ("stem.plif", "blocks.0.plif1", "pools.0", "fc_plif").
func (n *Net) LayerNames() []string {
	out := make([]string, len(n.g.Pops))
	for i, p := range n.g.Pops {
		if st := n.seg.byPop[p]; st != nil {
			out[i] = st.name
			if st.neuron == nil && st.relu == nil && len(st.projs) == 1 && st.projs[0].maxp != nil {
				out[i] = st.projs[0].maxp.Name()
			}
		} else {
			out[i] = p.Name
		}
	}
	return out
}
