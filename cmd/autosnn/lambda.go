package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/search/supernet"
)

// lambdaCommand is 'autosnn lambda': sweep lambda over one super-network,
// deploy each winner on a chip and choose lambda by the chip.
func lambdaCommand() *cli.Command {
	d := search.DefaultEvoConfig()
	return &cli.Command{
		Name:  "lambda",
		Usage: "choose lambda for a chip: search per lambda, compile and simulate each winner, pick by policy",
		Description: "Runs one evolutionary search per --lambdas value over the super-network (all sharing one\n" +
			"evaluation cache; F = Acc x (cost/cost_avg)^lambda with cost = --cost: spikes, or the analytical\n" +
			"synops, energy or latency on --chip), compiles each winner with its inherited weights for --chip,\n" +
			"simulates it on the first --samples test images, and chooses lambda by the policy:\n  " + pipeline.Policy + "\n" +
			"(with --tolerance TOL, winners within TOL of the best accuracy count as tied, so the chip's energy decides).\n" +
			"Prints the table lambda -> architecture, accuracy, spikes, cores, energy, latency, max link load,\n" +
			"and writes to --out: lambda.csv, lambda.json, pareto.png (accuracy vs energy on the chip, chosen\n" +
			"marked), lambda<value>/ (each search's history) and chosen/ (mapping/ and sim/ of the chosen winner).\n" +
			"--rank-check N also compiles and simulates N random candidates and reports how well the analytical\n" +
			"cost ranks them (Spearman, Kendall; rankcheck.csv).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "supernet", Required: true, Usage: "super-network checkpoint (autosnn supernet --out)"},
			&cli.StringFlag{Name: "chip", Value: "loihi1", Usage: "chip profile: built-in name or YAML file"},
			&cli.StringFlag{Name: "lambdas", Value: "0,-0.08,-0.16,-0.24,-0.5", Usage: "comma-separated lambdas"},
			&cli.StringFlag{Name: "cost", Value: pipeline.CostSpikes, Usage: "fitness cost: " + strings.Join(pipeline.CostNames, ", ")},
			&cli.StringFlag{Name: "fitness", Value: "power", Usage: "power (Acc x (c/c_avg)^lambda) or linear (Acc - lambda x c/c_avg)"},
			&cli.Float64Flag{Name: "tolerance", Usage: "accuracy tolerance of the policy in percentage points (0: strict highest accuracy)"},
			&cli.StringFlag{Name: "budget", Usage: "deployment budget, e.g. cores=128,energy=2.5uJ,latency=40us (default: fitting the chip is enough)"},
			&cli.IntFlag{Name: "evals", Value: d.Budget, Usage: "evaluated architectures per search"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "search seed (also the compiler's placement seed)"},
			&cli.IntFlag{Name: "val-limit", Usage: "validation images candidates are evaluated on (0: all of D_val)"},
			&cli.IntFlag{Name: "batch", Value: 64, Usage: "evaluation batch size"},
			&cli.IntFlag{Name: "samples", Value: 20, Usage: "test images each winner is simulated on"},
			&cli.IntFlag{Name: "profile-samples", Value: 4, Usage: "validation images the compiler profiles spike rates on"},
			&cli.IntFlag{Name: "rank-check", Usage: "also rank N random candidates by the analytical cost and by the simulator"},
			&cli.StringFlag{Name: "out", Value: "lambda-out", Usage: "output directory"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress output"},
		}, append(evoFlags(), dataFlags...)...),
		Action: lambdaAction,
	}
}

func lambdaAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("lambda: unexpected arguments %v (flags only)", c.Args().Slice())
	}
	lambdas, err := parseLambdas(c.String("lambdas"))
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	form := search.Power
	switch c.String("fitness") {
	case "power":
	case "linear":
		form = search.Linear
	default:
		return fmt.Errorf("lambda: --fitness %q, want power or linear", c.String("fitness"))
	}
	if tol := c.Float64("tolerance"); tol < 0 || tol >= 100 {
		return fmt.Errorf("lambda: --tolerance %g, want 0 <= percentage points < 100", tol)
	}
	budget, err := pipeline.ParseBudget(c.String("budget"))
	if err != nil {
		return fmt.Errorf("lambda: --budget: %w", err)
	}
	t, err := backends.Resolve(c.String("chip"))
	if err != nil {
		return err
	}
	ck, err := supernet.ReadCheckpoint(c.String("supernet"))
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	net, err := ck.Build(nil)
	if err != nil {
		return fmt.Errorf("lambda: %s: %w", c.String("supernet"), err)
	}
	defer net.Close()
	set, err := openData(c, net.Space().Base.T)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	defer set.Close()
	var progress io.Writer
	if !c.Bool("quiet") {
		progress = c.App.ErrWriter
	}
	cfg := pipeline.LambdaConfig{
		SweepConfig: pipeline.SweepConfig{Lambdas: lambdas, Form: form, Cost: c.String("cost"), Budget: budget, AccTolerance: c.Float64("tolerance") / 100, CompileSeed: c.Uint64("seed"),
			Evo:      evoConfig(c, c.Int("evals")),
			Progress: progress, Log: progress},
		ValLimit: c.Int("val-limit"), EvalBatch: c.Int("batch"), ProfileSamples: c.Int("profile-samples"), SimImages: c.Int("samples"),
		RankCheck: c.Int("rank-check"),
	}
	sp := net.Space()
	fmt.Fprintf(c.App.Writer, "lambda sweep on %s (C=%d T=%d input %v), N_avg %.1f, chip %s (%d cores), cost %s, budget %s, lambdas %v\n",
		sp.Name, sp.Base.Channels, sp.Base.T, sp.Base.Input, ck.NAvg, t.Name(), t.NumCores, cfg.Cost, budget, lambdas)
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
