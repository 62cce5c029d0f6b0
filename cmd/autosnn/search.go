package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

// dataFlags are the flags that say how a dataset is loaded.
var dataFlags = []cli.Flag{
	&cli.StringFlag{Name: "data", Required: true, Usage: "data SPEC name[:path] (" + strings.Join(dataset.Names, ", ") + ")"},
	&cli.IntFlag{Name: "size", Value: 128, Usage: "event frame side in pixels (event datasets; the 128x128 sensor is binned)"},
	&cli.StringFlag{Name: "cache", Usage: "event frame cache directory (default: the user cache directory)"},
}

// supernetCommand is 'autosnn supernet': train a weight-sharing
// super-network by single-path uniform sampling.
func supernetCommand() *cli.Command {
	return &cli.Command{
		Name:  "supernet",
		Usage: "train the AutoSNN super-network of a search space (single-path uniform sampling)",
		Description: "Trains every candidate block of every position of the space with shared stem, pools and head:\n" +
			"one architecture is drawn uniformly per mini-batch (seeded) and only its path is updated. Trains on\n" +
			"the first 80% of the training set (D_train). The checkpoint (--out) is written after every epoch and\n" +
			"stores N_avg, the mean spikes per image of the paths sampled in the last epoch; --resume continues\n" +
			"it bit-identically (to --epochs in total).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "space", Value: "snn1", Usage: "search space: " + strings.Join(search.SpaceNames(), ", ")},
			&cli.IntFlag{Name: "C", Value: 16, Usage: "initial channels"},
			&cli.IntFlag{Name: "T", Value: 8, Usage: "timesteps (event data: frames per sample)"},
			&cli.IntFlag{Name: "epochs", Value: 1, Usage: "total epochs"},
			&cli.IntFlag{Name: "batch", Value: 96, Usage: "mini-batch size"},
			&cli.Float64Flag{Name: "lr", Value: 1e-3, Usage: "Adam learning rate"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of weights, sampled paths and data order"},
			&cli.IntFlag{Name: "limit", Usage: "training samples per epoch (0: all of D_train)"},
			&cli.StringFlag{Name: "augment", Value: "auto", Usage: "augmentation: auto (pad-4 crop + flip for 3-channel images, none otherwise), standard, none"},
			&cli.IntFlag{Name: "checkpoint-every", Usage: "also write the checkpoint every N batches"},
			&cli.StringFlag{Name: "out", Value: "supernet.ckpt", Usage: "checkpoint file"},
			&cli.BoolFlag{Name: "resume", Usage: "continue the run stored in --out"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bar"},
		}, dataFlags...),
		Action: supernetAction,
	}
}

func openData(c *cli.Context, T int) (*dataset.Set, error) {
	opt := dataset.Options{T: T, Size: c.Int("size"), CacheDir: c.String("cache"),
		Logf: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, "data: "+f+"\n", a...) }}
	return dataset.Open(c.Context, c.String("data"), opt)
}

// sampleShape returns the per-frame input shape [C, H, W] of a set.
func sampleShape(s *dataset.Set) []int { return []int{s.C, s.H, s.W} }

func supernetAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("supernet: unexpected arguments %v (flags only)", c.Args().Slice())
	}
	out := c.String("out")
	var ck *supernet.Checkpoint
	T := c.Int("T")
	if c.Bool("resume") {
		var err error
		if ck, err = supernet.ReadCheckpoint(out); err != nil {
			return fmt.Errorf("supernet: resume: %w", err)
		}
		if ck.Hyper.Data != c.String("data") {
			return fmt.Errorf("supernet: resume: %s was trained on --data %s, got --data %s", out, ck.Hyper.Data, c.String("data"))
		}
		T = ck.Base.T
	} else if c.Int("C") < 1 || T < 1 || c.Int("epochs") < 1 {
		return fmt.Errorf("supernet: --C %d --T %d --epochs %d, want all >= 1", c.Int("C"), T, c.Int("epochs"))
	}
	set, err := openData(c, T)
	if err != nil {
		return fmt.Errorf("supernet: %w", err)
	}
	defer set.Close()
	var tr *supernet.Trainer
	if ck != nil {
		if tr, err = supernet.Resume(ck, c.Int("epochs")); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "resuming %s: space %s, epoch %d batch %d of %d epochs (its hyper-parameters are kept)\n",
			out, ck.Space, ck.Epoch, ck.Batch, tr.Hyper.Epochs)
	} else {
		h := train.Hyper{Epochs: c.Int("epochs"), Batch: c.Int("batch"), LR: c.Float64("lr"), Seed: c.Uint64("seed"),
			Limit: c.Int("limit"), Data: c.String("data")}
		switch c.String("augment") {
		case "auto":
			if set.Kind == dataset.Static && set.C == 3 {
				h.Pad, h.Flip = 4, true
			}
		case "standard":
			h.Pad, h.Flip = 4, true
		case "none":
		default:
			return fmt.Errorf("supernet: --augment %q, want auto, standard or none", c.String("augment"))
		}
		base := frontend.Spec{Name: "supernet", Channels: c.Int("C"), T: T, Input: sampleShape(set), Classes: set.Classes(), Neuron: "plif"}
		space, err := search.NewSpace(c.String("space"), base)
		if err != nil {
			return fmt.Errorf("supernet: %w", err)
		}
		if tr, err = supernet.NewTrainer(space, h); err != nil {
			return err
		}
	}
	defer tr.Close()
	h := tr.Hyper
	src := &train.DataSource{Set: set, TrainSplit: dataset.Train, EvalSplit: dataset.Val, Batch: h.Batch, Seed: h.Seed, Limit: h.Limit}
	if h.Pad > 0 || h.Flip || h.Cutout > 0 {
		src.Augment = &dataset.Augment{Pad: h.Pad, Flip: h.Flip, Cutout: h.Cutout}
	}
	tr.Checkpoint = out
	tr.CheckpointEvery = c.Int("checkpoint-every")
	tr.Logf = func(f string, a ...any) { fmt.Fprintf(c.App.Writer, f+"\n", a...) }
	if !c.Bool("quiet") {
		tr.Progress = c.App.ErrWriter
	}
	sp := tr.Net.Space()
	fmt.Fprintf(c.App.Writer, "super-network %s: C=%d T=%d input %v, %d classes, %d positions x %d candidates, %d parameters; data %s (D_train %d images)\n",
		sp.Name, sp.Base.Channels, sp.Base.T, sp.Base.Input, sp.Base.Classes, sp.Positions, len(sp.Candidates), countParams(tr), set.Name, set.Len(dataset.Train))
	start := time.Now()
	if err := tr.Run(c.Context, src); err != nil {
		return err
	}
	if len(tr.History) == 0 {
		return fmt.Errorf("supernet: no epoch completed")
	}
	fmt.Fprintf(c.App.Writer, "done in %s: N_avg = %.1f spikes/image (paths sampled in the last epoch), checkpoint %s\n",
		time.Since(start).Round(time.Millisecond), tr.NAvg(), out)
	return nil
}

func countParams(tr *supernet.Trainer) int {
	n := 0
	for _, p := range tr.Net.Params() {
		n += len(p.Data)
	}
	return n
}

// searchCommand is 'autosnn search': evolutionary (or random) search over
// a trained super-network, one search per lambda sharing the evaluations.
func searchCommand() *cli.Command {
	d := search.DefaultEvoConfig()
	return &cli.Command{
		Name:  "search",
		Usage: "spike-aware evolutionary search over a trained super-network",
		Description: "Evaluates candidates with inherited weights on D_val (the last 20% of the training set, no\n" +
			"augmentation) and ranks them by F = Acc x (N/N_avg)^lambda (or the linear form), N_avg from the\n" +
			"super-network checkpoint. Several lambdas (--lambda -0.08,0,-0.16) run one search each and share\n" +
			"every evaluation. Each search writes DIR/lambda<value>/: best.yaml (input of 'autosnn train'),\n" +
			"history.csv, history.json and pareto.png.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "supernet", Required: true, Usage: "super-network checkpoint (autosnn supernet --out)"},
			&cli.StringFlag{Name: "lambda", Value: "-0.08", Usage: "lambda, or a comma-separated list"},
			&cli.StringFlag{Name: "fitness", Value: "power", Usage: "power (Acc x (N/N_avg)^lambda) or linear (Acc - lambda x N/N_avg)"},
			&cli.StringFlag{Name: "algo", Value: "evolution", Usage: "evolution or random"},
			&cli.IntFlag{Name: "budget", Value: d.Budget, Usage: "evaluated architectures per search"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "search seed"},
			&cli.IntFlag{Name: "val-limit", Usage: "validation images used (0: all of D_val)"},
			&cli.IntFlag{Name: "bn-recalib", Usage: "recalibrate each candidate's batch-norm statistics on this many training batches (0: off)"},
			&cli.IntFlag{Name: "batch", Value: 64, Usage: "evaluation batch size"},
			&cli.StringFlag{Name: "out", Value: "search-out", Usage: "output directory"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bar"},
		}, append(evoFlags(), dataFlags...)...),
		Action: searchAction,
	}
}

