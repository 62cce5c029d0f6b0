package ir

import (
	"fmt"
	"math"
)

// Executor runs a trained graph in inference mode (batch-norm with running
// statistics) in float32, one input at a time. It is the reference
// definition of what a graph computes; it favours clarity over speed but is
// event-driven (a zero source value costs nothing), so it runs spiking
// networks of the paper's size in well under a second per image.
//
// Within a timestep, populations are updated in graph order and a
// population sees the outputs its sources produced in the same timestep.
type Executor struct {
	g     *Graph
	index map[*Population]int
	in    [][]*Projection // incoming projections per population
	out   [][]float32     // output of each population at the current step
	v     [][]float32     // membrane potential of spiking populations
	syn   [][]float32     // synaptic current of CubaLIF populations (nil for others)
	cur   []float32       // scratch: input current
	tmp   []float32       // scratch: one projection's output
	wt    []float32       // scratch: conv weights transposed to (C_in, K, K, C_out)
	acc   []float32       // scratch: conv output in H,W,C order
	// direct caches, per projection from the input under Direct encoding,
	// its output, which does not change across timesteps.
	direct map[*Projection][]float32
}

// NewExecutor prepares an executor for g. It fails if g does not verify or
// is untrained.
func NewExecutor(g *Graph) (*Executor, error) {
	if err := Verify(g); err != nil {
		return nil, fmt.Errorf("ir: executor: %w", err)
	}
	for _, e := range g.Projs {
		if e.Op.HasWeights() && e.Weights == nil {
			return nil, fmt.Errorf("ir: executor: projection %s has no weights (graph %s is untrained)", e.Name, g.Name)
		}
		if e.BN != nil && e.BN.Gamma == nil {
			return nil, fmt.Errorf("ir: executor: projection %s has an untrained batch-norm", e.Name)
		}
	}
	x := &Executor{g: g, index: make(map[*Population]int), direct: make(map[*Projection][]float32)}
	max := 0
	for i, p := range g.Pops {
		x.index[p] = i
		n := p.Shape.Len()
		x.out = append(x.out, make([]float32, n))
		var v []float32
		if p.Neuron.Model.Spiking() || p.Neuron.Model == LI {
			v = make([]float32, n)
		}
		x.v = append(x.v, v)
		var syn []float32
		if p.Neuron.Model == CubaLIF {
			syn = make([]float32, n)
		}
		x.syn = append(x.syn, syn)
		x.in = append(x.in, g.In(p))
		if n > max {
			max = n
		}
	}
	x.cur = make([]float32, max)
	x.tmp = make([]float32, max)
	return x, nil
}

// StepFunc observes the output of population p (index into Graph.Pops) at
// timestep t. out must not be retained or modified.
type StepFunc func(t, p int, out []float32)

// Result is what one inference produced.
type Result struct {
	// Spikes[p] is the number of nonzero outputs of population p summed
	// over all timesteps: spikes for spiking populations, pooled spikes for
	// relay populations fed by spikes. It is 0 for input and ReLU
	// populations.
	Spikes []int
	// Counter is, per class, the sum over timesteps of the voting layer's
	// output (the mean of each group of Vote output neurons).
	Counter []float32
}

// Predict returns the class with the largest counter (the first on ties).
func (r Result) Predict() int {
	best := 0
	for i, v := range r.Counter {
		if v > r.Counter[best] {
			best = i
		}
	}
	return best
}

// Run runs one input and returns its result; obs, if not nil, sees every
// population's output at every step. input has the input population's
// length for Direct encoding and T times that for Frames (time-major).
func (x *Executor) Run(input []float32, obs StepFunc) (Result, error) {
	g := x.g
	n := g.Input().Shape.Len()
	want := n
	if g.Encoding == Frames {
		want = g.T * n
	}
	if len(input) != want {
		return Result{}, fmt.Errorf("ir: run %s: input has %d values, want %d", g.Name, len(input), want)
	}
	for _, v := range x.v {
		clear(v)
	}
	for _, v := range x.syn {
		clear(v)
	}
	clear(x.direct)
	res := Result{Spikes: make([]int, len(g.Pops)), Counter: make([]float32, g.Classes)}
	for t := 0; t < g.T; t++ {
		if g.Encoding == Frames {
			copy(x.out[0], input[t*n:(t+1)*n])
		} else {
			copy(x.out[0], input)
		}
		if obs != nil {
			obs(t, 0, x.out[0])
		}
		for i := 1; i < len(g.Pops); i++ {
			x.step(i)
			if obs != nil {
				obs(t, i, x.out[i])
			}
			if m := g.Pops[i].Neuron.Model; m.Spiking() || m == Relay {
				for _, v := range x.out[i] {
					if v != 0 {
						res.Spikes[i]++
					}
				}
			}
		}
		out := x.out[len(g.Pops)-1]
		for c := range res.Counter {
			var s float32
			for _, v := range out[c*g.Vote : (c+1)*g.Vote] {
				s += v
			}
			res.Counter[c] += s / float32(g.Vote)
		}
	}
	for _, v := range res.Counter {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return res, fmt.Errorf("ir: run %s: output is not finite", g.Name)
		}
	}
	return res, nil
}

