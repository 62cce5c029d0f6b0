package experiments

// This file draws each experiment's figure for the HTML report (html.go)
// from its result: what the figure shows is read from the rows as Run
// wrote them (OUT/NAME.json), so a report can be drawn from any earlier
// run.

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/autosnn/autosnn/search/pipeline"
)

// figureFunc draws an experiment's figure from its result and says in a
// sentence what it shows.
type figureFunc func(res *Result) (png []byte, caption string, err error)

// figures are the experiments that have a figure (every one at present).
var figures = map[string]figureFunc{
	"table1":  table1Figure,
	"table2":  table2Figure,
	"table3":  tradeoffFigure,
	"table5":  methodsFigure,
	"table6":  methodsFigure,
	"table7":  methodsFigure,
	"table9":  table9Figure,
	"kendall": kendallFigure,
}

// Figure draws the figure of res's experiment as PNG bytes with its
// caption; ok is false for an experiment without a figure.
func Figure(res *Result) (png []byte, caption string, ok bool, err error) {
	f, ok := figures[res.Experiment]
	if !ok {
		return nil, "", false, nil
	}
	png, caption, err = f(res)
	if err != nil {
		return nil, "", true, fmt.Errorf("experiments: %s figure: %w", res.Experiment, err)
	}
	return png, caption, true, nil
}

const seedNote = "Bars and points are the mean over the seeds, error bars ± one sample standard deviation, grey dots the single runs."

// table1Figure: accuracy and spikes of every macro (groups) and block
// (series), the paper's accuracy as a red marker.
func table1Figure(res *Result) ([]byte, string, error) {
	groups, series, cell := groupSeries(res.Rows, 0, 1)
	acc, sp := make([]barSeries, len(series)), make([]barSeries, len(series))
	var marks []marker
	for s, name := range series {
		acc[s], sp[s] = newBarSeries(name, len(groups)), newBarSeries(name, len(groups))
		for g := range groups {
			row, ok := cell[[2]int{g, s}]
			if !ok {
				continue
			}
			acc[s].set(g, 100*row.Accuracy.Mean, 100*row.Accuracy.Std, accuracies(row))
			sp[s].set(g, row.Spikes.Mean, row.Spikes.Std, spikeCounts(row))
			if v, ok := parseNumber(row.Paper); ok && strings.Contains(row.Paper, "%") {
				marks = append(marks, marker{Group: g, Series: s, Value: v})
			}
		}
	}
	left, err := barPanel("test accuracy per macro and block", "test accuracy (%)", groups, acc, marks)
	if err != nil {
		return nil, "", err
	}
	right, err := barPanel("spikes per image per macro and block", "spikes per image", groups, sp, nil)
	if err != nil {
		return nil, "", err
	}
	png, err := pipeline.PlotsPNG([]*plot.Plot{left, right}, 14, 6)
	return png, "Test accuracy (left) and spikes per image (right) of every macro with each block type. " + seedNote +
		" Red: the paper's accuracy where it gives one (CIFAR-10, its protocol).", err
}

// table2Figure: the retrained winner of every lambda as accuracy against
// spikes; the paper's points in a panel of their own (CIFAR-10: another
// scale).
func table2Figure(res *Result) ([]byte, string, error) {
	var ours, paper []point
	for _, row := range res.Rows {
		label := "λ " + row.Cells[0]
		ours = append(ours, point{Label: label, X: row.Spikes.Mean, XStd: row.Spikes.Std, Y: 100 * row.Accuracy.Mean, YStd: 100 * row.Accuracy.Std, Runs: runXYs(row)})
		if a, s, ok := paperPoint(row.Paper); ok {
			paper = append(paper, point{Label: label, X: s, Y: a, Paper: true})
		}
	}
	left, err := scatterPanel("retrained winner per λ (ours)", "spikes per image", "test accuracy (%)", "mean ± std over the seeds", ours)
	if err != nil {
		return nil, "", err
	}
	if err := addPath(left, ours); err != nil {
		return nil, "", err
	}
	ps := []*plot.Plot{left}
	caption := "Each λ's searched winner retrained from scratch: test accuracy against spikes per image, joined in the order of λ. " + seedNote
	if len(paper) > 0 {
		right, err := scatterPanel("the paper (CIFAR-10, C = 16, T = 8)", "spikes per image", "test accuracy (%)", "", paper)
		if err != nil {
			return nil, "", err
		}
		if err := addPath(right, paper); err != nil {
			return nil, "", err
		}
		ps = append(ps, right)
		caption += " Right: the paper's numbers, on their own axes (another data set and scale: compare the direction, not the values)."
	}
	png, err := pipeline.PlotsPNG(ps, 6.5*float64(len(ps)), 5.5)
	return png, caption, err
}

