package sim

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/ir"
)

// TestOutputs runs three images and checks the CSV, YAML and PNG outputs
// against the in-memory results.
func TestOutputs(t *testing.T) {
	tg := mustTarget(t, "tiny-2chip")
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, scattered, 6)
	s, err := New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	sum := NewSummary(s)
	var csvBuf bytes.Buffer
	cw := NewStepCSV(&csvBuf)
	rng := rand.New(rand.NewPCG(6, 6))
	var spikes int64
	var energy float64
	labels := []int{0, 1, -1}
	correct := 0
	for i, label := range labels {
		r, err := s.Run(randomInput(g, rng), nil)
		if err != nil {
			t.Fatal(err)
		}
		spikes += r.Total.Spikes
		energy += r.Total.Energy.Total()
		if label >= 0 && r.Predicted == label {
			correct++
		}
		sum.Add(r, label)
		if err := cw.Write(i, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&csvBuf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 1+len(labels)*g.T; got != want {
		t.Fatalf("CSV has %d rows, want %d", got, want)
	}
	if got, want := len(rows[1]), len(csvHeader); got != want {
		t.Errorf("CSV row has %d fields, want %d", got, want)
	}

	var yb bytes.Buffer
	if err := sum.WriteYAML(&yb); err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := yaml.Unmarshal(yb.Bytes(), &back); err != nil {
		t.Fatalf("summary is not valid YAML: %v\n%s", err, yb.String())
	}
	if back.Images != 3 || back.Labeled != 2 || back.Correct != correct || back.Total.Spikes != spikes {
		t.Errorf("summary: images %d labeled %d correct %d spikes %d, want 3 2 %d %d", back.Images, back.Labeled, back.Correct, back.Total.Spikes, correct, spikes)
	}
	if got, want := back.EnergyPerImageUJ, energy/3/1e6; got < want*0.999999 || got > want*1.000001 {
		t.Errorf("energy per image %g uJ, want %g", got, want)
	}

	if back.CycleNs != 10 { // tiny-2chip runs at 100 MHz
		t.Errorf("cycle %g ns, want 10", back.CycleNs)
	}
	if got, want := back.StallCyclesPerImage.CoreBusyNs, back.PerImage.Stalls.CoreBusyNs/10; math.Abs(got-want) > 1e-9*math.Max(1, want) {
		t.Errorf("core-busy stall %g cycles, want %g", got, want)
	}
	var pb bytes.Buffer
	if err := WriteHeatmap(&pb, s, 3); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&pb)
	if err != nil {
		t.Fatalf("heatmap is not a PNG: %v", err)
	}
	b := img.Bounds()
	if got, want := b.Dx(), 2*hmMargin+tg.MeshWidth*hmCell+hmLegend; got < want {
		t.Errorf("heatmap width %d, want >= %d", got, want)
	}
	red := false
	for y := b.Min.Y; y < b.Max.Y && !red; y++ {
		for x := b.Min.X; x < b.Max.X-hmLegend; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 210 && g>>8 == 30 && bl>>8 == 30 {
				red = true
				break
			}
		}
	}
	if !red {
		t.Error("heatmap has no link in the colour of the busiest link")
	}
}

// TestHeatmapPerInference checks that the heatmap's scale and its busiest
// link are per inference and name the link BusiestLink names: the total
// link load over the runs divided by the number of images.
func TestHeatmapPerInference(t *testing.T) {
	tg := mustTarget(t, "tiny-2chip")
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	g = compileNet(t, g, tg, scattered, 6)
	s, err := New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	const images = 3
	rng := rand.New(rand.NewPCG(6, 6))
	for range images {
		if _, err := s.Run(randomInput(g, rng), nil); err != nil {
			t.Fatal(err)
		}
	}
	load := s.LinkLoad()
	l, total := BusiestLink(load)
	if total <= 0 {
		t.Fatalf("no inter-tile traffic in the fixture (busiest %v %d)", l, total)
	}
	for k, v := range load {
		if v > total || (v == total && k.String() < l.String()) {
			t.Errorf("BusiestLink %v %d, but %v carries %d", l, total, k, v)
		}
	}
	title, sub, top := heatmapText(s, load, images)
	want := fmt.Sprintf("%.4g", float64(total)/images)
	if top != want {
		t.Errorf("colour-scale top %q, want %q messages per inference (total %d over %d images)", top, want, total, images)
	}
	if !strings.Contains(title, "per inference") || !strings.Contains(sub, l.String()+" (outlined): "+want+" messages per inference") {
		t.Errorf("heatmap text %q / %q, want per-inference figures naming %v with %s", title, sub, l, want)
	}
	if err := WriteHeatmap(io.Discard, s, 0); err == nil {
		t.Error("WriteHeatmap with 0 images: no error")
	}
}
