package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// Block is the trainable sub-network of one block position (TBD) of a
// graph: the populations whose role is RoleBlock with that position, fed by
// the block's input population. A super-network builds one Block per
// candidate and position (lowering the spec with that candidate) and runs
// the sampled one between its shared stem and head. An identity block
// (skip with equal shapes) has no populations and passes its input through.
type Block struct {
	pos      int
	choice   string
	seg      *segment
	identity bool
}

// BuildBlock builds the block at 1-based position pos of g (TBD pos) with
// its own weights drawn from rng. prefix replaces "blocks.<pos-1>" in its
// parameter names ("" keeps the reference names), so several candidates of
// one position can live in one network. The block's populations must read
// only from each other and from one population before them.
func BuildBlock(g *ir.Graph, pos int, prefix string, rng *rand.Rand, env *Env) (*Block, error) {
	var pops []*ir.Population
	inBlock := map[*ir.Population]bool{}
	for _, p := range g.Pops {
		if p.Role.Kind == ir.RoleBlock && p.Role.Block == pos {
			pops = append(pops, p)
			inBlock[p] = true
		}
	}
	b := &Block{pos: pos}
	if len(pops) == 0 {
		b.identity = true
		return b, nil
	}
	b.choice = pops[0].Role.Choice
	var entry *ir.Population
	for _, p := range pops {
		for _, e := range g.In(p) {
			if inBlock[e.Src] {
				continue
			}
			if entry != nil && entry != e.Src {
				return nil, fmt.Errorf("train: block %d of %s reads from both %s and %s, want one entry population", pos, g.Name, entry.Name, e.Src.Name)
			}
			entry = e.Src
		}
	}
	if entry == g.Pops[0] {
		return nil, fmt.Errorf("train: block %d of %s reads the network input directly, want a stem before it", pos, g.Name)
	}
	seg, err := buildSegment(g, entry, pops, newNamer(g, prefix), rng, env)
	if err != nil {
		return nil, fmt.Errorf("train: block %d of %s: %w", pos, g.Name, err)
	}
	b.seg = seg
	return b, nil
}

// Choice returns the block's candidate name ("" for an identity block).
func (b *Block) Choice() string { return b.choice }

// Identity reports whether the block passes its input through unchanged.
func (b *Block) Identity() bool { return b.identity }

// Forward runs the block on x ([T, N, C, H, W], the entry population's
// output) and returns the block's output.
func (b *Block) Forward(x *nn.Tensor) (*nn.Tensor, error) {
	if b.identity {
		return x, nil
	}
	return b.seg.forward(x)
}

// Backward returns the gradient of the block's input given that of its
// output, adding parameter gradients to Param.Grad.
func (b *Block) Backward(dy *nn.Tensor) (*nn.Tensor, error) {
	if b.identity {
		return dy, nil
	}
	return b.seg.backward(dy)
}

// Params returns the block's learnable parameters.
func (b *Block) Params() []*nn.Param {
	if b.identity {
		return nil
	}
	return b.seg.params()
}

// Buffers returns the block's batch-norm running statistics.
func (b *Block) Buffers() []*nn.Param {
	if b.identity {
		return nil
	}
	return b.seg.buffers()
}

// SetTraining switches the block's layers between training and evaluation.
func (b *Block) SetTraining(training bool) {
	if !b.identity {
		b.seg.setTraining(training)
	}
}

// Spikes returns the spikes of the block's neurons in the last Forward,
// summed over steps and batch.
func (b *Block) Spikes() int64 {
	if b.identity {
		return 0
	}
	var s int64
	for _, st := range b.seg.stages {
		s += st.popSpikes()
	}
	return s
}
