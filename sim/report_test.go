package sim

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"math"
	"math/rand/v2"
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
	if err := WriteHeatmap(&pb, s); err != nil {
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
