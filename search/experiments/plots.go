package experiments

// This file holds the drawing primitives of the HTML report's figures
// (figures.go): bar panels with the seeds' spread, scatter panels with
// error bars and labels, and the parsing of a row's text cells back into
// numbers. The PNG canvas and tick helpers are search/pipeline's.

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/autosnn/autosnn/search/pipeline"
)

// paperColor marks the paper's numbers in every figure.
var paperColor = color.RGBA{R: 210, G: 30, B: 30, A: 255}

// barSeries is one series of a grouped bar panel: per group a mean (NaN:
// no bar), its standard deviation and the single runs' values, drawn as
// dots over the bar.
type barSeries struct {
	Name   string
	Mean   []float64
	Std    []float64
	Points [][]float64
}

// marker is a point drawn over a bar panel (the paper's number of a
// group and series): Group indexes the groups, Series the series.
type marker struct {
	Group, Series int
	Value         float64
}

// barPanel draws groups (nominal x axis) of bars, one per series, with
// ±std error bars, the runs as dots and the markers as red stars.
func barPanel(title, ylabel string, groups []string, series []barSeries, marks []marker) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Tick.Marker = pipeline.NiceTicks{N: 6}
	p.Add(plotter.NewGrid())
	n := len(series)
	span := 0.8 // of a group's unit width
	barW := vg.Points(min(40, 300/float64(max(1, len(groups)*n))))
	offset := func(s int) float64 { return -span/2 + span*(float64(s)+0.5)/float64(n) }
	var lo, hi = math.Inf(1), math.Inf(-1)
	var runDots plot.Thumbnailer
	for si, s := range series {
		vals := make(plotter.Values, len(groups))
		var exy plotter.XYs
		var eys plotter.YErrors
		var dots plotter.XYs
		for g := range groups {
			x := float64(g) + offset(si)
			if g < len(s.Mean) && !math.IsNaN(s.Mean[g]) {
				vals[g] = s.Mean[g]
				lo, hi = min(lo, s.Mean[g]), max(hi, s.Mean[g])
				if g < len(s.Std) && s.Std[g] > 0 {
					// Accuracies and counts are never negative: the bar
					// below the mean stops at 0.
					low := min(s.Std[g], max(s.Mean[g], 0))
					exy = append(exy, plotter.XY{X: x, Y: s.Mean[g]})
					eys = append(eys, struct{ Low, High float64 }{low, s.Std[g]})
					lo, hi = min(lo, s.Mean[g]-low), max(hi, s.Mean[g]+s.Std[g])
				}
			}
			if g < len(s.Points) {
				for k, v := range s.Points[g] {
					// Spread the dots a little so equal values stay visible.
					jit := 0.25 * span / float64(n) * (float64(k)/float64(max(1, len(s.Points[g])-1)) - 0.5)
					dots = append(dots, plotter.XY{X: x + jit, Y: v})
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
		}
		bars.XMin = offset(si)
		bars.Color = plotutil.Color(si)
		bars.LineStyle.Width = 0
		p.Add(bars)
		if n > 1 {
			p.Legend.Add(s.Name, bars)
		}
		if len(exy) > 0 {
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{exy, eys})
			if err != nil {
				return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
			}
			eb.LineStyle.Width = vg.Points(1.2)
			p.Add(eb)
		}
		if len(dots) > 0 {
			sc, err := plotter.NewScatter(dots)
			if err != nil {
				return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
			}
			sc.GlyphStyle.Color = color.Gray{Y: 40}
			sc.GlyphStyle.Radius = vg.Points(2)
			p.Add(sc)
			runDots = sc
		}
	}
	if runDots != nil {
		p.Legend.Add("single runs (seeds)", runDots)
	}
	if len(marks) > 0 {
		var pts plotter.XYs
		for _, m := range marks {
			pts = append(pts, plotter.XY{X: float64(m.Group) + offset(m.Series), Y: m.Value})
			lo, hi = min(lo, m.Value), max(hi, m.Value)
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
		}
		sc.GlyphStyle.Shape = draw.PyramidGlyph{}
		sc.GlyphStyle.Color = paperColor
		sc.GlyphStyle.Radius = vg.Points(5)
		p.Add(sc)
		p.Legend.Add("paper", sc)
	}
	p.NominalX(groups...)
	if len(groups) > 4 || longest(groups) > 14 {
		p.X.Tick.Label.Rotation = 0.5
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YTop
	}
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	if !math.IsInf(lo, 0) {
		// Bars start at 0: the axis shows 0 and leaves room above the
		// highest bar for the legend.
		p.Y.Min, p.Y.Max = min(0, lo), hi+0.25*max(hi-min(0, lo), 1e-9)
	}
	p.Legend.Top = true
	p.Legend.Left = false
	return p, nil
}

