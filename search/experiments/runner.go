package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
	"github.com/autosnn/autosnn/search/pipeline"
)

// Runner runs experiments under a protocol into an output directory.
type Runner struct {
	// Out is the output directory (created if missing).
	Out string
	// P is the protocol.
	P Protocol
	// Log, when not nil, gets a line per run started and finished.
	Log io.Writer
	// Progress, when not nil, shows the progress of each run.
	Progress *train.Progress
	// Command is the command line that ran the experiment, recorded in
	// the results.
	Command string
	// Remote, when not nil, trains the stand-alone runs elsewhere (a fleet
	// of workers; remote.go); nil trains them here, one after another.
	Remote Remote

	set  *dataset.Set
	plan *plan // while Run plans the runs for Remote
}

// Close releases the runner's data.
func (r *Runner) Close() {
	if r.set != nil {
		r.set.Close()
		r.set = nil
	}
}

func (r *Runner) logf(format string, a ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", a...)
	}
}

// data returns the protocol's dataset, loaded once.
func (r *Runner) data(ctx context.Context) (*dataset.Set, error) {
	if r.set != nil {
		return r.set, nil
	}
	spec, err := dataset.ParseSpec(r.P.Data)
	if err != nil {
		return nil, fmt.Errorf("experiments: protocol data: %w", err)
	}
	set, err := dataset.Load(ctx, spec, dataset.Options{T: r.P.T})
	if err != nil {
		return nil, err
	}
	r.set = set
	return set, nil
}

// hyper is the protocol's training hyper-parameters with seed.
func (r *Runner) hyper(seed uint64) train.Hyper {
	return train.Hyper{Epochs: r.P.Epochs, Batch: r.P.Batch, LR: r.P.LR, Seed: seed, Cutout: r.P.Cutout, Limit: r.P.Limit, Data: r.P.Data}
}

// setup describes what a stand-alone run's result depends on besides its
// key, seed and epochs (recorded with it; a run of another setup in the
// same output directory is refused, not reused).
func (r *Runner) setup(h train.Hyper) string {
	return fmt.Sprintf("data %s, C %d, T %d, batch %d, lr %g, limit %d, cutout %d, spike-reg %g, %d test images",
		h.Data, r.P.C, r.P.T, h.Batch, h.LR, h.Limit, h.Cutout, h.SpikeReg, r.P.EvalLimit)
}

// spec returns arch at the protocol's C and T, on the data's shape.
func (r *Runner) spec(arch frontend.Spec) frontend.Spec {
	arch.Channels, arch.T, arch.Input, arch.Classes = r.P.C, r.P.T, nil, 0
	arch.Blocks = append([]string(nil), arch.Blocks...)
	return arch
}

