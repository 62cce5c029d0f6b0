package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// tinyDemo is the demo at the smallest useful size: C = 2, T = 2, a few
// hundred MNIST images, budget 6 per lambda.
func tinyDemo(out string) DemoConfig {
	cfg := DefaultDemoConfig()
	cfg.Out, cfg.C, cfg.T, cfg.Batch = out, 2, 2, 16
	cfg.SupernetLimit, cfg.ValLimit, cfg.RetrainLimit, cfg.TestLimit = 128, 64, 128, 64
	cfg.Lambdas = []float64{0, -0.5}
	cfg.Evo = search.EvoConfig{Rounds: 2, Pool: 4, TopK: 2, Mutations: 1, Crossovers: 1, MutationProb: 0.2, Budget: 6, Seed: 2}
	cfg.ProfileSamples, cfg.SimImages = 2, 4
	return cfg
}

func openMNIST(t *testing.T) *dataset.Set {
	t.Helper()
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	set, err := dataset.Open(context.Background(), "mnist", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return set
}

// TestDemoEndToEnd runs the whole demo on a tiny setting and checks the
// report directory: every figure, embedded in the HTML, with the command
// that reproduces it, and a consistent report.json.
func TestDemoEndToEnd(t *testing.T) {
	set := openMNIST(t)
	out := t.TempDir()
	var log, prog bytes.Buffer
	cfg := tinyDemo(out)
	cfg.Log = &log
	cfg.Progress = train.NewProgress(&prog, train.ProgressPlain) // a pipe
	res, err := RunDemo(context.Background(), set, cfg)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	// Plain progress: whole lines, one per stage (and one per 10 s).
	if p := prog.String(); strings.Contains(p, "\r") || len(p) > 10000 || !strings.HasSuffix(p, "\n") {
		t.Errorf("plain progress: %d bytes, %d carriage returns, want whole lines under 10 KB:\n%q", len(p), strings.Count(p, "\r"), p)
	}
	for _, stage := range []string{"supernet epoch 1/", "lambda ", "\nepoch 1/"} {
		if !strings.Contains(prog.String(), stage) {
			t.Errorf("plain progress has no %q line:\n%s", stage, prog.String())
		}
	}
	for _, f := range []string{ReportHTML, ReportJSON, "pareto.png", "layer-spikes.png", "noc-heatmap.png", "supernet.ckpt", "winner.ckpt",
		"lambda/" + TableCSV, "lambda/" + ParetoFile, "eval/layer-spikes.png", "mapping/mapping.yaml", "mapping/graph.yaml",
		"sim/summary.yaml", "sim/steps.csv", "sim/linkload.png"} {
		st, err := os.Stat(filepath.Join(out, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v, want a non-empty file", f, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(out, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), `src="data:image/png;base64,`); n != 3 {
		t.Errorf("report.html embeds %d PNG data URIs, want 3", n)
	}
	for _, f := range res.Figures {
		if !bytes.HasPrefix(f.PNG, []byte("\x89PNG")) {
			t.Errorf("figure %s is not a PNG", f.File)
		}
		if !strings.HasPrefix(f.Command, "autosnn ") || !strings.Contains(string(html), f.Command[:40]) {
			t.Errorf("figure %s: command %q missing or not in the report", f.File, f.Command)
		}
	}
	wantSteps := []string{"autosnn supernet", "autosnn lambda", "autosnn train", "autosnn eval", "autosnn compile"}
	if len(res.Steps) != len(wantSteps) {
		t.Fatalf("%d steps, want %d: %+v", len(res.Steps), len(wantSteps), res.Steps)
	}
	for i, s := range res.Steps {
		if !strings.HasPrefix(s.Command, wantSteps[i]) {
			t.Errorf("step %s: command %q, want %q...", s.Name, s.Command, wantSteps[i])
		}
	}
	var js map[string]any
	b, _ := os.ReadFile(filepath.Join(out, ReportJSON))
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	sum := res.Summary
	if sum["cores"] < 1 || sum["energy_per_inference_uj"] <= 0 || sum["chip_accuracy"] < 0 || sum["chip_accuracy"] > 1 {
		t.Errorf("summary %v: want cores >= 1, energy > 0, accuracy in [0,1]", sum)
	}
	if got, want := res.Deployment.Sim.Images, cfg.SimImages; got != want {
		t.Errorf("simulated %d images, want %d", got, want)
	}
	if res.Lambda.Rows[res.Lambda.Chosen].Key != res.Chosen.Key {
		t.Errorf("chosen row %+v differs from the sweep's choice", res.Chosen)
	}
	// The notes agree with the figures: the first says the simulated
	// energy includes the static part, with the summary's numbers; every
	// note of the compiler's estimate (whose energy is dynamic) says so.
	notes := res.reportNotes()
	if n := notes[0]; !strings.Contains(n, "include static energy") ||
		!strings.Contains(n, fmt.Sprintf("%.3f uJ of the %.3f", sum["static_energy_uj"], sum["energy_per_inference_uj"])) {
		t.Errorf("energy note %q does not give the simulated static %.3f of %.3f uJ", n, sum["static_energy_uj"], sum["energy_per_inference_uj"])
	}
	for _, n := range notes[1:] {
		if strings.Contains(n, "is dynamic") && !strings.HasPrefix(n, "Compiler's analytical estimate") {
			t.Errorf("note %q speaks of dynamic energy without naming the compiler's estimate", n)
		}
	}
	// The lambda figure plots the table's simulated energies.
	ps := res.Lambda.series()
	for i, row := range res.Lambda.Rows {
		if !row.Fits {
			continue
		}
		found := false
		for _, w := range ps.Winners {
			found = found || (w.X == row.EnergyPJ/1e6 && w.Y == 100*row.Acc)
		}
		if !found {
			t.Errorf("row %d (lambda %g) at %g uJ simulated is not plotted: %v", i, row.Lambda, row.EnergyPJ/1e6, ps.Winners)
		}
	}
	var sum2 bytes.Buffer
	res.WriteSummary(&sum2)
	for _, w := range []string{"accuracy", "spikes", "cores", "traffic", "congestion", "energy"} {
		if !strings.Contains(sum2.String(), w) {
			t.Errorf("short report lacks %q:\n%s", w, sum2.String())
		}
	}
}

func TestDemoErrors(t *testing.T) {
	set := openMNIST(t)
	cases := []struct {
		name string
		mod  func(*DemoConfig)
		want string
	}{
		{"unknown chip", func(c *DemoConfig) { c.Chip = "loihi9" }, "loihi9"},
		{"zero channels", func(c *DemoConfig) { c.C = 0 }, "C 0"},
		{"nothing fits", func(c *DemoConfig) { c.Chip = "tiny" }, "no lambda's winner fits tiny"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyDemo(t.TempDir())
			c.mod(&cfg)
			_, err := RunDemo(context.Background(), set, cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("RunDemo error %v, want one containing %q", err, c.want)
			}
		})
	}
}
