package ir

import (
	"fmt"
	"strings"
)

// VerifyError lists every invariant violation found in a graph.
type VerifyError struct {
	Graph    string
	Problems []string
}

func (e *VerifyError) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("graph %s: %s", e.Graph, e.Problems[0])
	}
	return fmt.Sprintf("graph %s: %d problems:\n\t%s", e.Graph, len(e.Problems), strings.Join(e.Problems, "\n\t"))
}

// checker collects problems the way go/ssa's sanity checker does: keep
// going after the first one so a user sees everything wrong at once.
type checker struct{ problems []string }

func (c *checker) errorf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// Verify checks every invariant of g (see the package doc) and returns a
// *VerifyError listing all violations, or nil. Each message names the
// population or projection and states what was found and what was wanted.
func Verify(g *Graph) error {
	c := &checker{}
	c.graph(g)
	if len(c.problems) == 0 {
		return nil
	}
	return &VerifyError{Graph: g.Name, Problems: c.problems}
}

func (c *checker) graph(g *Graph) {
	if g.T < 1 {
		c.errorf("timesteps T = %d, want >= 1", g.T)
	}
	if g.Classes < 1 {
		c.errorf("classes = %d, want >= 1", g.Classes)
	}
	if g.Vote < 1 {
		c.errorf("vote = %d, want >= 1", g.Vote)
	}
	if _, ok := valid(int(g.Encoding), encodingNames[:]); !ok {
		c.errorf("unknown encoding %d", int(g.Encoding))
	}
	if _, ok := valid(int(g.Loss), lossNames[:]); !ok {
		c.errorf("unknown loss %d", int(g.Loss))
	}
	if len(g.Pops) < 2 {
		c.errorf("%d populations, want an input and at least one layer", len(g.Pops))
		return
	}
	index := make(map[*Population]int, len(g.Pops))
	names := make(map[string]bool, len(g.Pops)+len(g.Projs))
	for i, p := range g.Pops {
		if p == nil {
			c.errorf("population %d is nil", i)
			return
		}
		index[p] = i
		if p.Name == "" {
			c.errorf("population %d has no name", i)
		} else if names[p.Name] {
			c.errorf("population %s: name used twice", p.Name)
		}
		names[p.Name] = true
		c.population(g, i, p)
	}
	out := g.Output()
	if want := g.Classes * g.Vote; out.Shape.Len() != want {
		c.errorf("output population %s has %d neurons, want classes %d x vote %d = %d", out.Name, out.Shape.Len(), g.Classes, g.Vote, want)
	}

	inCount := make([]int, len(g.Pops))
	outCount := make([]int, len(g.Pops))
	for i, e := range g.Projs {
		if e == nil {
			c.errorf("projection %d is nil", i)
			continue
		}
		if e.Name == "" {
			c.errorf("projection %d has no name", i)
		} else if names[e.Name] {
			c.errorf("projection %s: name used twice", e.Name)
		}
		names[e.Name] = true
		si, sok := index[e.Src]
		di, dok := index[e.Dst]
		if !sok || !dok {
			c.errorf("projection %s: source or destination is not a population of the graph", e.Name)
			continue
		}
		if si >= di {
			c.errorf("projection %s: %s -> %s goes backwards (population %d -> %d), want a feed-forward graph in topological order", e.Name, e.Src.Name, e.Dst.Name, si, di)
		}
		inCount[di]++
		outCount[si]++
		c.projection(e)
	}
	for i, p := range g.Pops {
		switch {
		case i == 0 && inCount[i] > 0:
			c.errorf("input population %s has %d incoming projections, want 0", p.Name, inCount[i])
		case i > 0 && inCount[i] == 0:
			c.errorf("population %s has no incoming projection", p.Name)
		case i < len(g.Pops)-1 && outCount[i] == 0:
			c.errorf("population %s feeds nothing (only the last population may be an output)", p.Name)
		}
		if p.Neuron.Model == Relay {
			in := g.In(p)
			if len(in) != 1 {
				c.errorf("relay population %s has %d incoming projections, want exactly 1", p.Name, len(in))
			}
		}
	}
}

