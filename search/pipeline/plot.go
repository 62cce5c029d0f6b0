package pipeline

// This file holds the PNG and axis helpers every figure of the module
// draws with (the sweep's pareto.png here, the experiments' report in
// search/experiments).

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotPNG draws p on a wIn x hIn inch canvas and returns the PNG bytes.
func PlotPNG(p *plot.Plot, wIn, hIn float64) ([]byte, error) {
	c := vgimg.New(vg.Length(wIn)*vg.Inch, vg.Length(hIn)*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("pipeline: plot: %w", err)
	}
	return b.Bytes(), nil
}

// PlotsPNG draws plots side by side on one wIn x hIn inch canvas and
// returns the PNG bytes.
func PlotsPNG(ps []*plot.Plot, wIn, hIn float64) ([]byte, error) {
	c := vgimg.New(vg.Length(wIn)*vg.Inch, vg.Length(hIn)*vg.Inch)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(ps), PadX: vg.Points(20), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	for i, p := range ps {
		p.Draw(tiles.At(dc, i, 0))
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("pipeline: plot: %w", err)
	}
	return b.Bytes(), nil
}

// NiceTicks labels about N major ticks at steps of 1, 2 or 5 times a power
// of ten, with minor ticks halfway.
type NiceTicks struct{ N int }

// Ticks implements plot.Ticker.
func (t NiceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || t.N < 2 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / float64(t.N)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	// The finest of 1, 2, 5 x mag that gives at most 1.5 N labels.
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if (hi-lo)/(m*mag) <= 1.5*float64(t.N) {
			step = m * mag
			break
		}
	}
	prec := max(0, -int(math.Floor(math.Log10(step))))
	var out []plot.Tick
	for k := math.Ceil(lo / step * 2); k/2*step <= hi+1e-9*step; k++ {
		v := k / 2 * step
		if int64(k)%2 == 0 {
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
		} else {
			out = append(out, plot.Tick{Value: v})
		}
	}
	return out
}
