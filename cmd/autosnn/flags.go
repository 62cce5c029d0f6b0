package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
)

// vocabulary is the meaning of every flag name that more than one command
// takes: a flag's usage text is its meaning, optionally followed by "; "
// and what the flag does in that command (use). docs/cli.md is generated
// from it and the command tree (TestCLIDoc).
var vocabulary = map[string]string{
	"arch":             "architecture: zoo name, spec file or block list",
	"augment":          "training augmentation: " + strings.Join(pipeline.AugmentNames, ", ") + " (auto: crop-flip for 3-channel images, none otherwise; crop pads 4 pixels)",
	"batch":            "images per batch",
	"budget":           "deployment budget: cores=N,energy=E,latency=L, any subset (energy in pJ, nJ, uJ or mJ; latency in ns, us, ms or s; default: fitting the chip is enough)",
	"C":                "initial channels of the architecture",
	"allow-empty":      "accept event samples without events (a recording cut after its header), an error otherwise",
	"cache":            "event frame cache directory (default: the user cache directory)",
	"checkpoint-every": "also write the checkpoint every N batches (0: after each epoch only)",
	"chip":             "chip profile: a built-in name (list: autosnn chips) or a YAML file",
	"classes":          "number of classes (overrides the spec)",
	"cost":             "fitness cost: " + strings.Join(pipeline.CostNames, ", ") + " (the paper's spikes, or the analytical cost on --chip)",
	"crossovers":       "crossover children per evolution round",
	"dt":               "forward-Euler timestep in seconds of the NIR time constants (tau = dt/k, k the decay per timestep): export writes them for it, import steps them with it",
	"data":             "data spec name[:path] (" + strings.Join(dataset.Names, ", ") + ")",
	"epochs":           "total training epochs",
	"eval-limit":       "images evaluated (0: the whole split)",
	"evals":            "architectures evaluated per lambda's search",
	"fitness":          "fitness form: power (Acc x (c/c_avg)^lambda) or linear (Acc - lambda x c/c_avg), c the cost",
	"format":           "file format written",
	"html":             "directory to write an HTML report into (created if needed)",
	"images":           "images run on the virtual chip",
	"input":            "input shape C,H,W (overrides the spec), e.g. 1,28,28",
	"lambda":           "lambda exponents of the fitness, comma-separated",
	"limit":            "training samples per epoch (0: the whole split)",
	"lr":               "Adam learning rate",
	"max-memory":       "memory the command may use, e.g. 4GB or 512MiB (default: what the machine has: MemAvailable, the cgroup limit and ulimit -v); work estimated to need more is refused before it starts",
	"model":            "trained network",
	"mutation-prob":    "per-block mutation probability",
	"mutations":        "mutation children per evolution round",
	"nats":             "NATS JetStream server URL: run the command's jobs on the fleet there (autosnn worker; docs/scale-out.md); default: run locally",
	"nats-creds":       "NATS credentials file for --nats (never logged)",
	"nats-per-job":     "candidates (search, lambda) or images (simulate) per job with --nats (0: split evenly over the workers; simulate: at most 64 images a job)",
	"nats-tls-ca":      "PEM file of the CA of the --nats server's TLS certificate",
	"nats-tls-cert":    "PEM client certificate for --nats (mutual TLS; with --nats-tls-key)",
	"nats-tls-key":     "PEM key of --nats-tls-cert",
	"out":              "where the command writes its output",
	"pool":             "architectures evaluated per evolution round",
	"profile-samples":  "images the compiler profiles spike rates on (0: uniform rates, upper bounds)",
	"preset":           "training recipe: paper (600 epochs, Adam 1e-3, batch 96, T = 8, cutout 16 on CIFAR) or reduced (Fashion-MNIST, C = 8, T = 4, 20 epochs of 6,000 images, batch 32, 2,000 test images); flags given explicitly win",
	"progress":         "how progress is shown: auto (bars on a terminal, plain lines otherwise), bar, plain (a line per stage and at most one per 10 s) or none",
	"quiet":            "less output: no progress (--progress=none)",
	"random-weights":   "give an architecture --model seeded random weights (testing only)",
	"resume":           "continue the run stored in --out, with its own hyper-parameters",
	"rounds":           "evolution rounds",
	"sanafe":           "SANA-FE export",
	"sanafe-potential": "with --sanafe: log_potential on every group (SANA-FE -v writes potentials.csv)",
	"seed":             "random seed",
	"semantics":        "simulator time semantics: chip (the chip's own, the default for energy and latency: barrier-synchronous, one step of delay per synapse and more where the delay pass balanced a residual join, T + depth - 1 steps, a step costs the busiest core plus the barrier), trained (every layer inside one step, spike-exact against the reference executor) or both (chip, with a trained run of every image beside it: on-chip accuracy in each and their spike-level agreement, in agreement.yaml); docs/simulator.md",
	"size":             "event frame side in pixels (the 128x128 sensor is binned)",
	"split":            "data split read: train (first 80% of the training set), val (last 20%), full-train or test",
	"supernet":         "super-network checkpoint (autosnn supernet --out)",
	"supernet-limit":   "super-network training images per epoch (from D_train)",
	"T":                "timesteps per sample (event data: frames per sample)",
	"tolerance":        "accuracy tolerance of the lambda policy in percentage points (0: strictly the highest accuracy)",
	"topk":             "parents kept per evolution round",
	"val-limit":        "validation images each candidate is evaluated on (0: all of D_val)",
	"work-dir":         "where a worker keeps downloaded inputs (by SHA-256) and event frames (default: the user cache directory)",
}

