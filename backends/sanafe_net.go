package backends

// This file implements the SANA-FE network + mapping emitter.

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// SANAFEOptions tune the SANA-FE network export.
type SANAFEOptions struct {
	// Input, if not nil, is one input of a Direct-encoded graph (the input
	// population's length). Its host currents (ir.IntExecutor.HostCurrent)
	// are presented as input events: for every host-driven population P a
	// group P_in of SANA-FE input neurons (one per neuron of P, on P's
	// neuron's core, each with its own input soma unit) fires at SANA-FE
	// steps 1..T, and a one-to-one sparse edge P_in -> P carries the
	// current as its weight, so P integrates it at steps 2..T+1 (SANA-FE
	// delivers a spike one step after it is fired) and not afterwards,
	// as in autosnn's chip semantics. Without it the stems get no input.
	// Frames-encoded graphs cannot be exported with an input (their
	// current changes every step; a synapse weight cannot).
	Input []float32
	// LogSpikes and LogPotential set log_spikes and log_potential on every
	// group, so SANA-FE writes spikes.csv (-s) and potentials.csv (-v).
	LogSpikes, LogPotential bool
}

// SANAFEThresholdOffset is subtracted from every threshold: SANA-FE fires
// when the potential is strictly greater than the threshold and keeps
// potentials on a grid of 1/64, so "v > threshold - 1/64" is "v >=
// threshold" on that grid.
const SANAFEThresholdOffset = 1.0 / 64

// SANAFERun holds the step offsets of an export, written beside the SANA-FE
// files as run.json, so that a run can be lined up with autosnn's chip
// semantics: SANA-FE step s (1-based) is autosnn chip step s -
// ChipStepOffset.
type SANAFERun struct {
	// Network and Target name the graph and the chip.
	Network string `json:"network"`
	Target  string `json:"target"`
	// Timesteps is the number of SANA-FE steps to run (the TIMESTEPS
	// argument of sim): InputFirstStep + T + Depth - 1 with input events,
	// T + Depth - 1 without.
	Timesteps int `json:"timesteps"`
	// InputFirstStep is the SANA-FE step of the first input spike (1), 0
	// without input; InputSteps is how many steps the input neurons fire
	// (T).
	InputFirstStep int `json:"input_first_step"`
	InputSteps     int `json:"input_steps"`
	// Depth is the longest path from the input in populations (the stem is
	// 1): the output answers input step t at chip step t + Depth - 1.
	Depth int `json:"depth"`
	// ChipStepOffset is SANA-FE step minus autosnn chip step: 2 with input
	// events (input neurons fire at step 1, the stem integrates at step
	// 2), 1 without.
	ChipStepOffset int `json:"chip_step_offset"`
	// Groups names the SANA-FE group of every exported population, in
	// graph order, then the input groups.
	Groups []SANAFEGroup `json:"groups"`
	// BiasNote states how biases differ from autosnn's chip semantics.
	BiasNote string `json:"bias_note"`
	// DelaysDropped lists, as "projection: N steps", every projection
	// whose synaptic delay (ir.Projection.Delay > 1) the export cannot
	// carry: its synapses (SANA-FE's accumulator dendrite) act after the
	// barrier's one step, and Depth counts one step per population.
	// (SANA-FE's accumulator_with_delay dendrite files per-edge delays by
	// synapse-unit address, which collide between the conv and sparse
	// units of one core; docs/simulator.md.) Where paths of unequal length meet, SANA-FE's spikes
	// then differ from autosnn's chip semantics.
	DelaysDropped []string `json:"delays_dropped,omitempty"`
}

// SANAFEGroup is one group of an export: the SANA-FE name, the population
// it stands for and whether it is a group of input neurons.
type SANAFEGroup struct {
	Group      string `json:"group"`
	Population string `json:"population"`
	Input      bool   `json:"input,omitempty"`
	Neurons    int    `json:"neurons"`
}

// sanafeBiasNote is SANAFERun.BiasNote.
const sanafeBiasNote = "biases are SANA-FE bias attributes, integrated from step 1; autosnn's chip semantics holds a population " +
	"(no bias) until the step its first input can arrive, so with nonzero biases the fill-in steps differ"

// SANAFERunOf returns the step offsets and group names of the export
// WriteSANAFENetwork writes for g with opt.
func SANAFERunOf(g *ir.Graph, t *Target, opt SANAFEOptions) SANAFERun {
	d := graphDepth(g)
	r := SANAFERun{Network: g.Name, Target: t.Name(), Timesteps: g.T + d - 1, InputSteps: g.T, Depth: d, ChipStepOffset: 1, BiasNote: sanafeBiasNote}
	if opt.Input != nil {
		r.InputFirstStep, r.ChipStepOffset, r.Timesteps = 1, 2, g.T+d
	}
	for _, e := range g.Projs {
		if e.Delay > 1 {
			r.DelaysDropped = append(r.DelaysDropped, fmt.Sprintf("%s: %d steps", e.Name, e.Delay))
		}
	}
	names, inNames := sanafeGroupNames(g)
	for i, p := range g.Pops {
		if i > 0 {
			r.Groups = append(r.Groups, SANAFEGroup{Group: names[i], Population: p.Name, Neurons: p.Shape.Len()})
		}
	}
	if opt.Input != nil {
		for i, p := range g.Pops {
			if inNames[i] != "" {
				r.Groups = append(r.Groups, SANAFEGroup{Group: inNames[i], Population: p.Name, Input: true, Neurons: p.Shape.Len()})
			}
		}
	}
	return r
}

