package frontend

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/autosnn/autosnn/frontend/internal/hdf5"
	"github.com/autosnn/autosnn/ir"
)

// NIRVersion is the version string NIR export writes at /version: the
// layout is that of the reference nir library 1.0.7 (the fixtures'
// writer).
const NIRVersion = "1.0.7"

// ExportNIR writes g as a NIR file (HDF5) to w: the graph NIRForm gives,
// one NIR node per population and per non-identity projection, with
// opt.DT (seconds; 0 means DefaultNIRDT) the timestep its time constants
// are written for. opt.T and opt.Name are not used (a NIR file holds
// neither). ImportNIR of the file with the same DT gives NIRForm(g) back
// (docs/nir.md, "Export").
func ExportNIR(g *ir.Graph, w io.Writer, opt NIROptions) error {
	b, err := EncodeNIR(g, opt)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("frontend: nir export: %w", err)
	}
	return nil
}

// WriteNIRFile writes g as a NIR file at path (see ExportNIR).
func WriteNIRFile(path string, g *ir.Graph, opt NIROptions) error {
	b, err := EncodeNIR(g, opt)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("frontend: nir export: %w", err)
	}
	return nil
}

// EncodeNIR returns the NIR file ExportNIR writes.
func EncodeNIR(g *ir.Graph, opt NIROptions) ([]byte, error) {
	if opt.DT == 0 {
		opt.DT = DefaultNIRDT
	}
	c, err := NIRForm(g, opt)
	if err != nil {
		return nil, err
	}
	x := &nirWriter{dt: opt.DT, nodes: map[string]*hdf5.Object{}}
	if err := x.graph(c); err != nil {
		return nil, fmt.Errorf("frontend: nir export: %w", err)
	}
	edges := make([]string, 0, 2*len(x.edges))
	for _, e := range x.edges {
		edges = append(edges, e[0], e[1])
	}
	node := group("/node", map[string]*hdf5.Object{
		"type":  dataset("/node/type", str("NIRGraph")),
		"edges": dataset("/node/edges", &hdf5.Value{Class: hdf5.String, Shape: []int{len(x.edges), 2}, Strings: edges}),
		"nodes": group("/node/nodes", x.nodes),
	})
	root := group("/", map[string]*hdf5.Object{"node": node, "version": dataset("/version", str(NIRVersion))})
	b, err := hdf5.Write(root)
	if err != nil {
		return nil, fmt.Errorf("frontend: nir export: %w", err)
	}
	return b, nil
}

// nirWriter collects the nodes and edges of one export.
type nirWriter struct {
	dt    float64
	nodes map[string]*hdf5.Object
	edges [][2]string
}

func group(path string, m map[string]*hdf5.Object) *hdf5.Object {
	return &hdf5.Object{Path: path, Members: m, Attrs: map[string]*hdf5.Value{}}
}

func dataset(path string, v *hdf5.Value) *hdf5.Object {
	return &hdf5.Object{Path: path, Data: v, Attrs: map[string]*hdf5.Value{}}
}

func str(s string) *hdf5.Value {
	return &hdf5.Value{Class: hdf5.String, Shape: []int{}, Strings: []string{s}}
}

// ints is an int64 array; a scalar when scalar is set (len(v) == 1).
func ints(scalar bool, v ...int) *hdf5.Value {
	out := &hdf5.Value{Class: hdf5.Int, Size: 8, Shape: []int{len(v)}}
	if scalar {
		out.Shape = []int{}
	}
	for _, x := range v {
		out.Ints = append(out.Ints, int64(x))
	}
	return out
}

// f32 is a float32 array of the given shape.
func f32(v []float32, shape ...int) *hdf5.Value {
	out := &hdf5.Value{Class: hdf5.Float, Size: 4, Shape: shape, Floats: make([]float64, len(v))}
	for i, x := range v {
		out.Floats[i] = float64(x)
	}
	return out
}

