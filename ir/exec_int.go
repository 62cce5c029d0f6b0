package ir

import (
	"fmt"
	"math"
)

// IntExecutor runs a quantized graph with the integer semantics stated in
// quant.go, one input at a time. It is the reference the chip simulator
// must match spike for spike: every choice it makes is written there or in
// the doc comments below.
//
// Like Executor it updates populations in graph order within a timestep
// and a population sees the spikes its sources emitted in the same
// timestep. It is event-driven (only sources that spiked are visited) and,
// after the first Run, allocates nothing per timestep.
//
// Choices the semantics leave to the implementation, fixed here:
//   - The host current of a population is computed by the float executor's
//     projection code (Executor.apply): each host projection's float32
//     output is added, in graph order, into a float32 sum starting at 0;
//     the float32 product sum*Scale is rounded half away from zero and
//     clamped to the int32 range.
//   - The input current X of neuron j is host current + synaptic sum +
//     Bias[channel], summed in int64, then saturated to [VMin, VMax].
//   - Result.Counter is accumulated exactly as Executor.Run does, in
//     float32, from the output population's 0/1 spikes.
type IntExecutor struct {
	g    *Graph
	pops []intPop
	acc  []int64   // scratch: synaptic input of the population being updated, in H,W,C order
	fcur []float32 // scratch: float host current
	ftmp []float32 // scratch: one host projection's float output
	fx   *Executor // float projection code for host projections
}

type intPop struct {
	p     *Population
	q     *PopQuant
	leaky bool
	// readout: an LI output population, which never fires; out is V/Scale.
	readout bool
	host    []*Projection // projections from the input (computed in float)
	syn     []intProj     // all other projections into the population
	hostI   []int32       // host current per neuron, nil without host projections
	v       []int32       // membrane potential
	cur     []int32       // CubaLIF synaptic current (nil for other models)
	out     []float32     // 0/1 spikes of the current step (input: the frame)
	fired   []int32       // indices of neurons that spiked this step
}

// intProj is a synaptic projection prepared for scattering into an H,W,C
// ordered accumulator: Conv2D weights are stored [Cin][K][K][Cout] and
// Dense weights [In][Out] with Out in H,W,C order, so that the synapses of
// one source neuron to all output channels are contiguous.
type intProj struct {
	e   *Projection
	src int // index of the source population
	w   []int32
}

// hwc returns the H,W,C-order index of the C,H,W-order index j of shape s.
func hwc(s Shape, j int) int {
	hw := s.H * s.W
	return (j%hw)*s.C + j/hw
}

// scatterWeights returns e's integer weights in the layout of intProj.
func scatterWeights(e *Projection) []int32 {
	w := e.Q.Weights
	s, d := e.Src.Shape, e.Dst.Shape
	switch e.Op {
	case Conv2D:
		k := e.Kernel
		t := make([]int32, len(w))
		for co := 0; co < d.C; co++ {
			for r := 0; r < s.C*k*k; r++ { // r = (ci*k+kh)*k+kw
				t[r*d.C+co] = w[co*s.C*k*k+r]
			}
		}
		return t
	case Dense:
		in, out := s.Len(), d.Len()
		t := make([]int32, len(w))
		for o := 0; o < out; o++ {
			h := hwc(d, o)
			for i := 0; i < in; i++ {
				t[i*out+h] = w[o*in+i]
			}
		}
		return t
	}
	return w
}

