package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
	"github.com/autosnn/autosnn/sim"
)

// simulateCommand runs a compiled mapping on the virtual chip.
func simulateCommand() *cli.Command {
	return &cli.Command{
		Name:      "simulate",
		Usage:     "run a compiled mapping on the virtual chip: spikes, congestion, latency, energy",
		ArgsUsage: " ",
		Description: "Reads the mapping directory written by 'compile' (graph, weights, placement and the chip\n" +
			"profile), runs --images test images of --data through the cycle-level NoC simulator and\n" +
			"writes to --out: summary.yaml (totals, means per image, on-chip accuracy), steps.csv (one\n" +
			"row per image and timestep) and linkload.png (messages per mesh link); with --report also\n" +
			"report.html, the run in one page. --data synthetic\n" +
			"uses seeded random inputs in the range the network was trained on (no labels). --overflow,\n" +
			"--message-mode and --drop-wait override the profile's NoC (for the sweeps too). --sweep-bandwidth\n" +
			"or --sweep-buffer rerun the same images with each link bandwidth (Gmsg/s) or buffer depth (flits),\n" +
			"write sweep.csv and one sub-directory per value, and print the congestion knee. --sanafe\n" +
			"exports the chip and the mapping (with the first image's input currents) for SANA-FE:\n" +
			"compare its perf.csv with the image-0 rows of steps.csv (docs/simulator.md). --semantics chip (the\n" +
			"default) runs the chip's own barrier-synchronous time (one step of delay per synapse), trained the\n" +
			"one the network was trained in, and both runs chip with trained beside it: accuracy in each and\n" +
			"their agreement (predictions, spikes lined up by depth) on stdout and in agreement.yaml.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "mapping", Usage: "mapping directory (from autosnn compile --out)", Required: true},
			&cli.StringFlag{Name: "data", Value: pipeline.SyntheticData, Usage: use("data", "or synthetic: seeded random inputs in the range the network was trained on")},
			&cli.StringFlag{Name: "split", Value: "test", Usage: use("split", "the images come from it")},
			&cli.IntFlag{Name: "images", Value: 10, Usage: use("images")},
			&cli.StringFlag{Name: "out", Usage: use("out", "directory"), Required: true},
			&cli.StringFlag{Name: "sweep-bandwidth", Usage: "comma-separated link bandwidths in Gmsg/s, e.g. 0.5,1,2,4"},
			&cli.StringFlag{Name: "sweep-buffer", Usage: "comma-separated buffer depths in flits, e.g. 1,2,4,8"},
			&cli.StringFlag{Name: "overflow", Usage: "override the overflow policy: backpressure or drop"},
			&cli.StringFlag{Name: "message-mode", Usage: "override the message mode: per_core or multicast_tree"},
			&cli.Float64Flag{Name: "drop-wait", Usage: "override noc.drop_wait_ns: ns a message blocked by a full buffer waits before it is dropped (overflow drop only; 0 = drop at once)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: use("seed", "for synthetic inputs")},
			&cli.StringFlag{Name: "semantics", Value: "chip", Usage: use("semantics")},
			&cli.BoolFlag{Name: "sanafe", Usage: use("sanafe", "also write sanafe/arch.yaml, sanafe/snn.yaml (first image as input events, log_spikes on) and sanafe/run.json (step offsets) to run in SANA-FE")},
			&cli.BoolFlag{Name: "sanafe-potential", Usage: use("sanafe-potential")},
			&cli.BoolFlag{Name: "report", Usage: "also write report.html: the run per image and per layer, the link load and the compiler's summary of the mapping, in one file"},
			&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
			&cli.IntFlag{Name: "size", Usage: use("size", "default: the model's input side")},
			&cli.StringFlag{Name: "cache", Usage: use("cache")},
			&cli.BoolFlag{Name: "allow-empty", Usage: use("allow-empty")},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
		}, coordinatorFlags()...),
		Action: simulateAction,
	}
}

