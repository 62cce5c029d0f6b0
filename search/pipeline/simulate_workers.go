package pipeline

// This file runs the images of Simulate on several forks of one virtual
// chip at once and hands their results back in image order.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// simWorker is one goroutine's chip: the main run's Sim (a fork of the
// first worker's, or that Sim itself) and, when comparing semantics, a
// Trained fork with the worker's own Agreement.
type simWorker struct {
	chip    *sim.Sim
	trained *sim.Sim
	agree   *sim.Agreement
}

// simImage is the result of one image.
type simImage struct {
	chip  sim.ImageResult
	label int
	err   error
}

// runImages simulates the inputs 0..src.Len()-1 of src, the workers taking
// the next image as they become free, and calls tally(i, result) for the
// images in order 0, 1, ... from the calling goroutine. On an error it
// returns the error of the lowest failing image (the one a single worker
// would have stopped at: images are taken in order, so every earlier one
// has run) or of tally, once every worker has stopped.
func runImages(ctx context.Context, src Source, ws []*simWorker, tally func(int, simImage) error) error {
	n := src.Len()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var srcMu sync.Mutex // Sources need not be safe for concurrent use
	type done struct {
		i int
		r simImage
	}
	out := make(chan done, len(ws))
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []float32
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				r := w.run(src, &srcMu, i, &buf)
				out <- done{i, r}
				if r.err != nil {
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	pending := map[int]simImage{}
	first, firstErr := n, error(nil)
	want := 0
	for d := range out {
		if d.r.err != nil {
			if d.i < first {
				first, firstErr = d.i, d.r.err
			}
			cancel()
			continue
		}
		pending[d.i] = d.r
		for firstErr == nil {
			r, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			if err := tally(want, r); err != nil {
				first, firstErr = want, err
				cancel()
				break
			}
			want++
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if want < n {
		// Only a cancelled context stops the workers short without an error.
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("simulated %d of %d images (simulator bug: a worker stopped early)", want, n)
	}
	return nil
}

// run simulates image i on the worker's chip (and its Trained fork).
func (w *simWorker) run(src Source, srcMu *sync.Mutex, i int, buf *[]float32) simImage {
	srcMu.Lock()
	x, err := src.Input(i, *buf)
	label := src.Label(i)
	srcMu.Unlock()
	if err != nil {
		return simImage{err: err}
	}
	*buf = x
	var chipObs ir.StepFunc
	var rt sim.ImageResult
	if w.trained != nil {
		chipObs = w.agree.ObserveChip
		if rt, err = w.trained.Run(x, w.agree.ObserveTrained); err != nil {
			return simImage{err: fmt.Errorf("image %d (trained semantics): %w", i, err)}
		}
	}
	r, err := w.chip.Run(x, chipObs)
	if err != nil {
		return simImage{err: fmt.Errorf("image %d: %w", i, err)}
	}
	if w.trained != nil {
		w.agree.AddImage(rt, r, label)
	}
	return simImage{chip: r, label: label}
}

// checkSimulate refuses a simulation whose estimated peak memory (the
// chip's tables once, and the run state of every further worker and of the
// Trained forks when comparing) exceeds what the machine has.
func checkSimulate(ctx context.Context, g *ir.Graph, workers int, compare bool) error {
	forks := int64(workers - 1)
	if compare {
		forks += int64(workers)
	}
	need := sim.Memory(g) + forks*sim.ForkMemory(g)
	return CheckMemory(ctx, fmt.Sprintf("simulate %s (%s synapses, %d workers)", g.Name, group(ir.Count(g).Synapses), workers),
		need, "the network's size (compile it with a smaller --C)")
}
