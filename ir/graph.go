package ir

import (
	"fmt"
	"math"
)

// Shape is the shape of a population in channel-major order. A flat layer of
// N neurons has Shape{C: N, H: 1, W: 1}. All fields are >= 1 in a valid graph.
type Shape struct {
	C, H, W int
}

// Len returns the number of neurons C*H*W.
func (s Shape) Len() int { return s.C * s.H * s.W }

func (s Shape) String() string {
	if s.H == 1 && s.W == 1 {
		return fmt.Sprintf("[%d]", s.C)
	}
	return fmt.Sprintf("[%d %d %d]", s.C, s.H, s.W)
}

// Model is the neuron model of a population.
type Model int

// Neuron models. The charge equations are in the doc comment of Neuron.
const (
	Input   Model = iota // network input: analog pixels (direct encoding) or event counts
	PLIF                 // parametric LIF: learnable W, k = sigmoid(W)
	LIF                  // LIF with a fixed time constant Tau, k = 1/Tau
	IF                   // integrate-and-fire, no leak
	ReLU                 // ANN mode: output max(0, input), no state, no spikes
	Relay                // stateless: output = input (the target of a max-pool projection)
	LI                   // leaky integrator, no spikes: output = membrane V (a NIR LI readout)
	CubaLIF              // current-based LIF: a decaying synaptic current feeds a LIF membrane (Loihi's compartment, a NIR CubaLIF)
)

var modelNames = [...]string{Input: "input", PLIF: "plif", LIF: "lif", IF: "if", ReLU: "relu", Relay: "relay", LI: "li", CubaLIF: "cuba_lif"}

func (m Model) String() string {
	if m >= 0 && int(m) < len(modelNames) {
		return modelNames[m]
	}
	return fmt.Sprintf("Model(%d)", int(m))
}

// ParseModel returns the model named s ("plif", "lif", ...).
func ParseModel(s string) (Model, error) {
	for i, n := range modelNames {
		if n == s {
			return Model(i), nil
		}
	}
	return 0, fmt.Errorf("unknown neuron model %q, want one of %v", s, modelNames)
}

// Spiking reports whether the model emits binary spikes (PLIF, LIF, IF,
// CubaLIF).
func (m Model) Spiking() bool { return m == PLIF || m == LIF || m == IF || m == CubaLIF }

// Neuron holds the neuron model of a population and its parameters.
//
// With input current X[t] (the sum of incoming projections plus bias), a
// spiking neuron charges
//
//	PLIF, LIF: H[t] = V[t-1] + k*(X[t] - (V[t-1] - Reset))
//	IF:        H[t] = V[t-1] + X[t]
//
// fires S[t] = 1 when H[t] >= Threshold (equality fires), and resets hard:
// V[t] = Reset if S[t] = 1, else H[t]. V starts at 0 before every input.
// An LI population charges V[t] = V[t-1] + k*(X[t] - V[t-1]) with k = 1/Tau,
// never fires, and outputs V[t] (an analog value, not a spike). A CubaLIF
// population first charges a synaptic current, then the membrane from it:
//
//	CubaLIF:   I[t] = I[t-1] + ks*(X[t] - I[t-1])        ks = 1/SynTau
//	           H[t] = V[t-1] + k*(I[t] - (V[t-1] - Reset))   k = 1/Tau
//
// and fires and resets V as a LIF; I starts at 0 and a spike leaves it.
// (Loihi's compartment, u[t] = (1-du)*u[t-1] + w*s, v[t] = (1-dv)*v[t-1] +
// u[t], is this with du = ks, dv = k and its weights and v scaled by ks
// and k.)
type Neuron struct {
	Model Model
	// W is the learnable PLIF parameter; the decay is k = sigmoid(W). W = 0
	// gives the initial time constant tau = 2.
	W float32
	// Tau is the LIF, LI and CubaLIF (membrane) time constant in timesteps
	// (>= 1); k = 1/Tau.
	Tau float32
	// SynTau is the CubaLIF synaptic current's time constant in timesteps
	// (>= 1; ks = 1/SynTau, 1 passes X through); 0 for other models.
	SynTau float32
	// Threshold is the firing threshold V_th (1.0 in the reference method).
	Threshold float32
	// Reset is the hard-reset potential V_reset (0.0 in the reference method).
	Reset float32
}

