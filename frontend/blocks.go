package frontend

import (
	"fmt"
	"sort"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// blockKind is the family of a candidate block.
type blockKind int

const (
	kindSkip blockKind = iota // identity, or conv1x1-BN-neuron when the shape changes
	kindSCB                   // spiking convolution block: two conv-BN-neuron
	kindSRB                   // spiking residual block: SCB with a shortcut into the second neuron
	kindSIB                   // spiking inverted bottleneck: 1x1 expand, kxk, 1x1 project, shortcut
)

// blockDef is one row of the block table.
type blockDef struct {
	Name   string
	Kind   blockKind
	Kernel int
	Expand int // SIB expansion ratio e
}

// blockTable lists the candidate blocks. The first five, in this order, are
// the AutoSNN search space (index 0..4); SIB variants are for the paper's
// appendix B.3 analysis. Order matters: search indices refer to it.
var blockTable = []blockDef{
	{Name: "skip", Kind: kindSkip},
	{Name: "SCB_k3", Kind: kindSCB, Kernel: 3},
	{Name: "SCB_k5", Kind: kindSCB, Kernel: 5},
	{Name: "SRB_k3", Kind: kindSRB, Kernel: 3},
	{Name: "SRB_k5", Kind: kindSRB, Kernel: 5},
	{Name: "SIB_k3_e1", Kind: kindSIB, Kernel: 3, Expand: 1},
	{Name: "SIB_k3_e3", Kind: kindSIB, Kernel: 3, Expand: 3},
	{Name: "SIB_k5_e1", Kind: kindSIB, Kernel: 5, Expand: 1},
	{Name: "SIB_k5_e3", Kind: kindSIB, Kernel: 5, Expand: 3},
}

// SearchBlocks is the number of candidate blocks of the AutoSNN search
// space; Blocks()[:SearchBlocks] are its candidates in index order.
const SearchBlocks = 5

// Blocks returns the names of all candidate blocks, search candidates first
// in index order.
func Blocks() []string {
	names := make([]string, len(blockTable))
	for i, b := range blockTable {
		names[i] = b.Name
	}
	return names
}

// BlockIndex returns the index of the named block in Blocks(), matching
// case-insensitively, or an error listing the valid names.
func BlockIndex(name string) (int, error) {
	for i, b := range blockTable {
		if strings.EqualFold(b.Name, name) {
			return i, nil
		}
	}
	valid := Blocks()
	sort.Strings(valid)
	return -1, fmt.Errorf("unknown block %q, want one of %s", name, strings.Join(valid, ", "))
}

// layerNamer hands out population names and roles inside one block.
type layerNamer struct {
	prefix string // e.g. "tbd2"
	block  int
	choice string
	layer  int
}

func (n *layerNamer) next() (string, ir.Role) {
	n.layer++
	return fmt.Sprintf("%s.l%d", n.prefix, n.layer), ir.Role{Kind: ir.RoleBlock, Block: n.block, Layer: n.layer, Choice: n.choice}
}

// addBlock lowers one block from in (cin channels) to cout channels with
// the given stride and returns its output population (in itself for an
// identity skip).
func addBlock(b *ir.Builder, def blockDef, in *ir.Population, cout, stride int, nm *layerNamer, neuron ir.Neuron) *ir.Population {
	cin := in.Shape.C
	same := cin == cout && stride == 1
	shortcut := func() ir.Edge {
		if same {
			return ir.Skip(in)
		}
		return ir.ConvBN(in, cout, 1, stride)
	}
	switch def.Kind {
	case kindSkip:
		if same {
			return in
		}
		name, role := nm.next()
		return b.Layer(name, neuron, role, ir.ConvBN(in, cout, 1, stride))
	case kindSCB:
		name, role := nm.next()
		l1 := b.Layer(name, neuron, role, ir.ConvBN(in, cout, def.Kernel, stride))
		name, role = nm.next()
		return b.Layer(name, neuron, role, ir.ConvBN(l1, cout, def.Kernel, 1))
	case kindSRB:
		name, role := nm.next()
		l1 := b.Layer(name, neuron, role, ir.ConvBN(in, cout, def.Kernel, stride))
		name, role = nm.next()
		return b.Layer(name, neuron, role, ir.ConvBN(l1, cout, def.Kernel, 1), shortcut().Named(name+".shortcut"))
	default: // kindSIB
		mid := cin * def.Expand
		name, role := nm.next()
		l1 := b.Layer(name, neuron, role, ir.ConvBN(in, mid, 1, 1))
		name, role = nm.next()
		l2 := b.Layer(name, neuron, role, ir.ConvBN(l1, mid, def.Kernel, stride))
		name, role = nm.next()
		return b.Layer(name, neuron, role, ir.ConvBN(l2, cout, 1, 1), shortcut().Named(name+".shortcut"))
	}
}
