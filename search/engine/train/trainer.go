package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// Hyper are the hyper-parameters of a training run; checkpoints store them
// so that a resumed run continues with the same ones.
type Hyper struct {
	Epochs int     // total epochs of the run
	Batch  int     // mini-batch size (96 in the paper)
	LR     float64 // Adam learning rate (1e-3)
	Seed   uint64  // weight initialisation, data order and augmentation
	// Augmentation: random-crop padding in pixels, horizontal flip, cutout
	// side in pixels (0 disables each).
	Pad    int
	Flip   bool
	Cutout int
	// Limit is the number of training samples per epoch (0: the whole split).
	Limit int
	// SpikeReg is the paper's lambda_reg (Table 10): the loss gets
	// lambda_reg / (K T) * sum_t sum_k phi_k[t], lambda_reg times the mean
	// firing rate of the K neurons over the T steps, per image; 0: off.
	// (Before #20 it was the beta of beta * (neuron spikes per image),
	// which is lambda_reg / (K T); the checkpoint format is frozen, so the
	// field keeps its name.)
	SpikeReg float64
	// Data is the data spec ("mnist", "cifar10:/dir"), recorded for eval.
	Data string
}

// Validate checks the hyper-parameters.
func (h Hyper) Validate() error {
	switch {
	case h.Epochs < 0:
		return fmt.Errorf("train: epochs %d, want >= 0", h.Epochs)
	case h.Batch < 1:
		return fmt.Errorf("train: batch size %d, want >= 1", h.Batch)
	case !(h.LR > 0):
		return fmt.Errorf("train: learning rate %v, want > 0", h.LR)
	case h.Pad < 0 || h.Cutout < 0 || h.Limit < 0 || h.SpikeReg < 0:
		return fmt.Errorf("train: pad %d, cutout %d, limit %d, spike-reg %v: want all >= 0", h.Pad, h.Cutout, h.Limit, h.SpikeReg)
	}
	return nil
}

// EpochStats summarises one training epoch (means over samples).
type EpochStats struct {
	Epoch    int     // 0-based
	Samples  int     // training samples seen
	Loss     float64 // mean task loss (plus the regularisation term when on)
	Accuracy float64 // training accuracy, fraction
	Spikes   float64 // paper-metric spikes per image
	Seconds  float64 // wall time of the epoch (not part of determinism)
	// EvalAccuracy and EvalSpikes are set when the trainer evaluated after
	// the epoch (-1 otherwise).
	EvalAccuracy float64
	EvalSpikes   float64
}

// EpochProgress accumulates the statistics of a (possibly resumed) epoch;
// trainer checkpoints save it, so a resumed epoch reports the whole epoch.
type EpochProgress struct {
	Samples, Correct int
	LossSum          float64 // sum over samples of the batch mean loss
	SpikeSum         int64   // paper-metric spikes of all samples
	Seconds          float64 // wall time so far
}

// Add records a batch of n samples: its mean loss, how many of its
// predictions pred match labels, and its spikes.
func (r *EpochProgress) Add(n int, loss float64, pred, labels []int, spikes int64) {
	for i, p := range pred {
		if p == labels[i] {
			r.Correct++
		}
	}
	r.Samples += n
	r.LossSum += loss * float64(n)
	r.SpikeSum += spikes
}

// Line is the running loss, accuracy and spikes per image for a progress
// bar.
func (r *EpochProgress) Line() string {
	n := float64(max(r.Samples, 1))
	return fmt.Sprintf("loss %.4f acc %5.1f%% spikes/img %.0f", r.LossSum/n, 100*float64(r.Correct)/n, float64(r.SpikeSum)/n)
}

// Stats returns the epoch's statistics (no evaluation: EvalAccuracy and
// EvalSpikes -1).
func (r *EpochProgress) Stats(epoch int) EpochStats {
	st := EpochStats{Epoch: epoch, Samples: r.Samples, Seconds: r.Seconds, EvalAccuracy: -1, EvalSpikes: -1}
	if r.Samples > 0 {
		st.Loss = r.LossSum / float64(r.Samples)
		st.Accuracy = float64(r.Correct) / float64(r.Samples)
		st.Spikes = float64(r.SpikeSum) / float64(r.Samples)
	}
	return st
}

// Trainer trains a Net with Adam over epochs of a Source.
type Trainer struct {
	Net   *Net
	Opt   *nn.Adam
	Hyper Hyper
	// PCG is the trainer's random generator; Build drew the initial weights
	// from it and checkpoints save its state (a super-network draws its
	// paths from it).
	PCG *rand.PCG
	// Epoch is the number of completed epochs, Batch the number of batches
	// done in the current epoch and Step the number of optimiser steps.
	Epoch, Batch, Step int
	History            []EpochStats
	// Progress shows each epoch's progress (loss, accuracy, spikes, ETA)
	// when not nil; Logf receives one line per epoch when not nil.
	Progress *Progress
	Logf     func(format string, args ...any)
	// Checkpoint is the path written after every epoch (and every
	// CheckpointEvery batches when > 0); "" writes none.
	Checkpoint      string
	CheckpointEvery int
	// EvalEachEpoch evaluates on the source's Eval split after each epoch.
	EvalEachEpoch bool

	reg     *spikePenalty
	partial EpochProgress
	labels  []int
	pred    []int
}

