package supernet

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/train"
)

// recalMomentum is the batch-norm momentum used while recalibrating: small
// enough that the T per-step updates of one Forward weigh the steps almost
// equally (relative difference (T-1) x 1e-4), so that dividing the running
// statistic (started at 0) by 1-(1-m)^T gives the mean of the per-step
// batch statistics.
const recalMomentum = 1e-4

// Evaluator evaluates candidate architectures with weights inherited from
// a super-network: the validation batches of Data (D_val, in order, without
// augmentation), batch-norm in evaluation mode, accuracy as a fraction and
// the paper's spike metric per image. It implements search.Evaluator.
//
// A call evaluates its architectures together in one pass over the data:
// they form a prefix tree over the block positions, the stem runs once
// per batch, and each tree node (a block choice at a position after a
// given prefix) runs once per batch on its parent's activations, which stay
// in the layers' own buffers while the subtree is evaluated (depth first),
// so nothing is copied or allocated per node. With NoShare every
// architecture is its own chain from the stem (the same arithmetic, for
// comparison); results are bit-identical either way.
type Evaluator struct {
	Net *SuperNet
	// Data gives the evaluation batches (Eval) and, for recalibration, the
	// training batches of epoch 0 (Train).
	Data train.Source
	// Recalib > 0 recalibrates every candidate's batch-norm statistics on
	// that many training batches before evaluating: each block on a
	// candidate's path runs in training mode on the path's activations and
	// its running statistics are replaced by the mean of the batch
	// statistics (stem and shared layers keep theirs). The super-network's
	// own statistics are restored afterwards.
	Recalib int
	// NoShare disables prefix sharing (every architecture runs its whole
	// path); for measuring the speed-up and testing equality.
	NoShare bool
	// Layered disables the fused inference paths of package train (whole
	// batches go through one layer at a time, with the per-layer finite
	// checks on); for measuring and testing equality. Results are
	// bit-identical either way.
	Layered bool
	// Progress shows each call's progress when not nil.
	Progress *train.Progress
	// Stats accumulates over calls.
	Stats EvalStats
}

// EvalStats counts the work of an Evaluator.
type EvalStats struct {
	Archs     int     // architectures evaluated
	BlockRuns int64   // block-position forwards (per batch) over all calls, including recalibration
	Images    int64   // validation images read
	Seconds   float64 // wall time in Evaluate
}

// node is a block choice at one position after the prefix of its parents.
type node struct {
	choice   int
	children []*node
	leaves   []int   // indices of the architectures whose path ends here
	spikes   int64   // paper-metric spikes of the block and the shared layers after it
	pops     []int64 // per population of the block, then of the shared layers
	bnSum    [][]float64
	bnStat   [][]float32 // recalibrated running mean then var, per batch-norm of the block
	recalled bool
}

