package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// Part is a trainable run of populations of a graph that reads from one
// entry population outside it: the shared stem, the pools between block
// positions or the head of a super-network (BuildBlock builds the candidate
// blocks). A Part whose entry is the network input runs the input
// projections once on the static image under direct encoding, like Net.
type Part struct {
	seg     *segment
	counted []bool // per stage: counted in the paper's spike metric
}

// BuildPart builds the populations pops of g (in graph order, each read only
// from earlier ones and from one entry population outside pops) with
// weights drawn from rng. Module names follow the reference convention
// ("stem.conv", "pools.0", "fc", "fc_plif").
func BuildPart(g *ir.Graph, pops []*ir.Population, rng *rand.Rand, env *Env) (*Part, error) {
	if len(pops) == 0 {
		return nil, fmt.Errorf("train: part of %s: no populations", g.Name)
	}
	in := map[*ir.Population]bool{}
	for _, p := range pops {
		in[p] = true
	}
	var entry *ir.Population
	for _, p := range pops {
		for _, e := range g.In(p) {
			if in[e.Src] {
				continue
			}
			if entry != nil && entry != e.Src {
				return nil, fmt.Errorf("train: part %s..%s of %s reads from both %s and %s, want one entry population", pops[0].Name, pops[len(pops)-1].Name, g.Name, entry.Name, e.Src.Name)
			}
			entry = e.Src
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("train: part %s..%s of %s reads from no population outside it", pops[0].Name, pops[len(pops)-1].Name, g.Name)
	}
	seg, err := buildSegment(g, entry, pops, newNamer(g, ""), rng, env)
	if err != nil {
		return nil, fmt.Errorf("train: part %s..%s of %s: %w", pops[0].Name, pops[len(pops)-1].Name, g.Name, err)
	}
	pt := &Part{seg: seg}
	for _, st := range seg.stages {
		m := st.pop.Neuron.Model
		pt.counted = append(pt.counted, m.Spiking() || (m == ir.Relay && g.In(st.pop)[0].Src.Neuron.Model.Spiking()))
	}
	return pt, nil
}

// Forward runs the part on x, the entry population's output ([T, N, C, H, W];
// [1, N, C, H, W] for the static input under direct encoding), and returns
// the output of its last population.
func (p *Part) Forward(x *nn.Tensor) (*nn.Tensor, error) { return p.seg.forward(x) }

// Backward returns the gradient of the entry's output given that of the
// last population's output (nil when the entry is the network input),
// adding parameter gradients to Param.Grad.
func (p *Part) Backward(dy *nn.Tensor) (*nn.Tensor, error) { return p.seg.backward(dy) }

// Params returns the part's learnable parameters in build order.
func (p *Part) Params() []*nn.Param { return p.seg.params() }

// Buffers returns the part's batch-norm running statistics in build order.
func (p *Part) Buffers() []*nn.Param { return p.seg.buffers() }

// SetTraining switches the part's layers between training and evaluation.
func (p *Part) SetTraining(training bool) { p.seg.setTraining(training) }

// BatchNorms returns the part's batch-norm layers in build order.
func (p *Part) BatchNorms() []*nn.BatchNorm { return p.seg.batchNorms() }

// Spikes returns the paper-metric spikes of the last Forward summed over
// steps and batch: neuron spikes plus the outputs of relay populations
// (max-pools) fed by spiking populations.
func (p *Part) Spikes() int64 {
	var s int64
	for i, st := range p.seg.stages {
		if p.counted[i] {
			s += st.popSpikes()
		}
	}
	return s
}

// BatchNorms returns the block's batch-norm layers in build order.
func (b *Block) BatchNorms() []*nn.BatchNorm {
	if b.identity {
		return nil
	}
	return b.seg.batchNorms()
}

func (s *segment) batchNorms() []*nn.BatchNorm {
	var out []*nn.BatchNorm
	for _, l := range s.layers() {
		if bn, ok := l.(*nn.BatchNorm); ok {
			out = append(out, bn)
		}
	}
	return out
}

// Pops returns the names of the part's populations, in order.
func (p *Part) Pops() []string { return p.seg.popNames() }

// AddPopSpikes adds the spikes of the last Forward of each population
// (summed over steps and batch, as Net.PopSpikes counts them) to dst,
// which has len(Pops()) entries.
func (p *Part) AddPopSpikes(dst []int64) { p.seg.addPopSpikes(dst) }

// Pops returns the names of the block's populations, in order (none for an
// identity block).
func (b *Block) Pops() []string {
	if b.identity {
		return nil
	}
	return b.seg.popNames()
}

// AddPopSpikes adds the spikes of the last Forward of each population to
// dst, which has len(Pops()) entries.
func (b *Block) AddPopSpikes(dst []int64) {
	if !b.identity {
		b.seg.addPopSpikes(dst)
	}
}

func (s *segment) popNames() []string {
	out := make([]string, len(s.stages))
	for i, st := range s.stages {
		out[i] = st.pop.Name
	}
	return out
}

func (s *segment) addPopSpikes(dst []int64) {
	for i, st := range s.stages {
		dst[i] += st.popSpikes()
	}
}
