package train

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// LayerSpikesPNG draws the paper's Fig. 2/3 view of an evaluation: spikes
// per image of every layer the paper's metric counts (bars, left axis
// labels in layer order) and returns the PNG bytes.
func LayerSpikesPNG(res EvalResult, title string) ([]byte, error) {
	var vals plotter.Values
	var names []string
	for _, l := range res.Layers {
		if !l.Counted {
			continue
		}
		vals = append(vals, l.Spikes)
		names = append(names, l.Layer)
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("train: plot: no spiking layers in the evaluation")
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "spikes per image"
	p.Add(plotter.NewGrid())
	bars, err := plotter.NewBarChart(vals, vg.Points(14))
	if err != nil {
		return nil, fmt.Errorf("train: plot: %w", err)
	}
	bars.Color = color.RGBA{R: 40, G: 90, B: 200, A: 255}
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 1.2
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	w := vg.Length(max(6, 0.35*float64(len(names)))) * vg.Inch
	c := vgimg.New(w, 4.5*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("train: plot: %w", err)
	}
	return b.Bytes(), nil
}
