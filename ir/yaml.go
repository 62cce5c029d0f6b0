package ir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// FormatVersion is the version of the YAML graph format written by Encode.
const FormatVersion = 1

// File names used by WriteDir and ReadDir.
const (
	GraphFile   = "graph.yaml"
	WeightsFile = "weights.bin"
)

// The document types mirror Graph field for field; they exist so the YAML
// layout is stable and explicit, independent of Go field names.
type graphDoc struct {
	Version     int       `yaml:"autosnn_ir"`
	Name        string    `yaml:"name"`
	T           int       `yaml:"timesteps"`
	Encoding    string    `yaml:"encoding"`
	Classes     int       `yaml:"classes"`
	Vote        int       `yaml:"vote"`
	Loss        string    `yaml:"loss"`
	Weights     *blobDoc  `yaml:"weights,omitempty"`
	Populations []popDoc  `yaml:"populations"`
	Projections []projDoc `yaml:"projections"`
}

type blobDoc struct {
	File   string `yaml:"file"`
	Floats int    `yaml:"floats"`
	CRC32  uint32 `yaml:"crc32"`
}

type popDoc struct {
	Name   string    `yaml:"name"`
	Shape  []int     `yaml:"shape,flow"`
	Neuron neuronDoc `yaml:"neuron"`
	Role   *roleDoc  `yaml:"role,omitempty"`
	Bias   *arrDoc   `yaml:"bias,omitempty"`
	Rates  *arrDoc   `yaml:"rates,omitempty"`
	Quant  *popQDoc  `yaml:"quant,omitempty"`
	Core   *arrDoc   `yaml:"core,omitempty"`
}

type popQDoc struct {
	Scale     float64 `yaml:"scale"`
	Threshold int32   `yaml:"threshold"`
	Reset     int32   `yaml:"reset"`
	Decay     int32   `yaml:"decay"`
	DecayBits uint8   `yaml:"decay_bits"`
	SynDecay  int32   `yaml:"syn_decay,omitempty"`
	VMin      int32   `yaml:"vmin"`
	VMax      int32   `yaml:"vmax"`
	Bias      *arrDoc `yaml:"bias,omitempty"`
}

type projQDoc struct {
	Host    bool    `yaml:"host,omitempty"`
	Weights *arrDoc `yaml:"weights,omitempty"`
}

type neuronDoc struct {
	Model     string   `yaml:"model"`
	W         *float64 `yaml:"w,omitempty"`
	Tau       *float64 `yaml:"tau,omitempty"`
	SynTau    *float64 `yaml:"syn_tau,omitempty"`
	Threshold *float64 `yaml:"threshold,omitempty"`
	Reset     *float64 `yaml:"reset,omitempty"`
}

type roleDoc struct {
	Kind   string `yaml:"kind"`
	Block  int    `yaml:"block,omitempty"`
	Layer  int    `yaml:"layer,omitempty"`
	Choice string `yaml:"choice,omitempty"`
}

type projDoc struct {
	Name    string    `yaml:"name"`
	From    string    `yaml:"from"`
	To      string    `yaml:"to"`
	Op      string    `yaml:"op"`
	Kernel  int       `yaml:"kernel,omitempty"`
	Stride  int       `yaml:"stride,omitempty"`
	Pad     int       `yaml:"pad,omitempty"`
	Weights *arrDoc   `yaml:"weights,omitempty"`
	BN      *bnDoc    `yaml:"bn,omitempty"`
	Quant   *projQDoc `yaml:"quant,omitempty"`
	Delay   int       `yaml:"delay,omitempty"`
}

type bnDoc struct {
	Eps   float64 `yaml:"eps"`
	Gamma *arrDoc `yaml:"gamma,omitempty"`
	Beta  *arrDoc `yaml:"beta,omitempty"`
	Mean  *arrDoc `yaml:"mean,omitempty"`
	Var   *arrDoc `yaml:"var,omitempty"`
}