// NewIntExecutor prepares an integer executor for g. It fails, naming the
// node, if g does not verify, if a non-input population is not a spiking
// population (PLIF, LIF, IF, CubaLIF) or the LI output, or has no PopQuant, if a projection has no
// ProjQuant, is a MaxPool (lower-ops removes them) or still carries a
// batch-norm (fold-bn removes them), or if a host projection lacks its
// float weights.
func NewIntExecutor(g *Graph) (*IntExecutor, error) {
	if err := Verify(g); err != nil {
		return nil, fmt.Errorf("ir: integer executor: %w", err)
	}
	x := &IntExecutor{g: g, fx: &Executor{g: g}}
	index := make(map[*Population]int, len(g.Pops))
	maxN := 0
	for i, p := range g.Pops {
		index[p] = i
		n := p.Shape.Len()
		maxN = max(maxN, n)
		ip := intPop{p: p, out: make([]float32, n)}
		if i > 0 {
			readout := p.Neuron.Model == LI && i == len(g.Pops)-1
			if !p.Neuron.Model.Spiking() && !readout {
				return nil, fmt.Errorf("ir: integer executor: population %s is %v, want a spiking population (plif, lif, if, cuba_lif) or an li output read out by its membrane", p.Name, p.Neuron.Model)
			}
			ip.readout = readout
			if p.Q == nil {
				return nil, fmt.Errorf("ir: integer executor: population %s is not quantized", p.Name)
			}
			ip.q = p.Q
			ip.leaky = p.Neuron.Model != IF
			ip.v = make([]int32, n)
			if p.Neuron.Model == CubaLIF {
				if p.Q.SynDecay <= 0 {
					return nil, fmt.Errorf("ir: integer executor: cuba_lif population %s has synaptic decay %d, want > 0 (quantized for a chip with cuba_lif neurons)", p.Name, p.Q.SynDecay)
				}
				ip.cur = make([]int32, n)
			}
			ip.fired = make([]int32, 0, n)
		}
		x.pops = append(x.pops, ip)
	}
	for _, e := range g.Projs {
		switch {
		case e.Q == nil:
			return nil, fmt.Errorf("ir: integer executor: projection %s is not quantized", e.Name)
		case e.Op == MaxPool:
			return nil, fmt.Errorf("ir: integer executor: projection %s is a max-pool, which has no integer form (run lower-ops)", e.Name)
		case e.BN != nil:
			return nil, fmt.Errorf("ir: integer executor: projection %s carries a batch-norm (run fold-bn)", e.Name)
		}
		d := &x.pops[index[e.Dst]]
		if e.Q.Host {
			if e.Op.HasWeights() && e.Weights == nil {
				return nil, fmt.Errorf("ir: integer executor: host projection %s has no float weights", e.Name)
			}
			d.host = append(d.host, e)
			if d.hostI == nil {
				d.hostI = make([]int32, e.Dst.Shape.Len())
			}
			continue
		}
		d.syn = append(d.syn, intProj{e: e, src: index[e.Src], w: scatterWeights(e)})
	}
	x.acc = make([]int64, maxN)
	x.fcur = make([]float32, maxN)
	x.ftmp = make([]float32, maxN)
	return x, nil
}

// HostCurrent writes into dst (length of population p) the integer input
// current that the host injects into population p (an index into
// Graph.Pops) for one input frame (the input population's length), as
// defined in quant.go. It is all zeros for a population without host
// projections. The simulator uses it to drive a chip exactly as the
// reference does.
func (x *IntExecutor) HostCurrent(p int, frame []float32, dst []int32) error {
	if p <= 0 || p >= len(x.pops) {
		return fmt.Errorf("ir: host current: population index %d, want 1..%d", p, len(x.pops)-1)
	}
	if n := x.g.Input().Shape.Len(); len(frame) != n {
		return fmt.Errorf("ir: host current: frame has %d values, want %d", len(frame), n)
	}
	if n := x.pops[p].p.Shape.Len(); len(dst) != n {
		return fmt.Errorf("ir: host current: destination has %d values, want %d (population %s)", len(dst), n, x.pops[p].p.Name)
	}
	return x.hostCurrent(&x.pops[p], frame, dst)
}

func (x *IntExecutor) hostCurrent(ip *intPop, frame []float32, dst []int32) error {
	n := ip.p.Shape.Len()
	if len(ip.host) == 0 {
		clear(dst)
		return nil
	}
	cur, tmp := x.fcur[:n], x.ftmp[:n]
	clear(cur)
	for _, e := range ip.host {
		x.fx.apply(e, frame, tmp)
		addTo(cur, tmp)
	}
	s := ip.q.Scale
	for j, c := range cur {
		r := math.Round(float64(c * s))
		if math.IsNaN(r) {
			return fmt.Errorf("ir: population %s neuron %d: host current is not a number (non-finite input?)", ip.p.Name, j)
		}
		dst[j] = int32(min(max(r, math.MinInt32), math.MaxInt32))
	}
	return nil
}

// Membrane returns the membrane potentials of population p (an index into
// Graph.Pops; nil for the input) as they stand: inside a StepFunc called
// for population p at step t, the values after that step's update. The
// slice is live and must not be modified.
func (x *IntExecutor) Membrane(p int) []int32 { return x.pops[p].v }

// Run runs one input and returns its result, like Executor.Run: input has
// the input population's length for Direct encoding and T times that for
// Frames (time-major). obs, if not nil, sees every population's output at
// every step: the input frame for the input population and 0/1 spikes for
// the others.
func (x *IntExecutor) Run(input []float32, obs StepFunc) (Result, error) {
	g := x.g
	n := g.Input().Shape.Len()
	want := n
	if g.Encoding == Frames {
		want = g.T * n
	}
	if len(input) != want {
		return Result{}, fmt.Errorf("ir: run %s: input has %d values, want %d", g.Name, len(input), want)
	}
	for i := 1; i < len(x.pops); i++ {
		clear(x.pops[i].v)
		clear(x.pops[i].cur)
	}
	res := Result{Spikes: make([]int, len(g.Pops)), Counter: make([]float32, g.Classes)}
	in := &x.pops[0]
	for t := 0; t < g.T; t++ {
		frame := input
		if g.Encoding == Frames {
			frame = input[t*n : (t+1)*n]
		}
		copy(in.out, frame)
		if obs != nil {
			obs(t, 0, in.out)
		}
		for i := 1; i < len(x.pops); i++ {
			ip := &x.pops[i]
			if ip.hostI != nil && (t == 0 || g.Encoding == Frames) {
				if err := x.hostCurrent(ip, frame, ip.hostI); err != nil {
					return Result{}, fmt.Errorf("ir: run %s: step %d: %w", g.Name, t, err)
				}
			}
			x.step(ip)
			res.Spikes[i] += len(ip.fired)
			if obs != nil {
				obs(t, i, ip.out)
			}
		}
		out := x.pops[len(x.pops)-1].out
		for c := range res.Counter {
			var s float32
			for _, v := range out[c*g.Vote : (c+1)*g.Vote] {
				s += v
			}
			res.Counter[c] += s / float32(g.Vote)
		}
	}
	return res, nil
}