// sanafeGroupNames returns the group name of every population but the
// input (names[0] is "") and the name of the input group of every
// host-driven population ("" for the others).
func sanafeGroupNames(g *ir.Graph) (names, inNames []string) {
	names = make([]string, len(g.Pops))
	inNames = make([]string, len(g.Pops))
	seen := map[string]bool{}
	uniq := func(n string) string {
		for seen[n] {
			n += "_"
		}
		seen[n] = true
		return n
	}
	for i, p := range g.Pops {
		if i > 0 {
			names[i] = uniq(sanafeName(p.Name))
		}
	}
	for _, e := range g.Projs {
		if i := g.Index(e.Dst); e.Q != nil && e.Q.Host && inNames[i] == "" {
			inNames[i] = uniq(names[i] + "_in")
		}
	}
	return names, inNames
}

// WriteSANAFENetwork writes the compiled graph g (quantized and placed for
// t) as a SANA-FE SNN file: the network (groups, neurons, edges) and the
// mappings of neurons to cores, to be run with the architecture file of
// WriteSANAFEArch for SANAFERunOf(g, t, opt).Timesteps steps:
//
//	sim -s -p ARCH.yaml SNN.yaml TIMESTEPS
//
// Units are g's integer membrane LSBs. Each non-input population becomes a
// group (its name with characters other than letters, digits and '_'
// replaced by '_'), soma unit NAME_soma and the synapse unit of its first
// incoming projection (NAME_conv_synapse, NAME_dense_synapse or
// NAME_sparse_synapse, NAME the profile name with '-' as '_'); the input
// becomes input events (see SANAFEOptions.Input). Where the models differ
// the export adjusts as far as the format allows:
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
//     at the threshold. IF neurons agree exactly.
//   - Saturation to [VMin, VMax] has no SANA-FE equivalent (not exported).
//   - Biases: integrated from SANA-FE's first step; see SANAFERun.BiasNote.
//
// Edges use SANA-FE's compact hyperedges: a dense projection is one dense
// block (weight index src*|dst|+dst), an unpadded convolution one conv2d
// edge (filter index [y][x][in][out]), and every other projection (padded
// convolutions, pools, shortcuts) one sparse edge with its
// source_target_pairs and weights, since SANA-FE's conv2d has no padding
// and connects every input channel to every kernel. Mappings give runs of
// neurons on one core as "GROUP.a..b: {core: "TILE.CORE"}".
func WriteSANAFENetwork(w io.Writer, g *ir.Graph, t *Target, opt SANAFEOptions) error {
	if t.NumChips > 1 {
		return fmt.Errorf("backends: sanafe network: %s has %d chips, want 1 (SANA-FE models one mesh)", t.Name(), t.NumChips)
	}
	if err := ir.Verify(g); err != nil {
		return fmt.Errorf("backends: sanafe network: %w", err)
	}
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
	}
	for _, e := range g.Projs {
		if e.Q == nil {
			return fmt.Errorf("backends: sanafe network: projection %s is not quantized", e.Name)
		}
		if e.Op == ir.MaxPool {
			return fmt.Errorf("backends: sanafe network: projection %s is a max-pool (run lower-ops)", e.Name)
		}
	}
	names, inNames := sanafeGroupNames(g)
	host := make([][]int32, len(g.Pops))
	if opt.Input != nil {
		if g.Encoding != ir.Direct {
			return fmt.Errorf("backends: sanafe network: %s uses %v encoding; only Direct inputs can become input events", g.Name, g.Encoding)
		}
		x, err := ir.NewIntExecutor(g)
		if err != nil {
			return fmt.Errorf("backends: sanafe network: %w", err)
		}
		for i := range g.Pops {
			if inNames[i] == "" {
				continue
			}
			host[i] = make([]int32, g.Pops[i].Shape.Len())
			if err := x.HostCurrent(i, opt.Input, host[i]); err != nil {
				return fmt.Errorf("backends: sanafe network: %w", err)
			}
		}
	}
	run := SANAFERunOf(g, t, opt)
	arch := strings.ReplaceAll(t.Name(), "-", "_")
	bw := bufio.NewWriterSize(w, 1<<16)
	pf := func(format string, args ...any) {
		fmt.Fprintf(bw, format, args...)
		bw.WriteByte('\n')
	}
	pf("# SANA-FE network and mapping of %q on %q, written by autosnn.", g.Name, t.Name())
	pf("# Run with the architecture from WriteSANAFEArch for %d timesteps (run.json has the step offsets:", run.Timesteps)
	pf("# SANA-FE step = autosnn chip step + %d; depth %d). Units: membrane LSBs.", run.ChipStepOffset, run.Depth)
	if opt.Input != nil {
		pf("# Input: groups *_in fire at steps 1..%d; their one-to-one edges carry the host currents.", g.T)
	}
	pf("network:")
	pf("  name: %s", sanafeName(g.Name))
	pf("  groups:")
	logs := ""
	if opt.LogSpikes {
		logs += ", log_spikes: true"
	}
	if opt.LogPotential {
		logs += ", log_potential: true"
	}
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		q := p.Q
		k, leak := sanafeLeak(p)
		synUnit := Sparse
		if in := g.In(p); len(in) > 0 {
			synUnit = ConnectivityOf(in[0].Op)
		}
		pf("    - name: %s", names[i])
		pf("      attributes: [soma_hw_name: %s_soma, synapse_hw_name: %s_%s_synapse, threshold: %s, reset: %s, reset_mode: hard, leak_decay: %s%s]",
			arch, arch, synUnit, si(float64(q.Threshold)-SANAFEThresholdOffset, ""), si(float64(q.Reset), ""), si(leak, ""), logs)
		pf("      neurons:")
		hw := p.Shape.H * p.Shape.W
		bias := func(j int) float64 {
			var b float64
			if q.Bias != nil {
				b = float64(q.Bias[j/hw])
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
			if v := bias(a); v != 0 {
				pf("        - %s: [bias: %s]", sanafeRange(a, b), si(v, ""))
			} else {
				pf("        - %s", sanafeRange(a, b))
			}
			a = b
		}
	}
	spikes := strings.TrimSuffix(strings.Repeat("1, ", g.T), ", ")
	for i, p := range g.Pops {
		if host[i] == nil {
			continue
		}
		pf("    - name: %s", inNames[i])
		pf("      attributes: [model: input, spikes: [%s]%s]", spikes, logs)
		pf("      neurons:")
		pf("        - %s", sanafeRange(0, p.Shape.Len()))
	}
	pf("  edges:")
	for i, p := range g.Pops {
		if host[i] == nil {
			continue
		}
		k, _ := sanafeLeak(p)
		var pairs []int
		var ws []float64
		for j, c := range host[i] {
			if c != 0 {
				pairs = append(pairs, j, j)
				ws = append(ws, k*float64(c))
			}
		}
		if len(ws) > 0 {
			writeSparseEdge(bw, inNames[i], names[i], func(yield func(s, d int, w float64)) {
				for j, v := range ws {
					yield(pairs[2*j], pairs[2*j+1], v)
				}
			})
		}
	}
	for _, e := range g.Projs {
		if e.Q.Host {
			continue
		}
		writeProjection(bw, e, names[g.Index(e.Src)], names[g.Index(e.Dst)])
	}
	pf("mappings:")
	cpt := t.Profile.Mesh.CoresPerTile
	where := func(c int32) string { return fmt.Sprintf("{core: \"%d.%d\"}", int(c)/cpt, int(c)%cpt) }
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
			if a == 0 && b == n {
				pf("  - %s: %s", names[i], where(p.Core[a]))
			} else {
				pf("  - %s.%s: %s", names[i], sanafeRange(a, b), where(p.Core[a]))
			}
			a = b
		}
	}
	// Input neurons sit on their target's core, each with its own input
	// soma unit (SANA-FE keeps one spike train per unit).
	slot := map[int32]int{}
	for i, p := range g.Pops {
		if host[i] == nil {
			continue
		}
		for j, c := range p.Core {
			pf("  - %s.%d: {core: \"%d.%d\", soma: \"%s_inputs[%d]\"}", inNames[i], j, int(c)/cpt, int(c)%cpt, arch, slot[c])
			slot[c]++
		}
	}
	return bw.Flush()
}

