package supernet

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// synth is a deterministic synthetic data source: n samples per split of
// the given sample shape ([C, H, W], or [T, 2, H, W] for frames) whose
// class is encoded in the mean of the first channel, so paths can learn.
type synth struct {
	shape   []int // per-sample shape without the batch dimension
	frames  bool
	classes int
	n       int
	batch   int
}

type synthIter struct {
	s     *synth
	rng   *rand.Rand
	i, nb int
	b     dataset.Batch
}

func (s *synth) iter(seed uint64) *synthIter {
	return &synthIter{s: s, rng: rand.New(rand.NewPCG(seed, 7))}
}

func (s *synth) Train(ctx context.Context, epoch int) (train.Batches, error) {
	return s.iter(uint64(epoch) + 1), nil
}
func (s *synth) Eval(ctx context.Context) (train.Batches, error) { return s.iter(1000), nil }

func (it *synthIter) Next() bool {
	s := it.s
	if it.i >= s.n {
		return false
	}
	n := min(s.batch, s.n-it.i)
	per := 1
	for _, d := range s.shape {
		per *= d
	}
	it.b.Labels = it.b.Labels[:0]
	x := make([]float32, n*per)
	for k := range n {
		y := it.rng.IntN(s.classes)
		it.b.Labels = append(it.b.Labels, y)
		for j := range per {
			v := float32(it.rng.NormFloat64()) * 0.5
			if j%3 == 0 {
				v += float32(y) * 0.8
			}
			if s.frames {
				v = float32(it.rng.IntN(2 + y))
			}
			if s.frames {
				// [T, B, ...]: sample k of step t.
				step := j / (per / s.shape[0])
				x[(step*n+k)*(per/s.shape[0])+j%(per/s.shape[0])] = v
			} else {
				x[k*per+j] = v
			}
		}
	}
	it.b.X = x
	if s.frames {
		it.b.Shape = append([]int{s.shape[0], n}, s.shape[1:]...)
	} else {
		it.b.Shape = append([]int{n}, s.shape...)
	}
	it.b.Index = it.nb
	it.nb++
	it.i += n
	return true
}
func (it *synthIter) Batch() *dataset.Batch { return &it.b }
func (it *synthIter) Err() error            { return nil }
func (it *synthIter) Close()                {}
func (it *synthIter) Len() int              { return (it.s.n + it.s.batch - 1) / it.s.batch }

// tinySpace returns a small space: C = 2, T = 2, 1x8x8 input, 3 classes.
func tinySpace(t *testing.T, name string) search.Space {
	t.Helper()
	base := frontend.Spec{Name: "tiny", Channels: 2, T: 2, Input: []int{1, 8, 8}, Classes: 3, Neuron: "plif"}
	sp, err := search.NewSpace(name, base)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func tinyData() *synth { return &synth{shape: []int{1, 8, 8}, classes: 3, n: 48, batch: 8} }

func tinyHyper(epochs int) train.Hyper {
	return train.Hyper{Epochs: epochs, Batch: 8, LR: 1e-2, Seed: 3}
}
