package frontend

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/ir/yamlerr"
)

// Spec is an architecture spec: everything needed to build an untrained
// network. Its YAML form is
//
//	name: autosnn
//	macro: snn1          # snn1..snn4, snn1-8, or a hand-crafted baseline
//	channels: 16         # initial channels C
//	timesteps: 8         # T
//	input: [3, 32, 32]   # C, H, W
//	classes: 10
//	neuron: plif         # plif (default), lif, if, or ann (ReLU, T=1)
//	blocks: [SRB_k5, SRB_k5, skip, SRB_k3, SRB_k5]
type Spec struct {
	Name     string   `yaml:"name"`
	Macro    string   `yaml:"macro"`
	Channels int      `yaml:"channels"`
	T        int      `yaml:"timesteps"`
	Input    []int    `yaml:"input,flow"`
	Classes  int      `yaml:"classes"`
	Neuron   string   `yaml:"neuron,omitempty"`
	Encoding string   `yaml:"encoding,omitempty"` // direct or frames; default frames for 2-channel (DVS) input
	Tau      float64  `yaml:"tau,omitempty"`      // LIF time constant (default 2)
	Blocks   []string `yaml:"blocks,flow,omitempty"`
}

// SpecError is a problem in an architecture spec, located by file and line
// when the spec came from a file.
type SpecError struct {
	File string // "" when not from a file
	Line int    // 0 when unknown
	Msg  string
}

func (e *SpecError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// DefaultSpec returns the paper's CIFAR-10 setting for the SNN_1 macro with
// the given blocks: C = 16, T = 8, input 3x32x32, 10 classes, PLIF neurons.
func DefaultSpec(blocks ...string) Spec {
	return Spec{Name: "custom", Macro: "snn1", Channels: 16, T: 8, Input: []int{3, 32, 32}, Classes: 10, Neuron: "plif", Blocks: blocks}
}

// ParseSpec parses a YAML architecture spec. file names the source in
// errors. Missing fields take DefaultSpec's values; every problem (unknown
// field, unknown block, wrong block count, impossible shape) is reported as
// a *SpecError with the line it is on.
func ParseSpec(data []byte, file string) (Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Spec{}, yamlSpecError(err, data, file)
	}
	s := DefaultSpec()
	s.Name = ""
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Spec{}, yamlSpecError(err, data, file)
	}
	if s.Name == "" {
		s.Name = "custom"
	}
	if err := s.validate(); err != nil {
		return Spec{}, located(err, file, &root)
	}
	return s, nil
}

// ParseCompact parses the compact form used in papers, a comma-separated
// block list such as "SRB_k5,SRB_k5,skip,SRB_k3,SRB_k5", into a spec with
// DefaultSpec's other fields. The macro is snn1 for 5 blocks and the
// enlarged snn1-8 for 8.
func ParseCompact(list string) (Spec, error) {
	var blocks []string
	for _, b := range strings.Split(list, ",") {
		blocks = append(blocks, strings.TrimSpace(b))
	}
	s := DefaultSpec(blocks...)
	if len(blocks) == 8 {
		s.Macro = "snn1-8"
	}
	s.Name = strings.Join(blocks, ",")
	if err := s.validate(); err != nil {
		return Spec{}, located(err, "", nil)
	}
	return s, nil
}

// Resolve turns a command-line argument into a spec: a zoo name, a path to
// a YAML spec, or a compact block list, tried in that order.
func Resolve(arg string) (Spec, error) {
	if e, ok := LookupZoo(arg); ok {
		return e.Spec, nil
	}
	if data, err := os.ReadFile(arg); err == nil {
		return ParseSpec(data, arg)
	} else if !errors.Is(err, os.ErrNotExist) {
		return Spec{}, fmt.Errorf("frontend: read spec: %w", err)
	}
	if strings.Contains(arg, ",") {
		return ParseCompact(arg)
	}
	if _, err := BlockIndex(arg); err == nil {
		return ParseCompact(arg) // reports the wrong block count
	}
	return Spec{}, fmt.Errorf("frontend: %q is not a zoo entry (see `autosnn zoo`), a spec file, or a block list like SRB_k5,SRB_k5,skip,SRB_k3,SRB_k5", arg)
}

