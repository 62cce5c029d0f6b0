package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search/fleet"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/sim"
)

// natsFlags are the flags that connect a command to a NATS JetStream
// fleet (docs/scale-out.md); without --nats the command runs locally.
func natsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "nats", Usage: use("nats")},
		&cli.StringFlag{Name: "nats-creds", Usage: use("nats-creds")},
		&cli.StringFlag{Name: "nats-tls-ca", Usage: use("nats-tls-ca")},
		&cli.StringFlag{Name: "nats-tls-cert", Usage: use("nats-tls-cert")},
		&cli.StringFlag{Name: "nats-tls-key", Usage: use("nats-tls-key")},
	}
}

// coordinatorFlags are natsFlags and the size of an evaluation job, for the
// commands that publish jobs.
func coordinatorFlags() []cli.Flag {
	return append(natsFlags(), &cli.IntFlag{Name: "nats-per-job", Usage: use("nats-per-job")})
}

// dialFleet connects to --nats with the credential flags and opens the
// fleet's stream, bucket and store; close ends the connection.
func dialFleet(c *cli.Context, role string) (f *fleet.Fleet, close func(), err error) {
	sec := fleet.Security{Creds: c.String("nats-creds"), TLSCA: c.String("nats-tls-ca"), TLSCert: c.String("nats-tls-cert"), TLSKey: c.String("nats-tls-key")}
	nc, err := fleet.Dial(c.String("nats"), sec, "autosnn "+role)
	if err != nil {
		return nil, nil, fmt.Errorf("--nats: %w", err)
	}
	if f, err = fleet.Open(c.Context, nc, fleet.Config{}); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("--nats %s: %w", fleet.Redact(c.String("nats")), err)
	}
	return f, nc.Close, nil
}

// natsEvaluator returns the evaluator that runs a command's candidate
// evaluations on the fleet at --nats: it stores the super-network
// checkpoint and the --data directory in the fleet's object store (by
// content hash) and describes each batch as the local evaluator would run
// it (T timesteps, --size, --allow-empty, --batch, --val-limit, recalib).
func natsEvaluator(c *cli.Context, T, recalib int) (*fleet.Evaluator, func(), error) {
	if c.Int("nats-per-job") < 0 {
		return nil, nil, fmt.Errorf("--nats-per-job %d, want >= 0", c.Int("nats-per-job"))
	}
	f, closeFleet, err := dialFleet(c, "coordinator")
	if err != nil {
		return nil, nil, err
	}
	sn, err := f.PutFile(c.Context, c.String("supernet"))
	if err != nil {
		closeFleet()
		return nil, nil, fmt.Errorf("--supernet: %w", err)
	}
	dir, err := fleet.DataDir(c.Context, c.String("data"))
	if err != nil {
		closeFleet()
		return nil, nil, fmt.Errorf("--data: %w", err)
	}
	data, err := f.PutDir(c.Context, dir)
	if err != nil {
		closeFleet()
		return nil, nil, fmt.Errorf("--data: %w", err)
	}
	name, _, _ := cutSpec(c.String("data"))
	ev := &fleet.Evaluator{Fleet: f, PerJob: c.Int("nats-per-job"), Inputs: map[string]fleet.Input{"supernet": sn, "data": data},
		Spec: fleet.EvalSpec{Data: name, T: T, Size: c.Int("size"), AllowEmpty: c.Bool("allow-empty"), Batch: c.Int("batch"),
			ValLimit: c.Int("val-limit"), Recalib: recalib},
		Logf: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, f+"\n", a...) }}
	per := fmt.Sprint(ev.PerJob)
	if ev.PerJob == 0 {
		per = "a round split over the workers"
	}
	fmt.Fprintf(c.App.ErrWriter, "fleet: evaluating on %s, candidates per job: %s (super-network %.12s, data %.12s)\n",
		fleet.Redact(c.String("nats")), per, sn.SHA256, data.SHA256)
	return ev, closeFleet, nil
}

// cutSpec returns the dataset name of a data spec.
func cutSpec(spec string) (name, path string, ok bool) {
	for i := range spec {
		if spec[i] == ':' {
			return spec[:i], spec[i+1:], true
		}
	}
	return spec, "", false
}

// workerCommand is 'autosnn worker': run a fleet's jobs.
func workerCommand() *cli.Command {
	return &cli.Command{
		Name:  "worker",
		Usage: "run the jobs of commands started with --nats (search and lambda candidate evaluations, lambda winners' deployments, simulate shards, experiment training runs) on this machine",
		Description: "Pulls one job at a time from the fleet at --nats, runs it with the same library calls as the local\n" +
			"path, stores the result under the job's hash and acknowledges it; a long job sends in-progress acks.\n" +
			"A worker killed mid-job loses nothing (the job is redelivered); a job that fails on bad input fails\n" +
			"the run that published it, once. Inputs (super-network, data) are downloaded once into --work-dir,\n" +
			"named and checked by SHA-256. See docs/scale-out.md.",
		Flags: append(natsFlags(),
			&cli.IntFlag{Name: "max-jobs", Usage: "stop after this many jobs (0: run until interrupted)"},
			&cli.StringFlag{Name: "work-dir", Usage: use("work-dir")},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet", "no line per job")},
		),
		Action: workerAction,
	}
}