// use returns the usage text of flag name: its meaning in the vocabulary,
// then what it does in this command, if said.
func use(name string, here ...string) string {
	m, ok := vocabulary[name]
	if !ok {
		panic("autosnn: flag --" + name + " is not in the vocabulary")
	}
	if len(here) > 0 {
		return m + "; " + strings.Join(here, " ")
	}
	return m
}

// dataFlags are the flags that say how a dataset is loaded.
func dataFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data", Required: true, Usage: use("data")},
		&cli.IntFlag{Name: "size", Value: 128, Usage: use("size")},
		&cli.StringFlag{Name: "cache", Usage: use("cache")},
		&cli.BoolFlag{Name: "allow-empty", Usage: use("allow-empty")},
	}
}

// openData opens --data with --size and --cache for a network of T timesteps.
func openData(c *cli.Context, T int) (*dataset.Set, error) {
	return dataset.Open(c.Context, c.String("data"), dataOptions(c, T, c.Int("size")))
}

// dataOptions are the dataset options of the data flags: T frames per
// event sample, frame side size (0: the sensor's), --cache, --allow-empty,
// and the loader's log lines (integration, warnings) on stderr.
func dataOptions(c *cli.Context, T, size int) dataset.Options {
	return dataset.Options{T: T, Size: size, CacheDir: c.String("cache"), AllowEmpty: c.Bool("allow-empty"),
		Logf: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, "data: "+f+"\n", a...) }}
}

// specFlags are the flags that override an architecture's spec fields.
func specFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "C", Usage: use("C", "overrides the spec")},
		&cli.IntFlag{Name: "T", Usage: use("T", "overrides the spec")},
		&cli.StringFlag{Name: "input", Usage: use("input")},
		&cli.IntFlag{Name: "classes", Usage: use("classes")},
	}
}

// evoFlags are the flags of the evolutionary search's parameters (the
// paper's Algorithm 1), shared by 'search' and 'lambda'; evoConfig reads them.
func evoFlags() []cli.Flag {
	d := search.DefaultEvoConfig()
	return []cli.Flag{
		&cli.IntFlag{Name: "evals", Value: d.Budget, Usage: use("evals")},
		&cli.IntFlag{Name: "rounds", Value: d.Rounds, Usage: use("rounds")},
		&cli.IntFlag{Name: "pool", Value: d.Pool, Usage: use("pool")},
		&cli.IntFlag{Name: "topk", Value: d.TopK, Usage: use("topk")},
		&cli.IntFlag{Name: "mutations", Value: d.Mutations, Usage: use("mutations")},
		&cli.IntFlag{Name: "crossovers", Value: d.Crossovers, Usage: use("crossovers")},
		&cli.Float64Flag{Name: "mutation-prob", Value: d.MutationProb, Usage: use("mutation-prob")},
	}
}