// arrDoc locates an array of 4-byte words (float32, or int32 for integer
// fields) in the weights blob, in words.
type arrDoc struct {
	Offset int `yaml:"offset"`
	Count  int `yaml:"count"`
}

// blobWriter appends arrays to the weights blob in the order they are met,
// which is the graph order, so the encoding is deterministic.
type blobWriter struct{ buf []byte }

func (w *blobWriter) put(v []float32) *arrDoc {
	if v == nil {
		return nil
	}
	a := &arrDoc{Offset: len(w.buf) / 4, Count: len(v)}
	for _, f := range v {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(f))
	}
	return a
}

func (w *blobWriter) putInts(v []int32) *arrDoc {
	if v == nil {
		return nil
	}
	a := &arrDoc{Offset: len(w.buf) / 4, Count: len(v)}
	for _, x := range v {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(x))
	}
	return a
}

func f64(v float32) *float64 { f := float64(v); return &f }

// Encode serialises g as a YAML document and a little-endian float32 blob
// holding every array (weights, batch-norm vectors, biases, rates). The blob
// is empty when g holds no arrays. Encoding is deterministic and Decode
// inverts it exactly.
func Encode(g *Graph) (doc, blob []byte, err error) {
	if err := Verify(g); err != nil {
		return nil, nil, fmt.Errorf("ir: encode: %w", err)
	}
	bw := &blobWriter{}
	d := graphDoc{Version: FormatVersion, Name: g.Name, T: g.T, Encoding: g.Encoding.String(),
		Classes: g.Classes, Vote: g.Vote, Loss: g.Loss.String()}
	for _, p := range g.Pops {
		pd := popDoc{Name: p.Name, Shape: []int{p.Shape.C, p.Shape.H, p.Shape.W}, Bias: bw.put(p.Bias), Rates: bw.put(p.Rates)}
		n := p.Neuron
		pd.Neuron.Model = n.Model.String()
		switch n.Model {
		case PLIF:
			pd.Neuron.W = f64(n.W)
		case LIF, LI:
			pd.Neuron.Tau = f64(n.Tau)
		case CubaLIF:
			pd.Neuron.Tau, pd.Neuron.SynTau = f64(n.Tau), f64(n.SynTau)
		}
		if n.Model.Spiking() {
			pd.Neuron.Threshold, pd.Neuron.Reset = f64(n.Threshold), f64(n.Reset)
		}
		if q := p.Q; q != nil {
			pd.Quant = &popQDoc{Scale: float64(q.Scale), Threshold: q.Threshold, Reset: q.Reset, Decay: q.Decay, SynDecay: q.SynDecay,
				DecayBits: q.DecayBits, VMin: q.VMin, VMax: q.VMax, Bias: bw.putInts(q.Bias)}
		}
		pd.Core = bw.putInts(p.Core)
		if p.Role != (Role{}) {
			pd.Role = &roleDoc{Kind: p.Role.Kind.String(), Block: p.Role.Block, Layer: p.Role.Layer, Choice: p.Role.Choice}
		}
		d.Populations = append(d.Populations, pd)
	}
	for _, e := range g.Projs {
		ed := projDoc{Name: e.Name, From: e.Src.Name, To: e.Dst.Name, Op: e.Op.String(),
			Kernel: e.Kernel, Stride: e.Stride, Pad: e.Pad, Delay: e.Delay, Weights: bw.put(e.Weights)}
		if bn := e.BN; bn != nil {
			ed.BN = &bnDoc{Eps: float64(bn.Eps), Gamma: bw.put(bn.Gamma), Beta: bw.put(bn.Beta), Mean: bw.put(bn.Mean), Var: bw.put(bn.Var)}
		}
		if q := e.Q; q != nil {
			ed.Quant = &projQDoc{Host: q.Host, Weights: bw.putInts(q.Weights)}
		}
		d.Projections = append(d.Projections, ed)
	}
	if len(bw.buf) > 0 {
		d.Weights = &blobDoc{File: WeightsFile, Floats: len(bw.buf) / 4, CRC32: crc32.ChecksumIEEE(bw.buf)}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&d); err != nil {
		return nil, nil, fmt.Errorf("ir: encode %s: %w", g.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, nil, fmt.Errorf("ir: encode %s: %w", g.Name, err)
	}
	return out.Bytes(), bw.buf, nil
}

// blobReader reads arrays back, checking bounds.
type blobReader struct {
	buf []byte
	err error
}

func (r *blobReader) get(a *arrDoc, what string) []float32 {
	if a == nil || r.err != nil {
		return nil
	}
	if a.Offset < 0 || a.Count < 0 || (a.Offset+a.Count)*4 > len(r.buf) {
		r.err = fmt.Errorf("%s: floats [%d, %d) lie outside the %d-float weights blob", what, a.Offset, a.Offset+a.Count, len(r.buf)/4)
		return nil
	}
	v := make([]float32, a.Count)
	b := r.buf[a.Offset*4:]
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func (r *blobReader) getInts(a *arrDoc, what string) []int32 {
	f := r.get(a, what)
	if f == nil {
		return nil
	}
	v := make([]int32, len(f))
	for i, x := range f {
		v[i] = int32(math.Float32bits(x))
	}
	return v
}

func f32(p *float64, def float32) float32 {
	if p == nil {
		return def
	}
	return float32(*p)
}

// Decode parses a YAML graph document and its weights blob (nil or empty
// when the document references no arrays) and verifies the result. Unknown
// fields are errors; messages carry the YAML line or the node name.
func Decode(doc, blob []byte) (*Graph, error) {
	var d graphDoc
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("ir: decode: %w", err)
	}
	if d.Version != FormatVersion {
		return nil, fmt.Errorf("ir: decode: format version autosnn_ir: %d, want %d", d.Version, FormatVersion)
	}
	if d.Weights != nil {
		if len(blob) != 4*d.Weights.Floats {
			return nil, fmt.Errorf("ir: decode: weights blob has %d bytes, want %d (%d floats)", len(blob), 4*d.Weights.Floats, d.Weights.Floats)
		}
		if sum := crc32.ChecksumIEEE(blob); sum != d.Weights.CRC32 {
			return nil, fmt.Errorf("ir: decode: weights blob crc32 %#x, want %#x (file corrupt or from another graph)", sum, d.Weights.CRC32)
		}
	} else if len(blob) != 0 {
		return nil, errors.New("ir: decode: weights blob given but the document references none")
	}
	g := &Graph{Name: d.Name, T: d.T, Classes: d.Classes, Vote: d.Vote}
	var err error
	var e int
	if e, err = parseName("encoding", d.Encoding, encodingNames[:]); err != nil {
		return nil, fmt.Errorf("ir: decode: %w", err)
	}
	g.Encoding = Encoding(e)
	if e, err = parseName("loss", d.Loss, lossNames[:]); err != nil {
		return nil, fmt.Errorf("ir: decode: %w", err)
	}
	g.Loss = Loss(e)
	br := &blobReader{buf: blob}
	byName := make(map[string]*Population, len(d.Populations))
	for _, pd := range d.Populations {
		if len(pd.Shape) != 3 {
			return nil, fmt.Errorf("ir: decode: population %s: shape %v, want [C, H, W]", pd.Name, pd.Shape)
		}
		p := &Population{Name: pd.Name, Shape: Shape{C: pd.Shape[0], H: pd.Shape[1], W: pd.Shape[2]}}
		m, err := ParseModel(pd.Neuron.Model)
		if err != nil {
			return nil, fmt.Errorf("ir: decode: population %s: %w", pd.Name, err)
		}
		p.Neuron = Neuron{Model: m, W: f32(pd.Neuron.W, 0), Tau: f32(pd.Neuron.Tau, 0), SynTau: f32(pd.Neuron.SynTau, 0),
			Threshold: f32(pd.Neuron.Threshold, 0), Reset: f32(pd.Neuron.Reset, 0)}
		if r := pd.Role; r != nil {
			k, err := ParseRoleKind(r.Kind)
			if err != nil {
				return nil, fmt.Errorf("ir: decode: population %s: %w", pd.Name, err)
			}
			p.Role = Role{Kind: k, Block: r.Block, Layer: r.Layer, Choice: r.Choice}
		}
		p.Bias = br.get(pd.Bias, "population "+pd.Name+" bias")
		p.Rates = br.get(pd.Rates, "population "+pd.Name+" rates")
		p.Core = br.getInts(pd.Core, "population "+pd.Name+" core")
		if q := pd.Quant; q != nil {
			p.Q = &PopQuant{Scale: float32(q.Scale), Threshold: q.Threshold, Reset: q.Reset, Decay: q.Decay, SynDecay: q.SynDecay,
				DecayBits: q.DecayBits, VMin: q.VMin, VMax: q.VMax, Bias: br.getInts(q.Bias, "population "+pd.Name+" quant bias")}
		}
		if byName[p.Name] != nil {
			return nil, fmt.Errorf("ir: decode: population %s: name used twice", p.Name)
		}
		byName[p.Name] = p
		g.Pops = append(g.Pops, p)
	}
	for _, ed := range d.Projections {
		op, err := ParseOp(ed.Op)
		if err != nil {
			return nil, fmt.Errorf("ir: decode: projection %s: %w", ed.Name, err)
		}
		src, dst := byName[ed.From], byName[ed.To]
		if src == nil || dst == nil {
			return nil, fmt.Errorf("ir: decode: projection %s: from %q to %q, want names of populations", ed.Name, ed.From, ed.To)
		}
		e := &Projection{Name: ed.Name, Src: src, Dst: dst, Op: op, Kernel: ed.Kernel, Stride: ed.Stride, Pad: ed.Pad, Delay: ed.Delay,
			Weights: br.get(ed.Weights, "projection "+ed.Name+" weights")}
		if b := ed.BN; b != nil {
			what := "projection " + ed.Name + " bn "
			e.BN = &BatchNorm{Eps: float32(b.Eps), Gamma: br.get(b.Gamma, what+"gamma"), Beta: br.get(b.Beta, what+"beta"),
				Mean: br.get(b.Mean, what+"mean"), Var: br.get(b.Var, what+"var")}
		}
		if q := ed.Quant; q != nil {
			e.Q = &ProjQuant{Host: q.Host, Weights: br.getInts(q.Weights, "projection "+ed.Name+" quant weights")}
		}
		g.Projs = append(g.Projs, e)
	}
	if br.err != nil {
		return nil, fmt.Errorf("ir: decode: %w", br.err)
	}
	if err := Verify(g); err != nil {
		return nil, fmt.Errorf("ir: decode: %w", err)
	}
	return g, nil
}

// WriteDir writes g to dir as graph.yaml and, when g holds arrays,
// weights.bin. Each file is written to a temporary name and renamed, so a
// reader never sees a half-written file.
func WriteDir(dir string, g *Graph) error {
	doc, blob, err := Encode(g)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ir: write %s: %w", dir, err)
	}
	if len(blob) > 0 {
		if err := WriteFileAtomic(filepath.Join(dir, WeightsFile), blob); err != nil {
			return err
		}
	}
	return WriteFileAtomic(filepath.Join(dir, GraphFile), doc)
}

// ReadDir reads a graph written by WriteDir.
func ReadDir(dir string) (*Graph, error) {
	path := filepath.Join(dir, GraphFile)
	doc, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ir: read graph: %w", err)
	}
	var head struct {
		Weights *blobDoc `yaml:"weights"`
	}
	_ = yaml.Unmarshal(doc, &head) // real errors are reported by Decode
	var blob []byte
	if head.Weights != nil {
		name := head.Weights.File
		if name != filepath.Base(name) || name == "" {
			return nil, fmt.Errorf("ir: read %s: weights file %q, want a file name inside %s", path, name, dir)
		}
		if blob, err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("ir: read graph: %w", err)
		}
	}
	g, err := Decode(doc, blob)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}
