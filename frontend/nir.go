package frontend

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/autosnn/autosnn/frontend/internal/hdf5"
	"github.com/autosnn/autosnn/ir"
)

// NIR import: a NIR graph (docs/nir.md) becomes an ir.Graph. Neuron nodes
// (LIF, IF, LI, CubaLIF, Threshold) become populations, operator nodes
// (Affine, Linear, Conv2d, SumPool2d, AvgPool2d, Scale) projections into
// them, Flatten is the C,H,W order in which a dense projection reads its
// source. Continuous-time equations are discretised with forward Euler and
// a timestep DT (see nirNeuron).

// DefaultNIRDT is the forward-Euler timestep of NIR import in seconds: the
// dt snnTorch's exporter writes its time constants with (tau = dt/(1-beta)).
const DefaultNIRDT = 1e-4

// DefaultNIRT is the number of timesteps per inference of an imported
// graph when NIROptions.T is 0 (a NIR file does not fix it).
const DefaultNIRT = 10

// NIROptions are the choices a NIR file leaves to the importer.
type NIROptions struct {
	// DT is the forward-Euler timestep in seconds (> 0); 0 means
	// DefaultNIRDT.
	DT float64
	// T is the number of timesteps per inference (>= 1); 0 means
	// DefaultNIRT.
	T int
	// Name is the graph's name; "" means "nir".
	Name string
}

// nirKind is what a NIR node type becomes in the IR.
type nirKind int

const (
	nirInput  nirKind = iota + 1
	nirOutput         // marks the output population
	nirOp             // a projection operator
	nirFlat           // Flatten: no IR node
	nirNeuron         // a population
)

var nirKinds = map[string]nirKind{
	"Input": nirInput, "Output": nirOutput,
	"Affine": nirOp, "Linear": nirOp, "Conv2d": nirOp, "SumPool2d": nirOp, "AvgPool2d": nirOp, "Scale": nirOp,
	"Flatten": nirFlat,
	"LIF":     nirNeuron, "IF": nirNeuron, "LI": nirNeuron, "CubaLIF": nirNeuron, "Threshold": nirNeuron,
}

// nirRefused says why a known NIR node type is not imported.
var nirRefused = map[string]string{
	"Delay":    "the IR has no synaptic delays",
	"NIRGraph": "nested subgraphs (snnTorch's RLeaky/RSynaptic export recurrent layers so) are not supported; flatten the graph",
	"Conv1d":   "the IR has no 1-D convolution",
	"I":        "the IR has no pure integrator without leak or spikes",
	"CubaLI":   "the IR has no current-based leaky integrator",
}

// ImportNIR reads a NIR file's contents (HDF5, as nir.write produces) and
// returns the equivalent ir.Graph: trained (every weighted projection has
// its weights), Direct encoding, one output neuron per class (Vote 1).
// Errors name the NIR node or edge and what was expected; recurrent edges,
// Delay nodes and nodes the IR cannot express are refused.
func ImportNIR(data []byte, opt NIROptions) (*ir.Graph, error) {
	if opt.DT == 0 {
		opt.DT = DefaultNIRDT
	}
	if opt.T == 0 {
		opt.T = DefaultNIRT
	}
	if opt.Name == "" {
		opt.Name = "nir"
	}
	if !(opt.DT > 0) || math.IsInf(opt.DT, 0) || opt.T < 1 {
		return nil, fmt.Errorf("frontend: nir: dt %g s and %d timesteps, want dt > 0 and T >= 1", opt.DT, opt.T)
	}
	ng, err := readNIRGraph(data)
	if err != nil {
		return nil, fmt.Errorf("frontend: nir: %w", err)
	}
	im := &importer{ng: ng, opt: opt, shape: map[string]ir.Shape{}, pop: map[string]*ir.Population{}}
	if err := im.build(); err != nil {
		return nil, fmt.Errorf("frontend: nir: %w", err)
	}
	return im.g, nil
}

// ReadNIRFile imports the NIR file at path; ok is false (and the graph
// nil) when the file does not start with the HDF5 signature. An empty
// opt.Name becomes the file's base name without extension.
func ReadNIRFile(path string, opt NIROptions) (g *ir.Graph, ok bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("frontend: %w", err)
	}
	return importNIRFile(path, data, opt)
}

