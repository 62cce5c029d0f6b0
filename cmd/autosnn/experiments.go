package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/experiments"
)

// experimentsCommand is 'autosnn experiments': the paper's tables, one
// command each (search/experiments holds their definitions).
func experimentsCommand() *cli.Command {
	return &cli.Command{
		Name:  "experiments",
		Usage: "reproduce the paper's tables (list, run NAME...)",
		Subcommands: []*cli.Command{
			{
				Name:   "list",
				Usage:  "list the experiments and the protocols",
				Action: experimentsList,
			},
			{
				Name:      "run",
				Usage:     "run experiments, writing OUT/NAME.md and OUT/NAME.json; a second run skips what is done and continues what was interrupted",
				ArgsUsage: "[flags] NAME...",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "protocol", Value: "reduced", Usage: "scale: paper, reduced or tiny (autosnn experiments list)"},
					&cli.StringFlag{Name: "out", Value: "experiments-out", Usage: use("out", "directory (runs, super-networks and searches are shared by the experiments run into it)")},
					&cli.StringFlag{Name: "data", Usage: use("data", "overrides the protocol's")},
					&cli.IntFlag{Name: "C", Usage: use("C", "overrides the protocol's")},
					&cli.IntFlag{Name: "T", Usage: use("T", "overrides the protocol's")},
					&cli.IntFlag{Name: "epochs", Usage: use("epochs", "of every stand-alone run; overrides the protocol's")},
					&cli.IntFlag{Name: "batch", Usage: use("batch", "training mini-batch of every run; overrides the protocol's")},
					&cli.IntFlag{Name: "limit", Usage: use("limit", "overrides the protocol's")},
					&cli.IntFlag{Name: "eval-limit", Usage: use("eval-limit", "test images per stand-alone run; overrides the protocol's")},
					&cli.StringFlag{Name: "seeds", Usage: "seeds of the stand-alone runs, comma-separated; overrides the protocol's"},
					&cli.IntFlag{Name: "supernet-epochs", Usage: "super-network epochs; overrides the protocol's"},
					&cli.IntFlag{Name: "supernet-limit", Usage: use("supernet-limit", "overrides the protocol's")},
					&cli.IntFlag{Name: "evals", Usage: use("evals", "overrides the protocol's")},
					&cli.IntFlag{Name: "val-limit", Usage: use("val-limit", "overrides the protocol's")},
					&cli.IntFlag{Name: "random-archs", Usage: "random architectures trained alone (Table 5, kendall); overrides the protocol's"},
					&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
					&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
				}, natsFlags()...),
				Action: experimentsRun,
			},
			{
				Name:  "report",
				Usage: "render the results in --out (OUT/NAME.json) as markdown: to stdout, or or spliced into --doc, each experiment between its <!-- run NAME --> and <!-- /run NAME --> lines (the text around them kept); --html writes an HTML page with a figure per experiment instead of the markdown on stdout",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "out", Value: "experiments-out", Usage: use("out", "here read: the directory experiments run --out wrote")},
					&cli.StringFlag{Name: "doc", Usage: "markdown file to update in place, e.g. docs/experiments.md"},
					&cli.StringFlag{Name: "html", Usage: use("html", "index.html and NAME.png per experiment (figures: accuracy vs spikes per lambda, bars with the seeds' spread, Kendall tau)")},
				},
				Action: experimentsReport,
			},
		},
	}
}

func experimentsList(c *cli.Context) error {
	tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	for _, n := range experiments.Names() {
		e, _ := experiments.Lookup(n)
		fmt.Fprintf(tw, "%s\t%s\n", n, e.Title)
	}
	tw.Flush()
	fmt.Fprintln(c.App.Writer, "\nprotocols (--protocol):")
	for _, n := range []string{"paper", "reduced", "tiny"} {
		p, _ := experiments.LookupProtocol(n)
		fmt.Fprintf(c.App.Writer, "  %s: %s\n", n, p.Differs)
	}
	return nil
}

