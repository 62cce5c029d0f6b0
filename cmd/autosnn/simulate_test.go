package main

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// tinyMapping writes the mapping directory of a small hand-compiled
// network (conv stem from the host, dense head) on the tiny chip.
func tinyMapping(t *testing.T) string {
	t.Helper()
	b := ir.NewBuilder("clitiny", ir.Header{T: 3, Classes: 2, Vote: 1})
	x := b.Input("x", ir.Shape{C: 1, H: 4, W: 4})
	s := b.Layer("stem", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleStem},
		ir.Edge{Src: x, Op: ir.Conv2D, Out: 2, Kernel: 3, Stride: 1, Pad: 1})
	b.Layer("fc", ir.Neuron{Model: ir.IF, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(s, 2))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	host := g.Projs[0]
	host.Weights = make([]float32, host.WeightLen())
	for i := range host.Weights {
		host.Weights[i] = float32(i%5) / 4
	}
	host.Q = &ir.ProjQuant{Host: true}
	fc := g.Projs[1]
	w := make([]int32, fc.WeightLen())
	for i := range w {
		w[i] = int32(i%7) * 4
	}
	fc.Q = &ir.ProjQuant{Weights: w}
	for i, p := range g.Pops[1:] {
		p.Q = &ir.PopQuant{Scale: 16, Threshold: 16, VMin: -1 << 15, VMax: 1<<15 - 1}
		p.Core = make([]int32, p.Shape.Len())
		for j := range p.Core {
			p.Core[j] = int32((i*3 + j) % 8)
		}
	}
	tg, err := backends.Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mapping")
	if err := backends.WriteMapping(dir, g, tg, backends.MappingExtras{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runSimulate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"autosnn", "simulate", "--quiet"}, args...))
	return out.String(), err
}

func TestSimulateCommand(t *testing.T) {
	m := tinyMapping(t)
	out := filepath.Join(t.TempDir(), "out")
	stdout, err := runSimulate(t, "--mapping", m, "--images", "4", "--out", out, "--sweep-bandwidth", "0.05,1", "--sanafe", "--message-mode", "multicast_tree")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"clitiny on tiny", "images            4 x 3 timesteps", "link_bandwidth_gmsg_per_s",
		"sanafe (arch.yaml, snn.yaml, run.json): sim -s -p arch.yaml snn.yaml 5"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var sum sim.Summary
	data, err := os.ReadFile(filepath.Join(out, "summary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Images != 4 || sum.Timesteps != 3 || sum.Total.Spikes == 0 {
		t.Errorf("summary: images %d, timesteps %d, spikes %d; want 4, 3, > 0", sum.Images, sum.Timesteps, sum.Total.Spikes)
	}
	f, err := os.Open(filepath.Join(out, "steps.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	// The default chip semantics runs T + D - 1 = 3 + 2 - 1 steps per image.
	if err != nil || len(rows) != 1+4*4 {
		t.Errorf("steps.csv: %d rows (err %v), want 17", len(rows), err)
	}
	pf, err := os.Open(filepath.Join(out, "linkload.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(pf); err != nil {
		t.Errorf("linkload.png: %v", err)
	}
	pf.Close()
	f, err = os.Open(filepath.Join(out, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 3 {
		t.Fatalf("sweep.csv: %d rows (err %v), want 3", len(rows), err)
	}
	for _, f := range []string{"arch.yaml", "snn.yaml", "run.json"} {
		data, err := os.ReadFile(filepath.Join(out, "sanafe", f))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Errorf("sanafe/%s is not YAML: %v", f, err)
		}
	}
	for _, d := range []string{"bandwidth-0.05", "bandwidth-1"} {
		if _, err := os.Stat(filepath.Join(out, "sweep", d, "summary.yaml")); err != nil {
			t.Error(err)
		}
	}
}

func TestSimulateErrors(t *testing.T) {
	m := tinyMapping(t)
	out := t.TempDir()
	afile := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(afile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mapping", filepath.Join(out, "none"), "--out", out}, "read mapping"},
		{[]string{"--mapping", m, "--out", out, "--images", "0"}, "--images 0, want >= 1"},
		{[]string{"--mapping", m, "--out", out, "--sweep-buffer", "2,x"}, `"x" is not a positive number`},
		{[]string{"--mapping", m, "--out", out, "--sweep-buffer", "2.5"}, "want a whole number of flits"},
		{[]string{"--mapping", m, "--out", out, "--sweep-buffer", "2", "--sweep-bandwidth", "1"}, "not both"},
		{[]string{"--mapping", m, "--out", out, "--data", "cifar10:" + out}, ""},
		{[]string{"--mapping", m, "--out", out, "--message-mode", "broadcast"}, `--message-mode "broadcast", want one of per_core, multicast_tree`},
		{[]string{"--mapping", m, "--out", out, "--overflow", "lossy"}, `--overflow "lossy", want one of backpressure, drop`},
		{[]string{"--mapping", m, "--out", out, "--drop-wait", "10"}, `noc.drop_wait_ns: got 10 with overflow_policy "backpressure"`},
		{[]string{"--mapping", m, "--out", out, "--overflow", "drop", "--drop-wait", "-1"}, "--drop-wait -1, want a number in [0, inf)"},
		{[]string{"--mapping", m, "--out", out, "--sweep-bandwidth", "1,x"}, `--sweep-bandwidth: "x" is not a positive number`},
		{[]string{"--mapping", m, "--out", afile}, "--out: pipeline: output directory " + afile + " exists and is a file"},
		{[]string{"--mapping", m, "--out", filepath.Join(afile, "sim")}, afile + " is a file, want a directory"},
		{[]string{"--mapping", m, "--out", out, "--size", "0"}, "--size 0, want 1 <= pixels <= 128"},
	} {
		_, err := runSimulate(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("simulate %v: got error %v, want one containing %q", c.args, err, c.want)
		}
	}
	// Every error above comes before the baseline run: nothing is written.
	if ents, err := os.ReadDir(out); err != nil || len(ents) > 0 {
		t.Errorf("--out after the errors holds %d entries (%v), want none", len(ents), err)
	}
}

// TestSimulateDropWait: --drop-wait reaches the simulated chip (its name
// in summary.yaml says so) under --overflow drop.
func TestSimulateDropWait(t *testing.T) {
	m := tinyMapping(t)
	out := t.TempDir()
	if _, err := runSimulate(t, "--mapping", m, "--images", "1", "--out", out, "--overflow", "drop", "--drop-wait", "125"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "drop wait 125 ns") {
		t.Errorf("summary.yaml does not name the drop wait override:\n%s", b)
	}
}