// step updates one non-input population for the current timestep.
func (x *IntExecutor) step(ip *intPop) {
	p := ip.p
	n := p.Shape.Len()
	acc := x.acc[:n]
	clear(acc)
	for i := range ip.syn {
		x.scatter(&ip.syn[i], acc)
	}
	q := ip.q
	hw := p.Shape.H * p.Shape.W
	vmin, vmax := int64(q.VMin), int64(q.VMax)
	thr, reset := int64(q.Threshold), int64(q.Reset)
	decay, bits := int64(q.Decay), q.DecayBits
	syn := int64(q.SynDecay)
	ip.fired = ip.fired[:0]
	for j := range acc {
		c, pos := j/hw, j%hw
		xj := acc[pos*p.Shape.C+c]
		if ip.hostI != nil {
			xj += int64(ip.hostI[j])
		}
		if q.Bias != nil {
			xj += int64(q.Bias[c])
		}
		xj = min(max(xj, vmin), vmax)
		if ip.cur != nil { // CubaLIF: the membrane charges from the current
			i := int64(ip.cur[j])
			xj = min(max(i+((xj-i)*syn)>>bits, vmin), vmax)
			ip.cur[j] = int32(xj)
		}
		v := int64(ip.v[j])
		var h int64
		if ip.leaky {
			h = v + ((xj-(v-reset))*decay)>>bits
		} else {
			h = v + xj
		}
		h = min(max(h, vmin), vmax)
		if ip.readout {
			ip.v[j] = int32(h)
			ip.out[j] = float32(h) / q.Scale
			continue
		}
		if h >= thr {
			ip.v[j] = int32(reset)
			ip.out[j] = 1
			ip.fired = append(ip.fired, int32(j))
		} else {
			ip.v[j] = int32(h)
			ip.out[j] = 0
		}
	}
}

// scatter adds the synaptic input of projection sp, from the spikes its
// source emitted this step, into acc (H,W,C order). It visits the synapses
// of SynapsesFrom (the window geometry of Rows and Cols), but a conv tap's
// output channels at once, from the channel-contiguous weights of intProj.
func (x *IntExecutor) scatter(sp *intProj, acc []int64) {
	e := sp.e
	fired := x.pops[sp.src].fired
	if len(fired) == 0 {
		return
	}
	s, d := e.Src.Shape, e.Dst.Shape
	rows, cols := e.Rows(), e.Cols()
	w := sp.w
	switch e.Op {
	case Conv2D:
		k := e.Kernel
		for _, f := range fired {
			ci, rem := int(f)/(s.H*s.W), int(f)%(s.H*s.W)
			ih, iw := rem/s.W, rem%s.W
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
					wr := w[((ci*k+kh)*k+kw)*d.C:][:d.C]
					for co, v := range wr {
						a[co] += int64(v)
					}
				}
			}
		}
	case Dense:
		out := d.Len()
		for _, f := range fired {
			wr := w[int(f)*out:][:out]
			for o, v := range wr {
				acc[o] += int64(v)
			}
		}
	case AvgPool, SumPool:
		k := e.Kernel
		w0 := int64(w[0])
		for _, f := range fired {
			c, rem := int(f)/(s.H*s.W), int(f)%(s.H*s.W)
			ih, iw := rem/s.W, rem%s.W
			for kh := 0; kh < k; kh++ {
				oh, ok := rows.OutAt(ih, kh)
				if !ok {
					continue
				}
				for kw := 0; kw < k; kw++ {
					if ow, ok := cols.OutAt(iw, kw); ok {
						acc[(oh*d.W+ow)*d.C+c] += w0
					}
				}
			}
		}
	case Identity:
		w0 := int64(w[0])
		for _, f := range fired {
			acc[hwc(d, int(f))] += w0
		}
	default:
		panic(fmt.Sprintf("ir: integer executor: projection %s has op %v", e.Name, e.Op))
	}
}