// step computes the input current of population i and updates it.
func (x *Executor) step(i int) {
	p := x.g.Pops[i]
	n := p.Shape.Len()
	cur := x.cur[:n]
	clear(cur)
	if p.Bias != nil {
		hw := p.Shape.H * p.Shape.W
		for c, b := range p.Bias {
			for j := c * hw; j < (c+1)*hw; j++ {
				cur[j] = b
			}
		}
	}
	for _, e := range x.in[i] {
		src := x.out[x.index[e.Src]]
		if x.g.Encoding == Direct && e.Src == x.g.Pops[0] {
			c, ok := x.direct[e]
			if !ok {
				c = make([]float32, n)
				x.apply(e, src, c)
				x.direct[e] = c
			}
			addTo(cur, c)
			continue
		}
		if e.Op == MaxPool {
			// Max is not additive: a relay has exactly one input.
			maxPool(e, src, cur)
			continue
		}
		tmp := x.tmp[:n]
		x.apply(e, src, tmp)
		addTo(cur, tmp)
	}
	out := x.out[i]
	nr := p.Neuron
	switch nr.Model {
	case PLIF, LIF:
		k := nr.K()
		v := x.v[i]
		for j, xj := range cur {
			h := v[j] + (xj-(v[j]-nr.Reset))*k
			fire(h, nr, &v[j], &out[j])
		}
	case IF:
		v := x.v[i]
		for j, xj := range cur {
			fire(v[j]+xj, nr, &v[j], &out[j])
		}
	case CubaLIF:
		k, ks := nr.K(), nr.KSyn()
		v, syn := x.v[i], x.syn[i]
		for j, xj := range cur {
			syn[j] += (xj - syn[j]) * ks
			h := v[j] + (syn[j]-(v[j]-nr.Reset))*k
			fire(h, nr, &v[j], &out[j])
		}
	case ReLU:
		for j, xj := range cur {
			out[j] = max(xj, 0)
		}
	case LI:
		k := nr.K()
		v := x.v[i]
		for j, xj := range cur {
			v[j] += (xj - v[j]) * k
			out[j] = v[j]
		}
	default: // Relay
		copy(out, cur)
	}
}

func fire(h float32, n Neuron, v, s *float32) {
	if h-n.Threshold >= 0 {
		*s, *v = 1, n.Reset
	} else {
		*s, *v = 0, h
	}
}

func addTo(dst, src []float32) {
	for j, v := range src {
		dst[j] += v
	}
}