// tradeoffFigure: every row's accuracy against its spikes, labelled
// (Table 3: the searched networks against the hand-crafted ones, where
// better is up and to the left).
func tradeoffFigure(res *Result) ([]byte, string, error) {
	var pts []point
	for _, row := range res.Rows {
		pts = append(pts, point{Label: rowLabel(res.Columns, row), X: row.Spikes.Mean, XStd: row.Spikes.Std, Y: 100 * row.Accuracy.Mean,
			YStd: 100 * row.Accuracy.Std, Runs: runXYs(row)})
	}
	p, err := scatterPanel("test accuracy against spikes per network", "spikes per image", "test accuracy (%)", "mean ± std over the seeds", pts)
	if err != nil {
		return nil, "", err
	}
	png, err := pipeline.PlotsPNG([]*plot.Plot{p}, 9, 6)
	return png, "Test accuracy against spikes per image of every network (up and to the left is better). " + seedNote, err
}

// methodsFigure: accuracy and spikes of every row as bars (Tables 5, 6
// and 7: one bar per method or search space).
func methodsFigure(res *Result) ([]byte, string, error) {
	groups := make([]string, len(res.Rows))
	acc, sp := newBarSeries("", len(res.Rows)), newBarSeries("", len(res.Rows))
	var marks []marker
	for i, row := range res.Rows {
		groups[i] = rowLabel(res.Columns, row)
		acc.set(i, 100*row.Accuracy.Mean, 100*row.Accuracy.Std, accuracies(row))
		sp.set(i, row.Spikes.Mean, row.Spikes.Std, spikeCounts(row))
		if v, ok := parseNumber(row.Paper); ok && strings.Contains(row.Paper, "%") && !strings.Contains(row.Paper, "/") {
			marks = append(marks, marker{Group: i, Value: v})
		}
	}
	left, err := barPanel("test accuracy", "test accuracy (%)", groups, []barSeries{acc}, marks)
	if err != nil {
		return nil, "", err
	}
	right, err := barPanel("spikes per image", "spikes per image", groups, []barSeries{sp}, nil)
	if err != nil {
		return nil, "", err
	}
	png, err := pipeline.PlotsPNG([]*plot.Plot{left, right}, 13, 6)
	return png, "Test accuracy (left) and spikes per image (right) of every row. " + seedNote, err
}

// table9Figure: left, spikes per image against the network's neuron count
// for each block type without the regulariser, with the line of spikes
// proportional to neurons through SRB_k3 (the neuron-count estimate:
// a block type firing as often per neuron as SRB_k3 lies on it); right,
// accuracy against spikes of the regularised rows.
func table9Figure(res *Result) ([]byte, string, error) {
	var blocks, reg []point
	var slope float64
	regBlock, ref := "", ""
	for _, row := range res.Rows {
		if len(row.Cells) > 1 && row.Cells[1] != "0" {
			regBlock = row.Cells[0]
		}
	}
	for _, row := range res.Rows {
		if len(row.Cells) < 2 || len(row.Runs) == 0 {
			continue
		}
		n := float64(row.Runs[0].Neurons)
		if row.Cells[1] == "0" {
			blocks = append(blocks, point{Label: row.Cells[0], X: n, Y: row.Spikes.Mean, YStd: row.Spikes.Std, Runs: xys(n, spikeCounts(row))})
			if n > 0 && (slope == 0 || row.Cells[0] == "SRB_k3") {
				slope, ref = row.Spikes.Mean/n, row.Cells[0]
			}
		}
		if row.Cells[0] == regBlock {
			reg = append(reg, point{Label: "λ_reg " + row.Cells[1], X: row.Spikes.Mean, XStd: row.Spikes.Std, Y: 100 * row.Accuracy.Mean,
				YStd: 100 * row.Accuracy.Std, Runs: runXYs(row)})
		}
	}
	left, err := scatterPanel("spikes against neurons per block type", "neurons in the network", "spikes per image", "mean ± std over the seeds", blocks)
	if err != nil {
		return nil, "", err
	}
	if slope > 0 {
		line, err := plotter.NewLine(plotter.XYs{{X: left.X.Min, Y: slope * left.X.Min}, {X: left.X.Max, Y: slope * left.X.Max}})
		if err != nil {
			return nil, "", err
		}
		line.Color = color.RGBA{R: 120, G: 120, B: 120, A: 255}
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		left.Add(line)
		left.Legend.Add("spikes proportional to neurons, at "+ref+"'s rate", line)
	}
	ps := []*plot.Plot{left}
	caption := "Left: spikes per image of the network built from each block type against its neuron count; the dashed line is spikes in proportion to neurons " +
		"(the neuron-count estimate, 6.4 / 8.0 / 16.5 HWC per block in the issue) at " + ref + "'s rate, so a block type above it fires more per neuron. " + seedNote
	if len(reg) > 1 {
		right, err := scatterPanel("the spike regulariser on "+regBlock, "spikes per image", "test accuracy (%)", "mean ± std over the seeds", reg)
		if err != nil {
			return nil, "", err
		}
		ps = append(ps, right)
		caption += " Right: " + regBlock + " trained with the loss regulariser λ_reg/(K T) Σ φ at each λ_reg, accuracy against spikes."
	}
	png, err := pipeline.PlotsPNG(ps, 6.5*float64(len(ps)), 5.5)
	return png, caption, err
}