// Evaluate implements search.Evaluator.
func (e *Evaluator) Evaluate(ctx context.Context, archs []search.Arch) ([]search.Evaluation, error) {
	start := time.Now()
	net := e.Net
	for _, a := range archs {
		if err := net.checkArch(a); err != nil {
			return nil, err
		}
	}
	if len(archs) == 0 {
		return nil, nil
	}
	root := e.tree(archs)
	correct := make([]int, len(archs))
	net.SetTraining(false)
	defer net.SetTraining(true)
	// Inference cannot produce the non-finite values training guards
	// against unless the weights hold them; skip the per-layer scans
	// (which also lets package train take its fused inference paths).
	check := net.env.CheckFinite
	net.env.CheckFinite = e.Layered // on: no fused paths
	defer func() { net.env.CheckFinite = check }()
	if e.Recalib > 0 {
		saved := make([][]float32, len(net.buffers))
		for i, b := range net.buffers {
			saved[i] = append([]float32(nil), b.Data...)
		}
		defer func() {
			for i, b := range net.buffers {
				copy(b.Data, saved[i])
			}
		}()
		if err := e.recalibrate(ctx, root); err != nil {
			return nil, err
		}
	}
	it, err := e.Data.Eval(ctx)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	bar := e.Progress.Start(train.TaskSpec{N: it.Len(), Desc: fmt.Sprintf("evaluate %d candidates", len(archs))})
	defer bar.Close()
	stemPops := make([]int64, len(net.shared[0].Pops()))
	var stemSpikes int64
	images := 0
	var pred []int
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("supernet: evaluation stopped: %w", err)
		}
		b := it.Batch()
		n := len(b.Labels)
		if n == 0 {
			return nil, fmt.Errorf("supernet: evaluation batch %d is empty", b.Index)
		}
		x, err := e.stem(b)
		if err != nil {
			return nil, fmt.Errorf("supernet: eval batch %d: %w", b.Index, err)
		}
		stemSpikes += net.shared[0].Spikes()
		net.shared[0].AddPopSpikes(stemPops)
		if err := e.visit(root, 0, x, net.shared[0], func(leaf *node, y *nn.Tensor) error {
			if _, err := net.scores(y, n); err != nil {
				return err
			}
			pred = net.Predict(pred)
			c := 0
			for i, p := range pred {
				if p == b.Labels[i] {
					c++
				}
			}
			for _, i := range leaf.leaves {
				correct[i] += c
			}
			return nil
		}, false); err != nil {
			return nil, fmt.Errorf("supernet: eval batch %d: %w", b.Index, err)
		}
		images += n
		if bar != nil {
			bar.Add(1)
		}
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	bar.Finish()
	if images == 0 {
		return nil, fmt.Errorf("supernet: the evaluation split holds no images")
	}
	out := make([]search.Evaluation, len(archs))
	imgs := float64(images)
	stemNames := net.shared[0].Pops()
	var collect func(nd *node, level int, spikes int64, pops map[string]int64)
	collect = func(nd *node, level int, spikes int64, pops map[string]int64) {
		for _, ch := range nd.children {
			names := e.popNames(level, ch.choice)
			for i, v := range ch.pops {
				pops[names[i]] += v
			}
			s := spikes + ch.spikes
			for _, i := range ch.leaves {
				ev := search.Evaluation{Acc: float64(correct[i]) / imgs, Spikes: float64(s) / imgs, PopSpikes: map[string]float64{}}
				for k, v := range pops {
					ev.PopSpikes[k] = float64(v) / imgs
				}
				out[i] = ev
			}
			collect(ch, level+1, s, pops)
			for i := range ch.pops {
				pops[names[i]] -= ch.pops[i]
				if pops[names[i]] == 0 {
					delete(pops, names[i])
				}
			}
		}
	}
	base := map[string]int64{}
	for i, v := range stemPops {
		base[stemNames[i]] += v
	}
	collect(root, 0, stemSpikes, base)
	e.Stats.Archs += len(archs)
	e.Stats.Images += int64(images)
	e.Stats.Seconds += time.Since(start).Seconds()
	return out, nil
}

// popNames returns the population names a node at level with choice
// counts spikes for: the block's, then the shared layers' after it.
func (e *Evaluator) popNames(level, choice int) []string {
	names := append([]string(nil), e.Net.blocks[level][choice].Pops()...)
	if sh := e.Net.shared[level+1]; sh != nil {
		names = append(names, sh.Pops()...)
	}
	return names
}

// tree builds the prefix tree of archs (children in candidate order), or
// one chain per architecture with NoShare.
func (e *Evaluator) tree(archs []search.Arch) *node {
	root := &node{}
	for i, a := range archs {
		nd := root
		for level, c := range a {
			var next *node
			if !e.NoShare {
				for _, ch := range nd.children {
					if ch.choice == c {
						next = ch
					}
				}
			}
			if next == nil {
				next = &node{choice: c, pops: make([]int64, len(e.popNames(level, c)))}
				nd.children = append(nd.children, next)
			}
			nd = next
		}
		nd.leaves = append(nd.leaves, i)
	}
	if !e.NoShare {
		var sortRec func(nd *node)
		sortRec = func(nd *node) {
			sort.Slice(nd.children, func(i, j int) bool { return nd.children[i].choice < nd.children[j].choice })
			for _, ch := range nd.children {
				sortRec(ch)
			}
		}
		sortRec(root)
	}
	return root
}

// stem runs the shared stem on a batch.
func (e *Evaluator) stem(b *dataset.Batch) (*nn.Tensor, error) {
	in, _, err := e.Net.stemInput(&nn.Tensor{Shape: b.Shape, Data: b.X})
	if err != nil {
		return nil, err
	}
	y, err := e.Net.shared[0].Forward(in)
	if err != nil {
		return nil, fmt.Errorf("stem: %w", err)
	}
	return y, nil
}

