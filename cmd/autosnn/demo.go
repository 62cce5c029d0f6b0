package main

import (
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// demoCommand is 'autosnn demo': the whole mission end to end.
func demoCommand() *cli.Command {
	d := pipeline.DefaultDemoConfig()
	return &cli.Command{
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
			&cli.StringFlag{Name: "out", Value: d.Out, Usage: "report directory"},
			&cli.StringFlag{Name: "chip", Value: d.Chip, Usage: "chip profile: built-in name or YAML file"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "seed of every step"},
			&cli.StringFlag{Name: "data", Value: d.Data, Usage: "data spec name[:path] (a static image dataset)"},
			&cli.IntFlag{Name: "C", Value: d.C, Usage: "initial channels"},
			&cli.IntFlag{Name: "T", Value: d.T, Usage: "timesteps"},
			&cli.IntFlag{Name: "supernet-limit", Value: d.SupernetLimit, Usage: "super-network training images"},
			&cli.IntFlag{Name: "evals", Value: d.Evo.Budget, Usage: "evaluated architectures per lambda's search"},
			&cli.IntFlag{Name: "val-limit", Value: d.ValLimit, Usage: "validation images per candidate evaluation"},
			&cli.StringFlag{Name: "lambdas", Value: "0,-0.08,-0.24,-0.5", Usage: "lambdas swept"},
			&cli.StringFlag{Name: "cost", Value: d.Cost, Usage: "fitness cost: spikes, synops, energy, latency"},
			&cli.StringFlag{Name: "budget", Usage: "deployment budget, e.g. cores=64,energy=5uJ"},
			&cli.Float64Flag{Name: "tolerance", Usage: "accuracy tolerance of the lambda policy in percentage points (see autosnn lambda)"},
			&cli.IntFlag{Name: "retrain-limit", Value: d.RetrainLimit, Usage: "retraining images"},
			&cli.IntFlag{Name: "test-limit", Value: d.TestLimit, Usage: "test images the retrained winner is evaluated on"},
			&cli.IntFlag{Name: "sim-images", Value: d.SimImages, Usage: "test images simulated on the chip"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bars"},
		},
		Action: demoAction,
	}
}

func demoAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("demo: unexpected arguments %v (flags only)", c.Args().Slice())
	}
	cfg := pipeline.DefaultDemoConfig()
	cfg.Out, cfg.Chip, cfg.Seed, cfg.Data = c.String("out"), c.String("chip"), c.Uint64("seed"), c.String("data")
	cfg.C, cfg.T, cfg.SupernetLimit, cfg.ValLimit = c.Int("C"), c.Int("T"), c.Int("supernet-limit"), c.Int("val-limit")
	cfg.Evo.Budget, cfg.Evo.Seed = c.Int("evals"), cfg.Seed
	cfg.RetrainLimit, cfg.TestLimit, cfg.SimImages, cfg.Cost = c.Int("retrain-limit"), c.Int("test-limit"), c.Int("sim-images"), c.String("cost")
	var err error
	if cfg.Lambdas, err = parseLambdas(c.String("lambdas")); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if cfg.AccTolerance = c.Float64("tolerance") / 100; cfg.AccTolerance < 0 || cfg.AccTolerance >= 1 {
		return fmt.Errorf("demo: --tolerance %g, want 0 <= percentage points < 100", c.Float64("tolerance"))
	}
	if cfg.Budget, err = pipeline.ParseBudget(c.String("budget")); err != nil {
		return fmt.Errorf("demo: --budget: %w", err)
	}
	cfg.Log = c.App.Writer
	var progress io.Writer
	if !c.Bool("quiet") {
		progress = c.App.ErrWriter
	}
	cfg.Progress = progress
	start := time.Now()
	set, err := dataset.Open(c.Context, cfg.Data, dataset.Options{T: cfg.T})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
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
