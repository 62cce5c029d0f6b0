package train

import (
	"context"
	"fmt"

	"github.com/autosnn/autosnn/search/dataset"
)

// Batches is one epoch's sequence of mini-batches; *dataset.Iterator
// implements it. A Batch is valid until the next call to Next or Close.
type Batches interface {
	Next() bool
	Batch() *dataset.Batch
	Err() error
	Close()
	// Len is the number of batches of the epoch.
	Len() int
}

// Source supplies the batches the trainer and Evaluate read.
type Source interface {
	// Train returns the (shuffled, augmented) batches of training epoch
	// epoch (0-based); the same epoch gives the same batches.
	Train(ctx context.Context, epoch int) (Batches, error)
	// Eval returns the batches of the evaluation split, in order, without
	// augmentation.
	Eval(ctx context.Context) (Batches, error)
}

// DataSource reads a *dataset.Set: training batches from TrainSplit with
// shuffling seeded by (Seed, epoch) and the given augmentation, evaluation
// batches from EvalSplit in order. Limit, when > 0, keeps only the first
// Limit samples of every epoch (after shuffling) and of the evaluation split.
type DataSource struct {
	Set        *dataset.Set
	TrainSplit dataset.Split
	EvalSplit  dataset.Split
	Batch      int
	Seed       uint64
	Augment    *dataset.Augment
	Limit      int
	EvalLimit  int
}

// Train implements Source.
func (d *DataSource) Train(ctx context.Context, epoch int) (Batches, error) {
	it, err := d.Set.Batches(ctx, d.TrainSplit, dataset.BatchOptions{Size: d.Batch, Seed: d.Seed, Epoch: epoch, Shuffle: true, Augment: d.Augment})
	if err != nil {
		return nil, err
	}
	return limitBatches(it, d.Limit, d.Set.Len(d.TrainSplit), d.Batch), nil
}

// Eval implements Source.
func (d *DataSource) Eval(ctx context.Context) (Batches, error) {
	it, err := d.Set.Batches(ctx, d.EvalSplit, dataset.BatchOptions{Size: d.Batch, Seed: d.Seed})
	if err != nil {
		return nil, err
	}
	return limitBatches(it, d.EvalLimit, d.Set.Len(d.EvalSplit), d.Batch), nil
}

// limited stops an iterator after limit samples, cutting the last batch.
type limited struct {
	Batches
	limit, seen, n int
	cut            dataset.Batch
	cur            *dataset.Batch
}

func limitBatches(it Batches, limit, total, batch int) Batches {
	if limit <= 0 || limit >= total {
		return it
	}
	return &limited{Batches: it, limit: limit, n: (limit + batch - 1) / batch}
}

func (l *limited) Len() int { return l.n }

func (l *limited) Next() bool {
	if l.seen >= l.limit || !l.Batches.Next() {
		return false
	}
	b := l.Batches.Batch()
	l.cur = b
	if n := len(b.Labels); l.seen+n > l.limit {
		keep := l.limit - l.seen
		l.cut = *b
		l.cut.Labels = b.Labels[:keep]
		l.cut.Shape = append([]int(nil), b.Shape...)
		if len(b.Shape) == 5 { // [T B C H W]: keep the first samples of every frame
			t, per := b.Shape[0], len(b.X)/(b.Shape[0]*n)
			x := make([]float32, 0, t*keep*per)
			for s := range t {
				x = append(x, b.X[s*n*per:(s*n+keep)*per]...)
			}
			l.cut.X = x
			l.cut.Shape[1] = keep
		} else {
			l.cut.X = b.X[:keep*(len(b.X)/n)]
			l.cut.Shape[0] = keep
		}
		l.cur = &l.cut
	}
	l.seen += len(l.cur.Labels)
	return true
}

func (l *limited) Batch() *dataset.Batch { return l.cur }

// batchSize returns the number of samples of a batch and checks its shape.
func batchSize(b *dataset.Batch) (int, error) {
	if len(b.Labels) == 0 {
		return 0, fmt.Errorf("train: batch %d is empty", b.Index)
	}
	return len(b.Labels), nil
}
