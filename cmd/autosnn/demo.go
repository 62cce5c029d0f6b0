package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// demoCommand is 'autosnn demo': the whole mission end to end.
func demoCommand() *cli.Command {
	d := pipeline.DefaultDemoConfig()
	return renamed(&cli.Command{
		Name:  "demo",
		Usage: "the whole mission end to end: super-network, lambda chosen by the chip, retraining, compiling, simulating, report",
		Description: "On MNIST (no download: the GoMNIST module's files), trains a small AutoSNN super-network, sweeps\n" +
			"lambda on the chip (one search per lambda, each winner compiled and simulated, lambda chosen by the\n" +
			"policy of 'autosnn lambda'), retrains the chosen winner from scratch, evaluates it, compiles it for\n" +
			"the chip and simulates it, prints a short report and writes --out: report.html (self-contained, the\n" +
			"figures embedded), pareto.png, layer-spikes.png, noc-heatmap.png, report.json, and every step's outputs\n" +
			"(supernet.ckpt, lambda/, winner.ckpt, eval/, mapping/, sim/). The report gives the command that runs each\n" +
			"step alone. The defaults take about five minutes on two cores; the size flags trade time for accuracy.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: d.Out, Usage: use("out", "report directory")},
			&cli.StringFlag{Name: "chip", Value: d.Chip, Usage: use("chip")},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: use("seed", "for every step")},
			&cli.StringFlag{Name: "data", Value: d.Data, Usage: use("data", "a static image dataset")},
			&cli.IntFlag{Name: "C", Value: d.C, Usage: use("C")},
			&cli.IntFlag{Name: "T", Value: d.T, Usage: use("T")},
			&cli.IntFlag{Name: "supernet-limit", Value: d.SupernetLimit, Usage: use("supernet-limit")},
			&cli.IntFlag{Name: "evals", Value: d.Evo.Budget, Usage: use("evals")},
			&cli.IntFlag{Name: "val-limit", Value: d.ValLimit, Usage: use("val-limit")},
			&cli.StringFlag{Name: "lambda", Value: "0,-0.08,-0.24,-0.5", Usage: use("lambda")},
			&cli.StringFlag{Name: "cost", Value: d.Cost, Usage: use("cost")},
			&cli.StringFlag{Name: "budget", Usage: use("budget")},
			&cli.Float64Flag{Name: "tolerance", Usage: use("tolerance")},
			&cli.IntFlag{Name: "retrain-limit", Value: d.RetrainLimit, Usage: "retraining images"},
			&cli.IntFlag{Name: "eval-limit", Value: d.TestLimit, Usage: use("eval-limit", "test images the retrained winner is evaluated on")},
			&cli.IntFlag{Name: "images", Value: d.SimImages, Usage: use("images", "test images per lambda winner and for the retrained winner")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
		},
		Action: demoAction,
	}, "lambdas", "lambda", "test-limit", "eval-limit", "sim-images", "images")
}

func demoAction(c *cli.Context) error {
	if err := checks(c, atLeast(1, "C", "T", "evals", "eval-limit", "images"), atLeast(0, "val-limit", "supernet-limit", "retrain-limit"),
		oneOf("cost", pipeline.CostNames...), dataSpec("data", false)); err != nil {
		return err
	}
	cfg := pipeline.DefaultDemoConfig()
	cfg.Out, cfg.Chip, cfg.Seed, cfg.Data = c.String("out"), c.String("chip"), c.Uint64("seed"), c.String("data")
	cfg.C, cfg.T, cfg.SupernetLimit, cfg.ValLimit = c.Int("C"), c.Int("T"), c.Int("supernet-limit"), c.Int("val-limit")
	cfg.Evo.Budget, cfg.Evo.Seed = c.Int("evals"), cfg.Seed
	cfg.RetrainLimit, cfg.TestLimit, cfg.SimImages, cfg.Cost = c.Int("retrain-limit"), c.Int("eval-limit"), c.Int("images"), c.String("cost")
	var err error
	if cfg.Lambdas, err = lambdas(c); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if cfg.AccTolerance, err = tolerance(c); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if cfg.Budget, err = budget(c); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if _, err := backends.Resolve(cfg.Chip); err != nil {
		return fmt.Errorf("demo: --chip: %w", err)
	}
	if err := checks(c, outDir); err != nil {
		return err
	}
	cfg.Log, cfg.Progress = c.App.Writer, progress(c)
	start := time.Now()
	set, err := dataset.Open(c.Context, cfg.Data, dataset.Options{T: cfg.T})
	if err != nil {
		return fmt.Errorf("demo: --data: %w", err)
	}
	defer set.Close()
	if set.Kind != dataset.Static {
		return fmt.Errorf("demo: --data %s is an event dataset; the demo takes static images (mnist, fashion-mnist, cifar10, ...)", cfg.Data)
	}
	fmt.Fprintf(c.App.Writer, "autosnn demo: %s (%d training images) on %s, loaded in %s\n", set.Name, set.Len(dataset.FullTrain), cfg.Chip, time.Since(start).Round(time.Millisecond))
	res, err := pipeline.RunDemo(c.Context, set, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer)
	res.WriteSummary(c.App.Writer)
	return nil
}
