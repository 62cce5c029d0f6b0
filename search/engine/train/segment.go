package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// projMod is the trainable form of one projection.
type projMod struct {
	e      *ir.Projection
	static bool // runs once on the static input (direct encoding)
	conv   *nn.Conv2d
	lin    *nn.Linear
	bn     *nn.BatchNorm
	maxp   *nn.MaxPool2d
	avgp   *nn.AvgPool2d
	layers []nn.Layer // forward order; empty for Identity
}

func (m *projMod) forward(x *nn.Tensor) (*nn.Tensor, error) {
	var err error
	for _, l := range m.layers {
		if x, err = l.Forward(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// spikeConvBN returns the spike convolution of a projection that is a
// spike convolution followed by its batch-norm, else nil. buildStage
// appends a batch-norm only after a convolution or linear layer, as the
// last of two layers, so m.bn set means layers is [conv or linear, bn].
func (m *projMod) spikeConvBN() *spikeConv {
	if m.bn == nil {
		return nil
	}
	sc, _ := m.layers[0].(*spikeConv)
	return sc
}

func (m *projMod) backward(dy *nn.Tensor) (*nn.Tensor, error) {
	// A spike convolution and its batch-norm: the convolution makes its
	// output gradient image by image from the batch-norm's gradient map
	// (spikeConv.backwardFused), so it never goes to memory whole.
	if sc := m.spikeConvBN(); sc != nil && sc.canFuse() {
		if err := m.bn.BackwardMap(dy); err != nil {
			return nil, err
		}
		sc.backwardFused(dy.Data, m.bn)
		return &sc.dx, nil
	}
	var err error
	for i := len(m.layers) - 1; i >= 0; i-- {
		if dy, err = m.layers[i].Backward(dy); err != nil {
			return nil, err
		}
		if dy == nil { // NoInputGrad
			return nil, nil
		}
	}
	return dy, nil
}

// grow returns s resliced to n elements when its capacity allows, else a
// new zeroed slice of n (the old contents are not copied).
func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}

// stage is the trainable form of one population: the sum of its incoming
// projections (plus its bias) fed to its neuron layer.
type stage struct {
	pop             *ir.Population
	name            string // neuron-layer name, used in errors
	projs           []*projMod
	static, dynamic []*projMod
	repeat          *nn.Repeat
	neuron          *nn.Neuron
	relu            *nn.ReLU
	bias            []float32

	sum, ssum nn.Tensor
	cur       *nn.Tensor
	out       *nn.Tensor
	grad      gradAcc
	spikes    int64       // relay populations: nonzero outputs of the last forward
	affAdd    int         // 1 + the dynamic projection whose deferred batch-norm forwardStage applies with AffineAdd; 0: none
	fz        *fusedStage // evaluation-mode fused forward (fused.go), set up on first use
}

// segment is a list of stages in topological order reading from one entry
// population (the input for a whole network, the block input for a block).
type segment struct {
	g      *ir.Graph
	env    *Env
	entry  *ir.Population
	stages []*stage
	byPop  map[*ir.Population]*stage

	entryOut  *nn.Tensor
	entryGrad gradAcc
	zero      nn.Tensor
	eval      bool // set by setTraining(false); read by the fused paths (fused*.go)
	stepRuns  int  // stage backward passes taken step by step (backwardStageSteps), for tests
}

// buildSegment builds the stages of pops (in graph order) of g. Every
// projection into them must come from one of them or from entry.
func buildSegment(g *ir.Graph, entry *ir.Population, pops []*ir.Population, nm *namer, rng *rand.Rand, env *Env) (*segment, error) {
	s := &segment{g: g, env: env, entry: entry, byPop: map[*ir.Population]*stage{}}
	for _, p := range pops {
		st, err := s.buildStage(p, nm, rng)
		if err != nil {
			return nil, err
		}
		s.stages = append(s.stages, st)
		s.byPop[p] = st
	}
	return s, nil
}

func (s *segment) buildStage(p *ir.Population, nm *namer, rng *rand.Rand) (*stage, error) {
	g, env := s.g, s.env
	in := g.In(p)
	if len(in) == 0 {
		return nil, fmt.Errorf("train: population %s has no incoming projection", p.Name)
	}
	st := &stage{pop: p, name: nm.neuronName(p)}
	input := g.Pops[0]
	for _, e := range in {
		if e.Src != s.entry && s.byPop[e.Src] == nil {
			return nil, fmt.Errorf("train: projection %s comes from %s, which is neither built before %s nor the entry %s", e.Name, e.Src.Name, p.Name, s.entry.Name)
		}
		m := &projMod{e: e, static: e.Src == input && s.entry == input && g.Encoding == ir.Direct}
		opName, bnName := nm.projName(e)
		if e.Op != ir.Identity {
			if _, err := nm.claim(opName, "projection "+e.Name); err != nil {
				return nil, err
			}
		}
		switch e.Op {
		case ir.Conv2D:
			if e.Kernel < 1 || e.Stride < 1 || e.Pad < 0 {
				return nil, fmt.Errorf("train: projection %s: kernel %d stride %d pad %d, want kernel, stride >= 1 and pad >= 0", e.Name, e.Kernel, e.Stride, e.Pad)
			}
			m.conv = nn.NewConv2d(opName, e.Src.Shape.C, p.Shape.C, e.Kernel, e.Stride, e.Pad, rng, env.WS)
			m.conv.NoInputGrad = e.Src == input
			if e.Stride == 1 && spikeSource(g, e.Src) && !env.DenseConv {
				sc := newSpikeConv(m.conv, env.WS)
				sc.pool = env.Workers
				if src := s.byPop[e.Src]; src != nil && src.neuron != nil {
					// The source neurons list their spikes for it.
					if src.neuron.Events == nil {
						src.neuron.Events = &nn.EventList{}
					}
					sc.src = src.neuron.Events
				} else if src != nil && len(src.projs) == 1 && src.projs[0].maxp != nil {
					// So does a max-pool over spikes (spikeSource).
					mp := src.projs[0].maxp
					if mp.Events == nil {
						mp.Events = &nn.EventList{}
					}
					sc.src = mp.Events
				}
				m.layers = append(m.layers, sc)
			} else {
				m.layers = append(m.layers, m.conv)
			}
		case ir.Dense:
			m.lin = nn.NewLinear(opName, e.Src.Shape.Len(), p.Shape.Len(), rng, env.WS)
			m.lin.NoInputGrad = e.Src == input
			m.layers = append(m.layers, m.lin)
		case ir.MaxPool, ir.AvgPool:
			if e.Pad != 0 || e.Kernel < 1 || e.Stride < 1 {
				return nil, fmt.Errorf("train: projection %s: %v with kernel %d stride %d pad %d, want pad 0 (padded pooling is not trainable here)", e.Name, e.Op, e.Kernel, e.Stride, e.Pad)
			}
			if e.Op == ir.MaxPool {
				if e.Kernel > 16 {
					return nil, fmt.Errorf("train: projection %s: max-pool kernel %d, want <= 16", e.Name, e.Kernel)
				}
				m.maxp = nn.NewMaxPool2d(opName, e.Kernel, e.Stride)
				m.maxp.Workers = env.Workers
				m.layers = append(m.layers, m.maxp)
			} else {
				m.avgp = nn.NewAvgPool2d(opName, e.Kernel, e.Stride)
				m.layers = append(m.layers, m.avgp)
			}
		case ir.Identity:
		default:
			return nil, fmt.Errorf("train: projection %s: op %v is a compiler op and cannot be trained (train before the lower-ops pass)", e.Name, e.Op)
		}
		if e.BN != nil {
			if !e.Op.HasWeights() {
				return nil, fmt.Errorf("train: projection %s: batch-norm on a %v projection", e.Name, e.Op)
			}
			if _, err := nm.claim(bnName, "batch-norm of "+e.Name); err != nil {
				return nil, err
			}
			m.bn = nn.NewBatchNorm(bnName, p.Shape.C)
			m.bn.Workers = env.Workers
			if e.BN.Eps > 0 && float32(m.bn.Eps) != e.BN.Eps {
				m.bn.Eps = float64(e.BN.Eps)
			}
			m.layers = append(m.layers, m.bn)
		}
		st.projs = append(st.projs, m)
		if m.static {
			st.static = append(st.static, m)
		} else {
			st.dynamic = append(st.dynamic, m)
		}
	}
	if len(st.static) > 0 {
		st.repeat = nn.NewRepeat(p.Name+".encode", g.T)
		st.repeat.Workers = env.Workers
	}
	if p.Bias != nil {
		if len(p.Bias) != p.Shape.C {
			return nil, fmt.Errorf("train: population %s: bias has %d values, want %d", p.Name, len(p.Bias), p.Shape.C)
		}
		st.bias = append([]float32(nil), p.Bias...)
	}
	nr := p.Neuron
	if nr.Model.Spiking() && nr.Reset != 0 {
		return nil, fmt.Errorf("train: population %s: reset potential %v, want 0 (the training engine implements the reference's hard reset to 0)", p.Name, nr.Reset)
	}
	switch nr.Model {
	case ir.PLIF, ir.LIF, ir.IF:
		if _, err := nm.claim(st.name, "neurons of "+p.Name); err != nil {
			return nil, err
		}
		switch nr.Model {
		case ir.PLIF:
			st.neuron = nn.NewPLIF(st.name)
			st.neuron.W.Data[0] = nr.W
		case ir.LIF:
			if !(nr.Tau > 1) {
				return nil, fmt.Errorf("train: population %s: LIF tau %v, want > 1", p.Name, nr.Tau)
			}
			st.neuron = nn.NewNeuron(st.name, nn.LIF, float64(nr.Tau))
		default:
			st.neuron = nn.NewNeuron(st.name, nn.IF, 0)
		}
		if nr.Threshold > 0 {
			st.neuron.VTh = nr.Threshold
		}
		st.neuron.Workers = env.Workers
	case ir.ReLU:
		st.relu = nn.NewReLU(st.name)
	case ir.Relay:
		if len(in) > 1 {
			for _, e := range in {
				if e.Op == ir.MaxPool {
					return nil, fmt.Errorf("train: population %s: a max-pool relay must have exactly one input, got %d", p.Name, len(in))
				}
			}
		}
	case ir.LI, ir.CubaLIF:
		return nil, fmt.Errorf("train: population %s: the training engine has no %v neurons (it trains plif, lif and if); evaluate the graph instead (autosnn eval)", p.Name, nr.Model)
	default:
		return nil, fmt.Errorf("train: population %s: model %v is only valid for the first population", p.Name, nr.Model)
	}
	// A lone projection ending in a batch-norm, into spiking neurons: the
	// neurons apply the batch-norm's affine map as they read its input
	// (BatchNorm.Defer), so the normalised tensor is never written.
	if st.neuron != nil && len(st.static) == 0 && len(st.dynamic) == 1 && st.bias == nil {
		if m := st.dynamic[0]; m.bn != nil {
			m.bn.Defer = true
			st.neuron.In = m.bn
		}
	}
	// Two projections, one ending in a batch-norm (a residual block): the
	// batch-norm defers its map and the stage applies it while adding the
	// other projection (BatchNorm.AffineAdd), one pass instead of two.
	if len(st.static) == 0 && len(st.dynamic) == 2 && st.bias == nil {
		for i, m := range st.dynamic {
			if m.bn != nil {
				m.bn.Defer = true
				st.affAdd = i + 1
				break
			}
		}
	}
	return st, nil
}

// output returns the current output tensor of population p.
func (s *segment) output(p *ir.Population) *nn.Tensor {
	if p == s.entry {
		return s.entryOut
	}
	return s.byPop[p].out
}

// gradOf returns the gradient accumulator of population p.
func (s *segment) gradOf(p *ir.Population) *gradAcc {
	if p == s.entry {
		return &s.entryGrad
	}
	return &s.byPop[p].grad
}

// sumInto returns the sum of ts, using dst as the buffer unless ts holds one
// tensor and no copy is needed.
func sumInto(dst *nn.Tensor, ts []*nn.Tensor, forceCopy bool, w *nn.Workers) *nn.Tensor {
	if len(ts) == 1 && !forceCopy {
		return ts[0]
	}
	dst.Shape = append(dst.Shape[:0], ts[0].Shape...)
	dst.Data = grow(dst.Data, len(ts[0].Data))
	var srcs [4][]float32
	ss := srcs[:0]
	for _, t := range ts {
		ss = append(ss, t.Data)
	}
	w.Add(dst.Data, ss...)
	return dst
}

// forward runs the segment on x, the output of the entry population.
func (s *segment) forward(x *nn.Tensor) (*nn.Tensor, error) {
	s.entryOut = x
	for _, st := range s.stages {
		if err := s.forwardStage(st); err != nil {
			return nil, err
		}
	}
	return s.stages[len(s.stages)-1].out, nil
}

func (s *segment) forwardStage(st *stage) error {
	if s.forwardFused(st) {
		return nil
	}
	var outs [4]*nn.Tensor
	var cur *nn.Tensor
	if len(st.static) > 0 {
		so := outs[:0]
		for _, m := range st.static {
			y, err := m.forward(s.output(m.e.Src))
			if err != nil {
				return err
			}
			so = append(so, y)
		}
		r, err := st.repeat.Forward(sumInto(&st.ssum, so, false, s.env.Workers))
		if err != nil {
			return err
		}
		cur = r
	}
	do := outs[:0]
	if cur != nil {
		do = append(do, cur)
	}
	for _, m := range st.dynamic {
		y, err := m.forward(s.output(m.e.Src))
		if err != nil {
			return err
		}
		if len(do) > 0 && len(y.Data) != len(do[0].Data) {
			return fmt.Errorf("train: population %s: projection %s gives %v, want %d values like %v", st.pop.Name, m.e.Name, y.Shape, len(do[0].Data), do[0].Shape)
		}
		do = append(do, y)
	}
	if st.affAdd > 0 {
		// do holds the two dynamic projections, one of them the raw
		// input of its deferred batch-norm: sum = map(that) + other
		// (addition commutes, so the bits of the two-pass sum).
		i := st.affAdd - 1
		st.sum.Shape = append(st.sum.Shape[:0], do[i].Shape...)
		st.sum.Data = grow(st.sum.Data, len(do[i].Data))
		if err := st.dynamic[i].bn.AffineAdd(st.sum.Data, do[1-i].Data); err != nil {
			return err
		}
		cur = &st.sum
	} else {
		cur = sumInto(&st.sum, do, st.bias != nil, s.env.Workers)
	}
	if st.bias != nil {
		addBias(cur, st.bias)
	}
	// The screen of the input current is a pass over it, skipped where
	// the neurons' deferred batch-norm has just summed every value of it
	// into finite statistics (BatchNorm.StatsFinite).
	if s.env.CheckFinite && (st.neuron == nil || st.neuron.In == nil || !st.neuron.In.StatsFinite(cur)) {
		if err := s.env.Workers.CheckFinite(st.name, s.env.Step, "input current", cur.Data); err != nil {
			return err
		}
	}
	st.cur = cur
	var err error
	switch {
	case st.neuron != nil:
		st.out, err = st.neuron.Forward(cur)
	case st.relu != nil:
		st.out, err = st.relu.Forward(cur)
	default:
		st.out = cur
		if len(st.projs) == 1 && st.projs[0].maxp != nil {
			st.spikes = st.projs[0].maxp.Spikes()
		} else {
			var n int64
			for _, v := range cur.Data {
				if v != 0 {
					n++
				}
			}
			st.spikes = n
		}
	}
	return err
}

// spikeSource reports whether population p outputs spikes: spiking
// neurons, or a relay fed by a max-pool over spikes.
func spikeSource(g *ir.Graph, p *ir.Population) bool {
	if p.Neuron.Model.Spiking() {
		return true
	}
	if p.Neuron.Model != ir.Relay {
		return false
	}
	in := g.In(p)
	return len(in) == 1 && in[0].Op == ir.MaxPool && spikeSource(g, in[0].Src)
}

// addBias adds a per-channel bias to x ([T, N, C, ...]).
func addBias(x *nn.Tensor, bias []float32) {
	c := len(bias)
	inner := 1
	for _, d := range x.Shape[3:] {
		inner *= d
	}
	for off := 0; off < len(x.Data); off += c * inner {
		for ch, b := range bias {
			row := x.Data[off+ch*inner : off+(ch+1)*inner]
			for i := range row {
				row[i] += b
			}
		}
	}
}

// layers returns every layer of the segment in build order.
func (s *segment) layers() []nn.Layer {
	var out []nn.Layer
	for _, st := range s.stages {
		for _, m := range st.projs {
			out = append(out, m.layers...)
		}
		switch {
		case st.neuron != nil:
			out = append(out, st.neuron)
		case st.relu != nil:
			out = append(out, st.relu)
		}
	}
	return out
}

// params returns the learnable parameters in build order.
func (s *segment) params() []*nn.Param {
	var out []*nn.Param
	for _, l := range s.layers() {
		out = append(out, l.Params()...)
	}
	return out
}

// buffers returns the batch-norm running statistics in build order.
func (s *segment) buffers() []*nn.Param {
	var out []*nn.Param
	for _, l := range s.layers() {
		if b, ok := l.(nn.Buffered); ok {
			out = append(out, b.Buffers()...)
		}
	}
	return out
}

func (s *segment) setTraining(training bool) {
	s.eval = !training
	for _, l := range s.layers() {
		l.SetTraining(training)
	}
}

// popSpikes returns the spikes (nonzero outputs for relays) of a stage's
// last forward, summed over steps and batch.
func (st *stage) popSpikes() int64 {
	switch {
	case st.neuron != nil:
		return st.neuron.Spikes()
	case st.relu != nil:
		return 0
	}
	return st.spikes
}
