package pipeline

// This file draws the sweep's accuracy/energy figure (pareto.png).

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// paretoSeries is the data of ParetoPNG, in uJ per inference and percent.
type paretoSeries struct {
	// Winners has one point per distinct lambda winner that fits: X is the
	// simulated energy per inference (Row.EnergyPJ, dynamic + static: the
	// table's figure), Y the validation accuracy; Labels[i] names the
	// lambdas that chose Winners[i].
	Winners plotter.XYs
	Labels  []string
	// Chosen is the chosen row's point on the same axes (valid when
	// HasChosen).
	Chosen    plotter.XY
	HasChosen bool
	// Candidates are every evaluated architecture that fits, X its
	// analytical energy estimate (chipcost, dynamic + static), and
	// WinnersEst the winners on that axis.
	Candidates plotter.XYs
	WinnersEst plotter.XYs
}

// series collects ParetoPNG's points from the table (r.Rows) and the
// evaluated candidates.
func (r *SweepResult) series() paretoSeries {
	var s paretoSeries
	for _, c := range r.Candidates {
		if c.Fits {
			s.Candidates = append(s.Candidates, plotter.XY{X: c.Estimate.EnergyPJ / 1e6, Y: 100 * c.Acc})
		}
	}
	at := map[string]int{}
	for _, row := range r.Rows {
		if !row.Fits {
			continue
		}
		if i, ok := at[row.Key]; ok {
			s.Labels[i] += fmt.Sprintf(", %g", row.Lambda)
			continue
		}
		at[row.Key] = len(s.Winners)
		s.Winners = append(s.Winners, plotter.XY{X: row.EnergyPJ / 1e6, Y: 100 * row.Acc})
		s.WinnersEst = append(s.WinnersEst, plotter.XY{X: row.Estimate.EnergyPJ / 1e6, Y: 100 * row.Acc})
		s.Labels = append(s.Labels, fmt.Sprintf("λ = %g", row.Lambda))
	}
	if r.Chosen >= 0 && r.Rows[r.Chosen].Fits {
		c := r.Rows[r.Chosen]
		s.Chosen, s.HasChosen = plotter.XY{X: c.EnergyPJ / 1e6, Y: 100 * c.Acc}, true
	}
	return s
}

// ParetoPNG draws two panels side by side. Left, the lambda winners as the
// table gives them: validation accuracy (inherited weights) against the
// energy per inference simulated on the chip (dynamic + static, the
// table's energy/inf), each labelled with the lambdas that chose it, the
// chosen one red. Right, every evaluated candidate that fits (grey), their
// Pareto front (green) and the winners (blue) against the analytical
// energy estimate of package chipcost (dynamic + static), the only energy
// the search has for candidates it did not simulate.
func (r *SweepResult) ParetoPNG() ([]byte, error) {
	s := r.series()
	left, err := r.winnersPlot(s)
	if err != nil {
		return nil, err
	}
	right, err := r.candidatesPlot(s)
	if err != nil {
		return nil, err
	}
	return PlotsPNG([]*plot.Plot{left, right}, 12, 5.5)
}