// kendallFigure: stand-alone against inherited-weight accuracy (left) and
// spikes (right) of every architecture, Kendall's tau in the titles.
func kendallFigure(res *Result) ([]byte, string, error) {
	var acc, sp []point
	var ia, sa, is, ss []float64
	for _, row := range res.Rows {
		a, okA := parseNumber(row.Extra["D_val accuracy (inherited)"])
		s, okS := parseNumber(row.Extra["D_val spikes (inherited)"])
		if okA {
			acc = append(acc, point{X: a, Y: 100 * row.Accuracy.Mean, YStd: 100 * row.Accuracy.Std})
			ia, sa = append(ia, a), append(sa, row.Accuracy.Mean)
		}
		if okS {
			sp = append(sp, point{X: s, Y: row.Spikes.Mean, YStd: row.Spikes.Std})
			is, ss = append(is, s), append(ss, row.Spikes.Mean)
		}
	}
	left, err := scatterPanel("accuracy: Kendall "+tauText(ia, sa), "D_val accuracy, inherited weights (%)", "test accuracy, trained alone (%)", "", acc)
	if err != nil {
		return nil, "", err
	}
	right, err := scatterPanel("spikes: Kendall "+tauText(is, ss), "D_val spikes per image, inherited weights", "test spikes per image, trained alone", "", sp)
	if err != nil {
		return nil, "", err
	}
	png, err := pipeline.PlotsPNG([]*plot.Plot{left, right}, 13, 5.5)
	return png, "Each point is one architecture: its accuracy (left) and spikes (right) with the super-network's inherited weights on D_val " +
		"against the same architecture trained alone, on the test images. Kendall's tau-b of the two rankings in the titles (1: the super-network ranks them as training alone does).", err
}

// addPath joins pts' centres with a thin grey line in their order.
func addPath(p *plot.Plot, pts []point) error {
	if len(pts) < 2 {
		return nil
	}
	xy := make(plotter.XYs, len(pts))
	for i, q := range pts {
		xy[i] = plotter.XY{X: q.X, Y: q.Y}
	}
	line, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	line.Color, line.Width = color.Gray{Y: 170}, vg.Points(0.8)
	p.Add(line)
	return nil
}

// tauText is "τ = 0.47 (n = 10)", or says why tau is undefined.
func tauText(x, y []float64) string {
	tau := KendallTau(x, y)
	if math.IsNaN(tau) {
		return fmt.Sprintf("τ undefined (n = %d: too few or constant values)", len(x))
	}
	return fmt.Sprintf("τ = %.2f (n = %d)", tau, len(x))
}

// newBarSeries returns a series of n groups without bars.
func newBarSeries(name string, n int) barSeries {
	s := barSeries{Name: name, Mean: make([]float64, n), Std: make([]float64, n), Points: make([][]float64, n)}
	for i := range s.Mean {
		s.Mean[i] = math.NaN()
	}
	return s
}

func (s *barSeries) set(g int, mean, std float64, points []float64) {
	s.Mean[g], s.Std[g], s.Points[g] = mean, std, points
}

// groupSeries arranges rows by two of their cells: groups (cell gi) and
// series (cell si), each in order of first appearance; cell maps (group,
// series) to its row.
func groupSeries(rows []Row, gi, si int) (groups, series []string, cell map[[2]int]Row) {
	gIdx, sIdx := map[string]int{}, map[string]int{}
	cell = map[[2]int]Row{}
	for _, row := range rows {
		if len(row.Cells) <= max(gi, si) {
			continue
		}
		g, s := row.Cells[gi], row.Cells[si]
		if _, ok := gIdx[g]; !ok {
			gIdx[g] = len(groups)
			groups = append(groups, g)
		}
		if _, ok := sIdx[s]; !ok {
			sIdx[s] = len(series)
			series = append(series, s)
		}
		cell[[2]int{gIdx[g], sIdx[s]}] = row
	}
	return groups, series, cell
}

// rowLabel names a row in a figure by its identifying cells, leaving out
// block lists (too long for an axis) unless they are all there is.
func rowLabel(columns []string, row Row) string {
	var parts []string
	for i, c := range row.Cells {
		col := ""
		if i < len(columns) {
			col = columns[i]
		}
		switch {
		case c == "" || c == "-":
		case col == "blocks" || col == "architecture" || col == "parameters":
			if len(row.Cells) == 1 {
				parts = append(parts, c)
			}
		case col == "lambda":
			parts = append(parts, "λ "+c)
		default:
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, ", ")
}

// xys pairs one x with every y.
func xys(x float64, ys []float64) plotter.XYs {
	out := make(plotter.XYs, len(ys))
	for i, y := range ys {
		out[i] = plotter.XY{X: x, Y: y}
	}
	return out
}
