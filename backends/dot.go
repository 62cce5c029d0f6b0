package backends

import (
	"bufio"
	"fmt"
	"io"
	"slices"
)

// CoreGraph is the core-level traffic graph of a mapping, for DOT output.
type CoreGraph struct {
	// Name titles the graph.
	Name string
	// Nodes are the used cores.
	Nodes []CoreNode
	// Edges carry the rate-weighted messages per inference from one core
	// to another (From != To).
	Edges []CoreEdge
}

// CoreNode is one used core.
type CoreNode struct {
	Core int
	// Neurons on the core; Util its neuron utilisation in [0, 1].
	Neurons int
	Util    float64
	// Layers names the populations with neurons on the core.
	Layers []string
}

// CoreEdge is the traffic from core From to core To.
type CoreEdge struct {
	From, To int
	// Messages per inference (rate-weighted).
	Messages float64
}

// WriteDOT writes cg as a Graphviz digraph: one cluster per chip, each
// node pinned at its tile's mesh position (pos, for neato -n or fdp),
// labelled with core id, mesh position, neurons and layers; edges
// labelled with messages per inference, pen width growing with traffic.
func WriteDOT(w io.Writer, t *Target, cg *CoreGraph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %q {\n", cg.Name)
	fmt.Fprintf(bw, "  label=%q;\n  node [shape=box, fontsize=9];\n  edge [fontsize=8];\n", fmt.Sprintf("%s on %s: %d cores, edge weight = messages per inference", cg.Name, t.Name(), len(cg.Nodes)))
	byChip := map[int][]CoreNode{}
	var chips []int
	for _, n := range cg.Nodes {
		if !t.ValidCore(n.Core) {
			return fmt.Errorf("backends: dot: core %d out of range [0, %d)", n.Core, t.NumCores)
		}
		c := t.CoreCoord(n.Core).Chip
		if _, ok := byChip[c]; !ok {
			chips = append(chips, c)
		}
		byChip[c] = append(byChip[c], n)
	}
	slices.Sort(chips)
	cpt := t.Profile.Mesh.CoresPerTile
	for _, c := range chips {
		fmt.Fprintf(bw, "  subgraph cluster_chip%d {\n    label=\"chip %d\";\n", c, c)
		for _, n := range byChip[c] {
			cc := t.CoreCoord(n.Core)
			// Cores of a tile side by side inside the tile's cell.
			x := float64(cc.X*(cpt+1)+cc.Slot) * 60
			y := float64(cc.Y) * 80
			label := fmt.Sprintf("core %d\n(%d,%d)/%d\n%d neurons (%.0f%%)", n.Core, cc.X, cc.Y, cc.Slot, n.Neurons, 100*n.Util)
			for _, l := range n.Layers {
				label += "\n" + l
			}
			fmt.Fprintf(bw, "    c%d [label=%q, pos=\"%.0f,%.0f!\"];\n", n.Core, label, x, y)
		}
		fmt.Fprintln(bw, "  }")
	}
	var maxW float64
	for _, e := range cg.Edges {
		maxW = max(maxW, e.Messages)
	}
	for _, e := range cg.Edges {
		pen := 0.5
		if maxW > 0 {
			pen += 4.5 * e.Messages / maxW
		}
		fmt.Fprintf(bw, "  c%d -> c%d [label=\"%.4g\", weight=%.4g, penwidth=%.2f];\n", e.From, e.To, e.Messages, e.Messages, pen)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}
