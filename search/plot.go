package search

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

// ParetoPNG plots accuracy against spikes per image for every evaluated
// architecture, the Pareto front as a line, and the chosen architecture
// as a red star, and returns the PNG bytes.
func (h *History) ParetoPNG(title string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "spikes per image"
	p.Y.Label.Text = "accuracy (%)"
	p.Add(plotter.NewGrid())
	all := make(plotter.XYs, len(h.Records))
	for i, r := range h.Records {
		all[i] = plotter.XY{X: r.Spikes, Y: 100 * r.Acc}
	}
	sc, err := plotter.NewScatter(all)
	if err != nil {
		return nil, fmt.Errorf("search: plot: %w", err)
	}
	sc.GlyphStyle.Color = color.NRGBA{R: 40, G: 90, B: 200, A: 170}
	sc.GlyphStyle.Radius = vg.Points(2.5)
	front := h.Pareto()
	fxy := make(plotter.XYs, len(front))
	for i, j := range front {
		fxy[i] = all[j]
	}
	line, err := plotter.NewLine(fxy)
	if err != nil {
		return nil, fmt.Errorf("search: plot: %w", err)
	}
	line.Color = color.RGBA{G: 140, A: 255}
	line.Width = vg.Points(1.5)
	best, err := plotter.NewScatter(plotter.XYs{all[h.Best]})
	if err != nil {
		return nil, fmt.Errorf("search: plot: %w", err)
	}
	best.GlyphStyle.Shape = draw.PyramidGlyph{}
	best.GlyphStyle.Color = color.RGBA{R: 220, A: 255}
	best.GlyphStyle.Radius = vg.Points(6)
	p.Add(sc, line, best)
	p.Legend.Add("evaluated", sc)
	p.Legend.Add("Pareto front", line)
	p.Legend.Add("chosen", best)
	p.Legend.Top = false
	p.Legend.Left = false
	c := vgimg.New(7*vg.Inch, 5*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("search: plot: %w", err)
	}
	return b.Bytes(), nil
}