func workerAction(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if c.String("nats") == "" {
		return fmt.Errorf("worker: --nats URL is required (start a local cluster with: autosnn fleet up)")
	}
	if c.Int("max-jobs") < 0 {
		return fmt.Errorf("worker: --max-jobs %d, want >= 0", c.Int("max-jobs"))
	}
	dir, err := workDir(c)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	f, closeFleet, err := dialFleet(c, "worker")
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer closeFleet()
	w := newWorker(f, dir, c.Int("max-jobs"))
	defer w.close()
	if !c.Bool("quiet") {
		w.Logf = func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, f+"\n", a...) }
	}
	fmt.Fprintf(c.App.ErrWriter, "worker: pulling jobs from %s (ack deadline %s), inputs in %s\n", fleet.Redact(c.String("nats")), f.AckWait, dir)
	if err := w.Run(c.Context); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	fmt.Fprintf(c.App.ErrWriter, "worker: %d jobs done\n", w.Done)
	return nil
}

// workDir is --work-dir or the user cache directory's autosnn/worker.
func workDir(c *cli.Context) (string, error) {
	if d := c.String("work-dir"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("--work-dir: no user cache directory (%v); give one", err)
	}
	return filepath.Join(d, "autosnn", "worker"), nil
}

// localWorker is a worker with every job kind's handler.
type localWorker struct {
	*fleet.Worker
	close func()
}

func newWorker(f *fleet.Fleet, dir string, maxJobs int) *localWorker {
	eval, deploy, closeEval := fleet.EvalHandlers(dir)
	simulate, closeSim := fleet.SimHandler(dir)
	train, closeTrain := fleet.TrainHandler(dir)
	return &localWorker{Worker: &fleet.Worker{Fleet: f, CacheDir: filepath.Join(dir, "inputs"), MaxJobs: maxJobs,
		Handlers: map[string]fleet.Handler{fleet.KindEcho: fleet.Echo, fleet.KindEval: eval, fleet.KindDeploy: deploy, fleet.KindSimulate: simulate, fleet.KindTrain: train}},
		close: func() { closeEval(); closeSim(); closeTrain() }}
}

// fleetCommand is 'autosnn fleet': a local cluster in one command.
func fleetCommand() *cli.Command {
	return &cli.Command{
		Name:  "fleet",
		Usage: "a local NATS JetStream cluster for --nats, in one command",
		Subcommands: []*cli.Command{{
			Name:  "up",
			Usage: "start an embedded nats-server with JetStream (and, with --workers N, N workers) until interrupted",
			Description: "Starts a nats-server with JetStream storing in --dir (default: a temporary directory, removed at\n" +
				"the end), prints its URL, and runs --workers workers in this process. Point other machines'\n" +
				"'autosnn worker --nats URL' at it (--host 0.0.0.0 to listen beyond this machine; it has no\n" +
				"authentication: use an existing, secured cluster for that, see docs/scale-out.md).",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "host", Value: "127.0.0.1", Usage: "address to listen on"},
				&cli.IntFlag{Name: "port", Value: 4222, Usage: "client port (-1: any free port)"},
				&cli.StringFlag{Name: "dir", Usage: "JetStream storage directory (default: a temporary directory)"},
				&cli.IntFlag{Name: "workers", Usage: "workers to run in this process"},
				&cli.StringFlag{Name: "work-dir", Usage: use("work-dir", "of the --workers")},
			},
			Action: fleetUpAction,
		}},
	}
}

