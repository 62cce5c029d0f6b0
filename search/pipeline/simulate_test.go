package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// tinyMapping compiles tinyGraph onto loihi1 (profiled on two synthetic
// samples, seed 1), writes its mapping directory and returns the graph
// and target read back from it, and the directory: what a simulation
// starts from.
func tinyMapping(t *testing.T) (*ir.Graph, *backends.Target, string) {
	t.Helper()
	g := tinyGraph(t, false)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(context.Background(), g, chip, CompileOptions{Samples: Synthetic(g, 2, 1), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mapping")
	if err := WriteMappingDir(dir, c.Unit); err != nil {
		t.Fatal(err)
	}
	mg, mt, _, err := backends.ReadMapping(dir)
	if err != nil {
		t.Fatal(err)
	}
	return mg, mt, dir
}

// TestCompileSimulate runs the application path end to end: compile a
// network with profiling samples, write the mapping directory, read it
// back, simulate it, write the simulation directory and sweep the link
// bandwidth.
func TestCompileSimulate(t *testing.T) {
	ctx := context.Background()
	g := tinyGraph(t, false)
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	c, err := Compile(ctx, g, chip, CompileOptions{Samples: Synthetic(g, 2, 1), Seed: 1, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Mapped() || !c.Report.Mapping.RatesProfiled || !strings.Contains(log.String(), "pass verify") {
		t.Fatalf("compile: mapped %v, profiled rates %v, log:\n%s", c.Mapped(), c.Mapped() && c.Report.Mapping.RatesProfiled, log.String())
	}
	dir := filepath.Join(t.TempDir(), "mapping")
	if err := WriteMappingDir(dir, c.Unit); err != nil {
		t.Fatal(err)
	}
	for _, f := range MappingFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("mapping directory: %v", err)
		}
	}
	var sum bytes.Buffer
	WriteCompileSummary(&sum, c, dir)
	if !strings.Contains(sum.String(), "compiled tiny onto loihi1") || !strings.Contains(sum.String(), CoreGraphFile) {
		t.Errorf("compile summary:\n%s", sum.String())
	}
	mg, mt, _, err := backends.ReadMapping(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := Synthetic(mg, 3, 2)
	r, err := Simulate(ctx, mg, mt, in, SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Sim.Images != 3 || r.Sim.Labeled != 0 || r.BusiestLink == "" || len(r.HeatmapPNG) == 0 {
		t.Errorf("simulated %d images (%d labelled), busiest link %q, heatmap %d bytes", r.Sim.Images, r.Sim.Labeled, r.BusiestLink, len(r.HeatmapPNG))
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Steps)).ReadAll()
	if err != nil || len(rows) != 1+3*mg.T {
		t.Errorf("steps: %d rows (%v), want 1 + 3 images x %d timesteps", len(rows), err, mg.T)
	}
	out := t.TempDir()
	if err := r.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SimSummaryFile, StepsFile, LinkLoadFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// The deployment path gives the same run, in the chip's own semantics.
	rc, err := Simulate(ctx, mg, mt, in, SimOptions{Semantics: sim.Chip})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Deploy(ctx, tinyGraph(t, false), chip, Synthetic(g, 2, 1), in, 1, nil, nil)
	if err != nil || !d.Fits {
		t.Fatalf("deploy: %v (fits %v)", err, d != nil && d.Fits)
	}
	if d.EnergyPJ() != rc.Sim.PerImage.Energy.Total() || !bytes.Equal(d.Steps, rc.Steps) || d.Sim.Semantics != "chip" {
		t.Errorf("deploy: energy %v pJ in %s semantics, want the compile+simulate path's %v in chip semantics", d.EnergyPJ(), d.Sim.Semantics, rc.Sim.PerImage.Energy.Total())
	}

	sw, err := BandwidthSweep([]float64{0.05, 1})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := RunNoCSweep(ctx, mg, mt, in, sw, out, SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || len(tab.Rows[0]) != 1+len(SweepHeader) {
		t.Errorf("sweep: %d rows of %d columns, want 2 of %d", len(tab.Rows), len(tab.Rows[0]), 1+len(SweepHeader))
	}
	for _, f := range []string{SweepFile, filepath.Join(SweepDir, "bandwidth-0.05", SimSummaryFile), filepath.Join(SweepDir, "bandwidth-1", StepsFile)} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	var text bytes.Buffer
	if err := tab.WriteText(&text); err != nil || !strings.Contains(text.String(), "congestion knee") {
		t.Errorf("sweep text: %v\n%s", err, text.String())
	}
	if run, err := WriteSANAFE(filepath.Join(out, "sanafe"), mg, mt, in, backends.SANAFEOptions{LogSpikes: true}); err != nil {
		t.Errorf("SANA-FE export: %v", err)
	} else if run.Timesteps != backends.SANAFETimesteps(mg) {
		t.Errorf("SANA-FE run: %d timesteps, want %d", run.Timesteps, backends.SANAFETimesteps(mg))
	}
}

func TestCompileOptionErrors(t *testing.T) {
	chip, err := backends.Lookup("loihi1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opt  CompileOptions
		want string
	}{
		{CompileOptions{Effort: -1}, "effort -1"},
		{CompileOptions{Effort: 101}, "effort 101"},
		{CompileOptions{Granularity: -2}, "granularity -2"},
		{CompileOptions{StopAfter: "nopass"}, "nopass"},
	} {
		if _, err := Compile(context.Background(), tinyGraph(t, false), chip, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.opt, err, c.want)
		}
	}
	c, err := Compile(context.Background(), tinyGraph(t, false), chip, CompileOptions{StopAfter: "lower-ops"})
	if err != nil || c.Mapped() {
		t.Errorf("stop after lower-ops: %v, mapped %v; want no error and no mapping", err, c != nil && c.Mapped())
	}
	if err := WriteMappingDir(t.TempDir(), c.Unit); err == nil {
		t.Errorf("WriteMappingDir of an unfinished compile: no error")
	}
}

func TestNoCSweepErrors(t *testing.T) {
	if _, err := BufferSweep([]float64{2, 2.5}); err == nil || !strings.Contains(err.Error(), "whole number of flits") {
		t.Errorf("buffer depth 2.5: got %v", err)
	}
	if _, err := BandwidthSweep([]float64{0}); err == nil {
		t.Errorf("bandwidth 0: no error")
	}
	sw, err := BufferSweep([]float64{1, 8})
	if err != nil || sw.Names[1] != "buffer-8" || sw.Overrides[1].LinkBufferDepthFlits != 8 || sw.Column != "link_buffer_depth_flits" {
		t.Errorf("buffer sweep: %+v, %v", sw, err)
	}
}

func TestSweepKnee(t *testing.T) {
	rows := func(pairs ...string) [][]string {
		var r [][]string
		for i := 0; i < len(pairs); i += 2 {
			r = append(r, []string{pairs[i], pairs[i+1]})
		}
		return r
	}
	for _, c := range []struct {
		rows [][]string
		want string
	}{
		{rows("0.01", "300", "1", "100", "0.1", "103", "0.05", "120"), "within 5% of the best down to 0.1; at 0.05 it is 1.20x"},
		{rows("4", "100", "2", "101"), "none in the swept range (latency per image within 5% of the best down to 2)"},
		{rows("1", "200", "2", "100"), "down to 2; at 1 it is 2.00x"},
		{rows("4", "150", "2", "100"), "even at 4 the latency per image is 1.50x the best"},
	} {
		if got := SweepKnee(c.rows); !strings.Contains(got, c.want) {
			t.Errorf("SweepKnee(%v) = %q, want it to contain %q", c.rows, got, c.want)
		}
	}
}
