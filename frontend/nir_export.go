package frontend

import (
	"fmt"
	"math"
	"sort"

	"github.com/autosnn/autosnn/ir"
)

// NIR export, step 1: NIRForm rewrites a graph into the form a NIR file
// expresses and ImportNIR gives back (docs/nir.md, "Export"). Step 2
// (nir_export_write.go) writes that form node for node.
//
//   - Batch-norms are folded (ir.FoldBN) into the projection's weights and
//     the destination's bias, which NIR carries as the Conv2d / Affine bias.
//   - PLIF (k = sigmoid(W)) becomes LIF with Tau = 1/k timesteps, written as
//     tau = dt/k seconds (see nirTau for the float32 rounding).
//   - A max-pool over spikes becomes a SumPool2d into a Threshold node of
//     threshold 0.5 (an lif population with Tau 1, Threshold 0.5, Reset 0):
//     the window's spike count is >= 1 exactly when its maximum is 1.
//     A max-pool over analog values (the input, a relay) is refused.
//   - The voting layer (Vote > 1) becomes a relay population "vote" fed by
//     a dense projection "vote.dense" with weight 1/Vote from each of a
//     class's Vote output neurons; the graph then has Vote 1.
//   - Identity projections are edges from population to population and are
//     named "<src>-><dst>", as the import names them; a relay population's
//     projection is named "<relay>.<op>".
//   - Roles other than input and head, the encoding (NIR's input is per
//     timestep: Direct), the loss, profiled rates, quantisation and
//     placement are not in a NIR file and are dropped.
//
// Populations keep their order; the import orders them by its own
// topological sort (ties by name), so compare the two by name. The
// projections into one population are put in the order the import sums
// them (by the name of the NIR node the edge comes from), so that NIRForm
// computes every current bit for bit as the imported graph does.

// nirMaxPoolThreshold is the Threshold node's threshold that turns a
// window's spike count into its maximum: counts are integers, so count >=
// 1 and count > 0.5 agree under both NIR's (>) and the IR's (>=) firing
// condition.
const nirMaxPoolThreshold = 0.5

// nirVoteName is the name of the population the voting layer becomes.
const nirVoteName = "vote"

// NIRForm returns a copy of g in the form NIR export writes, which is the
// graph ImportNIR gives back for the exported file with the same DT and T
// and Name g.Name (up to the order of Pops and Projs). g is not modified.
// Errors name the population or projection NIR cannot express: an
// untrained graph, ReLU (ANN-mode) populations, max-pools over analog
// values, relays with several inputs or only identity outputs, biases
// without a weighted input.
func NIRForm(g *ir.Graph, opt NIROptions) (*ir.Graph, error) {
	dt := opt.DT
	if dt == 0 {
		dt = DefaultNIRDT
	}
	if !(dt > 0) || math.IsInf(dt, 0) {
		return nil, fmt.Errorf("frontend: nir export: dt %g s, want dt > 0", dt)
	}
	if len(g.Pops) < 2 {
		return nil, fmt.Errorf("frontend: nir export: graph %s has %d populations, want an input and at least one layer", g.Name, len(g.Pops))
	}
	if !g.Trained() {
		return nil, fmt.Errorf("frontend: nir export: graph %s is untrained (projections without weights); export a checkpoint, or give an architecture random weights", g.Name)
	}
	c := copyGraph(g)
	for _, e := range c.Projs {
		if e.BN == nil {
			continue
		}
		if err := ir.FoldBN(e); err != nil {
			return nil, fmt.Errorf("frontend: nir export: projection %s into %s: %w", e.Name, e.Dst.Name, err)
		}
	}
	for i, p := range c.Pops {
		if err := nirPop(c, i, p, dt); err != nil {
			return nil, fmt.Errorf("frontend: nir export: population %s: %w", p.Name, err)
		}
	}
	if c.Vote > 1 {
		if err := nirVote(c); err != nil {
			return nil, fmt.Errorf("frontend: nir export: voting layer: %w", err)
		}
	}
	for _, p := range c.Pops {
		if p.Bias != nil && allZero(p.Bias) {
			p.Bias = nil
		}
		p.Role = ir.Role{}
	}
	nirOrder(c)
	c.Input().Role = ir.Role{Kind: ir.RoleInput}
	c.Output().Role = ir.Role{Kind: ir.RoleHead}
	c.Encoding, c.Vote, c.Loss = ir.Direct, 1, ir.MSERate
	c.Classes = c.Output().Shape.Len()
	if err := ir.Verify(c); err != nil {
		return nil, fmt.Errorf("frontend: nir export: %w", err)
	}
	return c, nil
}