// NewTrainer builds a net from g with weights drawn from a PCG seeded by
// h.Seed and an Adam optimiser with h.LR.
func NewTrainer(g *ir.Graph, h Hyper) (*Trainer, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(h.Seed, 0x5eed)
	net, err := Build(g, rand.New(pcg))
	if err != nil {
		return nil, err
	}
	return newTrainer(net, pcg, h), nil
}

func newTrainer(net *Net, pcg *rand.PCG, h Hyper) *Trainer {
	t := &Trainer{Net: net, Opt: nn.NewAdam(net.Params(), h.LR), Hyper: h, PCG: pcg}
	t.reg = newSpikePenalty(h)
	return t
}

// Close releases the net.
func (t *Trainer) Close() { t.Net.Close() }

// Run trains from the current position (Epoch, Batch) until Hyper.Epochs
// epochs are complete, writing checkpoints as configured. It stops with an
// error on cancellation or when a NaN or infinity appears (naming the layer
// and the step); the last checkpoint written stays intact. On cancellation
// it stops before the next batch, writes the checkpoint of that point
// (when Checkpoint is set; see StopAt) and returns an *Interrupted.
// Temporaries of Checkpoint left by a killed run are removed first.
func (t *Trainer) Run(ctx context.Context, src Source) error {
	if t.Checkpoint != "" {
		ir.RemoveStaleTemps(t.Checkpoint) // left by a killed run
	}
	for t.Epoch < t.Hyper.Epochs {
		st, err := t.epoch(ctx, src)
		if err != nil {
			return StopAt(ctx, err, "train", t.Epoch, t.Batch, t.Step, t.Checkpoint, t.Save)
		}
		t.History = append(t.History, st)
		if t.Logf != nil {
			msg := fmt.Sprintf("epoch %d/%d: loss %.4f, train accuracy %.2f%%, spikes/image %.0f, %.1fs", st.Epoch+1, t.Hyper.Epochs, st.Loss, 100*st.Accuracy, st.Spikes, st.Seconds)
			if st.EvalAccuracy >= 0 {
				msg += fmt.Sprintf("; eval accuracy %.2f%%, spikes/image %.0f", 100*st.EvalAccuracy, st.EvalSpikes)
			}
			t.Logf("%s", msg)
		}
		if t.Checkpoint != "" {
			if err := t.Save(t.Checkpoint); err != nil {
				return err
			}
		}
	}
	return nil
}

// epoch runs the rest of the current epoch.
func (t *Trainer) epoch(ctx context.Context, src Source) (EpochStats, error) {
	start := time.Now()
	it, err := src.Train(ctx, t.Epoch)
	if err != nil {
		return EpochStats{}, err
	}
	defer it.Close()
	bar := t.Progress.Start(TaskSpec{N: it.Len(), Done: t.Batch, Desc: fmt.Sprintf("epoch %d/%d", t.Epoch+1, t.Hyper.Epochs), Keep: true})
	defer bar.Close()
	for skip := 0; skip < t.Batch; skip++ { // resume mid-epoch
		if !it.Next() {
			return EpochStats{}, fmt.Errorf("train: epoch %d has fewer than the %d batches the checkpoint had done", t.Epoch+1, t.Batch)
		}
	}
	net := t.Net
	net.SetTraining(true)
	r := &t.partial
	for it.Next() {
		if err := ctx.Err(); err != nil {
			r.Seconds += time.Since(start).Seconds() // kept by the stop point's checkpoint
			return EpochStats{}, fmt.Errorf("train: stopped in epoch %d at batch %d: %w", t.Epoch+1, t.Batch, err)
		}
		b := it.Batch()
		n, err := batchSize(b)
		if err != nil {
			return EpochStats{}, err
		}
		net.env.Step = t.Step
		loss, err := net.Forward(&nn.Tensor{Shape: b.Shape, Data: b.X}, b.Labels)
		if err != nil {
			return EpochStats{}, fmt.Errorf("train: epoch %d batch %d (step %d): %w", t.Epoch+1, t.Batch, t.Step, err)
		}
		if t.reg != nil {
			loss += t.reg.value(net.Neurons(), n)
		}
		nn.ZeroGrad(net.Params())
		if err := net.Backward(); err != nil {
			return EpochStats{}, fmt.Errorf("train: epoch %d batch %d (step %d): %w", t.Epoch+1, t.Batch, t.Step, err)
		}
		t.Opt.Step()
		t.pred = net.Predict(t.pred)
		paper, _ := net.SpikeMetrics()
		r.Add(n, loss, t.pred, b.Labels, paper)
		t.Batch++
		t.Step++
		if bar != nil {
			bar.Describe(fmt.Sprintf("epoch %d/%d %s", t.Epoch+1, t.Hyper.Epochs, r.Line()))
			bar.Add(1)
		}
		if t.Checkpoint != "" && t.CheckpointEvery > 0 && t.Batch%t.CheckpointEvery == 0 {
			r.Seconds += time.Since(start).Seconds()
			start = time.Now()
			if err := t.Save(t.Checkpoint); err != nil {
				return EpochStats{}, err
			}
		}
	}
	if err := it.Err(); err != nil {
		return EpochStats{}, fmt.Errorf("train: epoch %d: %w", t.Epoch+1, err)
	}
	bar.Finish()
	r.Seconds += time.Since(start).Seconds()
	st := r.Stats(t.Epoch)
	if t.EvalEachEpoch {
		res, err := Evaluate(ctx, net, src, t.Progress)
		if err != nil {
			return EpochStats{}, err
		}
		st.EvalAccuracy, st.EvalSpikes = res.Accuracy, res.SpikesPerImage
	}
	t.Epoch++
	t.Batch = 0
	t.partial = EpochProgress{}
	return st, nil
}

