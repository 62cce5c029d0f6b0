package pipeline

import (
	"context"
	"fmt"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
)

// Source is a sequence of network inputs in the layout ir.Executor.Run and
// sim.Sim.Run take (one normalised image for direct encoding, T event
// frames for frame encoding), read on demand.
type Source interface {
	// Len is the number of inputs.
	Len() int
	// Input returns input i (0 <= i < Len), possibly in buf, which the
	// next call may overwrite.
	Input(i int, buf []float32) ([]float32, error)
	// Label returns the class of input i, or -1 when it has none.
	Label(i int) int
}

// Samples are network inputs held in memory, with their labels. They are a
// Source.
type Samples struct {
	Inputs [][]float32
	// Labels has one class per input (-1: unlabelled); it may be shorter
	// than Inputs, the rest being unlabelled.
	Labels []int
}

// Len returns the number of inputs.
func (s Samples) Len() int { return len(s.Inputs) }

// Input returns input i (buf is unused).
func (s Samples) Input(i int, _ []float32) ([]float32, error) { return s.Inputs[i], nil }

// Label returns the class of input i, or -1.
func (s Samples) Label(i int) int {
	if i < len(s.Labels) {
		return s.Labels[i]
	}
	return -1
}

// SetSource is the first N samples of one split of a dataset, read on
// demand (an event dataset's frames are not all held in memory). Make one
// with OpenSource, which checks that the samples fit the network.
type SetSource struct {
	Set   *dataset.Set
	Split dataset.Split
	N     int
}

// Len returns N.
func (s *SetSource) Len() int { return s.N }

// Input reads sample i of the split into buf.
func (s *SetSource) Input(i int, buf []float32) ([]float32, error) {
	return s.Set.Input(s.Split, i, buf)
}

// Label returns the class of sample i.
func (s *SetSource) Label(i int) int { return s.Set.Label(s.Split, i) }

// OpenSource returns the first n samples of split sp of set as inputs of
// g, after CheckSet. n larger than the split is an error.
func OpenSource(set *dataset.Set, sp dataset.Split, n int, g *ir.Graph) (*SetSource, error) {
	if err := CheckSet(set, g); err != nil {
		return nil, err
	}
	if err := set.CheckSplit(sp); err != nil {
		return nil, err
	}
	if have := set.Len(sp); n > have {
		return nil, fmt.Errorf("pipeline: %d samples asked for, but the %v split of %s has %d", n, sp, set.Name, have)
	}
	if n < 0 {
		return nil, fmt.Errorf("pipeline: %d samples asked for, want >= 0", n)
	}
	return &SetSource{Set: set, Split: sp, N: n}, nil
}

// CheckSet reports whether the samples of set are inputs of g: the same
// per-frame shape [C, H, W], an event dataset for a frame-encoded graph and
// a static one for a direct-encoded graph, and as many frames per event
// sample as g runs timesteps.
func CheckSet(set *dataset.Set, g *ir.Graph) error {
	shape := g.Input().Shape
	if set.C != shape.C || set.H != shape.H || set.W != shape.W {
		return fmt.Errorf("pipeline: %s samples are %dx%dx%d, the graph %s wants input %dx%dx%d", set.Name, set.C, set.H, set.W, g.Name, shape.C, shape.H, shape.W)
	}
	if (set.Kind == dataset.Events) != (g.Encoding == ir.Frames) {
		return fmt.Errorf("pipeline: %s is a %v dataset but graph %s uses %v encoding", set.Name, set.Kind, g.Name, g.Encoding)
	}
	return checkFrames(set, g.T)
}

func checkFrames(set *dataset.Set, T int) error {
	if set.Kind == dataset.Events && set.T != T {
		return fmt.Errorf("pipeline: %s has %d frames per sample, the network runs %d timesteps", set.Name, set.T, T)
	}
	return nil
}

// ReadAll reads every input of src into memory.
func ReadAll(src Source) (Samples, error) {
	var s Samples
	for i := range src.Len() {
		x, err := src.Input(i, nil)
		if err != nil {
			return Samples{}, err
		}
		s.Inputs = append(s.Inputs, x)
		s.Labels = append(s.Labels, src.Label(i))
	}
	return s, nil
}

// LoadSamples reads the first n samples of split sp of set into memory for
// a network of T timesteps whose input shape the caller has checked (n is
// capped at the split's size). The lambda sweep and the demo load their
// profiling and test samples with it.
func LoadSamples(set *dataset.Set, sp dataset.Split, n, T int) (Samples, error) {
	if err := checkFrames(set, T); err != nil {
		return Samples{}, err
	}
	if err := set.CheckSplit(sp); err != nil {
		return Samples{}, err
	}
	return ReadAll(&SetSource{Set: set, Split: sp, N: max(0, min(n, set.Len(sp)))})
}

// Synthetic returns frontend.RandomInputs(g, n, seed), unlabelled: n
// seeded random inputs in the range the network was trained on.
func Synthetic(g *ir.Graph, n int, seed uint64) Samples {
	return Samples{Inputs: frontend.RandomInputs(g, n, seed)}
}

// SyntheticData is the data spec of seeded random inputs (Synthetic).
const SyntheticData = "synthetic"

// OpenData returns the first n inputs of g from the data spec: a dataset
// spec name[:path] (split sp, checked by OpenSource; event frames are
// binned to the graph's input side) or SyntheticData (n inputs of
// Synthetic with seed). The caller calls the returned function when done
// with the inputs (it closes the dataset).
func OpenData(ctx context.Context, spec string, sp dataset.Split, n int, g *ir.Graph, seed uint64) (Source, func() error, error) {
	return OpenDataWith(ctx, spec, sp, n, g, seed, dataset.Options{})
}

// OpenDataWith is OpenData with dataset options (the frame cache, a frame
// side): opt.T is always g's timesteps, and opt.Size 0 means g's input
// height, the side the network was built for.
func OpenDataWith(ctx context.Context, spec string, sp dataset.Split, n int, g *ir.Graph, seed uint64, opt dataset.Options) (Source, func() error, error) {
	if spec == SyntheticData {
		return Synthetic(g, n, seed), func() error { return nil }, nil
	}
	opt.T = g.T
	if opt.Size == 0 {
		opt.Size = g.Input().Shape.H
	}
	set, err := dataset.Open(ctx, spec, opt)
	if err != nil {
		return nil, nil, err
	}
	s, err := OpenSource(set, sp, n, g)
	if err != nil {
		set.Close()
		return nil, nil, err
	}
	return s, set.Close, nil
}