func (r *SweepResult) winnersPlot(s paretoSeries) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("lambda winners simulated on %s (fitness cost: %s)", r.Chip, r.Cost)
	p.X.Label.Text = "energy per inference, simulated: dynamic + static (uJ)"
	p.Y.Label.Text = "validation accuracy, inherited weights (%)"
	p.X.Tick.Marker, p.Y.Tick.Marker = NiceTicks{8}, NiceTicks{8}
	p.Add(plotter.NewGrid())
	if len(s.Winners) > 0 {
		sc, err := plotter.NewScatter(s.Winners)
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		sc.GlyphStyle.Shape = draw.TriangleGlyph{}
		sc.GlyphStyle.Color = color.RGBA{B: 200, A: 255}
		sc.GlyphStyle.Radius = vg.Points(4)
		p.Add(sc)
		p.Legend.Add("lambda winner (compiled, simulated)", sc)
		// Labels right of their markers, vertically centred, so they
		// never cover a marker; labels of close winners alternate above
		// and below that line.
		order := make([]int, len(s.Winners))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return s.Winners[order[a]].Y < s.Winners[order[b]].Y })
		for k, i := range order {
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{s.Winners[i]}, Labels: []string{s.Labels[i]}})
			if err != nil {
				return nil, fmt.Errorf("pipeline: plot: %w", err)
			}
			lb.Offset.X = vg.Points(8)
			lb.Offset.Y = vg.Points(-4)
			if k > 0 && math.Abs(s.Winners[i].Y-s.Winners[order[k-1]].Y) < 0.5 {
				lb.Offset.Y = vg.Points(4)
			}
			p.Add(lb)
		}
	}
	if s.HasChosen {
		st, err := plotter.NewScatter(plotter.XYs{s.Chosen})
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		st.GlyphStyle.Shape = draw.PyramidGlyph{}
		st.GlyphStyle.Color = color.RGBA{R: 220, A: 255}
		st.GlyphStyle.Radius = vg.Points(6)
		p.Add(st)
		p.Legend.Add(fmt.Sprintf("chosen (λ = %g)", r.Rows[r.Chosen].Lambda), st)
	}
	pts := append(append(plotter.XYs(nil), s.Winners...), s.Chosen)
	if !s.HasChosen {
		pts = pts[:len(pts)-1]
	}
	setRange(p, pts, 0.45) // room right of the markers for their labels
	p.Legend.Top = false
	p.Legend.Left = true
	return p, nil
}

func (r *SweepResult) candidatesPlot(s paretoSeries) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("every evaluated candidate that fits (%d), analytical estimate", len(s.Candidates))
	p.X.Label.Text = "energy per inference, analytical estimate (chipcost): dynamic + static (uJ)"
	p.Y.Label.Text = "validation accuracy, inherited weights (%)"
	p.X.Tick.Marker, p.Y.Tick.Marker = NiceTicks{8}, NiceTicks{8}
	p.Add(plotter.NewGrid())
	if len(s.Candidates) > 0 {
		sc, err := plotter.NewScatter(s.Candidates)
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		sc.GlyphStyle.Color = color.NRGBA{R: 120, G: 120, B: 120, A: 150}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		line, err := plotter.NewLine(paretoFront(s.Candidates))
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		line.Color = color.RGBA{G: 140, A: 255}
		line.Width = vg.Points(1.2)
		p.Add(sc, line)
		p.Legend.Add("evaluated candidate", sc)
		p.Legend.Add("Pareto front", line)
	}
	if len(s.WinnersEst) > 0 {
		sc, err := plotter.NewScatter(s.WinnersEst)
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		sc.GlyphStyle.Shape = draw.TriangleGlyph{}
		sc.GlyphStyle.Color = color.RGBA{B: 200, A: 255}
		sc.GlyphStyle.Radius = vg.Points(4)
		p.Add(sc)
		p.Legend.Add("lambda winner (its estimate)", sc)
	}
	setRange(p, append(append(plotter.XYs(nil), s.Candidates...), s.WinnersEst...), 0.05)
	p.Legend.Top = false
	p.Legend.Left = false
	return p, nil
}

// paretoFront returns the points no other point beats (higher or equal
// accuracy at lower or equal energy, strictly better in one), by energy.
func paretoFront(pts plotter.XYs) plotter.XYs {
	s := append(plotter.XYs(nil), pts...)
	sort.Slice(s, func(i, j int) bool {
		if s[i].X != s[j].X {
			return s[i].X < s[j].X
		}
		return s[i].Y > s[j].Y
	})
	var out plotter.XYs
	for _, q := range s {
		if len(out) == 0 || q.Y > out[len(out)-1].Y {
			out = append(out, q)
		}
	}
	return out
}

// setRange sets p's axes to pts' range with margins (right: rightFrac of
// the x range) so markers and labels at the extremes are not clipped.
func setRange(p *plot.Plot, pts plotter.XYs, rightFrac float64) {
	if len(pts) == 0 {
		return
	}
	xmin, xmax, ymin, ymax := plotter.XYRange(pts)
	dx := max(xmax-xmin, 0.1*math.Abs(xmax), 1e-9)
	dy := max(ymax-ymin, 2)
	p.X.Min, p.X.Max = xmin-0.08*dx, xmax+rightFrac*dx
	// Below the points: room for the legend (bottom corner).
	// Accuracies are never negative.
	p.Y.Min, p.Y.Max = max(ymin-0.35*dy, 0), ymax+0.1*dy
}