func fleetUpAction(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if c.Int("workers") < 0 {
		return fmt.Errorf("fleet up: --workers %d, want >= 0", c.Int("workers"))
	}
	dir := c.String("dir")
	if dir == "" {
		tmp, err := os.MkdirTemp("", "autosnn-fleet-")
		if err != nil {
			return fmt.Errorf("fleet up: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	s, err := fleet.StartServer(dir, c.String("host"), c.Int("port"))
	if err != nil {
		return fmt.Errorf("fleet up: %w", err)
	}
	defer s.WaitForShutdown()
	defer s.Shutdown()
	url := s.ClientURL()
	fmt.Fprintf(c.App.Writer, "fleet: nats-server with JetStream at %s (storage %s); Ctrl-C stops it\n", url, dir)
	fmt.Fprintf(c.App.Writer, "  workers:     autosnn worker --nats %s\n  coordinator: autosnn search --nats %s ...\n", url, url)
	wd, err := workDir(c)
	if err != nil {
		return fmt.Errorf("fleet up: %w", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, c.Int("workers"))
	for i := range c.Int("workers") {
		nc, err := fleet.Dial(url, fleet.Security{}, fmt.Sprintf("autosnn fleet worker %d", i))
		if err != nil {
			return fmt.Errorf("fleet up: %w", err)
		}
		defer nc.Close()
		f, err := fleet.Open(c.Context, nc, fleet.Config{})
		if err != nil {
			return fmt.Errorf("fleet up: %w", err)
		}
		w := newWorker(f, wd, 0)
		defer w.close()
		w.Logf = func(f string, a ...any) {
			fmt.Fprintf(c.App.ErrWriter, "worker %d: "+f+"\n", append([]any{i}, a...)...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(c.Context); err != nil {
				errs <- err
			}
		}()
	}
	if n := c.Int("workers"); n > 0 {
		fmt.Fprintf(c.App.Writer, "fleet: %d workers running here\n", n)
	}
	select {
	case <-c.Context.Done():
	case err := <-errs:
		return fmt.Errorf("fleet up: worker: %w", err)
	}
	wg.Wait()
	return nil
}

// natsSimShards returns the shards of `simulate --nats`: it stores the
// --mapping directory and the --data directory (unless synthetic) in the
// fleet's object store and describes the run as simulate does locally
// (--data, --split, --images, --seed, --size, --allow-empty, --semantics,
// the NoC override noc).
func natsSimShards(c *cli.Context, noc *sim.NoCOverride) (*fleet.SimShards, func(), error) {
	if c.Int("nats-per-job") < 0 {
		return nil, nil, fmt.Errorf("--nats-per-job %d, want >= 0", c.Int("nats-per-job"))
	}
	f, closeFleet, err := dialFleet(c, "coordinator")
	if err != nil {
		return nil, nil, err
	}
	mapping, err := f.PutDir(c.Context, c.String("mapping"))
	if err != nil {
		closeFleet()
		return nil, nil, fmt.Errorf("--mapping: %w", err)
	}
	inputs := map[string]fleet.Input{"mapping": mapping}
	name, _, _ := cutSpec(c.String("data"))
	if c.String("data") != pipeline.SyntheticData {
		dir, err := fleet.DataDir(c.Context, c.String("data"))
		if err != nil {
			closeFleet()
			return nil, nil, fmt.Errorf("--data: %w", err)
		}
		if inputs["data"], err = f.PutDir(c.Context, dir); err != nil {
			closeFleet()
			return nil, nil, fmt.Errorf("--data: %w", err)
		}
	}
	sem := c.String("semantics")
	spec := fleet.SimSpec{Data: name, Split: c.String("split"), Images: c.Int("images"), Seed: c.Uint64("seed"), Size: frameSide(c, 0),
		AllowEmpty: c.Bool("allow-empty"), Semantics: sem, Compare: sem == "both", NoC: noc}
	if spec.Compare {
		spec.Semantics = "chip"
	}
	sh := &fleet.SimShards{Fleet: f, Spec: spec, Inputs: inputs, PerJob: c.Int("nats-per-job"),
		Logf: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, f+"\n", a...) }}
	per := fmt.Sprint(sh.PerJob)
	if sh.PerJob == 0 {
		per = fmt.Sprintf("split over the workers, at most %d", fleet.MaxImagesPerJob)
	}
	fmt.Fprintf(c.App.ErrWriter, "fleet: simulating on %s, images per job: %s (mapping %.12s)\n", fleet.Redact(c.String("nats")), per, mapping.SHA256)
	return sh, closeFleet, nil
}

// natsTrainRemote returns the remote of `experiments run --nats`: it
// stores the protocol's dataset directory (data, a data spec) in the
// fleet's object store; each stand-alone run becomes one job.
func natsTrainRemote(c *cli.Context, data string) (*fleet.TrainRemote, func(), error) {
	f, closeFleet, err := dialFleet(c, "coordinator")
	if err != nil {
		return nil, nil, err
	}
	dir, err := fleet.DataDir(c.Context, data)
	if err != nil {
		closeFleet()
		return nil, nil, fmt.Errorf("data %s: %w", data, err)
	}
	in, err := f.PutDir(c.Context, dir)
	if err != nil {
		closeFleet()
		return nil, nil, fmt.Errorf("data %s: %w", data, err)
	}
	fmt.Fprintf(c.App.ErrWriter, "fleet: training the stand-alone runs on %s, one job each (data %.12s)\n", fleet.Redact(c.String("nats")), in.SHA256)
	return &fleet.TrainRemote{Fleet: f, Inputs: map[string]fleet.Input{"data": in},
		Logf: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, f+"\n", a...) }}, closeFleet, nil
}
