package train

import (
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/nn"
)

// CheckpointVersion is the checkpoint format version this package writes
// and reads (frontend.CheckpointVersion: the frontend reads the graph of a
// checkpoint without this package).
const CheckpointVersion = frontend.CheckpointVersion

// Checkpoint is the state of a training run. Its file format
// (frontend.EncodeEnvelope) is one line "autosnn-checkpoint v<version>\n",
// then a Go gob stream of the body (the
// IR as ir.Encode's YAML document and float32 blob, Adam moments, the PCG
// state, positions, hyper-parameters and history), then the CRC-32 (IEEE,
// little endian) of the body. Files are written atomically (temporary file
// and rename), so a reader sees the previous checkpoint or the new one.
type Checkpoint struct {
	// Graph is the architecture with the trained weights, batch-norm
	// statistics and PLIF W: the compiler's input.
	Graph *ir.Graph
	// Adam is the optimiser state, one entry per parameter in Net order.
	Adam []nn.AdamState
	// RNG is the trainer PCG's state (encoding.BinaryMarshaler form).
	RNG []byte
	// Epoch is the number of completed epochs, Batch the batches done in
	// the current one, Step the optimiser steps so far.
	Epoch, Batch, Step int
	Hyper              Hyper
	History            []EpochStats
	partial            EpochProgress
}

// checkpointBody is the gob body of a checkpoint. Its first three fields
// are frontend.CheckpointGraph's, under the same names and types: the
// frontend decodes the graph from this body alone.
type checkpointBody struct {
	GraphDoc, GraphBlob []byte
	Arch                string
	Adam                []nn.AdamState
	RNG                 []byte
	Epoch, Batch, Step  int
	Hyper               Hyper
	History             []EpochStats
	Partial             EpochProgress
}

// Save writes the trainer's state to path atomically.
func (t *Trainer) Save(path string) error {
	g, err := t.Net.Export()
	if err != nil {
		return err
	}
	rng, err := t.PCG.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	c := &Checkpoint{Graph: g, Adam: t.Opt.State(), RNG: rng, Epoch: t.Epoch, Batch: t.Batch, Step: t.Step,
		Hyper: t.Hyper, History: t.History, partial: t.partial}
	return WriteCheckpoint(path, c)
}

// WriteCheckpoint writes c to path atomically.
func WriteCheckpoint(path string, c *Checkpoint) error {
	cg, err := frontend.NewCheckpointGraph(c.Graph)
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	body := checkpointBody{GraphDoc: cg.GraphDoc, GraphBlob: cg.GraphBlob, Arch: cg.Arch, Adam: c.Adam, RNG: c.RNG,
		Epoch: c.Epoch, Batch: c.Batch, Step: c.Step, Hyper: c.Hyper, History: c.History, Partial: c.partial}
	data, err := frontend.EncodeEnvelope(frontend.CheckpointMagic, CheckpointVersion, &body)
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	if err := ir.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint or
// Trainer.Save. Its Graph field is the trained, weighted IR graph, ready for
// the compiler (passes) or ir.NewExecutor. A file of another format version,
// a truncated or corrupted file, or one whose stored architecture does not
// match its graph is refused with an error naming the file.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: read checkpoint: %w", err)
	}
	c, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return c, nil
}

func decodeCheckpoint(data []byte) (*Checkpoint, error) {
	var cb checkpointBody
	if err := frontend.DecodeEnvelope(data, frontend.CheckpointMagic, CheckpointVersion, "autosnn checkpoint", &cb); err != nil {
		return nil, err
	}
	g, err := frontend.CheckpointGraph{GraphDoc: cb.GraphDoc, GraphBlob: cb.GraphBlob, Arch: cb.Arch}.Graph()
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Graph: g, Adam: cb.Adam, RNG: cb.RNG, Epoch: cb.Epoch, Batch: cb.Batch, Step: cb.Step,
		Hyper: cb.Hyper, History: cb.History, partial: cb.Partial}, nil
}

// Resume rebuilds the trainer a checkpoint describes: the net with the
// checkpoint's weights and statistics, the optimiser state, the PCG state
// and the position. arch, when not nil, is the architecture the caller
// expects; a checkpoint of another architecture is refused. epochs > 0
// replaces the run's total epoch count (to extend a finished run).
func Resume(c *Checkpoint, arch *ir.Graph, epochs int) (*Trainer, error) {
	if arch != nil {
		if d := frontend.ArchDiff(arch, c.Graph); d != "" {
			return nil, fmt.Errorf("train: resume: the checkpoint holds architecture %s, which differs from the requested %s (requested vs checkpoint, %s)", c.Graph.Name, arch.Name, d)
		}
	}
	h := c.Hyper
	if epochs > 0 {
		h.Epochs = epochs
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(c.RNG); err != nil {
		return nil, fmt.Errorf("train: resume: RNG state: %w", err)
	}
	// The initial draw is overwritten by the checkpoint's values.
	net, err := Build(c.Graph, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	t := newTrainer(net, pcg, h)
	if err := t.Opt.SetState(c.Adam); err != nil {
		net.Close()
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	t.Epoch, t.Batch, t.Step = c.Epoch, c.Batch, c.Step
	t.History = append([]EpochStats(nil), c.History...)
	t.partial = c.partial
	return t, nil
}
