package main

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
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
			"row per image and timestep) and linkload.png (messages per mesh link). --data synthetic\n" +
			"uses uniform random inputs (no labels). --overflow, --message-mode and --drop-wait\n" +
			"override the profile's NoC (for the sweeps too). --sweep-bandwidth or --sweep-buffer rerun the\n" +
			"same images with each link bandwidth (Gmsg/s) or buffer depth (flits), write\n" +
			"sweep.csv and one sub-directory per value, and print the congestion knee. --sanafe\n" +
			"exports the chip and the mapping (with the first image's input currents) for SANA-FE:\n" +
			"compare its perf.csv with the image-0 rows of steps.csv (docs/simulator.md).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mapping", Usage: "mapping directory (from 'autosnn compile')", Required: true},
			&cli.StringFlag{Name: "data", Value: "synthetic", Usage: "data spec name[:path], or synthetic"},
			&cli.StringFlag{Name: "split", Value: "test", Usage: "split to draw images from"},
			&cli.IntFlag{Name: "images", Value: 10, Usage: "number of images"},
			&cli.StringFlag{Name: "out", Usage: "output directory", Required: true},
			&cli.StringFlag{Name: "sweep-bandwidth", Usage: "comma-separated link bandwidths in Gmsg/s, e.g. 0.5,1,2,4"},
			&cli.StringFlag{Name: "sweep-buffer", Usage: "comma-separated buffer depths in flits, e.g. 1,2,4,8"},
			&cli.StringFlag{Name: "overflow", Usage: "override the overflow policy: backpressure or drop"},
			&cli.StringFlag{Name: "message-mode", Usage: "override the message mode: per_core or multicast_tree"},
			&cli.Float64Flag{Name: "drop-wait", Usage: "override noc.drop_wait_ns: ns a message blocked by a full buffer waits before it is dropped (overflow drop only; 0 = drop at once)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of synthetic inputs"},
			&cli.BoolFlag{Name: "sanafe", Usage: "also write sanafe/arch.yaml and sanafe/snn.yaml (first image) to run in SANA-FE"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bar"},
		},
		Action: simulateAction,
	}
}

// simInputs yields the inputs and labels of the run.
type simInputs struct {
	n     int
	get   func(i int) ([]float32, error)
	label func(i int) int
	close func() error
}

func simulateAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("simulate: unexpected argument %q", c.Args().First())
	}
	g, t, _, err := backends.ReadMapping(c.String("mapping"))
	if err != nil {
		return err
	}
	if c.Int("images") < 1 {
		return fmt.Errorf("simulate: --images %d, want >= 1", c.Int("images"))
	}
	in, err := openSimInputs(c, g)
	if err != nil {
		return err
	}
	defer in.close()
	out := c.String("out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	errw := c.App.ErrWriter
	if errw == nil {
		errw = os.Stderr
	}
	stdout := c.App.Writer
	if stdout == nil {
		stdout = os.Stdout
	}

	if c.IsSet("overflow") || c.IsSet("message-mode") || c.IsSet("drop-wait") {
		o := sim.NoCOverride{OverflowPolicy: c.String("overflow"), MessageMode: c.String("message-mode")}
		if c.IsSet("drop-wait") {
			w := c.Float64("drop-wait")
			o.DropWaitNs = &w
		}
		if t, err = sim.WithNoC(t, o); err != nil {
			return err
		}
	}
	base := t
	sum, err := runSim(c, g, base, in, out, "simulate", errw)
	if err != nil {
		return err
	}
	printSummary(stdout, sum)
	fmt.Fprintf(stdout, "wrote %s (summary.yaml, steps.csv, linkload.png)\n", out)
	if c.Bool("sanafe") {
		dir := filepath.Join(out, "sanafe")
		if err := writeSANAFE(dir, g, base, in); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (arch.yaml, snn.yaml): sim arch.yaml snn.yaml %d\n", dir, backends.SANAFETimesteps(g))
	}

	var sweep []sim.NoCOverride
	var column string
	switch {
	case c.IsSet("sweep-bandwidth") && c.IsSet("sweep-buffer"):
		return fmt.Errorf("simulate: give --sweep-bandwidth or --sweep-buffer, not both")
	case c.IsSet("sweep-bandwidth"):
		vals, err := parseFloats("--sweep-bandwidth", c.String("sweep-bandwidth"))
		if err != nil {
			return err
		}
		column = "link_bandwidth_gmsg_per_s"
		for _, v := range vals {
			sweep = append(sweep, sim.NoCOverride{LinkBandwidthGMsgPerS: v})
		}
	case c.IsSet("sweep-buffer"):
		vals, err := parseFloats("--sweep-buffer", c.String("sweep-buffer"))
		if err != nil {
			return err
		}
		column = "link_buffer_depth_flits"
		for _, v := range vals {
			if v != float64(int(v)) || v < 1 {
				return fmt.Errorf("simulate: --sweep-buffer value %g, want a whole number of flits >= 1", v)
			}
			sweep = append(sweep, sim.NoCOverride{LinkBufferDepthFlits: int(v)})
		}
	}
	if len(sweep) == 0 {
		return nil
	}
	var rows [][]string
	for _, o := range sweep {
		st, err := sim.WithNoC(t, o)
		if err != nil {
			return err
		}
		v := o.LinkBandwidthGMsgPerS
		name := fmt.Sprintf("bandwidth-%g", v)
		if o.LinkBufferDepthFlits > 0 {
			v = float64(o.LinkBufferDepthFlits)
			name = fmt.Sprintf("buffer-%d", o.LinkBufferDepthFlits)
		}
		s, err := runSim(c, g, st, in, filepath.Join(out, "sweep", name), name, errw)
		if err != nil {
			return err
		}
		rows = append(rows, sweepRow(v, s))
	}
	return writeSweep(filepath.Join(out, "sweep.csv"), stdout, column, rows)
}

// writeSANAFE writes the SANA-FE architecture and network files into dir.
func writeSANAFE(dir string, g *ir.Graph, t *backends.Target, in *simInputs) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	var opt backends.SANAFEOptions
	if g.Encoding == ir.Direct {
		x, err := in.get(0)
		if err != nil {
			return err
		}
		opt.Input = x
	}
	if err := writeWith(filepath.Join(dir, "arch.yaml"), func(w io.Writer) error { return backends.WriteSANAFEArch(w, t) }); err != nil {
		return err
	}
	return writeWith(filepath.Join(dir, "snn.yaml"), func(w io.Writer) error { return backends.WriteSANAFENetwork(w, g, t, opt) })
}

func parseFloats(flag, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("simulate: %s: %q is not a positive number", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// openSimInputs opens the data spec and checks its samples fit the graph.
func openSimInputs(c *cli.Context, g *ir.Graph) (*simInputs, error) {
	n := c.Int("images")
	shape := g.Input().Shape
	if c.String("data") == "synthetic" {
		rng := rand.New(rand.NewPCG(c.Uint64("seed"), 0x5eed))
		size := shape.Len()
		if g.Encoding == ir.Frames {
			size *= g.T
		}
		inputs := make([][]float32, n)
		for i := range inputs {
			inputs[i] = make([]float32, size)
			for j := range inputs[i] {
				inputs[i][j] = rng.Float32()
			}
		}
		return &simInputs{n: n, get: func(i int) ([]float32, error) { return inputs[i], nil },
			label: func(int) int { return -1 }, close: func() error { return nil }}, nil
	}
	split, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return nil, err
	}
	set, err := dataset.Open(c.Context, c.String("data"), dataset.Options{T: g.T, Size: shape.H})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*simInputs, error) { set.Close(); return nil, err }
	if set.C != shape.C || set.H != shape.H || set.W != shape.W {
		return fail(fmt.Errorf("simulate: %s samples are %dx%dx%d, the graph %s wants input %dx%dx%d", set.Name, set.C, set.H, set.W, g.Name, shape.C, shape.H, shape.W))
	}
	if (set.Kind == dataset.Events) != (g.Encoding == ir.Frames) {
		return fail(fmt.Errorf("simulate: %s is a %v dataset but graph %s uses %v encoding", set.Name, set.Kind, g.Name, g.Encoding))
	}
	if set.Kind == dataset.Events && set.T != g.T {
		return fail(fmt.Errorf("simulate: %s has %d frames per sample, graph %s runs %d timesteps", set.Name, set.T, g.Name, g.T))
	}
	if have := set.Len(split); n > have {
		return fail(fmt.Errorf("simulate: --images %d, but the %v split of %s has %d", n, split, set.Name, have))
	}
	buf := make([]float32, set.SampleLen())
	get := func(i int) ([]float32, error) { return set.Input(split, i, buf) }
	return &simInputs{n: n, get: get, label: func(i int) int { return set.Label(split, i) }, close: set.Close}, nil
}