// nirOrder sorts the projections into each population by the name of the
// NIR node each comes from: the source population for an identity, the
// projection's operator node otherwise (the import's summation order).
func nirOrder(c *ir.Graph) {
	from := func(e *ir.Projection) string {
		if e.Op == ir.Identity {
			return e.Src.Name
		}
		if e.Dst.Neuron.Model == ir.Relay {
			return e.Src.Name
		}
		return e.Name
	}
	var out []*ir.Projection
	for _, p := range c.Pops {
		in := c.In(p)
		sort.SliceStable(in, func(i, j int) bool { return from(in[i]) < from(in[j]) })
		out = append(out, in...)
	}
	c.Projs = out
}

// copyGraph deep-copies the parts of g NIR export uses: weights and biases
// are copied (the fold modifies them), rates, quantisation and placement
// dropped.
func copyGraph(g *ir.Graph) *ir.Graph {
	c := &ir.Graph{Name: g.Name, T: g.T, Encoding: g.Encoding, Classes: g.Classes, Vote: g.Vote, Loss: g.Loss}
	m := map[*ir.Population]*ir.Population{}
	for _, p := range g.Pops {
		q := &ir.Population{Name: p.Name, Shape: p.Shape, Neuron: p.Neuron, Role: p.Role, Bias: append([]float32(nil), p.Bias...)}
		if p.Bias == nil {
			q.Bias = nil
		}
		m[p] = q
		c.Pops = append(c.Pops, q)
	}
	for _, e := range g.Projs {
		f := &ir.Projection{Name: e.Name, Src: m[e.Src], Dst: m[e.Dst], Op: e.Op, Kernel: e.Kernel, Stride: e.Stride, Pad: e.Pad}
		if e.Weights != nil {
			f.Weights = append([]float32(nil), e.Weights...)
		}
		if e.BN != nil {
			bn := *e.BN
			f.BN = &bn
		}
		c.Projs = append(c.Projs, f)
	}
	return c
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// nirPop rewrites population p (index i of c.Pops) and names its input
// projections as the import will.
func nirPop(c *ir.Graph, i int, p *ir.Population, dt float64) error {
	in := c.In(p)
	if i == 0 {
		if p.Neuron.Model != ir.Input {
			return fmt.Errorf("the first population is a %v, want the input", p.Neuron.Model)
		}
		return nil
	}
	switch p.Neuron.Model {
	case ir.Input:
		return fmt.Errorf("an input population that is not the first")
	case ir.ReLU:
		return fmt.Errorf("relu (ANN-mode) neurons have no NIR node; export a spiking network")
	case ir.PLIF, ir.LIF, ir.LI:
		k := p.Neuron.K()
		if !(k > 0 && k <= 1) {
			return fmt.Errorf("decay k = %g, want 0 < k <= 1 (a time constant of at least one timestep)", k)
		}
		tau, _, err := nirTau(k, dt)
		if err != nil {
			return err
		}
		model := ir.LIF
		if p.Neuron.Model == ir.LI {
			model = ir.LI
		}
		p.Neuron = ir.Neuron{Model: model, Tau: tau, Threshold: p.Neuron.Threshold, Reset: p.Neuron.Reset}
		if model == ir.LI {
			p.Neuron.Threshold, p.Neuron.Reset = 0, 0
		}
	case ir.IF:
		p.Neuron = ir.Neuron{Model: ir.IF, Threshold: p.Neuron.Threshold, Reset: p.Neuron.Reset}
		if _, err := nirIFR(dt); err != nil {
			return err
		}
	case ir.CubaLIF:
		mem, _, err := nirTau(p.Neuron.K(), dt)
		if err != nil {
			return err
		}
		syn, _, err := nirTau(p.Neuron.KSyn(), dt)
		if err != nil {
			return fmt.Errorf("synaptic current: %w", err)
		}
		p.Neuron = ir.Neuron{Model: ir.CubaLIF, Tau: mem, SynTau: syn, Threshold: p.Neuron.Threshold, Reset: p.Neuron.Reset}
	case ir.Relay:
		return nirRelay(c, p, in)
	default:
		return fmt.Errorf("neuron model %v has no NIR node", p.Neuron.Model)
	}
	if p.Neuron.Model != ir.LI && !(p.Neuron.Threshold > p.Neuron.Reset) {
		return fmt.Errorf("threshold %g <= reset %g, want threshold > reset", p.Neuron.Threshold, p.Neuron.Reset)
	}
	weighted := false
	for _, e := range in {
		switch e.Op {
		case ir.Identity:
			e.Name = e.Src.Name + "->" + p.Name
		case ir.MaxPool:
			return fmt.Errorf("max-pool projection %s ends in a %v population; NIR export expresses a max-pool only into a relay (pool) population", e.Name, p.Neuron.Model)
		case ir.Conv2D, ir.Dense:
			weighted = true
		}
		if e.Src.Neuron.Model == ir.Relay && e.Op == ir.Identity {
			return fmt.Errorf("identity projection from relay %s: NIR has no node for a relay read only by neurons", e.Src.Name)
		}
	}
	if p.Bias != nil && !allZero(p.Bias) && !weighted {
		return fmt.Errorf("a bias but no conv2d or dense input projection to carry it (NIR puts biases on Conv2d and Affine nodes)")
	}
	return nil
}

// nirRelay rewrites relay population p with input projections in: a
// max-pool over spikes becomes a sum-pool into a threshold population, any
// other single projection stays (the relay is the NIR operator node).
func nirRelay(c *ir.Graph, p *ir.Population, in []*ir.Projection) error {
	if len(in) != 1 {
		return fmt.Errorf("a relay with %d input projections, want 1: a NIR operator node has one input", len(in))
	}
	e := in[0]
	hasBias := p.Bias != nil && !allZero(p.Bias)
	if e.Op == ir.MaxPool {
		if !e.Src.Neuron.Model.Spiking() {
			return fmt.Errorf("max-pool projection %s reads %s, a %v population: NIR has no max-pool, and export expresses one only over spikes (as a sum-pool into a threshold node)", e.Name, e.Src.Name, e.Src.Neuron.Model)
		}
		if hasBias {
			return fmt.Errorf("a bias behind max-pool projection %s", e.Name)
		}
		e.Op = ir.SumPool
		p.Neuron = ir.Neuron{Model: ir.LIF, Tau: 1, Threshold: nirMaxPoolThreshold}
		return nil
	}
	if e.Op == ir.Identity {
		return fmt.Errorf("a relay fed by identity projection %s has no NIR node", e.Name)
	}
	if hasBias && !e.Op.HasWeights() {
		return fmt.Errorf("a bias behind %v projection %s (NIR puts biases on Conv2d and Affine nodes)", e.Op, e.Name)
	}
	reads := false
	for _, o := range c.Out(p) {
		reads = reads || o.Op != ir.Identity
	}
	if !reads && p != c.Output() {
		return fmt.Errorf("a relay read only through identity projections: NIR has no node for it")
	}
	e.Name = p.Name + "." + e.Op.String()
	return nil
}

// nirVote appends the voting layer: a relay population "vote" of Classes
// neurons, fed by a dense projection averaging each class's Vote outputs.
func nirVote(c *ir.Graph) error {
	out := c.Output()
	if c.Classes*c.Vote != out.Shape.Len() {
		return fmt.Errorf("%d classes x vote %d, but output population %s has %d neurons", c.Classes, c.Vote, out.Name, out.Shape.Len())
	}
	if c.Pop(nirVoteName) != nil || c.Proj(nirVoteName) != nil {
		return fmt.Errorf("a population or projection is already named %q", nirVoteName)
	}
	n := out.Shape.Len()
	w := make([]float32, c.Classes*n)
	for k := 0; k < c.Classes; k++ {
		for j := k * c.Vote; j < (k+1)*c.Vote; j++ {
			w[k*n+j] = 1 / float32(c.Vote)
		}
	}
	v := &ir.Population{Name: nirVoteName, Shape: ir.Shape{C: c.Classes, H: 1, W: 1}, Neuron: ir.Neuron{Model: ir.Relay}}
	c.Pops = append(c.Pops, v)
	c.Projs = append(c.Projs, &ir.Projection{Name: nirVoteName + "." + ir.Dense.String(), Src: out, Dst: v, Op: ir.Dense, Weights: w})
	return nil
}

// nirTau returns the IR time constant (timesteps) and the NIR tau
// (seconds) of a leaky population of decay k, chosen so that the import
// gives back exactly that time constant with its weights unscaled: the
// import computes Tau = float32(tau/dt), k' = 1/Tau in float32 and
// multiplies incoming weights by (dt/tau)/k', so tau must make that factor
// exactly 1 (an identity projection stays an identity). Tau is
// float32(1/k) when float32(1/Tau) = k and a float64 tau meets both
// conditions; otherwise the nearest float32 Tau that does, so the exported
// decay 1/Tau may differ from k by a few float32 ulps (about 1e-7
// relative; TestNIRTau counts how often).
func nirTau(k float32, dt float64) (float32, float64, error) {
	t0 := float32(1 / float64(k))
	best, bestTau, bestErr := float32(0), 0.0, math.Inf(1)
	for _, m := range []int{0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8} {
		tau32 := t0
		for i := 0; i < abs(m); i++ {
			tau32 = math.Nextafter32(tau32, float32(m))
		}
		if !(tau32 >= 1) {
			continue
		}
		kk := ir.Neuron{Model: ir.LIF, Tau: tau32}.K()
		d := math.Abs(float64(kk) - float64(k))
		if d >= bestErr {
			continue
		}
		if tau, ok := nirSeconds(tau32, float64(kk), dt); ok {
			best, bestTau, bestErr = tau32, tau, d
			if d == 0 {
				break
			}
		}
	}
	if bestErr == math.Inf(1) {
		return 0, 0, fmt.Errorf("no tau in seconds gives back a time constant near %g timesteps with dt %g s under the import's float32 rounding", t0, dt)
	}
	return best, bestTau, nil
}

// nirSeconds returns a tau in seconds with float32(tau/dt) = tau32 and
// dt/tau = kk exactly, searching float64s around dt/kk.
func nirSeconds(tau32 float32, kk, dt float64) (float64, bool) {
	tau := dt / kk
	lo, hi := tau, tau
	for range 64 {
		for _, t := range []float64{lo, hi} {
			if float32(t/dt) == tau32 && dt/t/kk == 1 {
				return t, true
			}
		}
		lo, hi = math.Nextafter(lo, 0), math.Nextafter(hi, math.Inf(1))
	}
	return 0, false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// nirIFR returns the r of an exported IF node: the import scales the input
// by dt*r, which must be exactly 1.
func nirIFR(dt float64) (float64, error) {
	r := 1 / dt
	for range 8 {
		if dt*r == 1 {
			return r, nil
		}
		if dt*r > 1 {
			r = math.Nextafter(r, 0)
		} else {
			r = math.Nextafter(r, math.Inf(1))
		}
	}
	return 0, fmt.Errorf("no r gives dt*r = 1 with dt %g s", dt)
}