func longest(ss []string) int {
	n := 0
	for _, s := range ss {
		n = max(n, len(s))
	}
	return n
}

// point is one labelled point of a scatter panel with its spread.
type point struct {
	Label      string
	X, Y       float64
	XStd, YStd float64
	Runs       plotter.XYs // the single runs behind the point
	Paper      bool        // the paper's number (red), not ours
}

// scatterPanel draws pts with ±std error bars in x and y (stopping at 0:
// the values are never negative), their runs as small grey dots and
// their labels (points at the same place share one), ours in blue named
// name in the legend and the paper's in red.
func scatterPanel(title, xlabel, ylabel, name string, pts []point) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.X.Tick.Marker, p.Y.Tick.Marker = pipeline.NiceTicks{N: 6}, pipeline.NiceTicks{N: 6}
	p.Add(plotter.NewGrid())
	var all plotter.XYs
	var runs plotter.XYs
	for _, q := range pts {
		all = append(all, plotter.XY{X: max(q.X-q.XStd, min(q.X, 0)), Y: max(q.Y-q.YStd, min(q.Y, 0))}, plotter.XY{X: q.X + q.XStd, Y: q.Y + q.YStd})
		runs = append(runs, q.Runs...)
		all = append(all, q.Runs...)
	}
	if len(runs) > 0 {
		sc, err := plotter.NewScatter(runs)
		if err != nil {
			return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
		}
		sc.GlyphStyle.Color = color.Gray{Y: 150}
		sc.GlyphStyle.Radius = vg.Points(1.8)
		p.Add(sc)
		p.Legend.Add("single runs (seeds)", sc)
	}
	hasOurs := false
	for _, q := range pts {
		hasOurs = hasOurs || !q.Paper
	}
	for _, paper := range []bool{false, true} {
		var xys plotter.XYs
		var xe plotter.XErrors
		var ye plotter.YErrors
		var labels []string
		at := map[plotter.XY]int{}
		for _, q := range pts {
			if q.Paper != paper {
				continue
			}
			xy := plotter.XY{X: q.X, Y: q.Y}
			if i, ok := at[xy]; ok {
				if q.Label != "" {
					labels[i] += ", " + strings.TrimPrefix(q.Label, commonPrefix(labels[i], q.Label))
				}
				continue
			}
			at[xy] = len(xys)
			xys = append(xys, xy)
			xe = append(xe, struct{ Low, High float64 }{min(q.XStd, max(q.X, 0)), q.XStd})
			ye = append(ye, struct{ Low, High float64 }{min(q.YStd, max(q.Y, 0)), q.YStd})
			labels = append(labels, q.Label)
		}
		if len(xys) == 0 {
			continue
		}
		c, legend := color.Color(color.RGBA{R: 30, G: 80, B: 190, A: 255}), name
		if paper {
			c, legend = paperColor, "paper"
		}
		errs := struct {
			plotter.XYs
			plotter.XErrors
			plotter.YErrors
		}{xys, xe, ye}
		xb, err := plotter.NewXErrorBars(errs)
		if err != nil {
			return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
		}
		yb, err := plotter.NewYErrorBars(errs)
		if err != nil {
			return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
		}
		xb.LineStyle.Color, yb.LineStyle.Color = c, c
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius = c, vg.Points(3.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		if paper {
			sc.GlyphStyle.Shape = draw.PyramidGlyph{}
		}
		p.Add(xb, yb, sc)
		// A label goes above its point when the nearest other point (in
		// axis-normalised distance) is lower, below it otherwise, so
		// neighbours' labels part.
		below := labelsBelow(xys)
		for parity := range 2 {
			var lxy plotter.XYs
			var ls []string
			for i := range xys {
				if below[i] == (parity == 1) && labels[i] != "" {
					lxy, ls = append(lxy, xys[i]), append(ls, labels[i])
				}
			}
			if len(lxy) == 0 {
				continue
			}
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: lxy, Labels: ls})
			if err != nil {
				return nil, fmt.Errorf("experiments: plot %q: %w", title, err)
			}
			lb.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(3 - 15*float64(parity))}
			for i := range lb.TextStyle {
				lb.TextStyle[i].Color = c
			}
			p.Add(lb)
		}
		if legend != "" && (!paper || hasOurs) { // a panel of the paper's alone needs no legend
			p.Legend.Add(legend, sc)
		}
	}
	setRange(p, all)
	placeLegend(p, all)
	return p, nil
}

