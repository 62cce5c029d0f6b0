package frontend

import (
	"fmt"
	"sort"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// macroDef describes a macro architecture: how many blocks it takes and
// how to lay it out.
type macroDef struct {
	name   string
	blocks int // searchable block positions (0 for fixed architectures)
	doc    string
	build  func(l *lowering)
}

// macros is the table of macro architectures, keyed by name.
var macros = func() map[string]macroDef {
	m := make(map[string]macroDef)
	for _, d := range []macroDef{
		{"snn1", 5, "AutoSNN backbone: stem, TBD1, maxpool, TBD2-3, maxpool, TBD4-5, maxpool, FC", buildSNN1},
		{"snn2", 5, "SNN_1 + global average pooling + neuron before the FC", buildSNN2},
		{"snn3", 8, "no pooling: 8 TBDs, stride-2 TBDs at positions 2, 5, 8", buildSNN3},
		{"snn4", 5, "SNN_1 with avgpool 2x2 + neuron instead of maxpool", buildSNN4},
		{"snn1-8", 8, "enlarged SNN_1: one extra TBD before each maxpool (5^8 architectures)", buildSNN18},
		{"cifarnet-wu", 0, "CIFARNet of Wu et al. (AAAI 2019), C=128", buildCIFARNetWu},
		{"cifarnet-fang", 0, "CIFARNet of Fang et al. (ICCV 2021), C=256", buildCIFARNetFang},
		{"resnet11-lee", 0, "ResNet11 of Lee et al. (Front. Neurosci. 2020), C=64", buildResNet11Lee},
		{"resnet19-zheng", 0, "ResNet19 of Zheng et al. (AAAI 2021), C=128", buildResNet19Zheng},
	} {
		m[d.name] = d
	}
	return m
}()

// MacroNames returns the macro names in sorted order.
func MacroNames() []string {
	var names []string
	for n := range macros {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MacroBlocks returns the number of searchable block positions of a macro.
func MacroBlocks(macro string) (int, bool) {
	m, ok := macros[normMacro(macro)]
	return m.blocks, ok
}

// normMacro accepts the paper's spellings: SNN_1, snn_1, SNN1 -> snn1.
func normMacro(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(s, "snn_") {
		s = "snn" + s[4:]
	}
	return s
}

// lowering carries the state of one Lower call.
type lowering struct {
	s      Spec
	b      *ir.Builder
	neuron ir.Neuron
	cur    *ir.Population // output of the last layer added
	pools  int
}

// Lower builds the untrained graph a spec describes. Shape problems (an
// input too small for the macro's pooling, say) are reported naming the
// layer.
func Lower(s Spec) (*ir.Graph, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("frontend: spec %s: %w", s.Name, located(err, "", nil))
	}
	m := macros[s.Macro]
	h := ir.Header{T: s.T, Classes: s.Classes, Vote: 10, Loss: ir.MSERate}
	l := &lowering{s: s}
	switch s.Neuron {
	case "plif":
		l.neuron = ir.DefaultPLIF()
	case "lif":
		tau := s.Tau
		if tau == 0 {
			tau = 2
		}
		l.neuron = ir.Neuron{Model: ir.LIF, Tau: float32(tau), Threshold: 1}
	case "if":
		l.neuron = ir.Neuron{Model: ir.IF, Threshold: 1}
	case "ann":
		l.neuron = ir.Neuron{Model: ir.ReLU}
		h.T, h.Vote, h.Loss = 1, 1, ir.CrossEntropy
	}
	if s.Encoding == "frames" || (s.Encoding == "" && s.Input[0] == 2) {
		h.Encoding = ir.Frames
	}
	l.b = ir.NewBuilder(s.Name, h)
	l.cur = l.b.Input("input", ir.Shape{C: s.Input[0], H: s.Input[1], W: s.Input[2]})
	m.build(l)
	g, err := l.b.Graph()
	if err != nil {
		return nil, fmt.Errorf("frontend: spec %s (macro %s, input %v): %w", s.Name, s.Macro, s.Input, err)
	}
	return g, nil
}

// conv adds conv(k, stride)+BN+neuron from the current layer.
func (l *lowering) conv(name string, role ir.Role, cout, k, stride int) {
	l.cur = l.b.Layer(name, l.neuron, role, ir.ConvBN(l.cur, cout, k, stride))
}

// stem adds the stem conv and, for 64x64 and 128x128 inputs, the extra
// down-sampling stem layers of the paper.
func (l *lowering) stem(c int) {
	l.conv("stem", ir.Role{Kind: ir.RoleStem}, c, 3, 1)
	extra := 0
	switch h := l.s.Input[1]; {
	case h >= 128:
		extra = 2
	case h >= 64:
		extra = 1
	}
	for i := 1; i <= extra; i++ {
		l.cur = l.b.Layer(fmt.Sprintf("stem.pool%d", i), ir.Neuron{Model: ir.Relay}, ir.Role{Kind: ir.RoleStem}, ir.Pool(ir.MaxPool, l.cur, 2))
		if i == 1 {
			l.conv("stem.conv2", ir.Role{Kind: ir.RoleStem}, c, 3, 1)
		}
	}
}

// block adds the spec's block at position pos (0-based) as TBD pos+1.
func (l *lowering) block(pos, cout, stride int) {
	def := blockTable[mustBlock(l.s.Blocks[pos])]
	nm := &layerNamer{prefix: fmt.Sprintf("tbd%d", pos+1), block: pos + 1, choice: def.Name}
	l.cur = addBlock(l.b, def, l.cur, cout, stride, nm, l.neuron)
}

func mustBlock(name string) int {
	i, err := BlockIndex(name)
	if err != nil {
		panic("frontend: unvalidated block " + name) // validate ran first
	}
	return i
}

// maxPool adds a 2x2 max-pool.
func (l *lowering) maxPool() {
	l.pools++
	l.cur = l.b.Layer(fmt.Sprintf("pool%d", l.pools), ir.Neuron{Model: ir.Relay}, ir.Role{Kind: ir.RolePool, Block: l.pools}, ir.Pool(ir.MaxPool, l.cur, 2))
}

// avgPool adds a 2x2 average pool followed by neurons.
func (l *lowering) avgPool() {
	l.pools++
	l.cur = l.b.Layer(fmt.Sprintf("pool%d", l.pools), l.neuron, ir.Role{Kind: ir.RolePool, Block: l.pools}, ir.Pool(ir.AvgPool, l.cur, 2))
}

// fc adds a dense layer of out neurons.
func (l *lowering) fc(name string, out int) {
	l.cur = l.b.Layer(name, l.neuron, ir.Role{Kind: ir.RoleHead}, ir.Full(l.cur, out))
}

// head adds the classifier: dense to vote x classes neurons. In ANN mode
// the output is the linear logits (a relay population).
func (l *lowering) head(name string) {
	if l.s.Neuron == "ann" {
		l.cur = l.b.Layer(name, ir.Neuron{Model: ir.Relay}, ir.Role{Kind: ir.RoleHead}, ir.Full(l.cur, l.s.Classes))
		return
	}
	l.fc(name, 10*l.s.Classes)
}

func buildSNN1(l *lowering)  { snn1Like(l, false, false, (*lowering).maxPool) }
func buildSNN2(l *lowering)  { snn1Like(l, false, true, (*lowering).maxPool) }
func buildSNN4(l *lowering)  { snn1Like(l, false, false, (*lowering).avgPool) }
func buildSNN18(l *lowering) { snn1Like(l, true, false, (*lowering).maxPool) }

// snn1Like lays out the SNN_1 family: extra adds a TBD before each pool
// (the enlarged space), gap adds global average pooling + neurons before
// the classifier (SNN_2).
func snn1Like(l *lowering, extra, gap bool, pool func(*lowering)) {
	c := l.s.Channels
	l.stem(c)
	pos := 0
	stage := func(chans ...int) {
		for _, co := range chans {
			l.block(pos, co, 1)
			pos++
		}
		pool(l)
	}
	if extra {
		stage(c, c)
		stage(2*c, 2*c, 2*c)
		stage(4*c, 4*c, 4*c)
	} else {
		stage(c)
		stage(2*c, 2*c)
		stage(4*c, 4*c)
	}
	if gap {
		l.cur = l.b.Layer("gap", l.neuron, ir.Role{Kind: ir.RoleGAP}, ir.GlobalAvgPool(l.cur))
	}
	l.head("fc")
}

func buildSNN3(l *lowering) {
	c := l.s.Channels
	l.stem(c)
	chans := []int{c, 2 * c, 2 * c, 2 * c, 4 * c, 4 * c, 4 * c, 8 * c}
	for pos, co := range chans {
		stride := 1
		if pos == 1 || pos == 4 || pos == 7 {
			stride = 2
		}
		l.block(pos, co, stride)
	}
	l.head("fc")
}

// buildCIFARNetWu: conv C, conv 2C, avgpool+neuron, conv 4C, avgpool+neuron,
// conv 8C, conv 4C, FC 8C, FC 4C, FC 10*classes.
func buildCIFARNetWu(l *lowering) {
	c := l.s.Channels
	l.conv("conv1", ir.Role{Kind: ir.RoleStem}, c, 3, 1)
	l.conv("conv2", ir.Role{Kind: ir.RoleBlock, Block: 1, Layer: 1}, 2*c, 3, 1)
	l.avgPool()
	l.conv("conv3", ir.Role{Kind: ir.RoleBlock, Block: 2, Layer: 1}, 4*c, 3, 1)
	l.avgPool()
	l.conv("conv4", ir.Role{Kind: ir.RoleBlock, Block: 3, Layer: 1}, 8*c, 3, 1)
	l.conv("conv5", ir.Role{Kind: ir.RoleBlock, Block: 3, Layer: 2}, 4*c, 3, 1)
	l.fc("fc1", 8*c)
	l.fc("fc2", 4*c)
	l.head("fc3")
}

// buildCIFARNetFang: {conv C x3, maxpool} x2, FC (C/2)*16, FC 10*classes.
func buildCIFARNetFang(l *lowering) {
	c := l.s.Channels
	for s := 1; s <= 2; s++ {
		for j := 1; j <= 3; j++ {
			role := ir.Role{Kind: ir.RoleBlock, Block: s, Layer: j}
			if s == 1 && j == 1 {
				role = ir.Role{Kind: ir.RoleStem}
			}
			l.conv(fmt.Sprintf("conv%d_%d", s, j), role, c, 3, 1)
		}
		l.maxPool()
	}
	l.fc("fc1", c/2*16)
	l.head("fc2")
}

// resnet lays out the SRB_k3 ResNets of the baselines: stem conv, optional
// avgpool+neuron, SRB_k3 blocks, optional last avgpool+neuron, FC, head.
func resnet(l *lowering, stemAvg, lastAvg bool, chans, strides []int, last int) {
	l.conv("stem", ir.Role{Kind: ir.RoleStem}, l.s.Channels, 3, 1)
	if stemAvg {
		l.avgPool()
	}
	srb := blockTable[mustBlock("SRB_k3")]
	for i, co := range chans {
		nm := &layerNamer{prefix: fmt.Sprintf("res%d", i+1), block: i + 1, choice: srb.Name}
		l.cur = addBlock(l.b, srb, l.cur, co, strides[i], nm, l.neuron)
	}
	if lastAvg {
		l.avgPool()
	}
	l.fc("fc1", last)
	l.head("fc2")
}

func buildResNet11Lee(l *lowering) {
	c := l.s.Channels
	resnet(l, true, false, []int{2 * c, 4 * c, 8 * c, 8 * c}, []int{1, 2, 1, 2}, 16*c)
}

func buildResNet19Zheng(l *lowering) {
	c := l.s.Channels
	resnet(l, false, true, []int{c, c, c, 2 * c, 2 * c, 2 * c, 4 * c, 4 * c}, []int{1, 1, 1, 2, 1, 1, 2, 1}, 2*c)
}
