package frontend

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/ir"
)

// Magic lines and format versions of the checkpoint files (see
// EncodeEnvelope). The trainer (search/engine/train) writes training
// checkpoints, the super-network trainer (search/supernet) super-network
// checkpoints; both use these constants, and ReadModel recognises a file by
// them, whatever its name.
const (
	// CheckpointMagic starts the first line of a training checkpoint.
	CheckpointMagic = "autosnn-checkpoint"
	// CheckpointVersion is the training checkpoint format version written
	// and read.
	CheckpointVersion = 1
	// SupernetMagic starts the first line of a super-network checkpoint.
	SupernetMagic = "autosnn-supernet"
)

// CheckpointGraph is the part of a training checkpoint's gob body that
// holds the graph. The trainer's body has these fields under these names
// and types, followed by its own state (optimiser moments, RNG, position,
// history); gob matches fields by name, so decoding a body into a
// CheckpointGraph reads the graph and skips the rest.
type CheckpointGraph struct {
	// GraphDoc and GraphBlob are ir.Encode's YAML document and float32
	// blob of the trained graph.
	GraphDoc, GraphBlob []byte
	// Arch is Architecture(graph) at write time; Graph checks it.
	Arch string
}

// NewCheckpointGraph returns the checkpoint form of g.
func NewCheckpointGraph(g *ir.Graph) (CheckpointGraph, error) {
	doc, blob, err := ir.Encode(g)
	if err != nil {
		return CheckpointGraph{}, err
	}
	return CheckpointGraph{GraphDoc: doc, GraphBlob: blob, Arch: Architecture(g)}, nil
}

// Graph decodes the stored graph. It refuses a graph whose architecture
// differs from the stored Arch, or one with a projection without weights
// (a checkpoint holds a trained graph).
func (c CheckpointGraph) Graph() (*ir.Graph, error) {
	g, err := ir.Decode(c.GraphDoc, c.GraphBlob)
	if err != nil {
		return nil, err
	}
	if Architecture(g) != c.Arch {
		return nil, errors.New("stored architecture does not match the stored graph")
	}
	if !g.Trained() {
		return nil, fmt.Errorf("graph %s has projections without weights", g.Name)
	}
	return g, nil
}

// DecodeCheckpointGraph returns the trained graph of a training checkpoint
// file's contents (envelope CheckpointMagic, version CheckpointVersion).
func DecodeCheckpointGraph(data []byte) (*ir.Graph, error) {
	var c CheckpointGraph
	if err := DecodeEnvelope(data, CheckpointMagic, CheckpointVersion, "autosnn checkpoint", &c); err != nil {
		return nil, err
	}
	return c.Graph()
}

// ModelKind is what a model argument names.
type ModelKind int

const (
	// KindCheckpoint is a training checkpoint file (first line
	// "autosnn-checkpoint v1"): a trained graph.
	KindCheckpoint ModelKind = iota + 1
	// KindIRDir is a directory holding graph.yaml (and weights.bin),
	// written by ir.WriteDir.
	KindIRDir
	// KindIRFile is a graph document written by ir.Encode (a YAML file
	// with the top-level key autosnn_ir), its weights file beside it.
	KindIRFile
	// KindArchitecture is an architecture: a spec YAML file, a zoo name or
	// a compact block list (see Resolve).
	KindArchitecture
	// KindNIR is a NIR file (HDF5, recognised by its signature), imported
	// by ImportNIR with the default options: a trained graph.
	KindNIR
)

func (k ModelKind) String() string {
	switch k {
	case KindCheckpoint:
		return "checkpoint"
	case KindIRDir:
		return "IR directory"
	case KindIRFile:
		return "IR graph file"
	case KindArchitecture:
		return "architecture"
	case KindNIR:
		return "NIR file"
	}
	return fmt.Sprintf("ModelKind(%d)", int(k))
}

// Model is a model argument read by ReadModel.
type Model struct {
	Kind ModelKind
	// Graph is the graph of a checkpoint or NIR file (trained) or of an IR
	// directory or file (trained or not); nil for an architecture.
	Graph *ir.Graph
	// Spec is the architecture when Kind is KindArchitecture.
	Spec Spec
}

// ReadGraph returns the graph a model argument names: the trained graph of
// a training checkpoint or a NIR file, the graph of an IR directory or IR
// graph file, or
// the untrained graph Lower gives for an architecture (spec file, zoo name
// or block list). Files are recognised by their content, not their name.
// Errors name the argument and what was expected.
func ReadGraph(arg string) (*ir.Graph, error) {
	m, err := ReadModel(arg)
	if err != nil {
		return nil, err
	}
	if m.Graph != nil {
		return m.Graph, nil
	}
	return Lower(m.Spec)
}