func valid(i int, names []string) (string, bool) {
	if i < 0 || i >= len(names) {
		return "", false
	}
	return names[i], true
}

func (c *checker) population(g *Graph, i int, p *Population) {
	s := p.Shape
	if s.C < 1 || s.H < 1 || s.W < 1 {
		c.errorf("population %s: shape %v, want every dimension >= 1", p.Name, s)
	}
	n := p.Neuron
	if _, ok := valid(int(n.Model), modelNames[:]); !ok {
		c.errorf("population %s: unknown neuron model %d", p.Name, int(n.Model))
	}
	if (i == 0) != (n.Model == Input) {
		if i == 0 {
			c.errorf("population %s: first population has model %v, want input", p.Name, n.Model)
		} else {
			c.errorf("population %s: model input at position %d, want only the first population", p.Name, i)
		}
	}
	if (n.Model == LIF || n.Model == LI || n.Model == CubaLIF) && !(n.Tau >= 1) {
		c.errorf("population %s: %s tau %g, want >= 1", p.Name, strings.ToUpper(n.Model.String()), n.Tau)
	}
	if n.Model == CubaLIF && !(n.SynTau >= 1) {
		c.errorf("population %s: CUBA_LIF synaptic tau %g, want >= 1", p.Name, n.SynTau)
	}
	if n.Model.Spiking() && !(n.Threshold > n.Reset) {
		c.errorf("population %s: threshold %g <= reset %g, want threshold > reset", p.Name, n.Threshold, n.Reset)
	}
	if p.Bias != nil && len(p.Bias) != s.C {
		c.errorf("population %s: bias has %d values, want %d (one per channel)", p.Name, len(p.Bias), s.C)
	}
	if p.Rates != nil && len(p.Rates) != s.Len() {
		c.errorf("population %s: rates has %d values, want %d (one per neuron)", p.Name, len(p.Rates), s.Len())
	}
	if p.Core != nil && len(p.Core) != s.Len() {
		c.errorf("population %s: core assignment has %d entries, want %d (one per neuron)", p.Name, len(p.Core), s.Len())
	}
	if q := p.Q; q != nil {
		if i == 0 {
			c.errorf("population %s: the input population has integer parameters, want none", p.Name)
		}
		if q.Bias != nil && len(q.Bias) != s.C {
			c.errorf("population %s: quantized bias has %d values, want %d", p.Name, len(q.Bias), s.C)
		}
		if q.VMin > 0 || q.VMax < q.Threshold || q.Reset < q.VMin || q.Reset > q.VMax {
			c.errorf("population %s: membrane range [%d, %d] with threshold %d and reset %d, want vmin <= 0, reset in range, threshold <= vmax", p.Name, q.VMin, q.VMax, q.Threshold, q.Reset)
		}
		if q.DecayBits > 30 || q.Decay < 0 || q.Decay > 1<<q.DecayBits {
			c.errorf("population %s: decay %d with %d fraction bits, want 0 <= decay <= 2^bits and bits <= 30", p.Name, q.Decay, q.DecayBits)
		}
	}
	if _, ok := valid(int(p.Role.Kind), roleNames[:]); !ok {
		c.errorf("population %s: unknown role %d", p.Name, int(p.Role.Kind))
	}
}

