package train

import (
	"fmt"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// namer hands out module names in the convention of the PyTorch reference
// (see search/engine/train/testdata/README.md) for the populations and projections
// of a graph.
type namer struct {
	g *ir.Graph
	// blockPrefix overrides "blocks.<i>" for the block being built (used by
	// super-networks that hold several candidates per position).
	blockPrefix string
	used        map[string]string // module name -> what it names
}

func newNamer(g *ir.Graph, blockPrefix string) *namer {
	return &namer{g: g, blockPrefix: blockPrefix, used: map[string]string{}}
}

// claim records a module name and fails if two things would share it.
func (n *namer) claim(name, what string) (string, error) {
	if prev, ok := n.used[name]; ok {
		return "", fmt.Errorf("train: module name %q would name both %s and %s", name, prev, what)
	}
	n.used[name] = what
	return name, nil
}

// popPrefix returns the prefix of the modules of population p and whether
// it uses the reference's "blocks.<i>" layout (numbered conv/bn/neuron).
func (n *namer) popPrefix(p *ir.Population) (prefix string, layer int) {
	switch p.Role.Kind {
	case ir.RoleStem:
		if p.Name == "stem" {
			return "stem", 0
		}
	case ir.RoleBlock:
		if p.Role.Block > 0 && p.Role.Layer > 0 {
			pre := fmt.Sprintf("blocks.%d", p.Role.Block-1)
			if n.blockPrefix != "" {
				pre = n.blockPrefix
			}
			return pre, p.Role.Layer
		}
	}
	return p.Name, 0
}

// neuronName names the neuron layer of population p.
func (n *namer) neuronName(p *ir.Population) string {
	model := p.Neuron.Model.String()
	switch p.Role.Kind {
	case ir.RolePool:
		if p.Role.Block > 0 {
			return fmt.Sprintf("pools.%d.%s", p.Role.Block-1, model)
		}
	case ir.RoleGAP:
		return "gap." + model
	case ir.RoleHead:
		if p == n.g.Output() {
			return "fc_" + model
		}
		return p.Name + "_" + model
	}
	pre, layer := n.popPrefix(p)
	if layer > 0 {
		return fmt.Sprintf("%s.%s%d", pre, model, layer)
	}
	return pre + "." + model
}

// projName names the modules of projection e: the operator module (conv,
// linear or pool) and its batch-norm.
func (n *namer) projName(e *ir.Projection) (op, bn string) {
	p := e.Dst
	switch e.Op {
	case ir.MaxPool, ir.AvgPool, ir.SumPool:
		switch {
		case p.Role.Kind == ir.RolePool && p.Role.Block > 0:
			return fmt.Sprintf("pools.%d", p.Role.Block-1), ""
		case p.Role.Kind == ir.RoleGAP:
			return "gap", ""
		}
		return p.Name + "." + e.Op.String(), ""
	case ir.Dense:
		if p.Role.Kind == ir.RoleHead {
			base := p.Name
			if p == n.g.Output() {
				base = "fc"
			}
			return base, base + ".bn"
		}
		return p.Name + ".fc", p.Name + ".bn"
	case ir.Identity:
		return e.Name, ""
	}
	// Conv2D.
	pre, layer := n.popPrefix(p)
	if isShortcut(n.g, e) {
		if layer > 0 {
			return pre + ".shortcut.conv", pre + ".shortcut.bn"
		}
		return e.Name + ".conv", e.Name + ".bn"
	}
	if layer > 0 {
		return fmt.Sprintf("%s.conv%d", pre, layer), fmt.Sprintf("%s.bn%d", pre, layer)
	}
	return pre + ".conv", pre + ".bn"
}

// isShortcut reports whether e is the shortcut of a residual population:
// a projection whose name ends in ".shortcut", or a later Conv2D into a
// population that already has one.
func isShortcut(g *ir.Graph, e *ir.Projection) bool {
	if strings.HasSuffix(e.Name, ".shortcut") {
		return true
	}
	for _, f := range g.In(e.Dst) {
		if f == e {
			return false
		}
		if f.Op == ir.Conv2D {
			return true
		}
	}
	return false
}