// MarshalSpec returns the YAML form of s.
func MarshalSpec(s Spec) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&s); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// fieldErr is a validation problem with the YAML key (and sequence index,
// or -1) it is about, so ParseSpec can report the line.
type fieldErr struct {
	key   string
	index int // sequence element, or -1
	msg   string
}

func (f fieldErr) Error() string { return f.msg }

// validate checks a spec without building it; Lower checks shapes.
func (s *Spec) validate() error {
	m, ok := macros[normMacro(s.Macro)]
	if !ok {
		return specErr("macro", -1, "unknown macro %q, want one of %s", s.Macro, strings.Join(MacroNames(), ", "))
	}
	s.Macro = m.name
	if s.Channels < 1 {
		return specErr("channels", -1, "channels %d, want >= 1", s.Channels)
	}
	if s.T < 1 {
		return specErr("timesteps", -1, "timesteps %d, want >= 1", s.T)
	}
	if len(s.Input) != 3 || s.Input[0] < 1 || s.Input[1] < 1 || s.Input[2] < 1 {
		return specErr("input", -1, "input %v, want [C, H, W] with every entry >= 1", s.Input)
	}
	if s.Classes < 1 {
		return specErr("classes", -1, "classes %d, want >= 1", s.Classes)
	}
	switch s.Neuron {
	case "":
		s.Neuron = "plif"
	case "plif", "lif", "if", "ann":
	default:
		return specErr("neuron", -1, "unknown neuron %q, want plif, lif, if or ann", s.Neuron)
	}
	switch s.Encoding {
	case "", "direct", "frames":
	default:
		return specErr("encoding", -1, "unknown encoding %q, want direct or frames", s.Encoding)
	}
	if s.Tau != 0 && s.Tau < 1 {
		return specErr("tau", -1, "tau %g, want >= 1", s.Tau)
	}
	if len(s.Blocks) != m.blocks {
		if m.blocks == 0 {
			return specErr("blocks", -1, "macro %s is a fixed architecture, want no blocks (got %d)", m.name, len(s.Blocks))
		}
		return specErr("blocks", -1, "%d blocks, want %d for macro %s", len(s.Blocks), m.blocks, m.name)
	}
	for i, name := range s.Blocks {
		j, err := BlockIndex(name)
		if err != nil {
			return specErr("blocks", i, "block %d: %v", i+1, err)
		}
		s.Blocks[i] = blockTable[j].Name
	}
	return nil
}

// yamlSpecError is a YAML syntax or type error of a spec as a *SpecError
// naming the line and the key (yamlerr), never a Go type.
func yamlSpecError(err error, data []byte, file string) error {
	var ye *yamlerr.Error
	if errors.As(yamlerr.Explain(err, data, Spec{}), &ye) {
		return &SpecError{File: file, Line: ye.Line, Msg: ye.Msg}
	}
	return &SpecError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

func specErr(key string, index int, format string, args ...any) error {
	return &fieldErr{key: key, index: index, msg: fmt.Sprintf(format, args...)}
}

// located turns a validation error into a *SpecError, with the line of the
// offending key when the YAML tree is known (root may be nil).
func located(err error, file string, root *yaml.Node) error {
	var fe *fieldErr
	if !errors.As(err, &fe) {
		return err
	}
	return &SpecError{File: file, Line: lineOf(root, fe.key, fe.index), Msg: fe.msg}
}

// lineOf returns the line of key (or of its index-th element) in root, or
// 0 when the key is absent (a default value was wrong).
func lineOf(root *yaml.Node, key string, index int) int {
	if root == nil || len(root.Content) == 0 {
		return 0
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return m.Line
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		v := m.Content[i+1]
		if index >= 0 && v.Kind == yaml.SequenceNode && index < len(v.Content) {
			return v.Content[index].Line
		}
		return m.Content[i].Line
	}
	return 0
}
