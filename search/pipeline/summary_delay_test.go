package pipeline

import (
	"bytes"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/passes"
)

// TestCompileSummaryJoins: the compile summary names every join the delay
// pass left unbalanced, with its mismatch in steps, and counts the
// balanced ones.
func TestCompileSummaryJoins(t *testing.T) {
	c := &Compiled{Unit: &passes.Unit{Report: &passes.Report{
		Mapping: &passes.MappingReport{},
		Delay: &passes.DelayReport{MaxDelaySteps: 2, Delayed: 1, Joins: []passes.DelayJoin{
			{Pop: "b1", Role: "TBD1/L2", Spread: 1, Residual: 0, Short: "b1.conv"},
			{Pop: "b2", Role: "TBD2/L2", Spread: 3, Residual: 2, Short: "b2.shortcut"},
		}},
	}}}
	var out bytes.Buffer
	WriteCompileSummary(&out, c, "")
	for _, want := range []string{
		"warning: join b2 (TBD2/L2): paths differ by 3 steps; b2.shortcut still arrives 2 steps early",
		"residual joins: 1 of 2 balanced by synaptic delays",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "join b1 ") {
		t.Errorf("summary warns about the balanced join b1:\n%s", out.String())
	}
}