func (c *checker) projection(e *Projection) {
	if _, ok := valid(int(e.Op), opNames[:]); !ok {
		c.errorf("projection %s: unknown op %d", e.Name, int(e.Op))
		return
	}
	// A dense projection may feed a population of any shape: its size is
	// fixed by the destination, so only the other ops infer a shape.
	got, err := e.Dst.Shape, error(nil)
	if e.Op != Dense {
		got, err = e.OutShape(e.Dst.Shape.C)
	}
	if err != nil {
		c.errorf("projection %s (%v %s -> %s): %v", e.Name, e.Op, e.Src.Name, e.Dst.Name, err)
		return
	}
	if got != e.Dst.Shape {
		c.errorf("projection %s (%v %s%v -> %s): produces %v, want %v (the shape of %s)", e.Name, e.Op, e.Src.Name, e.Src.Shape, e.Dst.Name, got, e.Dst.Shape, e.Dst.Name)
	}
	if e.Op == Identity && e.Src.Shape != e.Dst.Shape {
		c.errorf("projection %s: identity from %v to %v, want equal shapes", e.Name, e.Src.Shape, e.Dst.Shape)
	}
	if e.Op.HasWeights() {
		if e.Weights != nil && len(e.Weights) != e.WeightLen() {
			c.errorf("projection %s: %d weights, want %d", e.Name, len(e.Weights), e.WeightLen())
		}
	} else {
		if e.Weights != nil {
			c.errorf("projection %s: %v carries %d weights, want none", e.Name, e.Op, len(e.Weights))
		}
		if e.BN != nil {
			c.errorf("projection %s: %v carries a batch-norm, want one only on conv2d or dense", e.Name, e.Op)
		}
	}
	if bn := e.BN; bn != nil {
		want := e.Dst.Shape.C
		if e.Op == Dense {
			want = e.Dst.Shape.Len()
		}
		all := [][]float32{bn.Gamma, bn.Beta, bn.Mean, bn.Var}
		nils := 0
		for j, v := range all {
			if v == nil {
				nils++
			} else if len(v) != want {
				c.errorf("projection %s: batch-norm %s has %d values, want %d", e.Name, [...]string{"gamma", "beta", "mean", "var"}[j], len(v), want)
			}
		}
		if nils != 0 && nils != 4 {
			c.errorf("projection %s: batch-norm has %d of 4 parameter vectors, want all or none", e.Name, 4-nils)
		}
		if !(bn.Eps > 0) {
			c.errorf("projection %s: batch-norm eps %g, want > 0", e.Name, bn.Eps)
		}
		for _, v := range bn.Var {
			if v < 0 {
				c.errorf("projection %s: batch-norm running variance %g, want >= 0", e.Name, v)
				break
			}
		}
	}
	if e.Delay < 0 || e.Delay > MaxDelay {
		c.errorf("projection %s: delay %d steps, want 1..%d (0 reads as 1)", e.Name, e.Delay, MaxDelay)
	} else if e.Delay > 1 && e.Src.Neuron.Model == Input {
		c.errorf("projection %s: delay %d steps on a host projection, want 1 (the host presents the input at the step it belongs to)", e.Name, e.Delay)
	}
	if q := e.Q; q != nil {
		host := e.Src.Neuron.Model == Input
		switch {
		case q.Host != host:
			c.errorf("projection %s: host = %v, want %v (host projections are exactly those from the input)", e.Name, q.Host, host)
		case host && q.Weights != nil:
			c.errorf("projection %s: host projection has %d integer weights, want none", e.Name, len(q.Weights))
		case !host && e.Op.HasWeights() && len(q.Weights) != e.WeightLen():
			c.errorf("projection %s: %d integer weights, want %d", e.Name, len(q.Weights), e.WeightLen())
		case !host && !e.Op.HasWeights() && len(q.Weights) != 1:
			c.errorf("projection %s: %v has %d integer weights, want 1 shared weight", e.Name, e.Op, len(q.Weights))
		}
	}
	if e.Op == Dense || e.Op == Identity {
		return
	}
	if e.Op != Conv2D && e.Dst.Shape.C != e.Src.Shape.C {
		c.errorf("projection %s: %v changes channels %d -> %d", e.Name, e.Op, e.Src.Shape.C, e.Dst.Shape.C)
	}
}
