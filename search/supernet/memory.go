package supernet

import (
	"fmt"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/train"
)

// Memory returns the estimated peak heap, in bytes, of training (training
// true) or evaluating the super-network of space with batch images per
// step (train.Memory's model): every candidate's parameters at every
// position, in training with gradients and Adam's moments, and every
// candidate's activations, since each
// candidate's layers keep the buffers of the last path they ran on. Both
// are counted from the IR of the uniform architectures (one candidate at
// every position): the smallest of them is the shared part (stem, pools,
// head), and each candidate adds what it has beyond it. Nothing is
// allocated; an error is a space that does not lower.
func Memory(space search.Space, batch int, training bool) (int64, error) {
	params := make([]int64, len(space.Candidates))
	act := make([]int64, len(space.Candidates))
	for c := range space.Candidates {
		a := make(search.Arch, space.Positions)
		for i := range a {
			a[i] = c
		}
		g, err := frontend.Lower(space.Spec(a))
		if err != nil {
			return 0, fmt.Errorf("supernet: memory of space %s: %w", space.Name, err)
		}
		params[c] = int64(ir.Count(g).Params)
		act[c] = train.ActivationMemory(g, batch, training)
	}
	return union(act) + train.ParamMemory(union(params), training), nil
}

// union is the total of per-candidate sizes xs that share their smallest
// one: the smallest once, plus what each has beyond it.
func union(xs []int64) int64 {
	shared := xs[0]
	for _, x := range xs {
		shared = min(shared, x)
	}
	total := shared
	for _, x := range xs {
		total += x - shared
	}
	return total
}