// filled is a float64 array of the neuron shape s holding x everywhere (the
// reference library gives neuron parameters the shape of the node).
func filled(s ir.Shape, x float64) *hdf5.Value {
	out := &hdf5.Value{Class: hdf5.Float, Size: 8, Shape: shapeOf(s), Floats: make([]float64, s.Len())}
	for i := range out.Floats {
		out.Floats[i] = x
	}
	return out
}

// shapeOf is a population shape as NIR writes it: (N) when flat, else
// (C, H, W).
func shapeOf(s ir.Shape) []int {
	if s.H == 1 && s.W == 1 {
		return []int{s.C}
	}
	return []int{s.C, s.H, s.W}
}

// add adds node name of NIR type typ with parameters params.
func (x *nirWriter) add(name, typ string, params map[string]*hdf5.Value) error {
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("node name %q, want a non-empty name without '/' (an HDF5 group name)", name)
	}
	if x.nodes[name] != nil {
		return fmt.Errorf("node name %s is used twice (a population and a projection share it)", name)
	}
	base := "/node/nodes/" + name
	m := map[string]*hdf5.Object{"type": dataset(base+"/type", str(typ))}
	for k, v := range params {
		m[k] = dataset(base+"/"+k, v)
	}
	x.nodes[name] = group(base, m)
	return nil
}

func (x *nirWriter) edge(src, dst string) { x.edges = append(x.edges, [2]string{src, dst}) }

// graph adds the nodes and edges of c (in NIRForm).
func (x *nirWriter) graph(c *ir.Graph) error {
	in := c.Input()
	if err := x.add(in.Name, "Input", map[string]*hdf5.Value{"shape": ints(false, shapeOf(in.Shape)...)}); err != nil {
		return err
	}
	for _, p := range c.Pops[1:] {
		if err := x.pop(c, p); err != nil {
			return fmt.Errorf("population %s: %w", p.Name, err)
		}
	}
	out := c.Output()
	outName := "output"
	for x.nodes[outName] != nil {
		outName += "_"
	}
	if err := x.add(outName, "Output", map[string]*hdf5.Value{"shape": ints(false, shapeOf(out.Shape)...)}); err != nil {
		return err
	}
	x.edge(out.Name, outName)
	return nil
}

// pop adds population p: a neuron node fed by one operator node per input
// projection (identity projections are direct edges), or, for a relay, the
// operator node of its one projection under the relay's name.
func (x *nirWriter) pop(c *ir.Graph, p *ir.Population) error {
	in := c.In(p)
	if p.Neuron.Model == ir.Relay {
		return x.op(in[0], p.Name, p.Bias)
	}
	var typ string
	params := map[string]*hdf5.Value{}
	s := p.Shape
	switch {
	case p.Neuron.Model == ir.LIF && p.Neuron.Tau == 1 && p.Neuron.Reset == 0 && p.Neuron.Threshold == nirMaxPoolThreshold && len(in) == 1 && in[0].Op == ir.SumPool:
		typ = "Threshold"
		params["threshold"] = filled(s, nirMaxPoolThreshold)
	case p.Neuron.Model == ir.LIF, p.Neuron.Model == ir.LI:
		_, tau, err := nirTau(p.Neuron.K(), x.dt)
		if err != nil {
			return err
		}
		typ = "LIF"
		params["tau"] = filled(s, tau)
		params["r"] = filled(s, 1)
		params["v_leak"] = filled(s, float64(p.Neuron.Reset))
		if p.Neuron.Model == ir.LI {
			typ = "LI"
		} else {
			params["v_threshold"] = filled(s, float64(p.Neuron.Threshold))
			params["v_reset"] = filled(s, float64(p.Neuron.Reset))
		}
	case p.Neuron.Model == ir.CubaLIF:
		_, mem, err := nirTau(p.Neuron.K(), x.dt)
		if err != nil {
			return err
		}
		_, syn, err := nirTau(p.Neuron.KSyn(), x.dt)
		if err != nil {
			return err
		}
		typ = "CubaLIF"
		params["tau_mem"] = filled(s, mem)
		params["tau_syn"] = filled(s, syn)
		params["r"] = filled(s, 1)
		params["w_in"] = filled(s, 1)
		params["v_leak"] = filled(s, float64(p.Neuron.Reset))
		params["v_threshold"] = filled(s, float64(p.Neuron.Threshold))
		params["v_reset"] = filled(s, float64(p.Neuron.Reset))
	case p.Neuron.Model == ir.IF:
		r, err := nirIFR(x.dt)
		if err != nil {
			return err
		}
		typ = "IF"
		params["r"] = filled(s, r)
		params["v_threshold"] = filled(s, float64(p.Neuron.Threshold))
		params["v_reset"] = filled(s, float64(p.Neuron.Reset))
	default:
		return fmt.Errorf("neuron model %v has no NIR node", p.Neuron.Model)
	}
	if err := x.add(p.Name, typ, params); err != nil {
		return err
	}
	bias := p.Bias
	for _, e := range in {
		if e.Op == ir.Identity {
			x.edge(e.Src.Name, p.Name)
			continue
		}
		var b []float32
		if e.Op.HasWeights() {
			b, bias = bias, nil // the first weighted projection carries the bias
		}
		if err := x.op(e, e.Name, b); err != nil {
			return err
		}
		x.edge(e.Name, p.Name)
	}
	if bias != nil {
		return fmt.Errorf("a bias without a weighted input projection")
	}
	return nil
}