// runSim simulates every input on t and writes the outputs into dir.
func runSim(c *cli.Context, g *ir.Graph, t *backends.Target, in *simInputs, dir, desc string, errw io.Writer) (*sim.Summary, error) {
	s, err := sim.New(g, t)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	csvFile, err := os.Create(filepath.Join(dir, "steps.csv"))
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	defer csvFile.Close()
	steps := sim.NewStepCSV(csvFile)
	sum := sim.NewSummary(s)
	var bar *progressbar.ProgressBar
	if !c.Bool("quiet") {
		bar = progressbar.NewOptions(in.n, progressbar.OptionSetWriter(errw), progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"),
			progressbar.OptionClearOnFinish())
	}
	for i := 0; i < in.n; i++ {
		if err := c.Context.Err(); err != nil {
			return nil, err
		}
		x, err := in.get(i)
		if err != nil {
			return nil, err
		}
		r, err := s.Run(x, nil)
		if err != nil {
			return nil, fmt.Errorf("simulate: image %d: %w", i, err)
		}
		sum.Add(r, in.label(i))
		if err := steps.Write(i, r); err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		if bar != nil {
			bar.Add(1)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if err := steps.Flush(); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if err := csvFile.Close(); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if err := writeWith(filepath.Join(dir, "summary.yaml"), sum.WriteYAML); err != nil {
		return nil, err
	}
	if err := writeWith(filepath.Join(dir, "linkload.png"), func(w io.Writer) error { return sim.WriteHeatmap(w, s) }); err != nil {
		return nil, err
	}
	return sum, nil
}

func writeWith(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	return nil
}

func printSummary(w io.Writer, s *sim.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := s.PerImage
	fmt.Fprintf(tw, "network\t%s on %s (%d neurons, %d synapses, %d cores on %d tiles)\n", s.Graph, s.Chip, s.Neurons, s.Synapses, s.CoresUsed, s.TilesUsed)
	fmt.Fprintf(tw, "images\t%d x %d timesteps\n", s.Images, s.Timesteps)
	if s.Labeled > 0 {
		fmt.Fprintf(tw, "on-chip accuracy\t%.2f%% (%d/%d)\n", 100*s.Accuracy, s.Correct, s.Labeled)
	}
	fmt.Fprintf(tw, "per image\tspikes %d, messages %d, hops %d, synops %d\n", p.Spikes, p.Messages, p.Hops, p.SynOps)
	fmt.Fprintf(tw, "latency\t%.3f us per image (compute %.3f us, barriers %.3f us)\n", p.LatencyNs/1e3, p.ComputeNs/1e3, p.BarrierNs/1e3)
	fmt.Fprintf(tw, "energy\t%.3f uJ per image: synapse %.3f, neuron %.3f, network %.3f, static %.3f\n",
		p.Energy.Total()/1e6, p.Energy.SynapsePJ/1e6, p.Energy.NeuronPJ/1e6, p.Energy.NetworkPJ/1e6, p.Energy.StaticPJ/1e6)
	fmt.Fprintf(tw, "congestion\tlink utilisation mean %.4f max %.4f, max buffer %d, delivered/offered %.4f, dropped %d\n",
		s.Total.LinkUtilMean, s.Total.LinkUtilMax, s.Total.MaxBufferOccupancy, s.DeliveredRatio, s.Total.Dropped)
	sc := s.StallCyclesPerImage
	fmt.Fprintf(tw, "stalls per image\tlink busy %.0f ns (%.0f cycles), buffer full %.0f ns (%.0f), injection %.0f ns (%.0f), core busy %.0f ns (%.0f)\n",
		p.Stalls.LinkBusyNs, sc.LinkBusyNs, p.Stalls.BufferFullNs, sc.BufferFullNs, p.Stalls.InjectionNs, sc.InjectionNs, p.Stalls.CoreBusyNs, sc.CoreBusyNs)
	tw.Flush()
	for _, n := range s.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

var sweepHeader = []string{"latency_per_image_us", "compute_per_image_us", "energy_per_image_uj", "network_energy_per_image_uj",
	"mean_message_latency_ns", "link_util_mean", "link_util_max", "max_buffer_occupancy", "stall_link_busy_ns", "stall_buffer_full_ns",
	"stall_injection_ns", "delivered_ratio", "dropped", "accuracy"}

func sweepRow(v float64, s *sim.Summary) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	p := s.PerImage
	return []string{f(v), f(s.LatencyPerImageUs), f(p.ComputeNs / 1e3), f(s.EnergyPerImageUJ), f(p.Energy.NetworkPJ / 1e6),
		f(s.MeanMessageLatencyNs), f(s.Total.LinkUtilMean), f(s.Total.LinkUtilMax), strconv.Itoa(s.Total.MaxBufferOccupancy),
		f(p.Stalls.LinkBusyNs), f(p.Stalls.BufferFullNs), f(p.Stalls.InjectionNs), f(s.DeliveredRatio),
		strconv.FormatInt(s.Total.Dropped, 10), f(s.Accuracy)}
}

func writeSweep(path string, stdout io.Writer, column string, rows [][]string) error {
	header := append([]string{column}, sweepHeader...)
	err := writeWith(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(header)
		cw.WriteAll(rows)
		return cw.Error()
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tlatency/img us\tmsg latency ns\tlink util max\tstall link ns\tstall buffer ns\tdelivered\t\n", column)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r[0], r[1], r[5], r[7], r[9], r[10], r[12])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if k := sweepKnee(rows); k != "" {
		fmt.Fprintln(stdout, k)
	}
	return nil
}

// sweepKnee describes where the latency per image leaves the best value
// by more than 5%, scanning the swept values from the most generous (the
// largest bandwidth or buffer) down.
func sweepKnee(rows [][]string) string {
	type pt struct{ v, lat float64 }
	var pts []pt
	best := math.Inf(1)
	for _, r := range rows {
		v, err1 := strconv.ParseFloat(r[0], 64)
		lat, err2 := strconv.ParseFloat(r[1], 64)
		if err1 != nil || err2 != nil {
			return ""
		}
		pts = append(pts, pt{v, lat})
		best = min(best, lat)
	}
	slices.SortFunc(pts, func(a, b pt) int { return cmp.Compare(b.v, a.v) })
	for i, p := range pts {
		if p.lat > 1.05*best {
			if i == 0 {
				return fmt.Sprintf("congestion knee: even at %g the latency per image is %.2fx the best", p.v, p.lat/best)
			}
			return fmt.Sprintf("congestion knee: latency per image within 5%% of the best down to %g; at %g it is %.2fx", pts[i-1].v, p.v, p.lat/best)
		}
	}
	return fmt.Sprintf("congestion knee: none in the swept range (latency per image within 5%% of the best down to %g)", pts[len(pts)-1].v)
}
