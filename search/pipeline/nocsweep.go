package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// SweepFile is the table a NoC sweep writes; SweepDir holds one simulation
// directory per swept value.
const (
	SweepFile = "sweep.csv"
	SweepDir  = "sweep"
)

// NoCSweep is one NoC parameter and the values a simulation is rerun with.
type NoCSweep struct {
	// Column names the parameter with its unit (the first column of
	// sweep.csv).
	Column string
	// Values are the swept values; Overrides the NoC override of each;
	// Names the sub-directory of each run.
	Values    []float64
	Overrides []sim.NoCOverride
	Names     []string
}

// BandwidthSweep sweeps the link bandwidth over gmsgPerS (Gmsg/s, each > 0).
func BandwidthSweep(gmsgPerS []float64) (NoCSweep, error) {
	sw := NoCSweep{Column: "link_bandwidth_gmsg_per_s"}
	for _, v := range gmsgPerS {
		if !(v > 0) || math.IsInf(v, 0) {
			return sw, fmt.Errorf("pipeline: link bandwidth %g Gmsg/s, want a positive number", v)
		}
		sw.Values = append(sw.Values, v)
		sw.Overrides = append(sw.Overrides, sim.NoCOverride{LinkBandwidthGMsgPerS: v})
		sw.Names = append(sw.Names, fmt.Sprintf("bandwidth-%g", v))
	}
	return sw, nil
}

// BufferSweep sweeps the link buffer depth over flits (whole numbers >= 1).
func BufferSweep(flits []float64) (NoCSweep, error) {
	sw := NoCSweep{Column: "link_buffer_depth_flits"}
	for _, v := range flits {
		if v != float64(int(v)) || v < 1 {
			return sw, fmt.Errorf("pipeline: buffer depth %g, want a whole number of flits >= 1", v)
		}
		sw.Values = append(sw.Values, v)
		sw.Overrides = append(sw.Overrides, sim.NoCOverride{LinkBufferDepthFlits: int(v)})
		sw.Names = append(sw.Names, fmt.Sprintf("buffer-%d", int(v)))
	}
	return sw, nil
}

// SweepTable is a NoC sweep's outcome: one row per value, the columns of
// SweepHeader after Column.
type SweepTable struct {
	Column string
	Rows   [][]string
}

// SweepHeader are the columns of sweep.csv after the swept parameter.
var SweepHeader = []string{"latency_per_image_us", "compute_per_image_us", "energy_per_image_uj", "network_energy_per_image_uj",
	"mean_message_latency_ns", "link_util_mean", "link_util_max", "max_buffer_occupancy", "stall_link_busy_ns", "stall_buffer_full_ns",
	"stall_injection_ns", "delivered_ratio", "dropped", "accuracy"}

// RunNoCSweep simulates src on t once per value of sw and writes each
// run's directory to dir/sweep/<name> and the table to dir/sweep.csv.
func RunNoCSweep(ctx context.Context, g *ir.Graph, t *backends.Target, src Source, sw NoCSweep, dir string, opt SimOptions) (*SweepTable, error) {
	tab := &SweepTable{Column: sw.Column}
	for i, o := range sw.Overrides {
		st, err := sim.WithNoC(t, o)
		if err != nil {
			return nil, err
		}
		opt.Desc = sw.Names[i]
		r, err := Simulate(ctx, g, st, src, opt)
		if err != nil {
			return nil, err
		}
		if err := r.WriteDir(filepath.Join(dir, SweepDir, sw.Names[i])); err != nil {
			return nil, err
		}
		tab.Rows = append(tab.Rows, sweepRow(sw.Values[i], r.Sim))
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(append([]string{tab.Column}, SweepHeader...))
	cw.WriteAll(tab.Rows)
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if err := writeFiles(dir, map[string][]byte{SweepFile: b.Bytes()}); err != nil {
		return nil, err
	}
	return tab, nil
}

func sweepRow(v float64, s *sim.Summary) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	p := s.PerImage
	return []string{f(v), f(s.LatencyPerImageUs), f(p.ComputeNs / 1e3), f(s.EnergyPerImageUJ), f(p.Energy.NetworkPJ / 1e6),
		f(s.MeanMessageLatencyNs), f(s.Total.LinkUtilMean), f(s.Total.LinkUtilMax), strconv.Itoa(s.Total.MaxBufferOccupancy),
		f(p.Stalls.LinkBusyNs), f(p.Stalls.BufferFullNs), f(p.Stalls.InjectionNs), f(s.DeliveredRatio),
		strconv.FormatInt(s.Total.Dropped, 10), f(s.Accuracy)}
}

// WriteText prints the table's main columns and its congestion knee.
func (t *SweepTable) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tlatency/img us\tmsg latency ns\tlink util max\tstall link ns\tstall buffer ns\tdelivered\t\n", t.Column)
	for _, r := range t.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r[0], r[1], r[5], r[7], r[9], r[10], r[12])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if k := SweepKnee(t.Rows); k != "" {
		_, err := fmt.Fprintln(w, k)
		return err
	}
	return nil
}

// SweepKnee describes where the latency per image (column 1) leaves the
// best value by more than 5%, scanning the swept values (column 0) from
// the most generous (the largest bandwidth or buffer) down.
func SweepKnee(rows [][]string) string {
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
	if len(pts) == 0 {
		return ""
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