func experimentsReport(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("experiments report: unexpected argument %q (it reads every result in --out)", c.Args().First())
	}
	body, err := experiments.Report(c.String("out"))
	if err != nil {
		return err
	}
	dir, doc := c.String("html"), c.String("doc")
	if dir != "" {
		files, err := experiments.WriteHTML(c.String("out"), dir, "autosnn "+strings.Join(os.Args[1:], " "))
		if err != nil {
			return fmt.Errorf("experiments report --html %s: %w", dir, err)
		}
		fmt.Fprintf(c.App.Writer, "wrote %s (figures: %d)\n", filepath.Join(dir, experiments.HTMLFile), len(files)-1)
	}
	if doc == "" {
		if dir != "" {
			return nil // the page, not the markdown, was asked for
		}
		_, err := c.App.Writer.Write(body)
		return err
	}
	old, err := os.ReadFile(doc)
	if err != nil {
		return fmt.Errorf("--doc: %w", err)
	}
	results, _, err := experiments.ReadResults(c.String("out"))
	if err != nil {
		return err
	}
	spliced, kept, err := experiments.SpliceRuns(old, results)
	if err != nil {
		return fmt.Errorf("--doc %s: %w", doc, err)
	}
	if err := ir.WriteFileAtomic(doc, spliced); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s (%d sections from %s", doc, len(results), c.String("out"))
	if len(kept) > 0 {
		fmt.Fprintf(c.App.Writer, "; kept as written: %s", strings.Join(kept, ", "))
	}
	fmt.Fprintln(c.App.Writer, ")")
	return nil
}

func experimentsRun(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("experiments run: want experiment names (%s)", strings.Join(experiments.Names(), ", "))
	}
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("experiments run: flag %s after the names, want flags first: autosnn experiments run %s NAME...", a, a)
		}
	}
	if err := checks(c, atLeast(0, "C", "T", "epochs", "batch", "limit", "eval-limit", "supernet-epochs", "supernet-limit", "evals", "val-limit", "random-archs")); err != nil {
		return err
	}
	var exps []*experiments.Experiment
	for _, n := range c.Args().Slice() {
		e, err := experiments.Lookup(n)
		if err != nil {
			return fmt.Errorf("experiments run: %w", err)
		}
		exps = append(exps, e)
	}
	p, err := experiments.LookupProtocol(c.String("protocol"))
	if err != nil {
		return fmt.Errorf("experiments run: --protocol: %w", err)
	}
	if err := protocolFlags(c, &p); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("experiments run: %w", err)
	}
	r := &experiments.Runner{Out: c.String("out"), P: p, Log: c.App.ErrWriter, Progress: progress(c), Command: "autosnn " + strings.Join(os.Args[1:], " ")}
	if c.Bool("quiet") {
		r.Log = nil
	}
	defer r.Close()
	if c.String("nats") != "" { // the stand-alone runs on the fleet's workers
		remote, closeFleet, err := natsTrainRemote(c, p.Data)
		if err != nil {
			return fmt.Errorf("experiments run: %w", err)
		}
		defer closeFleet()
		r.Remote = remote
	}
	for _, e := range exps {
		res, err := r.Run(c.Context, e)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "%s\nwrote %s/%s.md and %s.json\n\n", res.Markdown(), r.Out, e.Name, e.Name)
	}
	return nil
}

// protocolFlags applies the flags that override the protocol.
func protocolFlags(c *cli.Context, p *experiments.Protocol) error {
	set := func(name string, dst *int) {
		if c.IsSet(name) {
			*dst = c.Int(name)
		}
	}
	if c.IsSet("data") {
		p.Data = c.String("data")
	}
	set("C", &p.C)
	set("T", &p.T)
	set("epochs", &p.Epochs)
	set("batch", &p.Batch)
	set("limit", &p.Limit)
	set("eval-limit", &p.EvalLimit)
	set("supernet-epochs", &p.SupernetEpochs)
	set("supernet-limit", &p.SupernetLimit)
	set("evals", &p.Evo.Budget)
	set("val-limit", &p.ValLimit)
	set("random-archs", &p.RandomArchs)
	if c.IsSet("seeds") {
		p.Seeds = nil
		for _, s := range strings.Split(c.String("seeds"), ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return fmt.Errorf("experiments run: --seeds %q: %q is not a seed (a non-negative integer)", c.String("seeds"), s)
			}
			p.Seeds = append(p.Seeds, v)
		}
	}
	if c.IsSet("evals") && p.Evo.Rounds*p.Evo.Pool < p.Evo.Budget {
		p.Evo.Rounds = (p.Evo.Budget + p.Evo.Pool - 1) / p.Evo.Pool
	}
	var over []string
	for _, n := range []string{"data", "C", "T", "epochs", "batch", "limit", "eval-limit", "seeds", "supernet-epochs", "supernet-limit", "evals", "val-limit", "random-archs"} {
		if c.IsSet(n) {
			over = append(over, "--"+n+" "+c.String(n))
		}
	}
	if len(over) > 0 {
		p.Differs += "; this run overrides " + strings.Join(over, ", ")
	}
	return nil
}
