package pipeline

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteSimReport: the report of a compiled and simulated network
// shows the run, one row per layer whose spikes per image add up to the
// simulator's, the embedded link-load figure and the compiler's summary.
func TestWriteSimReport(t *testing.T) {
	ctx := context.Background()
	mg, mt, dir := tinyMapping(t)
	r, err := Simulate(ctx, mg, mt, Synthetic(mg, 3, 2), SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, s := range r.PopSpikes {
		sum += s
	}
	if math.Abs(sum-float64(r.Sim.PerImage.Spikes)) > 1 || sum == 0 {
		t.Errorf("layers spike %g per image in all, the simulator %d", sum, r.Sim.PerImage.Spikes)
	}
	out := t.TempDir()
	if err := WriteSimReport(out, SimReport{Res: r, G: mg, Mapping: dir, Data: "synthetic", Command: "autosnn simulate --mapping " + dir + " --out " + out}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	want := []string{"tiny on the virtual loihi1", "3 images of synthetic", "autosnn simulate --mapping", "data:image/png;base64,", "The compiler's summary", "graph: tiny"}
	for i, p := range mg.Pops[1:] {
		want = append(want, fmt.Sprintf("<td>%s</td><td>%v</td>", p.Name, p.Neuron.Model), fmt.Sprintf("%.1f", r.PopSpikes[i+1]))
	}
	for _, w := range want {
		if !strings.Contains(html, w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
}
