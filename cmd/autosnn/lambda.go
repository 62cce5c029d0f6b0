package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/fleet"
	"github.com/autosnn/autosnn/search/pipeline"
)

// lambdaCommand is 'autosnn lambda': sweep lambda over one super-network,
// deploy each winner on a chip and choose lambda by the chip.
func lambdaCommand() *cli.Command {
	d := search.DefaultEvoConfig()
	return renamed(&cli.Command{
		Name:  "lambda",
		Usage: "choose lambda for a chip: search per lambda, compile and simulate each winner, pick by policy",
		Description: "Runs one evolutionary search per --lambda value over the super-network (all sharing one\n" +
			"evaluation cache; F = Acc x (cost/cost_avg)^lambda with cost = --cost: spikes, or the analytical\n" +
			"synops, energy or latency on --chip), compiles each winner with its inherited weights for --chip,\n" +
			"simulates it on the first --images test images, and chooses lambda by the policy:\n  " + pipeline.Policy + "\n" +
			"(with --tolerance TOL, winners within TOL of the best accuracy count as tied, so the chip's energy decides).\n" +
			"Prints the table lambda -> architecture, accuracy, spikes, cores, energy, latency, max link load,\n" +
			"and writes to --out: lambda.csv, lambda.json, pareto.png (accuracy vs energy on the chip, chosen\n" +
			"marked), lambda<value>/ (each search's history) and chosen/ (mapping/ and sim/ of the chosen winner).\n" +
			"--rank-check N also compiles and simulates N random candidates and reports how well the analytical\n" +
			"cost ranks them (Spearman, Kendall; rankcheck.csv).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "supernet", Required: true, Usage: use("supernet")},
			&cli.StringFlag{Name: "chip", Value: "loihi1", Usage: use("chip")},
			&cli.StringFlag{Name: "lambda", Value: "0,-0.08,-0.16,-0.24,-0.5", Usage: use("lambda")},
			&cli.StringFlag{Name: "cost", Value: pipeline.CostSpikes, Usage: use("cost")},
			&cli.StringFlag{Name: "fitness", Value: "power", Usage: use("fitness", "c is --cost, c_avg its mean over random architectures")},
			&cli.Float64Flag{Name: "tolerance", Usage: use("tolerance")},
			&cli.StringFlag{Name: "budget", Usage: use("budget")},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: use("seed", "for the search and the compiler's placement")},
			&cli.IntFlag{Name: "val-limit", Usage: use("val-limit")},
			&cli.IntFlag{Name: "batch", Value: 64, Usage: use("batch", "evaluation")},
			&cli.IntFlag{Name: "images", Value: 20, Usage: use("images", "test images per winner")},
			&cli.IntFlag{Name: "profile-samples", Value: 4, Usage: use("profile-samples", "the first validation images")},
			&cli.IntFlag{Name: "rank-check", Usage: "also rank N random candidates by the analytical cost and by the simulator"},
			&cli.StringFlag{Name: "out", Value: "lambda-out", Usage: use("out", "directory")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
		}, append(evoFlags(), append(dataFlags(), coordinatorFlags()...)...)...),
		Action: lambdaAction,
	}, "lambdas", "lambda", "samples", "images")
}

func lambdaAction(c *cli.Context) error {
	if err := checks(c, append(evoChecks(), atLeast(1, "batch", "images"), atLeast(0, "val-limit", "profile-samples", "rank-check"),
		frameSize, oneOf("cost", pipeline.CostNames...), oneOf("fitness", "power", "linear"), dataSpec("data", false))...); err != nil {
		return err
	}
	lams, err := lambdas(c)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	form, err := fitnessForm(c)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	tol, err := tolerance(c)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	bud, err := budget(c)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	t, err := backends.Resolve(c.String("chip"))
	if err != nil {
		return fmt.Errorf("lambda: --chip: %w", err)
	}
	net, ck, err := pipeline.OpenSupernet(c.Context, c.String("supernet"), c.Int("batch"))
	if err != nil {
		return fmt.Errorf("lambda: --supernet: %w", err)
	}
	defer net.Close()
	if err := checks(c, outDir); err != nil {
		return err
	}
	set, err := openData(c, net.Space().Base.T)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	defer set.Close()
	cfg := pipeline.LambdaConfig{
		SweepConfig: pipeline.SweepConfig{Lambdas: lams, Form: form, Cost: c.String("cost"), Budget: bud, AccTolerance: tol,
			CompileSeed: c.Uint64("seed"), Evo: evoConfig(c), Progress: progress(c), Log: progressLog(c)},
		ValLimit: c.Int("val-limit"), EvalBatch: c.Int("batch"), ProfileSamples: c.Int("profile-samples"), SimImages: c.Int("images"),
		RankCheck: c.Int("rank-check"),
	}
	sp := net.Space()
	if c.String("nats") != "" { // candidate evaluations and winners' deployments on the fleet's workers
		fe, closeFleet, err := natsEvaluator(c, sp.Base.T, 0)
		if err != nil {
			return fmt.Errorf("lambda: %w", err)
		}
		defer closeFleet()
		cfg.Evaluator = fe
		if slices.Contains(backends.Builtins(), c.String("chip")) {
			cfg.Deployer = &fleet.Deployer{Fleet: fe.Fleet, Inputs: fe.Inputs, Logf: fe.Logf,
				Spec: fleet.DeploySpec{EvalSpec: fe.Spec, Chip: c.String("chip"), ProfileSamples: cfg.ProfileSamples, SimImages: cfg.SimImages}}
		} else {
			fmt.Fprintf(c.App.ErrWriter, "fleet: --chip %s is a file: the winners are compiled and simulated here (a worker deploys on built-in chips only)\n", c.String("chip"))
		}
	}
	fmt.Fprintf(c.App.Writer, "lambda sweep on %s (C=%d T=%d input %v), N_avg %.1f, chip %s (%d cores), cost %s, budget %s, lambdas %v\n",
		sp.Name, sp.Base.Channels, sp.Base.T, sp.Base.Input, ck.NAvg, t.Name(), t.NumCores, cfg.Cost, bud, lams)
	res, err := pipeline.RunLambda(c.Context, net, ck.NAvg, ck.Hyper.Seed, set, t, cfg)
	if err != nil {
		return err
	}
	if err := res.WriteTable(c.App.Writer); err != nil {
		return err
	}
	if len(res.RankStats) > 0 {
		fmt.Fprintf(c.App.Writer, "\nanalytical cost vs simulator over %d random candidates that fit:\n", len(res.RankRows))
		if err := pipeline.WriteRankStats(c.App.Writer, res.RankStats); err != nil {
			return err
		}
	}
	out := c.String("out")
	if err := res.WriteDir(out); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%d architectures evaluated; wrote %s\n", res.Evaluations, out)
	return nil
}