// K returns the decay k of the charge equation: sigmoid(W) for PLIF, 1/Tau for
// LIF, LI and CubaLIF, 1 for IF (no leak; the IF equation does not use it).
func (n Neuron) K() float32 {
	switch n.Model {
	case PLIF:
		return float32(1 / (1 + math.Exp(-float64(n.W))))
	case LIF, LI, CubaLIF:
		return 1 / n.Tau
	}
	return 1
}

// KSyn returns the decay ks = 1/SynTau of a CubaLIF's synaptic current, 1
// for every other model.
func (n Neuron) KSyn() float32 {
	if n.Model == CubaLIF {
		return 1 / n.SynTau
	}
	return 1
}

// DefaultPLIF is the PLIF neuron of the reference method: tau0 = 2 (W = 0),
// threshold 1, hard reset to 0.
func DefaultPLIF() Neuron { return Neuron{Model: PLIF, Threshold: 1} }

// RoleKind says what part of the paper's macro architecture a population
// belongs to, so reports can name layers as the paper does.
type RoleKind int

// Role kinds.
const (
	RoleNone  RoleKind = iota
	RoleInput          // the network input
	RoleStem           // stem conv+BN+PLIF, and the extra stem layers of 64x64 / 128x128 inputs
	RoleBlock          // a layer inside a searched (TBD) or hand-crafted block
	RolePool           // output of a pooling layer between blocks
	RoleGAP            // global-average-pool neurons before the classifier (SNN_2)
	RoleHead           // classifier output neurons read by the voting layer
)

var roleNames = [...]string{RoleNone: "", RoleInput: "input", RoleStem: "stem", RoleBlock: "block", RolePool: "pool", RoleGAP: "gap", RoleHead: "head"}

func (k RoleKind) String() string {
	if k >= 0 && int(k) < len(roleNames) {
		return roleNames[k]
	}
	return fmt.Sprintf("RoleKind(%d)", int(k))
}