// apply writes the output of projection e for source values src into dst
// (overwriting it), including its batch-norm.
func (x *Executor) apply(e *Projection, src, dst []float32) {
	clear(dst)
	s, d := e.Src.Shape, e.Dst.Shape
	switch e.Op {
	case Conv2D:
		// Accumulate in H,W,C order with the weights transposed to
		// (C_in, K, K, C_out), so one source's contribution to every
		// output channel is a contiguous run. Each output still receives
		// its terms in source order (C,H,W), so the sums are the same as a
		// direct C,H,W accumulation, bit for bit.
		k := e.Kernel
		rows, cols := e.Rows(), e.Cols()
		wt := grow(&x.wt, s.C*k*k*d.C)
		for co := 0; co < d.C; co++ {
			for ci := 0; ci < s.C; ci++ {
				for kk := 0; kk < k*k; kk++ {
					wt[(ci*k*k+kk)*d.C+co] = e.Weights[(co*s.C+ci)*k*k+kk]
				}
			}
		}
		acc := grow(&x.acc, d.Len())
		clear(acc)
		for ci := 0; ci < s.C; ci++ {
			for ih := 0; ih < s.H; ih++ {
				for iw := 0; iw < s.W; iw++ {
					v := src[(ci*s.H+ih)*s.W+iw]
					if v == 0 {
						continue
					}
					for kh := 0; kh < k; kh++ {
						oh, ok := rows.OutAt(ih, kh)
						if !ok {
							continue
						}
						for kw := 0; kw < k; kw++ {
							ow, ok := cols.OutAt(iw, kw)
							if !ok {
								continue
							}
							a := acc[(oh*d.W+ow)*d.C:][:d.C]
							wr := wt[((ci*k+kh)*k+kw)*d.C:][:d.C]
							for co, w := range wr {
								a[co] += v * w
							}
						}
					}
				}
			}
		}
		for co := 0; co < d.C; co++ {
			for j := 0; j < d.H*d.W; j++ {
				dst[co*d.H*d.W+j] = acc[j*d.C+co]
			}
		}
	case Dense:
		in := s.Len()
		for i, v := range src {
			if v == 0 {
				continue
			}
			for o := range dst {
				dst[o] += v * e.Weights[o*in+i]
			}
		}
	case AvgPool, SumPool:
		k := e.Kernel
		rows, cols := e.Rows(), e.Cols()
		inv := 1 / float32(k*k)
		if e.Op == SumPool {
			inv = 1
		}
		for c := 0; c < d.C; c++ {
			for oh := 0; oh < d.H; oh++ {
				for ow := 0; ow < d.W; ow++ {
					var sum float32
					for kh := 0; kh < k; kh++ {
						ih, ok := rows.InAt(oh, kh)
						if !ok {
							continue
						}
						for kw := 0; kw < k; kw++ {
							if iw, ok := cols.InAt(ow, kw); ok {
								sum += src[(c*s.H+ih)*s.W+iw]
							}
						}
					}
					dst[(c*d.H+oh)*d.W+ow] = sum * inv
				}
			}
		}
	case MaxPool:
		maxPool(e, src, dst)
	case Identity:
		copy(dst, src)
	}
	if bn := e.BN; bn != nil {
		per := d.H * d.W
		if e.Op == Dense {
			per = 1
		}
		for c := range bn.Gamma {
			scale := bn.Gamma[c] / float32(math.Sqrt(float64(bn.Var[c]+bn.Eps)))
			for j := c * per; j < (c+1)*per; j++ {
				dst[j] = (dst[j]-bn.Mean[c])*scale + bn.Beta[c]
			}
		}
	}
}

// grow returns (*buf)[:n], reallocating *buf when it is shorter.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

func maxPool(e *Projection, src, dst []float32) {
	s, d := e.Src.Shape, e.Dst.Shape
	k := e.Kernel
	rows, cols := e.Rows(), e.Cols()
	for c := 0; c < d.C; c++ {
		for oh := 0; oh < d.H; oh++ {
			for ow := 0; ow < d.W; ow++ {
				m := float32(math.Inf(-1))
				for kh := 0; kh < k; kh++ {
					ih, ok := rows.InAt(oh, kh)
					if !ok {
						continue
					}
					for kw := 0; kw < k; kw++ {
						if iw, ok := cols.InAt(ow, kw); ok {
							m = max(m, src[(c*s.H+ih)*s.W+iw])
						}
					}
				}
				dst[(c*d.H+oh)*d.W+ow] = m
			}
		}
	}
}

// SpikeMetrics returns the two spike counts of one inference, from
// per-population totals such as Result.Spikes. paper is the AutoSNN paper's
// metric: spikes of every spiking population plus the outputs of every
// relay (max-pool) population fed by spikes, so pooled spikes count again.
// neuron counts each spiking neuron's spikes once, as hardware sees them.
func SpikeMetrics(g *Graph, spikes []int) (paper, neuron int) {
	for i, p := range g.Pops {
		switch m := p.Neuron.Model; {
		case m.Spiking():
			paper += spikes[i]
			neuron += spikes[i]
		case m == Relay && g.In(p)[0].Src.Neuron.Model.Spiking():
			paper += spikes[i]
		}
	}
	return paper, neuron
}