func parseLambdas(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("search: --lambda %q: %q is not a number", s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func searchAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("search: unexpected arguments %v (flags only)", c.Args().Slice())
	}
	lambdas, err := parseLambdas(c.String("lambda"))
	if err != nil {
		return err
	}
	form := search.Power
	switch c.String("fitness") {
	case "power":
	case "linear":
		form = search.Linear
	default:
		return fmt.Errorf("search: --fitness %q, want power or linear", c.String("fitness"))
	}
	algo := c.String("algo")
	if algo != "evolution" && algo != "random" {
		return fmt.Errorf("search: --algo %q, want evolution or random", algo)
	}
	if c.Int("batch") < 1 || c.Int("val-limit") < 0 || c.Int("bn-recalib") < 0 {
		return fmt.Errorf("search: --batch %d --val-limit %d --bn-recalib %d: want batch >= 1, the others >= 0", c.Int("batch"), c.Int("val-limit"), c.Int("bn-recalib"))
	}
	ck, err := supernet.ReadCheckpoint(c.String("supernet"))
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if !(ck.NAvg > 0) {
		return fmt.Errorf("search: %s: N_avg is %g (no completed epoch?), want > 0", c.String("supernet"), ck.NAvg)
	}
	net, err := ck.Build(nil)
	if err != nil {
		return fmt.Errorf("search: %s: %w", c.String("supernet"), err)
	}
	defer net.Close()
	space := net.Space()
	set, err := openData(c, space.Base.T)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer set.Close()
	if in := sampleShape(set); fmt.Sprint(in) != fmt.Sprint(space.Base.Input) || set.Classes() != space.Base.Classes {
		return fmt.Errorf("search: data %s has %v inputs and %d classes, the super-network %s was trained on %v and %d", set.Name, in, set.Classes(), c.String("supernet"), space.Base.Input, space.Base.Classes)
	}
	src := &train.DataSource{Set: set, TrainSplit: dataset.Train, EvalSplit: dataset.Val, Batch: c.Int("batch"), Seed: ck.Hyper.Seed, EvalLimit: c.Int("val-limit")}
	ev := &supernet.Evaluator{Net: net, Data: src, Recalib: c.Int("bn-recalib")}
	if !c.Bool("quiet") {
		ev.Progress = c.App.ErrWriter
	}
	cache := search.NewCache(ev)
	cfg := evoConfig(c, c.Int("budget"))
	nval := set.Len(dataset.Val)
	if l := c.Int("val-limit"); l > 0 && l < nval {
		nval = l
	}
	fmt.Fprintf(c.App.Writer, "%s search on %s (C=%d T=%d input %v), N_avg %.1f, %d validation images, %s fitness, lambdas %v\n",
		algo, space.Name, space.Base.Channels, space.Base.T, space.Base.Input, ck.NAvg, nval, c.String("fitness"), lambdas)
	tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	var rows []string
	for _, lam := range lambdas {
		fit := search.Fitness{Form: form, Lambda: lam, NAvg: ck.NAvg}
		start, misses := time.Now(), cache.Misses
		progress := func(done, budget int) {
			if !c.Bool("quiet") {
				fmt.Fprintf(c.App.ErrWriter, "lambda %g: %d/%d evaluated\n", lam, done, budget)
			}
		}
		var h *search.History
		if algo == "evolution" {
			h, err = search.Evolve(c.Context, space, cache, fit, cfg, progress)
		} else {
			h, err = search.RandomSearch(c.Context, space, cache, fit, cfg.Budget, cfg.Pool, cfg.Seed, progress)
		}
		if err != nil {
			return err
		}
		dir := filepath.Join(c.String("out"), "lambda"+strconv.FormatFloat(lam, 'g', -1, 64))
		if err := h.WriteDir(dir, space); err != nil {
			return err
		}
		b := h.BestRecord()
		rows = append(rows, fmt.Sprintf("%g\t%s\t%.2f%%\t%.0f\t%.4f\t%d\t%s\t%s", lam, strings.Join(b.Blocks, ","), 100*b.Acc, b.Spikes, b.Fitness,
			cache.Misses-misses, time.Since(start).Round(time.Millisecond), dir))
	}
	fmt.Fprintln(tw, "lambda\tblocks\taccuracy\tspikes\tfitness\tnew evals\ttime\toutput")
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	return tw.Flush()
}

// evoFlags are the flags of the evolutionary search's parameters (the
// paper's Algorithm 1), shared by 'search' and 'lambda'; evoConfig reads them.
func evoFlags() []cli.Flag {
	d := search.DefaultEvoConfig()
	return []cli.Flag{
		&cli.IntFlag{Name: "rounds", Value: d.Rounds, Usage: "evolution rounds"},
		&cli.IntFlag{Name: "pool", Value: d.Pool, Usage: "architectures evaluated per round"},
		&cli.IntFlag{Name: "topk", Value: d.TopK, Usage: "parents kept"},
		&cli.IntFlag{Name: "mutations", Value: d.Mutations, Usage: "mutation children per round"},
		&cli.IntFlag{Name: "crossovers", Value: d.Crossovers, Usage: "crossover children per round"},
		&cli.Float64Flag{Name: "mutation-prob", Value: d.MutationProb, Usage: "per-block mutation probability"},
	}
}

// evoConfig returns the search configuration of the evoFlags, with the
// given budget of evaluated architectures and the --seed flag.
func evoConfig(c *cli.Context, budget int) search.EvoConfig {
	return search.EvoConfig{Rounds: c.Int("rounds"), Pool: c.Int("pool"), TopK: c.Int("topk"), Mutations: c.Int("mutations"),
		Crossovers: c.Int("crossovers"), MutationProb: c.Float64("mutation-prob"), Budget: budget, Seed: c.Uint64("seed")}
}
