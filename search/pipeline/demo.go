package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/supernet"
)

// DemoConfig sizes the end-to-end demo. DefaultDemoConfig gives settings
// that finish in about five minutes on a 2-core machine on MNIST.
type DemoConfig struct {
	// Out is the report directory.
	Out string
	// Data is the data spec the set was opened from (recorded in
	// checkpoints and in the reproducing commands).
	Data string
	// Chip is the chip profile (built-in name or YAML file).
	Chip string
	// Seed seeds the super-network, the search, retraining and the
	// compiler's placement.
	Seed uint64
	// C and T are the initial channels and timesteps of the space (snn1).
	C, T int
	// Batch is the training mini-batch size.
	Batch int
	// SupernetEpochs and SupernetLimit size super-network training
	// (training samples per epoch, from D_train); SupernetLR is its Adam
	// learning rate.
	SupernetEpochs, SupernetLimit int
	SupernetLR                    float64
	// Sweep: lambdas, cost, budget and the evolutionary search of each
	// lambda; ValLimit validation images per candidate evaluation.
	Lambdas []float64
	Cost    string
	Budget  Budget
	// AccTolerance is the policy's accuracy tolerance (fraction; see Choose).
	AccTolerance float64
	Evo          search.EvoConfig
	ValLimit     int
	// RetrainEpochs and RetrainLimit size the winner's retraining from
	// scratch on the full training set, RetrainLR its learning rate;
	// TestLimit is the number of test images it is evaluated on.
	RetrainEpochs, RetrainLimit, TestLimit int
	RetrainLR                              float64
	// ProfileSamples are the compiler's profiling images; SimImages the
	// test images simulated on the chip (per lambda winner and for the
	// retrained winner).
	ProfileSamples, SimImages int
	// Progress shows progress; Log gets the step lines. Either may be nil.
	Progress *train.Progress
	Log      io.Writer
}

// DefaultDemoConfig returns the demo's settings: C = 4, T = 4 on snn1,
// a super-network trained on 16,000 images at learning rate 3e-3 (the
// paper's 1e-3 barely moves a super-network in one short epoch), lambdas
// 0, -0.08, -0.24 and -0.5 with 50 evaluations each on 384 validation
// images, the winner retrained from scratch on 16,000 images at the paper's
// 1e-3, deployed on loihi1 and simulated on 200 test images.
func DefaultDemoConfig() DemoConfig {
	return DemoConfig{
		Out: "demo-out", Data: "mnist", Chip: "loihi1", Seed: 1, C: 4, T: 4, Batch: 32,
		SupernetEpochs: 1, SupernetLimit: 16000, SupernetLR: 3e-3,
		Lambdas: []float64{0, -0.08, -0.24, -0.5}, Cost: CostSpikes,
		Evo:      search.EvoConfig{Rounds: 5, Pool: 10, TopK: 5, Mutations: 4, Crossovers: 4, MutationProb: 0.2, Budget: 50, Seed: 1},
		ValLimit: 384, RetrainEpochs: 1, RetrainLimit: 16000, RetrainLR: 1e-3, TestLimit: 1000, ProfileSamples: 4, SimImages: 200,
	}
}

// Step is one stage of the demo: what it did, how long it took and the
// command that runs it alone.
type Step struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Command string  `json:"command"`
	Output  string  `json:"output"`
}

// Figure is one plot of the report and the command that reproduces it.
type Figure struct {
	File    string `json:"file"`
	Title   string `json:"title"`
	Caption string `json:"caption"`
	Command string `json:"command"`
	PNG     []byte `json:"-"`
}

