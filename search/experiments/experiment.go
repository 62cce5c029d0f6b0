package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/autosnn/autosnn/ir/cpuclock"
)

// Experiment is one of the paper's tables.
type Experiment struct {
	// Name is the CLI name ("table1"); Title what the table shows.
	Name, Title string
	// Paper is the paper's finding the table checks, in a sentence.
	Paper string
	// Columns name the identifying cells of every row; Extra the extra
	// measured values (Row.Extra keys), in display order.
	Columns, Extra []string
	// rows produces the table's rows.
	rows func(ctx context.Context, r *Runner) ([]Row, error)
	// verdict says whether the paper's direction holds on rows.
	verdict func(rows []Row) string
	// figure gives the paper's figure (PaperSetup) for the row with the
	// identifying cells cells, "" when the paper has none; nil when it
	// has none for any row. Run and ReadResults set Row.Paper from it.
	figure func(cells []string) string
}

// Result is an experiment's output (results.json).
type Result struct {
	Experiment string   `json:"experiment"`
	Title      string   `json:"title"`
	Paper      string   `json:"paper"`
	Protocol   string   `json:"protocol"`
	Differs    string   `json:"differs_from_paper"`
	Command    string   `json:"command"`
	Commit     string   `json:"commit"`
	Machine    string   `json:"machine"`
	Date       string   `json:"date"`
	Columns    []string `json:"columns"`
	Extra      []string `json:"extra"`
	Rows       []Row    `json:"rows"`
	Verdict    string   `json:"verdict"`
	Seconds    float64  `json:"seconds"`
	CPUSeconds float64  `json:"cpu_seconds"`
}

var registry = map[string]*Experiment{}

func register(e *Experiment) *Experiment {
	registry[e.Name] = e
	return e
}

// Names lists the experiments in order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return order(names[i]) < order(names[j]) })
	return names
}

func order(name string) string {
	if n, ok := strings.CutPrefix(name, "table"); ok && len(n) == 1 {
		return "table0" + n
	}
	return "z" + name // after the tables
}

// Lookup returns the experiment called name.
func Lookup(name string) (*Experiment, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("experiments: no experiment %q, want one of %s", name, strings.Join(Names(), ", "))
	}
	return e, nil
}

// Run runs e with r (skipping what earlier runs finished) and writes
// Out/NAME.md and Out/NAME.json.
func (r *Runner) Run(ctx context.Context, e *Experiment) (*Result, error) {
	if err := r.P.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return nil, err
	}
	start, cpu0 := time.Now(), cpuclock.Seconds()
	if r.Remote != nil {
		if err := r.runRemote(ctx, e); err != nil {
			return nil, fmt.Errorf("experiments: %s: %w", e.Name, err)
		}
	}
	rows, err := e.rows(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", e.Name, err)
	}
	res := &Result{Experiment: e.Name, Title: e.Title, Paper: e.Paper, Protocol: r.P.Name, Differs: r.P.Differs, Command: r.Command,
		Commit: Commit(), Machine: Machine(), Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), Columns: e.Columns, Extra: e.Extra,
		Rows: rows, Seconds: time.Since(start).Seconds(), CPUSeconds: cpuclock.Seconds() - cpu0}
	e.complete(res)
	if err := writeJSON(filepath.Join(r.Out, e.Name+".json"), res); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(r.Out, e.Name+".md"), []byte(res.Markdown())); err != nil {
		return nil, err
	}
	return res, nil
}

// complete fills what res takes from e's definition rather than from a
// run: the paper's figures (overlayPaper) and, when res has none, the
// verdict on its rows. A stored verdict is kept: some verdicts read row
// fields that the JSON does not hold. Run calls it on a fresh result and
// ReadResults on every result it reads, so one written before its
// experiment had a verdict gets one.
func (e *Experiment) complete(res *Result) {
	e.overlayPaper(res)
	if res.Verdict == "" && e.verdict != nil {
		res.Verdict = e.verdict(res.Rows)
	}
}

// Markdown renders the result as a markdown section: the table with the
// paper's numbers beside ours, the protocol, command, commit, machine and
// times, and the verdict.
func (res *Result) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", res.Title)
	fmt.Fprintf(&b, "Paper: %s\n\n%s\n\n", res.Paper, res.paperNote())
	head, rows := res.Table()
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, cells := range rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	b.WriteString("\n")
	if res.Verdict != "" {
		fmt.Fprintf(&b, "%s\n\n", res.Verdict)
	}
	fmt.Fprintf(&b, "Protocol %s (differs from the paper: %s). Command: `%s`; commit %s; %s; %s; %s wall, %s CPU in this process.\n",
		res.Protocol, res.Differs, res.Command, res.Commit, res.Machine, res.Date, dur(res.Seconds), dur(res.CPUSeconds))
	return b.String()
}

// Table returns the result's table as text cells, as Markdown and the
// HTML report show it: the experiment's columns, test accuracy and
// spikes/image (mean ± std over the seeds), the extra columns, the
// paper's number, the seeds and the row's wall / CPU time ("-" where a
// row has no value).
func (res *Result) Table() (head []string, rows [][]string) {
	head = append(append(append([]string(nil), res.Columns...), "test accuracy", "spikes/image"), res.Extra...)
	head = append(head, paperColumn, "seeds", "wall / CPU")
	for _, row := range res.Rows {
		cells := append([]string(nil), row.Cells...)
		cells = append(cells, row.Accuracy.pct(), row.Spikes.count())
		for _, x := range res.Extra {
			v := row.Extra[x]
			if v == "" {
				v = "-"
			}
			cells = append(cells, v)
		}
		paper := row.Paper
		if paper == "" {
			paper = "-"
		}
		seeds := make([]string, len(row.Runs))
		for i, run := range row.Runs {
			seeds[i] = fmt.Sprint(run.Seed)
		}
		s := strings.Join(seeds, ",")
		if s == "" {
			s = "-"
		}
		cells = append(cells, paper, s, fmt.Sprintf("%s / %s", dur(row.Seconds), dur(row.CPUSeconds)))
		rows = append(rows, cells)
	}
	return head, rows
}

// paperColumn heads the column of the paper's figures.
const paperColumn = "paper (" + PaperSetup + ")"

// paperNote says where the paper column's figures and ours come from
// (or that no row has one).
func (res *Result) paperNote() string {
	for _, row := range res.Rows {
		if row.Paper != "" {
			return fmt.Sprintf("The paper column quotes the paper's figures (%s; accuracy / spikes per image where both are given); "+
				"ours are the %s protocol's, so compare directions, not values.", PaperSetup, res.Protocol)
		}
	}
	return fmt.Sprintf("No row has a figure of the paper's at hand (its figures would be %s; ours are the %s protocol's).", PaperSetup, res.Protocol)
}

// dur formats seconds as "1 h 02 m", "3 m 05 s" or "12 s".
func dur(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d h %02d m", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%d m %02d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d s", int(d.Seconds()))
}