// Train trains arch alone (at the protocol's C and T) with seed, mod
// (when not nil) applied to the hyper-parameters and init (when not nil)
// to the new net before training, and evaluates it on the first
// EvalLimit test images. key names the run's files in Out/runs: a
// finished run is read back, an interrupted one continues from its
// checkpoint. With Remote set, Run plans the runs first (remote.go): Train
// then records an unfinished run and returns it untrained.
func (r *Runner) Train(ctx context.Context, key string, arch frontend.Spec, seed uint64, mod func(*train.Hyper), init *NetInit) (Run, error) {
	dir := filepath.Join(r.Out, "runs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Run{}, err
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-s%d", key, seed))
	h := r.hyper(seed)
	if mod != nil {
		mod(&h)
	}
	want := r.setup(h)
	var done Run
	if ok, err := readJSON(base+".json", &done); err != nil {
		return Run{}, err
	} else if ok {
		switch {
		case done.Setup != "" && done.Setup != want:
			return Run{}, fmt.Errorf("experiments: %s was trained with %s; this protocol gives %s: use another --out", base+".json", done.Setup, want)
		case done.Epochs == h.Epochs || done.Setup == "": // "": a result written before setups were recorded
			return done, nil
		case done.Epochs > h.Epochs:
			return Run{}, fmt.Errorf("experiments: %s was trained for %d epochs, the protocol asks for %d: use another --out", base+".json", done.Epochs, h.Epochs)
		}
		// Fewer epochs than asked: continue from its checkpoint.
	}
	if prev, err := os.ReadFile(base + ".setup"); err == nil && string(prev) != want {
		return Run{}, fmt.Errorf("experiments: %s was started with %s; this protocol gives %s: use another --out", base+".ckpt", prev, want)
	}
	job := TrainJob{Key: key, Arch: r.spec(arch), Blocks: arch.Blocks, Hyper: h, Setup: want, T: r.P.T, EvalLimit: r.P.EvalLimit}
	if init != nil {
		job.Init = init.Name
	}
	if r.plan != nil {
		return r.plan.add(base, job), nil
	}
	set, err := r.data(ctx)
	if err != nil {
		return Run{}, err
	}
	if _, err := os.Stat(base + ".ckpt"); errors.Is(err, fs.ErrNotExist) {
		if err := writeFile(base+".setup", []byte(want)); err != nil {
			return Run{}, err
		}
	}
	run, err := TrainRun(ctx, job, set, base+".ckpt", r.Progress, r.logf)
	if err != nil {
		return Run{}, err
	}
	return run, writeJSON(base+".json", run)
}

// TrainRun runs job on set: it trains job's architecture with job's
// hyper-parameters (continuing from the checkpoint at ckpt when there is
// one, and checkpointing there every epoch), evaluates it on the first
// job.EvalLimit test images and returns the run. The result depends only
// on job and the data (training is deterministic per seed), so a run on
// another machine is the local one; only Seconds and CPUSeconds differ.
// logf, when not nil, gets the epoch lines.
func TrainRun(ctx context.Context, job TrainJob, set *dataset.Set, ckpt string, progress *train.Progress, logf func(format string, a ...any)) (Run, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	key, seed, h := job.Key, job.Hyper.Seed, job.Hyper
	var init func(*train.Net)
	if job.Init != "" {
		ni, ok := netInits[job.Init]
		if !ok {
			return Run{}, fmt.Errorf("experiments: run %s: no initialisation %q", key, job.Init)
		}
		init = ni.Fn
	}
	var tr *train.Trainer
	ck, err := train.ReadCheckpoint(ckpt)
	switch {
	case err == nil:
		logf("%s seed %d: resuming from epoch %d", key, seed, ck.Epoch)
		if tr, err = pipeline.ResumeTrainer(ctx, ck, nil, h.Epochs); err != nil {
			return Run{}, fmt.Errorf("experiments: %s: %w", ckpt, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		if tr, err = pipeline.NewTrainer(ctx, job.Arch, set, h, pipeline.AugmentAuto); err != nil {
			return Run{}, fmt.Errorf("experiments: %s: %w", key, err)
		}
		if init != nil {
			init(tr.Net)
		}
	default:
		return Run{}, err
	}
	defer tr.Close()
	tally, err := openCPUTally(ckpt, ck != nil)
	if err != nil {
		return Run{}, err
	}
	tr.Checkpoint, tr.Progress = ckpt, progress
	tr.Logf = func(format string, a ...any) { // the epoch line, with the w of the PLIFs after pools (Table 1's diagnosis)
		if err := tally.save(); err != nil {
			logf("%s seed %d: %v", key, seed, err) // the times only: training goes on
		}
		line := fmt.Sprintf(format, a...)
		for _, n := range tr.Net.Neurons() {
			if name := n.Name(); n.W != nil && (strings.HasPrefix(name, "pools.") || strings.HasPrefix(name, "gap.") || name == "fc_plif") {
				line += fmt.Sprintf(" %s w=%.3f", name, n.W.Data[0])
			}
		}
		logf("%s seed %d: %s", key, seed, line)
	}
	logf("%s seed %d: training %s (%s) for %d epochs", key, seed, tr.Net.Graph().Name, strings.Join(job.Blocks, ","), tr.Hyper.Epochs)
	src := pipeline.DataSource(set, tr.Hyper, dataset.FullTrain, dataset.Test, job.EvalLimit)
	if err := tr.Run(ctx, src); err != nil {
		return Run{}, err
	}
	evalStart := time.Now()
	res, err := train.Evaluate(ctx, tr.Net, src, progress)
	if err != nil {
		return Run{}, err
	}
	g := tr.Net.Graph()
	cnt := ir.Count(g)
	run := Run{Key: key, Seed: seed, Setup: job.Setup, Macro: job.Arch.Macro, Blocks: job.Blocks, Accuracy: res.Accuracy, Spikes: res.SpikesPerImage,
		NeuronSpikes: res.NeuronSpikesPerImage, Neurons: cnt.Neurons, Params: cnt.Params, Epochs: tr.Epoch}
	if n := len(tr.History); n > 0 {
		run.TrainAccuracy, run.TrainLoss = tr.History[n-1].Accuracy, tr.History[n-1].Loss
	}
	ws := map[string]float64{}
	for _, nr := range tr.Net.Neurons() {
		if nr.W != nil {
			ws[nr.Name()] = float64(nr.W.Data[0])
		}
	}
	for _, l := range res.Layers {
		if l.Model.Spiking() || l.Model == ir.ReLU {
			run.Layers = append(run.Layers, Layer{Name: l.Layer, Neurons: l.Neurons, Spikes: l.Spikes, W: ws[l.Layer]})
		}
	}
	for _, ep := range tr.History { // every epoch, in whichever process ran it
		run.Seconds += ep.Seconds
	}
	run.Seconds += time.Since(evalStart).Seconds()
	run.CPUSeconds = tally.seconds()
	logf("%s seed %d: test accuracy %.2f%%, %.0f spikes/image, %.0f s", key, seed, 100*run.Accuracy, run.Spikes, run.Seconds)
	return run, nil
}

// readJSON reads path into v; false when the file does not exist.
func readJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("experiments: %s: %w", path, err)
	}
	return true, nil
}

// writeJSON writes v to path atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(data, '\n'))
}

// writeFile writes data to path through a temporary file and a rename.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Machine describes the computer (OS, architecture, CPU model, cores).
func Machine() string {
	model := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	s := fmt.Sprintf("%s/%s, %d cores", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	if model != "" {
		s += ", " + model
	}
	return s
}

// BuildCommit, when set at link time (go build -ldflags "-X
// github.com/autosnn/autosnn/search/experiments.BuildCommit=$(git
// rev-parse --short HEAD)"), is the commit Commit reports; builds with VCS
// stamping off (GOFLAGS=-buildvcs=false, or a git worktree) have no other.
var BuildCommit string

// Commit is the VCS revision the binary was built from (BuildCommit, or
// the build's VCS stamp: short, "+dirty" when modified), or "unknown".
func Commit() string {
	if BuildCommit != "" {
		return BuildCommit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
