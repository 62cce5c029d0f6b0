package main

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// searchCommand is 'autosnn search': evolutionary (or random) search over
// a trained super-network, one search per lambda sharing the evaluations.
func searchCommand() *cli.Command {
	d := search.DefaultEvoConfig()
	return renamed(&cli.Command{
		Name:  "search",
		Usage: "spike-aware evolutionary search over a trained super-network",
		Description: "Evaluates candidates with inherited weights on D_val (the last 20% of the training set, no\n" +
			"augmentation) and ranks them by F = Acc x (N/N_avg)^lambda (or the linear form), N_avg from the\n" +
			"super-network checkpoint. Several lambdas (--lambda -0.08,0,-0.16) run one search each and share\n" +
			"every evaluation. Each search writes DIR/lambda<value>/: best.yaml (input of 'autosnn train'),\n" +
			"history.csv, history.json and pareto.png. DIR/search.ckpt, written after every round, holds every\n" +
			"evaluation so far: Ctrl-C stops the run, saves it and prints the command that resumes it; --resume\n" +
			"continues the run with the same flags and ends with exactly the histories of an uninterrupted run.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "supernet", Required: true, Usage: use("supernet")},
			&cli.StringFlag{Name: "lambda", Value: "-0.08", Usage: use("lambda")},
			&cli.StringFlag{Name: "fitness", Value: "power", Usage: use("fitness", "c is the spikes per image, c_avg the super-network's N_avg")},
			&cli.StringFlag{Name: "algo", Value: "evolution", Usage: "evolution or random"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: use("seed", "for the search")},
			&cli.IntFlag{Name: "val-limit", Usage: use("val-limit")},
			&cli.IntFlag{Name: "bn-recalib", Usage: "recalibrate each candidate's batch-norm statistics on this many training batches (0: off)"},
			&cli.IntFlag{Name: "batch", Value: 64, Usage: use("batch", "evaluation")},
			&cli.StringFlag{Name: "out", Value: "search-out", Usage: use("out", "directory")},
			&cli.BoolFlag{Name: "resume", Usage: use("resume", "DIR/search.ckpt; give the interrupted run's flags, it ends with that run's uninterrupted result")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
		}, append(evoFlags(), append(dataFlags(), coordinatorFlags()...)...)...),
		Action: searchAction,
	}, "budget", "evals")
}

func searchAction(c *cli.Context) error {
	if err := checks(c, append(evoChecks(), atLeast(1, "batch"), atLeast(0, "val-limit", "bn-recalib"), frameSize,
		oneOf("algo", "evolution", "random"), oneOf("fitness", "power", "linear"), dataSpec("data", false))...); err != nil {
		return err
	}
	lams, err := lambdas(c)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	form, err := fitnessForm(c)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	algo := c.String("algo")
	if c.Bool("resume") { // refused before the super-network and the data are loaded
		path := filepath.Join(c.String("out"), pipeline.SearchCheckpoint)
		prev, err := search.ReadCheckpoint(path)
		if err != nil {
			return fmt.Errorf("search: --resume: %w", err)
		}
		if err := prev.SameRun(path, searchRun(c)); err != nil {
			return err
		}
	}
	net, ck, err := pipeline.OpenSupernet(c.Context, c.String("supernet"), c.Int("batch"))
	if err != nil {
		return fmt.Errorf("search: --supernet: %w", err)
	}
	defer net.Close()
	if err := checks(c, outDir); err != nil {
		return err
	}
	space := net.Space()
	if err := pipeline.CheckNAvg(space, ck.NAvg, lams); err != nil {
		return fmt.Errorf("search: --supernet %s: %w", c.String("supernet"), err)
	}
	set, err := openData(c, space.Base.T)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer set.Close()
	if err := pipeline.CheckSpaceSet(space, set); err != nil {
		return fmt.Errorf("search: --supernet %s, --data: %w", c.String("supernet"), err)
	}
	ev := pipeline.NewEvaluator(net, set, ck.Hyper.Seed, c.Int("batch"), c.Int("val-limit"), progress(c))
	ev.Recalib = c.Int("bn-recalib")
	var eval search.Evaluator = ev
	if c.String("nats") != "" { // the same evaluations, on the fleet's workers
		fe, closeFleet, err := natsEvaluator(c, space.Base.T, c.Int("bn-recalib"))
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		defer closeFleet()
		eval = fe
	}
	cache := search.NewCache(eval)
	cfg := evoConfig(c)
	nval := set.Len(dataset.Val)
	if l := c.Int("val-limit"); l > 0 && l < nval {
		nval = l
	}
	fmt.Fprintf(c.App.Writer, "%s search on %s (C=%d T=%d input %v), N_avg %.1f, %d validation images, %s fitness, lambdas %v\n",
		algo, space.Name, space.Base.Channels, space.Base.T, space.Base.Input, ck.NAvg, nval, c.String("fitness"), lams)
	rows, err := pipeline.Search(c.Context, space, cache, pipeline.SearchConfig{Lambdas: lams, Form: form, NAvg: ck.NAvg,
		Random: algo == "random", Evo: cfg, Out: c.String("out"), Run: searchRun(c), Resume: c.Bool("resume"), Progress: progress(c)})
	if err != nil {
		return err
	}
	return pipeline.WriteSearchTable(c.App.Writer, rows)
}

// searchRunFlags are the flags that define a search's result; a resumed
// search must have the values of the run it continues.
var searchRunFlags = []string{"supernet", "data", "size", "lambda", "fitness", "algo", "seed", "val-limit", "bn-recalib", "batch",
	"evals", "rounds", "pool", "topk", "mutations", "crossovers", "mutation-prob"}

// searchRun returns the values of searchRunFlags (the default when not
// set), the settings recorded in the search checkpoint.
func searchRun(c *cli.Context) map[string]string {
	run := make(map[string]string, len(searchRunFlags))
	for _, n := range searchRunFlags {
		run[n] = c.String(n)
	}
	return run
}