// ReadModel reads a model argument without lowering an architecture, so
// that a caller can adjust the spec (channels, timesteps) first; a NIR file
// is imported with the default options (ReadModelNIR chooses them). A path is
// recognised by its content: a directory with graph.yaml is an IR
// directory; a file whose first line is "autosnn-checkpoint v<N>" a
// training checkpoint; a file starting with the HDF5 signature a NIR file
// (ImportNIR, default dt and timesteps); a YAML document with the key
// autosnn_ir an IR graph file; any other file, or an argument that is not a path, an architecture
// (Resolve: zoo name, spec file or block list). A super-network checkpoint
// is refused: it holds many architectures, not one graph.
func ReadModel(arg string) (Model, error) {
	return ReadModelNIR(arg, NIROptions{})
}

// ReadModelNIR is ReadModel importing a NIR file with opt (dt, timesteps);
// opt is unused for every other kind of model.
func ReadModelNIR(arg string, opt NIROptions) (Model, error) {
	st, err := os.Stat(arg)
	if err != nil || !st.IsDir() {
		return readModelFile(arg, err, opt)
	}
	if _, err := os.Stat(filepath.Join(arg, ir.GraphFile)); err != nil {
		return Model{}, fmt.Errorf("frontend: model %s is a directory without %s, want an IR directory written by ir.WriteDir", arg, ir.GraphFile)
	}
	g, err := ir.ReadDir(arg)
	if err != nil {
		return Model{}, fmt.Errorf("frontend: model %s: %w", arg, err)
	}
	return Model{Kind: KindIRDir, Graph: g}, nil
}

// readModelFile reads a model argument that is not a directory; statErr is
// os.Stat's error (the argument is then a zoo name or block list); opt
// imports a NIR file.
func readModelFile(arg string, statErr error, opt NIROptions) (Model, error) {
	var data []byte
	if statErr == nil {
		var err error
		if data, err = os.ReadFile(arg); err != nil {
			return Model{}, fmt.Errorf("frontend: model: %w", err)
		}
	}
	if g, ok, err := importNIRFile(arg, data, opt); ok {
		if err != nil {
			return Model{}, err
		}
		return Model{Kind: KindNIR, Graph: g}, nil
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	switch magic, _, _ := strings.Cut(string(line), " v"); {
	case magic == CheckpointMagic:
		g, err := DecodeCheckpointGraph(data)
		if err != nil {
			return Model{}, fmt.Errorf("frontend: checkpoint %s: %w", arg, err)
		}
		return Model{Kind: KindCheckpoint, Graph: g}, nil
	case magic == SupernetMagic:
		return Model{}, fmt.Errorf("frontend: model %s is a super-network checkpoint (%s), which holds many architectures; want a training checkpoint (%s), an IR directory or an architecture", arg, SupernetMagic, CheckpointMagic)
	}
	if g, ok, err := readIRFile(arg, data); ok {
		if err != nil {
			return Model{}, fmt.Errorf("frontend: IR graph file %s: %w", arg, err)
		}
		return Model{Kind: KindIRFile, Graph: g}, nil
	}
	s, err := Resolve(arg)
	if err != nil {
		return Model{}, &modelError{arg: arg, err: err}
	}
	return Model{Kind: KindArchitecture, Spec: s}, nil
}

// modelError is a model argument that is nothing ReadModel recognises.
type modelError struct {
	arg string
	err error // Resolve's
}

func (e *modelError) Error() string {
	return fmt.Sprintf("frontend: model %s is not a checkpoint or IR directory, and not an architecture: %s", e.arg, strings.TrimPrefix(e.err.Error(), "frontend: "))
}

func (e *modelError) Unwrap() error { return e.err }

// readIRFile decodes data as a graph document written by ir.Encode, whose
// weights file (when it names one) lies in path's directory. ok is false
// when data is not such a document (no top-level autosnn_ir key).
func readIRFile(path string, data []byte) (g *ir.Graph, ok bool, err error) {
	var head struct {
		Version *int `yaml:"autosnn_ir"`
		Weights *struct {
			File string `yaml:"file"`
		} `yaml:"weights"`
	}
	if len(data) == 0 || yaml.Unmarshal(data, &head) != nil || head.Version == nil {
		return nil, false, nil
	}
	dir := filepath.Dir(path)
	if filepath.Base(path) == ir.GraphFile {
		g, err := ir.ReadDir(dir)
		return g, true, err
	}
	var blob []byte
	if head.Weights != nil {
		name := head.Weights.File
		if name != filepath.Base(name) || name == "" {
			return nil, true, fmt.Errorf("weights file %q, want a file name inside %s", name, dir)
		}
		if blob, err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			return nil, true, err
		}
	}
	g, err = ir.Decode(data, blob)
	return g, true, err
}