// op adds the operator node name for projection e (with per-channel bias
// b, or nil) and the edges into it.
func (x *nirWriter) op(e *ir.Projection, name string, b []float32) error {
	s := e.Src.Shape
	params := map[string]*hdf5.Value{}
	var typ string
	src := e.Src.Name
	switch e.Op {
	case ir.Conv2D:
		cout := len(e.Weights) / (s.C * e.Kernel * e.Kernel)
		typ = "Conv2d"
		params["weight"] = f32(e.Weights, cout, s.C, e.Kernel, e.Kernel)
		if b == nil {
			b = make([]float32, cout)
		}
		params["bias"] = f32(b, cout)
		params["stride"] = ints(false, e.Stride, e.Stride)
		params["padding"] = ints(false, e.Pad, e.Pad)
		params["dilation"] = ints(false, 1, 1)
		params["groups"] = ints(true, 1)
		params["input_shape"] = ints(false, s.H, s.W)
	case ir.Dense:
		out := len(e.Weights) / s.Len()
		typ = "Linear"
		params["weight"] = f32(e.Weights, out, s.Len())
		if b != nil {
			typ = "Affine"
			params["bias"] = f32(b, out)
		}
		if s.H != 1 || s.W != 1 {
			flat := name + ".flatten"
			if err := x.add(flat, "Flatten", map[string]*hdf5.Value{
				"start_dim": ints(true, 0), "end_dim": ints(true, -1), "input_type": ints(false, s.C, s.H, s.W),
			}); err != nil {
				return err
			}
			x.edge(src, flat)
			src = flat
		}
	case ir.SumPool, ir.AvgPool:
		typ = "SumPool2d"
		if e.Op == ir.AvgPool {
			typ = "AvgPool2d"
		}
		params["kernel_size"] = ints(false, e.Kernel, e.Kernel)
		params["stride"] = ints(false, e.Stride, e.Stride)
		params["padding"] = ints(false, e.Pad, e.Pad)
	default:
		return fmt.Errorf("projection %s: %v has no NIR node", e.Name, e.Op)
	}
	if b != nil && !e.Op.HasWeights() {
		return fmt.Errorf("projection %s: a bias on a %v", e.Name, e.Op)
	}
	if err := x.add(name, typ, params); err != nil {
		return err
	}
	x.edge(src, name)
	return nil
}
