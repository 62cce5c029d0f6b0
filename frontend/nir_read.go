package frontend

import (
	"fmt"
	"math"
	"sort"

	"github.com/autosnn/autosnn/frontend/internal/hdf5"
)

// nirGraph is a NIR file's graph as stored: nodes by name and edges.
type nirGraph struct {
	version string
	nodes   map[string]*nirNode
	names   []string    // node names, sorted
	edges   [][2]string // [source, target]
}

// nirNode is one NIR node: its type and its parameters as stored.
type nirNode struct {
	name   string
	typ    string
	params map[string]*hdf5.Value
}

// readNIRGraph reads the layout nir.write produces: /version,
// /node/type = "NIRGraph", /node/edges (E, 2) strings, and
// /node/nodes/<name>/{type, params...}.
func readNIRGraph(data []byte) (*nirGraph, error) {
	root, err := hdf5.Read(data)
	if err != nil {
		return nil, err
	}
	g := &nirGraph{nodes: map[string]*nirNode{}}
	if v, err := root.Get("version"); err == nil && v.Data != nil && v.Data.Class == hdf5.String && len(v.Data.Strings) == 1 {
		g.version = v.Data.Strings[0]
	}
	top, err := root.Get("node")
	if err != nil {
		return nil, fmt.Errorf("no /node group, want a NIR file written by nir.write: %w", err)
	}
	if t, err := stringAt(top, "type"); err != nil || t != "NIRGraph" {
		return nil, fmt.Errorf("/node/type is %q (%v), want \"NIRGraph\"", t, err)
	}
	nodes, err := top.Get("nodes")
	if err != nil || !nodes.IsGroup() {
		return nil, fmt.Errorf("/node/nodes: want a group of nodes (%v)", err)
	}
	for _, name := range nodes.Names() {
		o := nodes.Members[name]
		if !o.IsGroup() {
			return nil, fmt.Errorf("%s is a dataset, want a node group", o.Path)
		}
		t, err := stringAt(o, "type")
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", name, err)
		}
		n := &nirNode{name: name, typ: t, params: map[string]*hdf5.Value{}}
		for _, p := range o.Names() {
			if m := o.Members[p]; p != "type" && !m.IsGroup() {
				n.params[p] = m.Data
			}
		}
		g.nodes[name] = n
		g.names = append(g.names, name)
	}
	sort.Strings(g.names)
	e, err := top.Get("edges")
	if err != nil || e.IsGroup() || e.Data.Class != hdf5.String {
		return nil, fmt.Errorf("/node/edges: want an (E, 2) array of strings (%v)", err)
	}
	if len(e.Data.Strings) > 0 && (len(e.Data.Shape) != 2 || e.Data.Shape[1] != 2) {
		return nil, fmt.Errorf("/node/edges has shape %v, want (E, 2)", e.Data.Shape)
	}
	for i := 0; i+1 < len(e.Data.Strings); i += 2 {
		src, dst := e.Data.Strings[i], e.Data.Strings[i+1]
		for _, n := range []string{src, dst} {
			if g.nodes[n] == nil {
				return nil, fmt.Errorf("edge %s -> %s names node %q, which /node/nodes does not hold", src, dst, n)
			}
		}
		g.edges = append(g.edges, [2]string{src, dst})
	}
	return g, nil
}

// stringAt returns the scalar string dataset name of group o.
func stringAt(o *hdf5.Object, name string) (string, error) {
	d, err := o.Get(name)
	if err != nil {
		return "", err
	}
	if d.IsGroup() || d.Data.Class != hdf5.String || len(d.Data.Strings) != 1 {
		return "", fmt.Errorf("%s: want one string", d.Path)
	}
	return d.Data.Strings[0], nil
}

// floats returns parameter p of node n as float64 values with its shape.
func (n *nirNode) floats(p string) ([]float64, []int, error) {
	v, ok := n.params[p]
	if !ok {
		return nil, nil, fmt.Errorf("node %s (%s): no parameter %s", n.name, n.typ, p)
	}
	switch v.Class {
	case hdf5.Float:
		return v.Floats, v.Shape, nil
	case hdf5.Int:
		f := make([]float64, len(v.Ints))
		for i, x := range v.Ints {
			f[i] = float64(x)
		}
		return f, v.Shape, nil
	}
	return nil, nil, fmt.Errorf("node %s (%s): parameter %s is a %v, want numbers", n.name, n.typ, p, v.Class)
}

// ints returns integer parameter p of node n (a scalar or an array).
func (n *nirNode) ints(p string) ([]int, error) {
	v, ok := n.params[p]
	if !ok {
		return nil, fmt.Errorf("node %s (%s): no parameter %s", n.name, n.typ, p)
	}
	var out []int
	switch v.Class {
	case hdf5.Int:
		for _, x := range v.Ints {
			if x < math.MinInt32 || x > math.MaxInt32 {
				return nil, fmt.Errorf("node %s (%s): %s = %d out of range", n.name, n.typ, p, x)
			}
			out = append(out, int(x))
		}
	case hdf5.Float:
		for _, x := range v.Floats {
			if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
				return nil, fmt.Errorf("node %s (%s): %s = %g, want an integer", n.name, n.typ, p, x)
			}
			out = append(out, int(x))
		}
	default:
		return nil, fmt.Errorf("node %s (%s): %s is a %v (e.g. padding \"same\"), want integers", n.name, n.typ, p, v.Class)
	}
	return out, nil
}

// required as square's default makes the parameter required.
const required = math.MinInt32

// square returns integer parameter p as one value: an int, or two equal
// ints (the IR's kernels, strides and paddings are square). def is used
// when the parameter is absent, unless it is required.
func (n *nirNode) square(p string, def int) (int, error) {
	if _, ok := n.params[p]; !ok && def != required {
		return def, nil
	}
	v, err := n.ints(p)
	if err != nil {
		return 0, err
	}
	switch {
	case len(v) == 1:
		return v[0], nil
	case len(v) == 2 && v[0] == v[1]:
		return v[0], nil
	}
	return 0, fmt.Errorf("node %s (%s): %s = %v, want one value or two equal values (square)", n.name, n.typ, p, v)
}