// LayerStats are the spikes of one population over an evaluation.
type LayerStats struct {
	Name    string   // population name in the IR
	Layer   string   // module name (reference convention)
	Model   ir.Model // neuron model (Relay for max-pool outputs)
	Role    ir.Role  // place in the macro architecture
	Neurons int      // population size
	Counted bool     // counted in the paper's metric
	Spikes  float64  // spikes per image, summed over the T steps
	Rate    float64  // mean spikes per neuron per timestep
	Shape   ir.Shape // population shape
}

// EvalResult is the outcome of Evaluate.
type EvalResult struct {
	Images   int
	Correct  int
	Accuracy float64 // fraction
	Loss     float64 // mean loss
	// SpikesPerImage is the paper's metric (neurons plus pooled spike
	// maps) and NeuronSpikesPerImage the neuron-only metric.
	SpikesPerImage       float64
	NeuronSpikesPerImage float64
	Layers               []LayerStats // one per population after the input
}

// Evaluate runs the net in evaluation mode over the source's Eval batches
// and returns accuracy, both spike metrics and per-layer spike statistics.
// It leaves the net in training mode and does not change any parameter or
// running statistic. progress, when not nil, shows how far it is.
func Evaluate(ctx context.Context, net *Net, src Source, progress *Progress) (EvalResult, error) {
	it, err := src.Eval(ctx)
	if err != nil {
		return EvalResult{}, err
	}
	defer it.Close()
	net.SetTraining(false)
	defer net.SetTraining(true)
	bar := progress.Start(TaskSpec{N: it.Len(), Desc: "eval"})
	defer bar.Close()
	g := net.Graph()
	pops := make([]int64, len(g.Pops))
	var res EvalResult
	var r EpochProgress // images, correct predictions and loss sum
	var pred []int
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return EvalResult{}, fmt.Errorf("train: evaluation stopped: %w", err)
		}
		b := it.Batch()
		n, err := batchSize(b)
		if err != nil {
			return EvalResult{}, err
		}
		loss, err := net.Forward(&nn.Tensor{Shape: b.Shape, Data: b.X}, b.Labels)
		if err != nil {
			return EvalResult{}, fmt.Errorf("train: eval batch %d: %w", b.Index, err)
		}
		pred = net.Predict(pred)
		r.Add(n, loss, pred, b.Labels, 0)
		for i, s := range net.PopSpikes() {
			pops[i] += s
		}
		if bar != nil {
			bar.Describe(fmt.Sprintf("eval acc %5.1f%%", 100*float64(r.Correct)/float64(r.Samples)))
			bar.Add(1)
		}
	}
	if err := it.Err(); err != nil {
		return EvalResult{}, err
	}
	bar.Finish()
	if r.Samples == 0 {
		return EvalResult{}, fmt.Errorf("train: evaluation split holds no images")
	}
	res.Images, res.Correct = r.Samples, r.Correct
	imgs := float64(res.Images)
	res.Accuracy = float64(res.Correct) / imgs
	res.Loss = r.LossSum / imgs
	names := net.LayerNames()
	for i, p := range g.Pops[1:] {
		i++
		m := p.Neuron.Model
		counted := m.Spiking() || (m == ir.Relay && g.In(p)[0].Src.Neuron.Model.Spiking())
		ls := LayerStats{Name: p.Name, Layer: names[i], Model: m, Role: p.Role, Neurons: p.Shape.Len(), Shape: p.Shape, Counted: counted,
			Spikes: float64(pops[i]) / imgs}
		ls.Rate = ls.Spikes / float64(ls.Neurons*g.T)
		if counted {
			res.SpikesPerImage += ls.Spikes
			if m.Spiking() {
				res.NeuronSpikesPerImage += ls.Spikes
			}
		}
		res.Layers = append(res.Layers, ls)
	}
	return res, nil
}
