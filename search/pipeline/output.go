package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

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
