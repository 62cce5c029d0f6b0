package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/autosnn/autosnn/ir"
)

// Files a sweep writes (WriteDir).
const (
	TableCSV   = "lambda.csv"
	TableJSON  = "lambda.json"
	ParetoFile = "pareto.png"
	ChosenDir  = "chosen"
)

// LambdaDir is the sub-directory of one lambda's search history.
func LambdaDir(lambda float64) string {
	return "lambda" + strconv.FormatFloat(lambda, 'g', -1, 64)
}

// WriteTable prints one line per lambda and the choice.
func (r *SweepResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "lambda\tarchitecture\tval acc\tchip acc\tspikes\tcores\tenergy/inf\tlatency/inf\tmax link load\tnote")
	for i, row := range r.Rows {
		note := ""
		switch {
		case !row.Fits:
			note = "does not fit"
		case len(row.Violations) > 0:
			note = "over budget: " + strings.Join(row.Violations, "; ")
		}
		if i == r.Chosen {
			note = "CHOSEN"
		}
		if row.Fits {
			fmt.Fprintf(tw, "%g\t%s\t%.2f%%\t%.2f%%\t%.0f\t%d\t%.4g uJ\t%.4g us\t%.4g msg\t%s\n", row.Lambda, strings.Join(row.Blocks, ","),
				100*row.Acc, 100*row.ChipAcc, row.Spikes, row.Cores, row.EnergyPJ/1e6, row.LatencyNs/1e3, row.MaxLinkLoad, note)
		} else {
			fmt.Fprintf(tw, "%g\t%s\t%.2f%%\t-\t%.0f\t-\t-\t-\t-\t%s\n", row.Lambda, strings.Join(row.Blocks, ","), 100*row.Acc, row.Spikes, note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "spikes: paper metric per image on D_val; chip columns: simulated on %s per inference; budget %s\n", r.Chip, r.Budget)
	if r.Chosen < 0 {
		_, err := fmt.Fprintf(w, "no lambda's winner fits %s and meets the budget (policy: %s)\n", r.Chip, r.Policy)
		return err
	}
	c := r.Rows[r.Chosen]
	_, err := fmt.Fprintf(w, "chosen: lambda %g, %s (policy: %s)\n", c.Lambda, strings.Join(c.Blocks, ","), r.Policy)
	return err
}

// CSV returns the table as CSV, one row per lambda.
func (r *SweepResult) CSV() ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"lambda", "blocks", "val_accuracy", "spikes_per_image", "fitness_cost", "fitness", "fits", "chip_accuracy",
		"chip_spikes", "cores", "energy_pj", "latency_ns", "max_link_load", "link_util_max",
		"est_synops", "est_messages", "est_cores", "est_energy_pj", "est_latency_ns", "budget_violations", "chosen"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	for i, row := range r.Rows {
		w.Write([]string{f(row.Lambda), strings.Join(row.Blocks, " "), f(row.Acc), f(row.Spikes), f(row.Cost), f(row.Fitness),
			strconv.FormatBool(row.Fits), f(row.ChipAcc), f(row.ChipSpikes), strconv.Itoa(row.Cores), f(row.EnergyPJ), f(row.LatencyNs),
			f(row.MaxLinkLoad), f(row.LinkUtilMax), f(row.Estimate.SynOps), f(row.Estimate.Messages), strconv.Itoa(row.Estimate.Cores),
			f(row.Estimate.EnergyPJ), f(row.Estimate.LatencyNs), strings.Join(row.Violations, "; "), strconv.FormatBool(i == r.Chosen)})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// WriteDir writes the sweep into dir: lambda.csv and lambda.json (the
// table), pareto.png, one search history per lambda (lambda<value>/, as
// `autosnn search` writes it: a candidate that does not fit the chip has
// an infinite cost, null in history.json) and, when a lambda was chosen, chosen/ with
// its mapping directory (mapping/) and simulation outputs (sim/:
// summary.yaml, steps.csv, linkload.png).
func (r *SweepResult) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	tab, err := r.CSV()
	if err != nil {
		return fmt.Errorf("pipeline: table: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("pipeline: table: %w", err)
	}
	png, err := r.ParetoPNG()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{TableCSV: tab, TableJSON: append(js, '\n'), ParetoFile: png} {
		if err := ir.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	for i, h := range r.Histories {
		if err := h.WriteDir(filepath.Join(dir, LambdaDir(r.Rows[i].Lambda)), r.Space); err != nil {
			return err
		}
	}
	if r.Chosen >= 0 {
		if err := r.Deployments[r.Chosen].WriteDir(filepath.Join(dir, ChosenDir)); err != nil {
			return err
		}
	}
	return nil
}

// ParetoPNG plots validation accuracy against the analytical energy per
// inference on the chip (package chipcost; the simulated energies are in
// the table): every evaluated candidate that fits (grey), their Pareto
// front, each lambda's winner (labelled with its lambdas) and the chosen
// one as a red star.
func (r *SweepResult) ParetoPNG() ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("accuracy vs energy on %s (fitness cost: %s)", r.Chip, r.Cost)
	p.X.Label.Text = "energy per inference, analytical estimate (uJ)"
	p.Y.Label.Text = "validation accuracy, inherited weights (%)"
	p.Add(plotter.NewGrid())
	var all plotter.XYs
	var cand plotter.XYs
	for _, c := range r.Candidates {
		if c.Fits {
			cand = append(cand, plotter.XY{X: c.Estimate.EnergyPJ / 1e6, Y: 100 * c.Acc})
		}
	}
	all = append(all, cand...)
	if len(cand) > 0 {
		sc, err := plotter.NewScatter(cand)
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		sc.GlyphStyle.Color = color.NRGBA{R: 120, G: 120, B: 120, A: 150}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		line, err := plotter.NewLine(paretoFront(cand))
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		line.Color = color.RGBA{G: 140, A: 255}
		line.Width = vg.Points(1.2)
		p.Add(sc, line)
		p.Legend.Add("evaluated candidates", sc)
		p.Legend.Add("Pareto front", line)
	}
	// One marker per distinct winner, labelled with every lambda that chose it.
	var win plotter.XYs
	var labels []string
	at := map[string]int{}
	for _, row := range r.Rows {
		if !row.Fits {
			continue
		}
		if i, ok := at[row.Key]; ok {
			labels[i] += fmt.Sprintf(", %g", row.Lambda)
			continue
		}
		at[row.Key] = len(win)
		win = append(win, plotter.XY{X: row.Estimate.EnergyPJ / 1e6, Y: 100 * row.Acc})
		labels = append(labels, fmt.Sprintf("  λ = %g", row.Lambda))
	}
	all = append(all, win...)
	if len(win) > 0 {
		sc, err := plotter.NewScatter(win)
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		sc.GlyphStyle.Shape = draw.TriangleGlyph{}
		sc.GlyphStyle.Color = color.RGBA{B: 200, A: 255}
		sc.GlyphStyle.Radius = vg.Points(4)
		p.Add(sc)
		// Labels alternate above and below their markers, in energy order,
		// so neighbouring winners' labels do not overprint.
		order := make([]int, len(win))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return win[order[a]].X < win[order[b]].X })
		for k, i := range order {
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{win[i]}, Labels: []string{labels[i]}})
			if err != nil {
				return nil, fmt.Errorf("pipeline: plot: %w", err)
			}
			lb.Offset.Y = vg.Points(3)
			if k%2 == 1 {
				lb.Offset.Y = vg.Points(-12)
			}
			p.Add(lb)
		}
		p.Legend.Add("lambda winners (compiled, simulated)", sc)
	}
	if r.Chosen >= 0 {
		c := r.Rows[r.Chosen]
		st, err := plotter.NewScatter(plotter.XYs{{X: c.Estimate.EnergyPJ / 1e6, Y: 100 * c.Acc}})
		if err != nil {
			return nil, fmt.Errorf("pipeline: plot: %w", err)
		}
		st.GlyphStyle.Shape = draw.PyramidGlyph{}
		st.GlyphStyle.Color = color.RGBA{R: 220, A: 255}
		st.GlyphStyle.Radius = vg.Points(6)
		p.Add(st)
		p.Legend.Add(fmt.Sprintf("chosen (λ = %g)", c.Lambda), st)
	}
	if len(all) > 0 {
		// Margins so markers and labels at the extremes are not clipped.
		xmin, xmax, ymin, ymax := plotter.XYRange(all)
		dx, dy := 0.05*(xmax-xmin)+1e-9, 0.05*(ymax-ymin)+0.5
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin-dx, xmax+3*dx, ymin-dy, ymax+2*dy
	}
	p.Legend.Top = false
	p.Legend.Left = false
	return pngOf(p, 7, 5)
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

func pngOf(p *plot.Plot, wIn, hIn float64) ([]byte, error) {
	c := vgimg.New(vg.Length(wIn)*vg.Inch, vg.Length(hIn)*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("pipeline: plot: %w", err)
	}
	return b.Bytes(), nil
}