func simulateAction(c *cli.Context) error {
	if err := checks(c, atLeast(1, "images"), ifSet("size", frameSize), nonNegative("drop-wait"),
		oneOf("semantics", "chip", "trained", "both"), ifSet("overflow", oneOf("overflow", backends.OverflowBackpressure, backends.OverflowDrop)), ifSet("message-mode", oneOf("message-mode", backends.MessagePerCore, backends.MessageMulticastTree)), dataSpec("data", true)); err != nil {
		return err
	}
	if c.IsSet("sweep-bandwidth") && c.IsSet("sweep-buffer") {
		return fmt.Errorf("simulate: give --sweep-bandwidth or --sweep-buffer, not both")
	}
	sweep, err := nocSweep(c)
	if err != nil {
		return err
	}
	sp, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return fmt.Errorf("simulate: --split: %w", err)
	}
	g, t, _, err := backends.ReadMapping(c.String("mapping"))
	if err != nil {
		return err
	}
	var noc *sim.NoCOverride
	if c.IsSet("overflow") || c.IsSet("message-mode") || c.IsSet("drop-wait") {
		o := sim.NoCOverride{OverflowPolicy: c.String("overflow"), MessageMode: c.String("message-mode")}
		if c.IsSet("drop-wait") {
			w := c.Float64("drop-wait")
			o.DropWaitNs = &w
		}
		if t, err = sim.WithNoC(t, o); err != nil {
			return err
		}
		noc = &o
	}
	if err := checks(c, outDir); err != nil {
		return err
	}
	opt := dataOptions(c, 0, frameSide(c, 0))
	src, closeData, err := pipeline.OpenDataWith(c.Context, c.String("data"), sp, c.Int("images"), g, c.Uint64("seed"), opt)
	if err != nil {
		return fmt.Errorf("simulate: --images %d of --data %s: %w", c.Int("images"), c.String("data"), err)
	}
	defer closeData()
	out, stdout := c.String("out"), c.App.Writer
	sopt := pipeline.SimOptions{Progress: progress(c), Desc: "simulate", Semantics: sim.Chip, Compare: c.String("semantics") == "both"}
	if !sopt.Compare {
		sem, err := sim.ParseSemantics(c.String("semantics"))
		if err != nil {
			return fmt.Errorf("simulate: --semantics: %w", err)
		}
		sopt.Semantics = sem
	}
	if c.String("nats") != "" { // the images in shards on the fleet's workers
		shards, closeFleet, err := natsSimShards(c, noc)
		if err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
		defer closeFleet()
		sopt.Shards = shards
	}
	res, err := pipeline.Simulate(c.Context, g, t, src, sopt)
	if err != nil {
		return err
	}
	if err := res.WriteDir(out); err != nil {
		return err
	}
	pipeline.WriteSimSummary(stdout, res.Sim)
	if res.Agreement != nil {
		fmt.Fprint(stdout, res.Agreement)
	}
	fmt.Fprintf(stdout, "wrote %s (summary.yaml, steps.csv, linkload.png)\n", out)
	if c.Bool("report") {
		data := c.String("data") + " " + c.String("split")
		if c.String("data") == pipeline.SyntheticData {
			data = fmt.Sprintf("synthetic inputs (seed %d)", c.Uint64("seed"))
		}
		r := pipeline.SimReport{Res: res, G: g, Mapping: c.String("mapping"), Data: data, Command: strings.Join(commandLine(c), " ")}
		if err := pipeline.WriteSimReport(out, r); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(out, pipeline.ReportHTML))
	}
	if c.Bool("sanafe") {
		dir := filepath.Join(out, "sanafe")
		run, err := pipeline.WriteSANAFE(dir, g, t, src, backends.SANAFEOptions{LogSpikes: true, LogPotential: c.Bool("sanafe-potential")})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (arch.yaml, snn.yaml, run.json): sim -s -p arch.yaml snn.yaml %d\n", dir, run.Timesteps)
		if len(run.DelaysDropped) > 0 {
			fmt.Fprintf(c.App.ErrWriter, "warning: the SANA-FE export carries no synaptic delays: %s act after one step there (run.json: delays_dropped)\n", strings.Join(run.DelaysDropped, ", "))
		}
	}
	if sweep == nil {
		return nil
	}
	sopt.Compare = false // the sweep measures the chip run only
	sopt.Shards = nil    // and runs here: its jobs would need the sweep's NoC
	tab, err := pipeline.RunNoCSweep(c.Context, g, t, src, *sweep, out, sopt)
	if err != nil {
		return err
	}
	return tab.WriteText(stdout)
}

// nocSweep reads --sweep-bandwidth or --sweep-buffer (nil: neither).
func nocSweep(c *cli.Context) (*pipeline.NoCSweep, error) {
	var sw pipeline.NoCSweep
	for _, f := range []struct {
		flag string
		make func([]float64) (pipeline.NoCSweep, error)
	}{{"sweep-bandwidth", pipeline.BandwidthSweep}, {"sweep-buffer", pipeline.BufferSweep}} {
		if !c.IsSet(f.flag) {
			continue
		}
		vals, err := pipeline.ParsePositives(c.String(f.flag))
		if err != nil {
			return nil, fmt.Errorf("simulate: --%s: %w", f.flag, err)
		}
		if sw, err = f.make(vals); err != nil {
			return nil, fmt.Errorf("simulate: --%s: %w", f.flag, err)
		}
		return &sw, nil
	}
	return nil, nil
}