// evoConfig returns the search configuration of the evoFlags and --seed.
func evoConfig(c *cli.Context) search.EvoConfig {
	return search.EvoConfig{Rounds: c.Int("rounds"), Pool: c.Int("pool"), TopK: c.Int("topk"), Mutations: c.Int("mutations"),
		Crossovers: c.Int("crossovers"), MutationProb: c.Float64("mutation-prob"), Budget: c.Int("evals"), Seed: c.Uint64("seed")}
}

// fitnessForm reads --fitness.
func fitnessForm(c *cli.Context) (search.FitnessForm, error) {
	switch f := c.String("fitness"); f {
	case "power":
		return search.Power, nil
	case "linear":
		return search.Linear, nil
	default:
		return 0, fmt.Errorf("--fitness %q, want power or linear", f)
	}
}

// lambdas reads --lambda.
func lambdas(c *cli.Context) ([]float64, error) {
	s := c.String("lambda")
	out, err := pipeline.ParseNumbers(s)
	if err != nil {
		return nil, fmt.Errorf("--lambda %q: %w", s, err)
	}
	return out, nil
}

// tolerance reads --tolerance as a fraction.
func tolerance(c *cli.Context) (float64, error) {
	if tol := c.Float64("tolerance"); tol < 0 || tol >= 100 {
		return 0, fmt.Errorf("--tolerance %g, want 0 <= percentage points < 100", tol)
	}
	return c.Float64("tolerance") / 100, nil
}

// budget reads --budget.
func budget(c *cli.Context) (pipeline.Budget, error) {
	b, err := pipeline.ParseBudget(c.String("budget"))
	if err != nil {
		return b, fmt.Errorf("--budget: %w", err)
	}
	return b, nil
}

// noArgs refuses positional arguments of a command that takes flags only.
// A flag after an argument is named: the flag package stops at the first
// argument, so it was not read as a flag.
func noArgs(c *cli.Context) error {
	if c.NArg() == 0 {
		return nil
	}
	name, args := cmdName(c), c.Args().Slice()
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("%s: unexpected argument %q before %s (the command takes flags only; flags after an argument are not read)", name, args[0], a)
		}
	}
	return fmt.Errorf("%s: unexpected argument %q (the command takes flags only)", name, args[0])
}

// memoryCommands are the commands that train, evaluate, search, compile or
// simulate: guardMemory gives them --max-memory.
var memoryCommands = []string{"train", "eval", "supernet", "search", "compile", "simulate", "lambda", "demo", "worker"}

// guardMemory adds --max-memory to the memoryCommands among cmds; before
// such a command's action runs, its value (or 0: the machine's memory) is
// set on the command's context (pipeline.WithMemoryLimit), the limit
// pipeline's memory checks refuse work above.
func guardMemory(cmds []*cli.Command) {
	for _, cmd := range cmds {
		if !slices.Contains(memoryCommands, cmd.Name) {
			continue
		}
		cmd.Flags = append(cmd.Flags, &cli.StringFlag{Name: "max-memory", Usage: use("max-memory")})
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			var n int64
			if s := c.String("max-memory"); s != "" {
				var err error
				if n, err = pipeline.ParseBytes(s); err != nil {
					return fmt.Errorf("%s: --max-memory: %w", cmd.Name, err)
				}
			}
			c.Context = pipeline.WithMemoryLimit(c.Context, n)
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
}

// renamed adds hidden flags under the old names of renamed flags, for the
// command lines of old scripts and results: pairs are old, new. A value
// given under the old name is set on the new flag before the action runs.
func renamed(cmd *cli.Command, pairs ...string) *cli.Command {
	for i := 0; i < len(pairs); i += 2 {
		cmd.Flags = append(cmd.Flags, &cli.StringFlag{Name: pairs[i], Hidden: true, Usage: "old name of --" + pairs[i+1]})
	}
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		for i := 0; i < len(pairs); i += 2 {
			old, name := pairs[i], pairs[i+1]
			if !c.IsSet(old) {
				continue
			}
			if c.IsSet(name) {
				return fmt.Errorf("%s: --%s is the old name of --%s; give one of them", cmd.Name, old, name)
			}
			if err := c.Set(name, c.String(old)); err != nil {
				return fmt.Errorf("%s: --%s (now --%s): %w", cmd.Name, old, name, err)
			}
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
	return cmd
}