// labelsBelow says for each point whether its label goes below it: when
// the nearest other point, in distances normalised by the points' range
// on each axis, lies above it.
func labelsBelow(xys plotter.XYs) []bool {
	below := make([]bool, len(xys))
	if len(xys) < 2 {
		return below
	}
	xmin, xmax, ymin, ymax := plotter.XYRange(xys)
	dx, dy := max(xmax-xmin, 1e-12), max(ymax-ymin, 1e-12)
	for i, a := range xys {
		best := math.Inf(1)
		for j, b := range xys {
			if d := math.Hypot((a.X-b.X)/dx, (a.Y-b.Y)/dy); j != i && d < best {
				best, below[i] = d, b.Y > a.Y || (b.Y == a.Y && j < i)
			}
		}
	}
	return below
}

// placeLegend puts p's legend in the corner of the data area with the
// fewest of pts (bottom right on a tie).
func placeLegend(p *plot.Plot, pts plotter.XYs) {
	best := -1
	for _, c := range []struct{ top, left bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		n := 0
		for _, q := range pts {
			fx := (q.X - p.X.Min) / (p.X.Max - p.X.Min)
			fy := (q.Y - p.Y.Min) / (p.Y.Max - p.Y.Min)
			inX := fx > 0.55
			if c.left {
				inX = fx < 0.45
			}
			inY := fy < 0.25
			if c.top {
				inY = fy > 0.75
			}
			if inX && inY {
				n++
			}
		}
		if best < 0 || n < best {
			best, p.Legend.Top, p.Legend.Left = n, c.top, c.left
		}
	}
}

// setRange sets p's axes to pts' range with margins: room right of the
// points for their labels, above and below them for the legend; an axis
// of values that are never negative stays at or above 0.
func setRange(p *plot.Plot, pts plotter.XYs) {
	if len(pts) == 0 {
		return
	}
	xmin, xmax, ymin, ymax := plotter.XYRange(pts)
	dx := max(xmax-xmin, 0.1*math.Abs(xmax), 1e-9)
	dy := max(ymax-ymin, 0.1*math.Abs(ymax), 1e-9)
	p.X.Min, p.X.Max = xmin-0.08*dx, xmax+0.3*dx
	p.Y.Min, p.Y.Max = ymin-0.3*dy, ymax+0.3*dy
	if xmin >= 0 {
		p.X.Min = max(p.X.Min, 0)
	}
	if ymin >= 0 {
		p.Y.Min = max(p.Y.Min, 0)
	}
}

// commonPrefix returns the longest common prefix of a and b that ends
// with a space ("λ " of "λ 0" and "λ -0.24"), so merged labels read
// "λ 0, -0.24".
func commonPrefix(a, b string) string {
	n := 0
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == ' ' {
			n = i + 1
		}
	}
	return a[:n]
}

// parseNumber reads a number as the tables print it: "12.50%" (percent),
// "9,348" (a count), "127K" (thousands) or "0.011"; ok false for "-" and
// anything else.
func parseNumber(s string) (v float64, ok bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " ("); i > 0 {
		s = s[:i] // "0 (ReLU)"
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "%"):
		s = strings.TrimSuffix(s, "%")
	case strings.HasSuffix(s, "K"):
		s, mult = strings.TrimSuffix(s, "K"), 1e3
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1e6
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v * mult, true
}

// paperPoint reads a row's paper column "88.69% / 127K" as an accuracy in
// percent and spikes per image; ok false when it is not in that form.
func paperPoint(s string) (acc, spikes float64, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	acc, ok1 := parseNumber(a)
	spikes, ok2 := parseNumber(b)
	return acc, spikes, ok1 && ok2 && strings.Contains(a, "%")
}

// accuracies returns the runs' test accuracies in percent.
func accuracies(row Row) []float64 {
	out := make([]float64, len(row.Runs))
	for i, r := range row.Runs {
		out[i] = 100 * r.Accuracy
	}
	return out
}

// spikeCounts returns the runs' spikes per image.
func spikeCounts(row Row) []float64 {
	out := make([]float64, len(row.Runs))
	for i, r := range row.Runs {
		out[i] = r.Spikes
	}
	return out
}

// runXYs returns the runs of row as (spikes, accuracy %) points.
func runXYs(row Row) plotter.XYs {
	out := make(plotter.XYs, len(row.Runs))
	for i, r := range row.Runs {
		out[i] = plotter.XY{X: r.Spikes, Y: 100 * r.Accuracy}
	}
	return out
}