// visit runs the children of nd at block position level on x, depth
// first, calling leaf with the head's output for every node at the last
// position. In recalibration mode (recal) each block runs with its
// batch-norms in training mode and their statistics are accumulated into
// the node; otherwise a node's recalibrated statistics, if any, are loaded
// before it runs and its spikes are counted.
func (e *Evaluator) visit(nd *node, level int, x *nn.Tensor, src train.EventSource, leaf func(*node, *nn.Tensor) error, recal bool) error {
	net := e.Net
	last := level == net.space.Positions-1
	for _, ch := range nd.children {
		blk := net.blocks[level][ch.choice]
		bns := blk.BatchNorms()
		var moms []float64
		switch {
		case recal:
			moms = make([]float64, len(bns))
			for i, bn := range bns {
				moms[i] = bn.Momentum
				bn.SetTraining(true)
				bn.Momentum = recalMomentum
				clear(bn.RunningMean.Data)
				clear(bn.RunningVar.Data)
			}
		case ch.recalled:
			for i, bn := range bns {
				copy(bn.RunningMean.Data, ch.bnStat[2*i])
				copy(bn.RunningVar.Data, ch.bnStat[2*i+1])
			}
		}
		y, spikes, ysrc, err := net.step(level, ch.choice, x, src)
		if recal {
			for i, bn := range bns {
				bn.SetTraining(false)
				bn.Momentum = moms[i]
			}
		}
		if err != nil {
			return err
		}
		if !blk.Identity() {
			e.Stats.BlockRuns++
		}
		if recal {
			if ch.bnSum == nil {
				ch.bnSum = make([][]float64, 2*len(bns))
			}
			norm := 1 - math.Pow(1-recalMomentum, float64(x.Shape[0]))
			for i, bn := range bns {
				for j, st := range [][]float32{bn.RunningMean.Data, bn.RunningVar.Data} {
					acc := ch.bnSum[2*i+j]
					if acc == nil {
						acc = make([]float64, len(st))
						ch.bnSum[2*i+j] = acc
					}
					for k, v := range st {
						acc[k] += float64(v) / norm
					}
				}
			}
		} else {
			ch.spikes += spikes
			blk.AddPopSpikes(ch.pops)
			if sh := net.shared[level+1]; sh != nil {
				sh.AddPopSpikes(ch.pops[len(blk.Pops()):])
			}
		}
		if last {
			if !recal {
				if err := leaf(ch, y); err != nil {
					return err
				}
			}
			continue
		}
		if err := e.visit(ch, level+1, y, ysrc, leaf, recal); err != nil {
			return err
		}
	}
	return nil
}

// recalibrate runs Recalib training batches through the tree with the
// candidates' batch-norms in training mode and stores, per node, the mean
// batch statistics as its running statistics.
func (e *Evaluator) recalibrate(ctx context.Context, root *node) error {
	it, err := e.Data.Train(ctx, 0)
	if err != nil {
		return err
	}
	defer it.Close()
	k := 0
	for k < e.Recalib && it.Next() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("supernet: recalibration stopped: %w", err)
		}
		b := it.Batch()
		x, err := e.stem(b)
		if err != nil {
			return fmt.Errorf("supernet: recalibration batch %d: %w", b.Index, err)
		}
		if err := e.visit(root, 0, x, e.Net.shared[0], nil, true); err != nil {
			return fmt.Errorf("supernet: recalibration batch %d: %w", b.Index, err)
		}
		k++
	}
	if err := it.Err(); err != nil {
		return err
	}
	if k == 0 {
		return fmt.Errorf("supernet: recalibration: the training split gave no batches")
	}
	var fin func(nd *node)
	fin = func(nd *node) {
		for _, ch := range nd.children {
			ch.bnStat = make([][]float32, len(ch.bnSum))
			for i, acc := range ch.bnSum {
				st := make([]float32, len(acc))
				for j, v := range acc {
					st[j] = float32(v / float64(k))
				}
				ch.bnStat[i] = st
			}
			ch.recalled = true
			fin(ch)
		}
	}
	fin(root)
	return nil
}