// importNIRFile imports data, the contents of path, if it is HDF5.
func importNIRFile(path string, data []byte, opt NIROptions) (*ir.Graph, bool, error) {
	if !bytes.HasPrefix(data, hdf5.Signature) {
		return nil, false, nil
	}
	if opt.Name == "" {
		opt.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	g, err := ImportNIR(data, opt)
	if err != nil {
		return nil, true, fmt.Errorf("frontend: NIR file %s: %s", path, strings.TrimPrefix(err.Error(), "frontend: "))
	}
	return g, true, nil
}

// importer holds one import in progress.
type importer struct {
	ng      *nirGraph
	opt     NIROptions
	in, out map[string][]string // predecessors and successors, sorted
	order   []string            // topological order
	shape   map[string]ir.Shape // output shape of each node
	pop     map[string]*ir.Population
	g       *ir.Graph
}

func (im *importer) build() error {
	if err := im.checkTypes(); err != nil {
		return err
	}
	im.in, im.out = map[string][]string{}, map[string][]string{}
	for _, e := range im.ng.edges {
		im.out[e[0]] = append(im.out[e[0]], e[1])
		im.in[e[1]] = append(im.in[e[1]], e[0])
	}
	for _, m := range []map[string][]string{im.in, im.out} {
		for k := range m {
			sort.Strings(m[k])
		}
	}
	if err := im.checkCycles(); err != nil {
		return err
	}
	input, output, err := im.ends()
	if err != nil {
		return err
	}
	im.topo(input)
	for _, name := range im.order {
		if err := im.inferShape(im.ng.nodes[name]); err != nil {
			return err
		}
	}
	im.g = &ir.Graph{Name: im.opt.Name, T: im.opt.T, Encoding: ir.Direct, Vote: 1, Loss: ir.MSERate}
	for _, name := range im.order {
		if err := im.lower(im.ng.nodes[name]); err != nil {
			return err
		}
	}
	src := im.pop[im.in[output][0]]
	if src == nil || im.g.Output() != src {
		return fmt.Errorf("output node %s: its source %s is not the last population", output, im.in[output][0])
	}
	src.Role = ir.Role{Kind: ir.RoleHead}
	im.g.Classes = src.Shape.Len()
	if err := ir.Verify(im.g); err != nil {
		return err
	}
	return nil
}

// checkTypes refuses Delay nodes (all named at once) and node types the
// IR cannot express.
func (im *importer) checkTypes() error {
	var delays []string
	for _, name := range im.ng.names {
		n := im.ng.nodes[name]
		if n.typ == "Delay" {
			delays = append(delays, name)
			continue
		}
		if _, ok := nirKinds[n.typ]; ok {
			continue
		}
		if why, ok := nirRefused[n.typ]; ok {
			return fmt.Errorf("node %s: %s nodes are not supported: %s", name, n.typ, why)
		}
		return fmt.Errorf("node %s: unknown NIR node type %q", name, n.typ)
	}
	if len(delays) > 0 {
		return fmt.Errorf("Delay nodes %s are not supported: the IR has no synaptic delays", strings.Join(delays, ", "))
	}
	return nil
}

// checkCycles refuses a recurrent graph, naming the edge that closes a
// cycle and the cycle.
func (im *importer) checkCycles() error {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(u string) error
	visit = func(u string) error {
		color[u] = grey
		stack = append(stack, u)
		for _, v := range im.out[u] {
			switch color[v] {
			case grey:
				i := len(stack) - 1
				for stack[i] != v {
					i--
				}
				cycle := append(append([]string{}, stack[i:]...), v)
				return fmt.Errorf("recurrent edge %s -> %s (cycle %s): the IR is feed-forward and has no recurrent connections", u, v, strings.Join(cycle, " -> "))
			case white:
				if err := visit(v); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[u] = black
		return nil
	}
	for _, name := range im.ng.names {
		if color[name] == white {
			if err := visit(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// ends checks that the graph has one Input and one Output node and that
// every other node lies between them.
func (im *importer) ends() (input, output string, err error) {
	var ins, outs []string
	for _, name := range im.ng.names {
		switch nirKinds[im.ng.nodes[name].typ] {
		case nirInput:
			ins = append(ins, name)
		case nirOutput:
			outs = append(outs, name)
		}
	}
	if len(ins) != 1 || len(outs) != 1 {
		return "", "", fmt.Errorf("%d Input nodes %v and %d Output nodes %v, want one of each", len(ins), ins, len(outs), outs)
	}
	input, output = ins[0], outs[0]
	for _, name := range im.ng.names {
		switch {
		case name == input && len(im.in[name]) > 0:
			return "", "", fmt.Errorf("input node %s has incoming edges from %v, want none", name, im.in[name])
		case name == output && len(im.in[name]) != 1:
			return "", "", fmt.Errorf("output node %s has %d incoming edges, want 1", name, len(im.in[name]))
		case name == output && len(im.out[name]) > 0:
			return "", "", fmt.Errorf("output node %s has outgoing edges to %v, want none", name, im.out[name])
		case name != input && len(im.in[name]) == 0:
			return "", "", fmt.Errorf("node %s has no incoming edge (only the Input node may)", name)
		case name != output && len(im.out[name]) == 0:
			return "", "", fmt.Errorf("node %s feeds nothing (only the Output node may)", name)
		}
	}
	return input, output, nil
}

// topo sets im.order: Kahn's algorithm from the input, ties by name.
func (im *importer) topo(input string) {
	deg := map[string]int{}
	for name, in := range im.in {
		deg[name] = len(in)
	}
	ready := []string{input}
	for len(ready) > 0 {
		sort.Strings(ready)
		u := ready[0]
		ready = ready[1:]
		im.order = append(im.order, u)
		for _, v := range im.out[u] {
			if deg[v]--; deg[v] == 0 {
				ready = append(ready, v)
			}
		}
	}
}

// inputs returns the names of the nodes feeding n, or an error naming
// n when an operator node (which applies to one input) has several.
func (im *importer) inputs(n *nirNode) ([]string, error) {
	in := im.in[n.name]
	if k := nirKinds[n.typ]; (k == nirOp || k == nirFlat) && len(in) != 1 {
		return nil, fmt.Errorf("node %s (%s) has %d inputs %v, want 1 (sum several inputs into a neuron node)", n.name, n.typ, len(in), in)
	}
	return in, nil
}

// errNode formats an error about node n.
func errNode(n *nirNode, format string, args ...any) error {
	return fmt.Errorf("node %s (%s): %s", n.name, n.typ, fmt.Sprintf(format, args...))
}
