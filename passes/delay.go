package passes

// This file implements the delay pass: it balances the path lengths into
// every residual join with synaptic delays, so that in the chip's time
// semantics (one step per synapse, sim.Chip) every input of a population
// arrives at the same step and the chip computes the trained spikes,
// delayed; where the chip's delays fall short it reports the difference.

import (
	"fmt"

	"github.com/autosnn/autosnn/ir"
)

// DelayReport is what the delay pass found at the joins of the graph.
type DelayReport struct {
	// MaxDelaySteps is the chip's longest programmable delay (1 = none).
	MaxDelaySteps int
	// Delayed counts the projections given a delay above one step.
	Delayed int
	// Joins lists the populations fed by paths of different lengths, in
	// graph order.
	Joins []DelayJoin
}

// DelayJoin is one population whose inputs come by paths of different
// lengths.
type DelayJoin struct {
	// Pop names the population; Role is its paper role.
	Pop  string
	Role string
	// Spread is the difference, in steps, between the latest and the
	// earliest arrival of its inputs with one step per synapse.
	Spread int
	// Residual is that difference after the pass (0: balanced).
	Residual int
	// Short names the projection whose input arrives earliest after the
	// pass (the one still early when Residual > 0).
	Short string
}

// String is one report line: the join and its mismatch in steps.
func (j DelayJoin) String() string {
	if j.Residual == 0 {
		return fmt.Sprintf("join %s (%s): paths differ by %s, balanced by delays", j.Pop, j.Role, fmtSteps(j.Spread))
	}
	return fmt.Sprintf("join %s (%s): paths differ by %s; %s still arrives %s early, so chip semantics differs from trained here",
		j.Pop, j.Role, fmtSteps(j.Spread), j.Short, fmtSteps(j.Residual))
}

// fmtSteps formats n timesteps.
func fmtSteps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}

// delayPass sets Delay on every non-host projection to the difference of
// the longest paths (in synapses) to its destination and from its source,
// capped by the chip's Core.MaxSynapticDelaySteps, so the inputs of a join
// arrive together; where that is one step it leaves 0 (which reads as 1),
// as on host projections. It rewrites every delay, so it is idempotent, and it
// never changes what Trained semantics (or either executor) computes.
func delayPass(u *Unit) error {
	g := u.G
	maxD := u.Target.MaxDelaySteps()
	// depth[p]: the longest path from the input, in synapses.
	_, longest := ir.Depths(g, false)
	depth := make(map[*ir.Population]int, len(g.Pops))
	for i, p := range g.Pops {
		depth[p] = longest[i]
	}
	rep := &DelayReport{MaxDelaySteps: maxD}
	for _, e := range g.Projs {
		e.Delay = 0 // one step, the default (a graph without joins is unchanged)
		if d := min(depth[e.Dst]-depth[e.Src], maxD); d > 1 && e.Src != g.Input() {
			e.Delay = d
			rep.Delayed++
		}
	}
	// The earliest arrival at each population, at one step per synapse
	// (first) and with the delays (early, through short).
	first := make(map[*ir.Population]int, len(g.Pops))
	early := make(map[*ir.Population]int, len(g.Pops))
	short := make(map[*ir.Population]string, len(g.Pops))
	for _, e := range g.Projs {
		if a, ok := first[e.Dst]; !ok || depth[e.Src]+1 < a {
			first[e.Dst] = depth[e.Src] + 1
		}
		if a, ok := early[e.Dst]; !ok || depth[e.Src]+e.DelaySteps() < a {
			early[e.Dst], short[e.Dst] = depth[e.Src]+e.DelaySteps(), e.Name
		}
	}
	balanced := 0
	for _, p := range g.Pops[1:] {
		if first[p] == depth[p] {
			continue
		}
		j := DelayJoin{Pop: p.Name, Role: p.Role.String(), Spread: depth[p] - first[p], Residual: depth[p] - early[p], Short: short[p]}
		rep.Joins = append(rep.Joins, j)
		if j.Residual == 0 {
			balanced++
		} else {
			u.logf("delay: warning: %s (%s's delays reach %s)", j, u.Target.Name(), fmtSteps(maxD))
		}
	}
	u.report().Delay = rep
	u.logf("delay: %d of %d joins balanced, %d projections delayed (%s: delays up to %s)",
		balanced, len(rep.Joins), rep.Delayed, u.Target.Name(), fmtSteps(maxD))
	return nil
}