// ParseRoleKind returns the role kind named s; "" is RoleNone.
func ParseRoleKind(s string) (RoleKind, error) {
	for i, n := range roleNames {
		if n == s {
			return RoleKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown role %q, want one of %q", s, roleNames[1:])
}

// Role places a population in the macro architecture. Block is the 1-based
// block position (TBD1 = 1) and Layer the 1-based neuron layer inside the
// block; both are 0 when they do not apply. Choice is the block's name
// (e.g. "SRB_k5") when the population belongs to a block.
type Role struct {
	Kind   RoleKind
	Block  int
	Layer  int
	Choice string
}

func (r Role) String() string {
	switch r.Kind {
	case RoleBlock:
		return fmt.Sprintf("TBD%d/L%d(%s)", r.Block, r.Layer, r.Choice)
	case RolePool:
		if r.Block > 0 {
			return fmt.Sprintf("pool%d", r.Block)
		}
	}
	return r.Kind.String()
}

// Population is a group of neurons with one shape and one neuron model.
type Population struct {
	Name   string
	Shape  Shape
	Neuron Neuron
	Role   Role
	// Bias is a per-channel input current added every timestep (length
	// Shape.C), or nil for none. The fold-bn pass sets it.
	Bias []float32
	// Rates is the profiled mean number of spikes per neuron per timestep
	// (length Shape.Len()), or nil. The profile pass sets it.
	Rates []float32
	// Q is the integer form of the population, set by the quantize pass
	// (nil before, and always nil for the input population).
	Q *PopQuant
	// Core is, per neuron (length Shape.Len()), the index of the core that
	// holds it in the target's core numbering. The place pass sets it; it
	// is nil before, and for the input population, which the host drives.
	Core []int32
}

// Op is the operator of a projection.
type Op int

// Projection operators; see the package doc for weight layouts.
const (
	Conv2D Op = iota
	Dense
	MaxPool
	AvgPool
	Identity
	// SumPool sums each window of the source channel with weight 1; the
	// lower-ops pass makes it from MaxPool over spikes (with a memoryless
	// threshold-1 destination, it fires when any input in the window did).
	SumPool
)

var opNames = [...]string{Conv2D: "conv2d", Dense: "dense", MaxPool: "maxpool", AvgPool: "avgpool", Identity: "identity", SumPool: "sumpool"}

func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// ParseOp returns the operator named s ("conv2d", "dense", ...).
func ParseOp(s string) (Op, error) {
	for i, n := range opNames {
		if n == s {
			return Op(i), nil
		}
	}
	return 0, fmt.Errorf("unknown projection op %q, want one of %v", s, opNames)
}

// HasWeights reports whether projections with this op carry a weight tensor.
func (o Op) HasWeights() bool { return o == Conv2D || o == Dense }

// BatchNorm is a per-output-channel batch normalisation applied to a
// projection's output: y = Gamma*(x-Mean)/sqrt(Var+Eps) + Beta. All slices
// have the projection's output channel count, or are all nil (untrained).
type BatchNorm struct {
	Eps                    float32
	Gamma, Beta, Mean, Var []float32
}

// Projection is a set of synapses from one population to another with one
// operator. Kernel, Stride and Pad apply to Conv2D, MaxPool and AvgPool
// (square kernels); a global average pool is an AvgPool whose Kernel equals
// the source's height and width.
type Projection struct {
	Name     string
	Src, Dst *Population
	Op       Op
	Kernel   int
	Stride   int
	Pad      int
	// Weights is the weight tensor (Conv2D: [Cout][Cin][K][K], Dense:
	// [Out][In] with In the source flattened in C,H,W order), or nil when
	// the network is untrained. Pools and Identity have no weights.
	Weights []float32
	// BN, if not nil, normalises the output of a Conv2D or Dense projection.
	BN *BatchNorm
	// Q is the integer form of the projection, set by the quantize pass.
	Q *ProjQuant
	// Delay is the synaptic delay in chip steps (>= 1; 0 reads as 1, see
	// DelaySteps): in the chip's time semantics a spike its source emits
	// at step t is integrated by its destination at step t+Delay. 1 is the
	// barrier's one step per synapse; the delay pass sets more on the
	// shorter paths into a residual join, where the chip can. Host
	// projections (from the input) have delay 1. The trained semantics and
	// the reference executors ignore it.
	Delay int
}

// MaxDelay bounds Projection.Delay (steps), far above any chip's range.
const MaxDelay = 1 << 16

// DelaySteps returns the synaptic delay of e in chip steps: Delay, or 1
// when Delay is 0.
func (e *Projection) DelaySteps() int {
	return max(e.Delay, 1)
}

// Graph is a feed-forward spiking neural network.
type Graph struct {
	Name string
	// T is the number of timesteps per inference (>= 1).
	T int
	// Encoding says how the input population is driven.
	Encoding Encoding
	// Classes is the number of output classes.
	Classes int
	// Vote is the number of output neurons per class averaged by the voting
	// layer (10 in the reference method; 1 means no voting layer).
	Vote int
	// Loss is the training loss of the head.
	Loss Loss
	// Pops are the populations in topological order; Pops[0] is the input
	// and the last one is the output layer.
	Pops []*Population
	// Projs are the projections, sorted by destination population order
	// and then by insertion.
	Projs []*Projection
}

// Encoding is how the input population is driven.
type Encoding int

// Input encodings.
const (
	// Direct drives the input with the same analog image at every timestep
	// (the stem conv+BN is computed once and fed T times).
	Direct Encoding = iota
	// Frames drives the input with one event frame per timestep
	// (input data has shape [T][C][H][W]).
	Frames
)

var encodingNames = [...]string{Direct: "direct", Frames: "frames"}

func (e Encoding) String() string {
	if e >= 0 && int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Loss is the training loss of a network's head.
type Loss int

// Losses.
const (
	// MSERate is the reference method's loss: MSE between the voted spike
	// count divided by T and the one-hot label.
	MSERate Loss = iota
	// CrossEntropy is the ANN-mode loss on the voted output.
	CrossEntropy
)

var lossNames = [...]string{MSERate: "mse-rate", CrossEntropy: "cross-entropy"}

func (l Loss) String() string {
	if l >= 0 && int(l) < len(lossNames) {
		return lossNames[l]
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

func parseName(kind, s string, names []string) (int, error) {
	for i, n := range names {
		if n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q, want one of %q", kind, s, names)
}

// Input returns the input population (Pops[0]).
func (g *Graph) Input() *Population { return g.Pops[0] }

// Output returns the output population (the last one).
func (g *Graph) Output() *Population { return g.Pops[len(g.Pops)-1] }

// Pop returns the population named name, or nil.
func (g *Graph) Pop(name string) *Population {
	for _, p := range g.Pops {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Proj returns the projection named name, or nil.
func (g *Graph) Proj(name string) *Projection {
	for _, e := range g.Projs {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// In returns the projections that end in p, in graph order.
func (g *Graph) In(p *Population) []*Projection {
	var in []*Projection
	for _, e := range g.Projs {
		if e.Dst == p {
			in = append(in, e)
		}
	}
	return in
}

// Out returns the projections that start at p, in graph order.
func (g *Graph) Out(p *Population) []*Projection {
	var out []*Projection
	for _, e := range g.Projs {
		if e.Src == p {
			out = append(out, e)
		}
	}
	return out
}

// Index returns the position of p in g.Pops, or -1.
func (g *Graph) Index(p *Population) int {
	for i, q := range g.Pops {
		if q == p {
			return i
		}
	}
	return -1
}

// Trained reports whether every weighted projection carries weights.
func (g *Graph) Trained() bool {
	for _, e := range g.Projs {
		if e.Op.HasWeights() && e.Weights == nil {
			return false
		}
	}
	return true
}

// OutShape returns the shape the projection produces from its source, and
// an error if the source shape and parameters are inconsistent. cout is the
// output channel count of Conv2D and the output size of Dense, which the
// weights alone do not always fix; it is ignored by other ops.
func (e *Projection) OutShape(cout int) (Shape, error) {
	s := e.Src.Shape
	switch e.Op {
	case Conv2D, MaxPool, AvgPool, SumPool:
		if e.Kernel < 1 || e.Stride < 1 || e.Pad < 0 {
			return Shape{}, fmt.Errorf("kernel %d, stride %d, pad %d: want kernel >= 1, stride >= 1, pad >= 0", e.Kernel, e.Stride, e.Pad)
		}
		if e.Pad >= e.Kernel {
			return Shape{}, fmt.Errorf("pad %d with kernel %d: want pad < kernel", e.Pad, e.Kernel)
		}
		h := (s.H+2*e.Pad-e.Kernel)/e.Stride + 1
		w := (s.W+2*e.Pad-e.Kernel)/e.Stride + 1
		if s.H+2*e.Pad < e.Kernel || s.W+2*e.Pad < e.Kernel {
			return Shape{}, fmt.Errorf("kernel %d larger than padded input %dx%d", e.Kernel, s.H+2*e.Pad, s.W+2*e.Pad)
		}
		c := s.C
		if e.Op == Conv2D {
			c = cout
		}
		return Shape{C: c, H: h, W: w}, nil
	case Dense:
		return Shape{C: cout, H: 1, W: 1}, nil
	case Identity:
		return s, nil
	}
	return Shape{}, fmt.Errorf("unknown op %v", e.Op)
}

// WeightLen returns the number of weights the projection holds when trained
// (0 for ops without weights).
func (e *Projection) WeightLen() int {
	switch e.Op {
	case Conv2D:
		return e.Dst.Shape.C * e.Src.Shape.C * e.Kernel * e.Kernel
	case Dense:
		return e.Dst.Shape.Len() * e.Src.Shape.Len()
	}
	return 0
}