// sanafeLeak returns the input scale k and SANA-FE's leak_decay (1 - k)
// of p; IF neurons have k = 1 and leak_decay 1.
func sanafeLeak(p *ir.Population) (k, leak float64) {
	if p.Neuron.Model == ir.IF {
		return 1, 1
	}
	k = float64(p.Q.Decay) / float64(int64(1)<<p.Q.DecayBits)
	return k, 1 - k
}

// sanafeRange writes the neuron range [a, b) as SANA-FE does: "a" or
// "a..b-1".
func sanafeRange(a, b int) string {
	if b-a == 1 {
		return strconv.Itoa(a)
	}
	return strconv.Itoa(a) + ".." + strconv.Itoa(b-1)
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
// g with input events so that every layer sees g.T steps of input: one
// step for the input neurons to fire plus T + depth - 1, since SANA-FE
// delivers a spike one step after it is fired (SANAFERunOf has all the
// offsets).
func SANAFETimesteps(g *ir.Graph) int { return g.T + graphDepth(g) }

// graphDepth returns the number of populations on the longest path from
// the input to any population (1 for a single layer), the delays not
// counted: SANA-FE's delay of every synapse is the barrier's one step.
func graphDepth(g *ir.Graph) int {
	_, depth := ir.Depths(g, false)
	best := 0
	for _, d := range depth {
		best = max(best, d)
	}
	return best
}