// DemoResult is what the demo measured.
type DemoResult struct {
	Config DemoConfig `json:"-"`
	// Chip is the target's name; Steps the stages in order with their
	// wall times and commands; NAvg the super-network's N_avg.
	Chip  string  `json:"chip"`
	Steps []Step  `json:"steps"`
	NAvg  float64 `json:"n_avg"`
	// Lambda is the sweep; Chosen its chosen row (inherited weights).
	Lambda *LambdaResult `json:"lambda"`
	Chosen Row           `json:"chosen"`
	// Retrained is the evaluation of the retrained winner on the first
	// TestLimit test images; Deployment its compile and simulation.
	Retrained  train.EvalResult `json:"retrained_test"`
	Deployment *Deployment      `json:"-"`
	// Figures are the report's plots; Summary the short report's numbers
	// (fractions, counts per inference, uJ, us, ns, as the keys say);
	// Seconds the demo's wall time.
	Figures []Figure           `json:"figures"`
	Summary map[string]float64 `json:"summary"`
	Seconds float64            `json:"seconds"`
}

// RunDemo runs the whole mission on set (opened from cfg.Data): train a
// small super-network, sweep lambda on the chip and choose it by Policy,
// retrain the chosen winner from scratch, evaluate it, compile it for the
// chip, simulate it, and write the report directory cfg.Out (report.html
// with the figures embedded, the PNGs, report.json and every step's
// outputs). Each step is what the command in its Step.Command runs.
func RunDemo(ctx context.Context, set *dataset.Set, cfg DemoConfig) (*DemoResult, error) {
	start := time.Now()
	t, err := backends.Resolve(cfg.Chip)
	if err != nil {
		return nil, err
	}
	if !(cfg.SupernetLR > 0) || !(cfg.RetrainLR > 0) {
		return nil, fmt.Errorf("pipeline: demo: learning rates %g and %g, want > 0", cfg.SupernetLR, cfg.RetrainLR)
	}
	if cfg.C < 1 || cfg.T < 1 || cfg.Batch < 1 || cfg.SupernetEpochs < 1 || cfg.RetrainEpochs < 1 || cfg.SimImages < 1 || cfg.TestLimit < 1 {
		return nil, fmt.Errorf("pipeline: demo: C %d T %d batch %d epochs %d/%d images %d/%d, want all >= 1",
			cfg.C, cfg.T, cfg.Batch, cfg.SupernetEpochs, cfg.RetrainEpochs, cfg.SimImages, cfg.TestLimit)
	}
	if err := PrepareOut(cfg.Out); err != nil {
		return nil, err
	}
	logf := func(f string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, f+"\n", a...)
		}
	}
	res := &DemoResult{Config: cfg, Chip: t.Name()}
	out := cfg.Out
	path := func(name string) string { return filepath.Join(out, name) }
	step := func(name, output, command string, since time.Time) {
		s := Step{Name: name, Seconds: time.Since(since).Seconds(), Command: command, Output: output}
		res.Steps = append(res.Steps, s)
		logf("[%s] done in %.1f s -> %s", name, s.Seconds, output)
	}

	cmds := DemoCommands(cfg, "BLOCKS")

	// 1. Super-network.
	t0 := time.Now()
	base := frontend.Spec{Name: "supernet", Channels: cfg.C, T: cfg.T, Input: []int{set.C, set.H, set.W}, Classes: set.Classes(), Neuron: "plif"}
	space, err := search.NewSpace("snn1", base)
	if err != nil {
		return nil, err
	}
	sh := train.Hyper{Epochs: cfg.SupernetEpochs, Batch: cfg.Batch, LR: cfg.SupernetLR, Seed: cfg.Seed, Limit: cfg.SupernetLimit, Data: cfg.Data}
	if err := Augment(&sh, AugmentAuto, set); err != nil {
		return nil, err
	}
	logf("[supernet] training the %s super-network (C=%d T=%d, %d x %d candidates) on %d images of %s", space.Name, cfg.C, cfg.T,
		space.Positions, len(space.Candidates), cfg.SupernetLimit, cfg.Data)
	str, err := supernet.NewTrainer(space, sh)
	if err != nil {
		return nil, err
	}
	defer str.Close()
	str.Checkpoint, str.Progress = path("supernet.ckpt"), cfg.Progress
	str.Logf = func(f string, a ...any) { logf("[supernet] "+f, a...) }
	if err := str.Run(ctx, DataSource(set, sh, dataset.Train, dataset.Val, 0)); err != nil {
		return nil, err
	}
	res.NAvg = str.NAvg()
	step("supernet", path("supernet.ckpt"), cmds[0].String(), t0)

	// 2. Lambda chosen by the chip.
	t0 = time.Now()
	evo := cfg.Evo
	lc := LambdaConfig{
		SweepConfig: SweepConfig{Lambdas: cfg.Lambdas, Cost: cfg.Cost, Budget: cfg.Budget, AccTolerance: cfg.AccTolerance, Evo: evo, CompileSeed: evo.Seed, Progress: cfg.Progress, Log: cfg.Log},
		ValLimit:    cfg.ValLimit, EvalBatch: 64, ProfileSamples: cfg.ProfileSamples, SimImages: cfg.SimImages,
	}
	logf("[lambda] sweeping lambda %v on %s (%d evaluations per lambda, shared)", cfg.Lambdas, t.Name(), evo.Budget)
	if res.Lambda, err = RunLambda(ctx, str.Net, res.NAvg, sh.Seed, set, t, lc); err != nil {
		return nil, err
	}
	if err := res.Lambda.WriteDir(path("lambda")); err != nil {
		return nil, err
	}
	if cfg.Log != nil {
		if err := res.Lambda.WriteTable(cfg.Log); err != nil {
			return nil, err
		}
	}
	if res.Lambda.Chosen < 0 {
		return nil, fmt.Errorf("pipeline: demo: no lambda's winner fits %s and meets budget %s (see %s)", t.Name(), cfg.Budget, path("lambda/"+TableCSV))
	}
	res.Chosen = res.Lambda.Rows[res.Lambda.Chosen]
	lambdaCmd := cmds[1].String()
	step("lambda", path("lambda"), lambdaCmd, t0)

	// 3. Retrain the chosen winner from scratch.
	t0 = time.Now()
	blocks := strings.Join(res.Chosen.Blocks, ",")
	spec, err := frontend.Resolve(blocks)
	if err != nil {
		return nil, err
	}
	spec.Channels, spec.T, spec.Input, spec.Classes = cfg.C, cfg.T, []int{set.C, set.H, set.W}, set.Classes()
	g, err := frontend.Lower(spec)
	if err != nil {
		return nil, err
	}
	rh := train.Hyper{Epochs: cfg.RetrainEpochs, Batch: cfg.Batch, LR: cfg.RetrainLR, Seed: cfg.Seed, Limit: cfg.RetrainLimit, Data: cfg.Data}
	if err := Augment(&rh, AugmentAuto, set); err != nil {
		return nil, err
	}
	logf("[train] retraining %s from scratch on %d images per epoch, %d epochs", blocks, cfg.RetrainLimit, cfg.RetrainEpochs)
	rtr, err := train.NewTrainer(g, rh)
	if err != nil {
		return nil, err
	}
	defer rtr.Close()
	rtr.Checkpoint, rtr.Progress, rtr.EvalEachEpoch = path("winner.ckpt"), cfg.Progress, true
	rtr.Logf = func(f string, a ...any) { logf("[train] "+f, a...) }
	if err := rtr.Run(ctx, DataSource(set, rh, dataset.FullTrain, dataset.Test, cfg.TestLimit)); err != nil {
		return nil, err
	}
	cmds = DemoCommands(cfg, blocks)
	step("train", path("winner.ckpt"), cmds[2].String(), t0)

	// 4. Evaluate: accuracy and spikes per layer.
	t0 = time.Now()
	evalCmd := cmds[3].String()
	if res.Retrained, err = train.Evaluate(ctx, rtr.Net, &train.DataSource{Set: set, EvalSplit: dataset.Test, Batch: 100, EvalLimit: cfg.TestLimit}, cfg.Progress); err != nil {
		return nil, err
	}
	layerPNG, err := train.LayerSpikesPNG(res.Retrained, fmt.Sprintf("%s: spikes per image by layer (%s test)", g.Name, cfg.Data))
	if err != nil {
		return nil, err
	}
	if err := writeFiles(path("eval"), map[string][]byte{"layer-spikes.png": layerPNG}); err != nil {
		return nil, err
	}
	step("eval", path("eval"), evalCmd, t0)

	// 5. Compile and simulate the retrained winner.
	t0 = time.Now()
	trained, err := rtr.Net.Export()
	if err != nil {
		return nil, err
	}
	profile, err := LoadSamples(set, dataset.Val, cfg.ProfileSamples, cfg.T)
	if err != nil {
		return nil, err
	}
	test, err := LoadSamples(set, dataset.Test, cfg.SimImages, cfg.T)
	if err != nil {
		return nil, err
	}
	logf("[deploy] compiling %s for %s (%d cores) and simulating %d test images", blocks, t.Name(), t.NumCores, len(test.Inputs))
	if res.Deployment, err = Deploy(ctx, trained, t, profile, test, cfg.Seed, nil, cfg.Progress); err != nil {
		return nil, err
	}
	d := res.Deployment
	if !d.Fits {
		return nil, fmt.Errorf("pipeline: demo: the retrained winner does not fit %s: %s", t.Name(), d.FitError)
	}
	if err := d.WriteDir(out); err != nil {
		return nil, err
	}
	step("compile + simulate", path("mapping")+", "+path("sim"), cmds[4].String()+" && "+cmds[5].String(), t0)

	// 6. Report.
	paretoPNG, err := res.Lambda.ParetoPNG()
	if err != nil {
		return nil, err
	}
	res.Figures = []Figure{
		{File: "pareto.png", Title: "Accuracy vs energy on " + t.Name(), PNG: paretoPNG,
			Caption: "Left: each lambda's winner (blue, labelled with the lambdas that chose it) and the chosen one (red): validation accuracy with inherited weights against the energy per inference simulated on the chip, dynamic + static, the lambda table's energy/inf. " +
				"Right: every candidate the searches evaluated that fits the chip (grey), their Pareto front (green) and the winners (blue) against the analytical estimate of package chipcost (dynamic + static), the only energy the search has for candidates it did not simulate.",
			Command: lambdaCmd + "   (figure: lambda/pareto.png)"},
		{File: "layer-spikes.png", Title: "Spikes per layer of the retrained winner", PNG: layerPNG,
			Caption: fmt.Sprintf("Spikes per image of every layer the paper's metric counts, on the first %d test images (the paper's Fig. 2/3 view).", res.Retrained.Images),
			Command: evalCmd + "   (figure: eval/layer-spikes.png)"},
		{File: "noc-heatmap.png", Title: "NoC link load on " + t.Name(), PNG: d.HeatmapPNG,
			Caption: fmt.Sprintf("Messages per inference over every directed mesh link (total over the %d simulated test images divided by %d; dark blue: none, red: the busiest link, outlined, %s, the one the result names). Tile coordinates: x (column) under the mesh, y (row) left of it, north up; a link (x,y)E leaves tile (x,y) eastwards. Darker tiles hold neurons.", len(test.Inputs), len(test.Inputs), d.BusiestLink),
			Command: res.Steps[len(res.Steps)-1].Command + "   (figure: sim/linkload.png)"},
	}
	figs := map[string][]byte{}
	for _, f := range res.Figures {
		figs[f.File] = f.PNG
	}
	if err := writeFiles(out, figs); err != nil {
		return nil, err
	}
	s, m := d.Sim, d.Unit.Report.Mapping
	res.Seconds = time.Since(start).Seconds()
	res.Summary = map[string]float64{
		"val_accuracy_inherited": res.Chosen.Acc, "test_accuracy_retrained": res.Retrained.Accuracy, "chip_accuracy": s.Accuracy,
		"spikes_per_image": res.Retrained.SpikesPerImage, "chip_spikes_per_image": float64(s.PerImage.Spikes),
		"cores": float64(s.CoresUsed), "tiles": float64(s.TilesUsed), "messages_per_inference": float64(s.PerImage.Messages),
		"hops_per_inference": float64(s.PerImage.Hops), "mean_hops": safeDiv(float64(s.PerImage.Hops), float64(s.PerImage.Messages)),
		"max_link_load": d.MaxLinkLoad, "link_util_max": s.Total.LinkUtilMax, "max_buffer_occupancy": float64(s.Total.MaxBufferOccupancy),
		"delivered_ratio": s.DeliveredRatio, "mean_message_latency_ns": s.MeanMessageLatencyNs,
		"energy_per_inference_uj": s.EnergyPerImageUJ, "synapse_energy_uj": s.PerImage.Energy.SynapsePJ / 1e6,
		"neuron_energy_uj": s.PerImage.Energy.NeuronPJ / 1e6, "network_energy_uj": s.PerImage.Energy.NetworkPJ / 1e6,
		"static_energy_uj": s.PerImage.Energy.StaticPJ / 1e6, "latency_per_inference_us": s.LatencyPerImageUs,
		"compiler_estimated_energy_uj": m.Energy.Total / 1e6, "lambda": res.Chosen.Lambda, "seconds": res.Seconds,
	}
	if err := res.writeReport(); err != nil {
		return nil, err
	}
	return res, nil
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// DemoCommands returns the commands that run the demo's steps alone, in
// order: supernet, lambda, train (of the architecture blocks), eval,
// compile, simulate. Their outputs are where RunDemo writes them in cfg.Out.
func DemoCommands(cfg DemoConfig, blocks string) []Command {
	path := func(name string) string { return filepath.Join(cfg.Out, name) }
	evo := cfg.Evo
	sn := Command{Name: "supernet"}.With("data", cfg.Data).With("space", "snn1").With("C", cfg.C).With("T", cfg.T).
		With("epochs", cfg.SupernetEpochs).With("batch", cfg.Batch).With("lr", cfg.SupernetLR).With("limit", cfg.SupernetLimit).
		With("seed", cfg.Seed).With("out", path("supernet.ckpt"))
	cost := cfg.Cost
	if cost == "" {
		cost = CostSpikes
	}
	lam := Command{Name: "lambda"}.With("supernet", path("supernet.ckpt")).With("data", cfg.Data).With("chip", cfg.Chip).
		With("lambda", cfg.Lambdas).With("cost", cost)
	if cfg.Budget != (Budget{}) {
		lam = lam.With("budget", cfg.Budget.String())
	}
	if cfg.AccTolerance > 0 {
		lam = lam.With("tolerance", 100*cfg.AccTolerance)
	}
	lam = lam.With("evals", evo.Budget).With("rounds", evo.Rounds).With("pool", evo.Pool).With("topk", evo.TopK).
		With("mutations", evo.Mutations).With("crossovers", evo.Crossovers).With("mutation-prob", evo.MutationProb).
		With("seed", evo.Seed).With("val-limit", cfg.ValLimit).With("batch", 64).With("images", cfg.SimImages).
		With("profile-samples", cfg.ProfileSamples).With("out", path("lambda"))
	tr := Command{Name: "train"}.With("arch", blocks).With("data", cfg.Data).With("C", cfg.C).With("T", cfg.T).
		With("epochs", cfg.RetrainEpochs).With("batch", cfg.Batch).With("lr", cfg.RetrainLR).With("limit", cfg.RetrainLimit).
		With("seed", cfg.Seed).With("eval-limit", cfg.TestLimit).With("out", path("winner.ckpt"))
	ev := Command{Name: "eval"}.With("model", path("winner.ckpt")).With("eval-limit", cfg.TestLimit).With("out", path("eval"))
	co := Command{Name: "compile"}.With("model", path("winner.ckpt")).With("chip", cfg.Chip).With("data", cfg.Data).
		With("profile-samples", cfg.ProfileSamples).With("seed", cfg.Seed).With("out", path("mapping"))
	si := Command{Name: "simulate"}.With("mapping", path("mapping")).With("data", cfg.Data).With("images", cfg.SimImages).
		With("out", path("sim"))
	return []Command{sn, lam, tr, ev, co, si}
}
