package backends

// This file implements the SANA-FE network + mapping emitter.

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// SANAFEOptions tune the SANA-FE network export.
type SANAFEOptions struct {
	// Input, if not nil, is one input of a Direct-encoded graph (the input
	// population's length). Its host currents (ir.IntExecutor.HostCurrent)
	// become per-neuron biases of the stem populations, which is exact
	// under Direct encoding: the current is the same at every step. Without
	// it the stem neurons get only their own bias, so the network is silent
	// unless biases drive it. Frames-encoded graphs cannot be exported with
	// an input (their current changes every step).
	Input []float32
}

// SANAFEThresholdOffset is subtracted from every threshold: SANA-FE fires
// when the potential is strictly greater than the threshold and keeps
// potentials on a grid of 1/64, so "v > threshold - 1/64" is "v >=
// threshold" on that grid.
const SANAFEThresholdOffset = 1.0 / 64

// WriteSANAFENetwork writes the compiled graph g (quantized and placed for
// t) as a SANA-FE SNN file: the network (groups, neurons, edges) and the
// mappings of neurons to cores, to be run with the architecture file of
// WriteSANAFEArch:
//
//	sim ARCH.yaml SNN.yaml TIMESTEPS
//
// Units are g's integer membrane LSBs. Each non-input population becomes a
// group (its name with characters other than letters, digits and '_'
// replaced by '_'), soma unit NAME_soma and the synapse unit of its first
// incoming projection (NAME_conv_synapse, NAME_dense_synapse or
// NAME_sparse_synapse, NAME the profile name with '-' as '_'). Where the
// models differ the export adjusts as far as the format allows:
//
//   - Threshold: SANA-FE fires on v > threshold, autosnn on H >= threshold;
//     the export writes threshold - SANAFEThresholdOffset.
//   - Leak: autosnn charges H = V + k*(X - (V - reset)) (k = Decay /
//     2^DecayBits; IF: H = V + X); SANA-FE decays then adds: v = v*leak +
//     bias + input. The export writes leak_decay = 1 - k and scales weights
//     and biases by k, folding k*reset into the bias. The remaining
//     difference is rounding: autosnn floors each update to whole LSBs,
//     SANA-FE quantises to 1/64 LSB, so leaky potentials can differ by less
//     than one LSB and a spike can move by a step when the potential sits
//     at the threshold.
//   - Saturation to [VMin, VMax] has no SANA-FE equivalent (not exported).
//   - Delivery: SANA-FE integrates a spike fired at step t at step t+1;
//     autosnn delivers it in the same step. A layer at depth d therefore
//     lags by d-1 steps and residual paths of different lengths meet at
//     different times; the header gives the timesteps (T + depth - 1) to
//     run so every layer sees T steps of input. Spike counts of the first
//     layer match exactly; deeper layers match only for feed-forward chains.
//   - Input: host currents become biases (see SANAFEOptions.Input).
//
// Dense projections are written as one dense edge block (SANA-FE's weight
// index src*|dst|+dst); convolutions, pools and shortcuts as one edge per
// synapse (SANA-FE's conv2d edges have no padding). Mappings give runs of
// neurons on one core as "GROUP.a..b: {core: "TILE.CORE"}".
func WriteSANAFENetwork(w io.Writer, g *ir.Graph, t *Target, opt SANAFEOptions) error {
	if t.NumChips > 1 {
		return fmt.Errorf("backends: sanafe network: %s has %d chips, want 1 (SANA-FE models one mesh)", t.Name(), t.NumChips)
	}
	if err := ir.Verify(g); err != nil {
		return fmt.Errorf("backends: sanafe network: %w", err)
	}
	names := make([]string, len(g.Pops))
	seen := map[string]bool{}
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		if p.Q == nil || !p.Neuron.Model.Spiking() {
			return fmt.Errorf("backends: sanafe network: population %s: want a quantized spiking population (run quantize)", p.Name)
		}
		if p.Neuron.Model == ir.CubaLIF {
			return fmt.Errorf("backends: sanafe network: population %s: cuba_lif neurons (a synaptic current, then the membrane) have no soma in this export, which writes SANA-FE's leaky_integrate_fire", p.Name)
		}
		if len(p.Core) != p.Shape.Len() {
			return fmt.Errorf("backends: sanafe network: population %s has %d core entries, want %d (run place)", p.Name, len(p.Core), p.Shape.Len())
		}
		for j, c := range p.Core {
			if !t.ValidCore(int(c)) {
				return fmt.Errorf("backends: sanafe network: population %s neuron %d on core %d, want 0..%d", p.Name, j, c, t.NumCores-1)
			}
		}
		n := sanafeName(p.Name)
		for seen[n] {
			n += "_"
		}
		seen[n] = true
		names[i] = n
	}
	for _, e := range g.Projs {
		if e.Q == nil {
			return fmt.Errorf("backends: sanafe network: projection %s is not quantized", e.Name)
		}
		if e.Op == ir.MaxPool {
			return fmt.Errorf("backends: sanafe network: projection %s is a max-pool (run lower-ops)", e.Name)
		}
	}
	host := make([][]int32, len(g.Pops))
	if opt.Input != nil {
		if g.Encoding != ir.Direct {
			return fmt.Errorf("backends: sanafe network: %s uses %v encoding; only Direct inputs can become biases", g.Name, g.Encoding)
		}
		x, err := ir.NewIntExecutor(g)
		if err != nil {
			return fmt.Errorf("backends: sanafe network: %w", err)
		}
		for _, e := range g.Projs {
			i := g.Index(e.Dst)
			if e.Q.Host && host[i] == nil {
				host[i] = make([]int32, e.Dst.Shape.Len())
				if err := x.HostCurrent(i, opt.Input, host[i]); err != nil {
					return fmt.Errorf("backends: sanafe network: %w", err)
				}
			}
		}
	}
	arch := strings.ReplaceAll(t.Name(), "-", "_")
	bw := bufio.NewWriter(w)
	pf := func(format string, args ...any) {
		fmt.Fprintf(bw, format, args...)
		bw.WriteByte('\n')
	}
	depth := graphDepth(g)
	pf("# SANA-FE network and mapping of %q on %q, written by autosnn.", g.Name, t.Name())
	pf("# Run with the architecture from WriteSANAFEArch for %d timesteps (T = %d plus %d steps", SANAFETimesteps(g), g.T, depth-1)
	pf("# of SANA-FE's one-step spike delivery through %d layers). Units: membrane LSBs.", depth)
	if opt.Input != nil {
		pf("# Host currents of one input are folded into the stem biases.")
	}
	pf("network:")
	pf("  name: %s", sanafeName(g.Name))
	pf("  groups:")
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		q := p.Q
		k := 1.0
		leak := 1.0
		if p.Neuron.Model != ir.IF {
			k = float64(q.Decay) / float64(int64(1)<<q.DecayBits)
			leak = 1 - k
		}
		synUnit := Sparse
		if in := g.In(p); len(in) > 0 {
			synUnit = ConnectivityOf(in[0].Op)
		}
		pf("    - name: %s", names[i])
		pf("      attributes: [soma_hw_name: %s_soma, synapse_hw_name: %s_%s_synapse, threshold: %s, reset: %s, reset_mode: hard, leak_decay: %s]",
			arch, arch, synUnit, si(float64(q.Threshold)-SANAFEThresholdOffset, ""), si(float64(q.Reset), ""), si(leak, ""))
		pf("      neurons:")
		hw := p.Shape.H * p.Shape.W
		bias := func(j int) float64 {
			var b float64
			if q.Bias != nil {
				b = float64(q.Bias[j/hw])
			}
			if host[i] != nil {
				b += float64(host[i][j])
			}
			// X is scaled by k; the reset term k*reset folds in here too.
			return k*b + (k*float64(q.Reset))*boolF(p.Neuron.Model != ir.IF)
		}
		n := p.Shape.Len()
		for a := 0; a < n; {
			b := a + 1
			for b < n && bias(b) == bias(a) {
				b++
			}
			rng := fmt.Sprint(a)
			if b-a > 1 {
				rng = fmt.Sprintf("%d..%d", a, b-1)
			}
			if v := bias(a); v != 0 {
				pf("        - %s: [bias: %s]", rng, si(v, ""))
			} else {
				pf("        - %s", rng)
			}
			a = b
		}
	}
	pf("  edges:")
	for _, e := range g.Projs {
		if e.Q.Host {
			continue
		}
		src, dst := names[g.Index(e.Src)], names[g.Index(e.Dst)]
		k := 1.0
		if q := e.Dst.Q; e.Dst.Neuron.Model != ir.IF {
			k = float64(q.Decay) / float64(int64(1)<<q.DecayBits)
		}
		if e.Op == ir.Dense {
			in, out := e.Src.Shape.Len(), e.Dst.Shape.Len()
			bw.WriteString("    - " + src + " -> " + dst + ": {type: dense, weight: [")
			for s := 0; s < in; s++ {
				for d := 0; d < out; d++ {
					if s > 0 || d > 0 {
						bw.WriteString(", ")
					}
					bw.WriteString(si(k*float64(e.Q.Weights[d*in+s]), ""))
				}
			}
			bw.WriteString("]}\n")
			continue
		}
		for s := 0; s < e.Src.Shape.Len(); s++ {
			ir.SynapsesFrom(e, s, func(d, wi int) {
				pf("    - %s.%d -> %s.%d: [weight: %s]", src, s, dst, d, si(k*float64(e.Q.Weights[wi]), ""))
			})
		}
	}
	pf("mappings:")
	cpt := t.Profile.Mesh.CoresPerTile
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		n := len(p.Core)
		for a := 0; a < n; {
			b := a + 1
			for b < n && p.Core[b] == p.Core[a] {
				b++
			}
			c := int(p.Core[a])
			where := fmt.Sprintf("{core: \"%d.%d\"}", c/cpt, c%cpt)
			switch {
			case a == 0 && b == n:
				pf("  - %s: %s", names[i], where)
			case b-a == 1:
				pf("  - %s.%d: %s", names[i], a, where)
			default:
				pf("  - %s.%d..%d: %s", names[i], a, b-1, where)
			}
			a = b
		}
	}
	return bw.Flush()
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sanafeName makes s a SANA-FE identifier: letters, digits and '_'.
func sanafeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		return "g_" + string(b)
	}
	return string(b)
}

// SANAFETimesteps returns how many timesteps to run the SANA-FE export of
// g so that every layer sees g.T steps of input: T + depth - 1, since
// SANA-FE delivers a spike one step after it is fired.
func SANAFETimesteps(g *ir.Graph) int { return g.T + graphDepth(g) - 1 }

// graphDepth returns the number of populations on the longest path from a
// host-driven population to any population (1 for a single layer).
func graphDepth(g *ir.Graph) int {
	d := make([]int, len(g.Pops))
	best := 0
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		d[i] = 1
		for _, e := range g.In(p) {
			if j := g.Index(e.Src); j > 0 {
				d[i] = max(d[i], d[j]+1)
			}
		}
		best = max(best, d[i])
	}
	return best
}
