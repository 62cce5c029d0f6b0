package supernet

import (
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/train"
)

// CheckpointVersion is the super-network checkpoint format version this
// package writes and reads.
const CheckpointVersion = 1

const checkpointMagic = frontend.SupernetMagic

// Checkpoint is the state of a super-network training run. Its file
// format is frontend.EncodeEnvelope's, as for search/engine/train's
// checkpoints: one line "autosnn-supernet v<version>\n", a Go gob stream of
// the body, then the CRC-32 (IEEE, little endian) of the body; files are
// written atomically. The body holds the space (name and base spec), every
// parameter and batch-norm statistic by name, the Adam state, the path
// PCG's state, the position, the hyper-parameters, the epoch history and
// N_avg.
type Checkpoint struct {
	Space string
	Base  frontend.Spec
	Hyper train.Hyper
	// Tensors holds every parameter and buffer of the super-network, in
	// Params then Buffers order.
	Tensors []NamedTensor
	Adam    []nn.AdamState
	PathRNG []byte
	// Epoch is the number of completed epochs, Batch the batches done in
	// the current one, Step the optimiser steps so far.
	Epoch, Batch, Step int
	History            []train.EpochStats
	// NAvg is N_avg: the mean paper-metric spikes per image of the paths
	// sampled in the last completed epoch (0 if no epoch has completed).
	NAvg    float64
	Partial train.EpochProgress
}

// NamedTensor is one stored parameter or buffer.
type NamedTensor struct {
	Name string
	Data []float32
}

// Save writes the trainer's state to path atomically.
func (t *Trainer) Save(path string) error {
	rng, err := t.PathPCG.MarshalBinary()
	if err != nil {
		return fmt.Errorf("supernet: checkpoint %s: %w", path, err)
	}
	sp := t.Net.space
	c := &Checkpoint{Space: sp.Name, Base: sp.Base, Hyper: t.Hyper, Adam: t.Opt.State(), PathRNG: rng,
		Epoch: t.Epoch, Batch: t.Batch, Step: t.Step, History: t.History, NAvg: t.NAvg(), Partial: t.partial}
	for _, p := range append(append([]*nn.Param(nil), t.Net.params...), t.Net.buffers...) {
		c.Tensors = append(c.Tensors, NamedTensor{Name: p.Name, Data: p.Data})
	}
	return WriteCheckpoint(path, c)
}

// WriteCheckpoint writes c to path atomically.
func WriteCheckpoint(path string, c *Checkpoint) error {
	data, err := frontend.EncodeEnvelope(checkpointMagic, CheckpointVersion, c)
	if err != nil {
		return fmt.Errorf("supernet: checkpoint %s: %w", path, err)
	}
	if err := ir.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("supernet: checkpoint: %w", err)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint written by Trainer.Save. A file of
// another format or version, or a truncated or corrupted one, is refused
// with an error naming the file.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("supernet: read checkpoint: %w", err)
	}
	var c Checkpoint
	if err := frontend.DecodeEnvelope(data, checkpointMagic, CheckpointVersion, "autosnn super-network checkpoint", &c); err != nil {
		return nil, fmt.Errorf("supernet: checkpoint %s: %w", path, err)
	}
	return &c, nil
}

// Build rebuilds the super-network the checkpoint holds, with its weights
// and batch-norm statistics. env may be nil (a private Env).
func (c *Checkpoint) Build(env *train.Env) (*SuperNet, error) {
	space, err := search.NewSpace(c.Space, c.Base)
	if err != nil {
		return nil, fmt.Errorf("supernet: checkpoint: %w", err)
	}
	// The initial draw is overwritten by the stored values.
	net, err := New(space, rand.New(rand.NewPCG(0, 0)), env)
	if err != nil {
		return nil, err
	}
	all := append(append([]*nn.Param(nil), net.params...), net.buffers...)
	if len(all) != len(c.Tensors) {
		net.Close()
		return nil, fmt.Errorf("supernet: checkpoint holds %d tensors, the %s super-network has %d", len(c.Tensors), space.Name, len(all))
	}
	for i, p := range all {
		t := c.Tensors[i]
		if t.Name != p.Name || len(t.Data) != len(p.Data) {
			net.Close()
			return nil, fmt.Errorf("supernet: checkpoint tensor %d is %q with %d values, want %q with %d", i, t.Name, len(t.Data), p.Name, len(p.Data))
		}
		copy(p.Data, t.Data)
	}
	return net, nil
}

// Resume rebuilds the trainer the checkpoint describes: weights,
// statistics, optimiser state, path PCG and position, so that training
// continues exactly as the uninterrupted run would have. epochs > 0
// replaces the run's total epoch count (to extend a finished run).
func Resume(c *Checkpoint, epochs int) (*Trainer, error) {
	h := c.Hyper
	if epochs > 0 {
		h.Epochs = epochs
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(c.PathRNG); err != nil {
		return nil, fmt.Errorf("supernet: resume: path RNG state: %w", err)
	}
	net, err := c.Build(nil)
	if err != nil {
		return nil, err
	}
	t := newTrainer(net, pcg, h)
	if err := t.Opt.SetState(c.Adam); err != nil {
		net.Close()
		return nil, fmt.Errorf("supernet: resume: %w", err)
	}
	t.Epoch, t.Batch, t.Step = c.Epoch, c.Batch, c.Step
	t.History = append([]train.EpochStats(nil), c.History...)
	t.partial = c.Partial
	return t, nil
}
