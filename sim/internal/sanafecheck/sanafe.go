package main

// This file runs SANA-FE on an export and reads its outputs (perf.csv,
// spikes.csv, messages.csv, run_summary.yaml).

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sanafeStep is one row of SANA-FE's perf.csv (energies in J, time in s).
type sanafeStep struct {
	Step                                     int
	Fired, Updated, Packets, Hops, Spikes    int64
	SimTime                                  float64
	Synapse, Dendrite, Soma, Network, TotalJ float64
}

// sanafeRun is one SANA-FE run: per-step perf, per-group counts, its
// spikes (group -> step -> neuron indices), the simulation-loop wall time
// from run_summary.yaml (loading excluded), the whole command's wall time
// and CPU time, and its peak memory.
type sanafeRun struct {
	Steps       []sanafeStep
	Layers      map[string]*layerCounts
	Raster      map[string]map[int][]int
	LoopSeconds float64
	Wall        time.Duration
	CPU         time.Duration
	MaxRSSKB    int64
	// Load is the 1-, 5- and 15-minute load average before and after the
	// run ("unknown" where /proc/loadavg cannot be read).
	Load string
}

// runSANAFE runs bin in mode (simple, detailed, cycle) on the export in
// dir for steps timesteps under nice, writing its traces into dir.
func runSANAFE(bin, mode, dir string, steps int) (*sanafeRun, error) {
	args := []string{"-n", "10", bin, "-t", mode, "-s", "-p", "-m", "-o", dir,
		filepath.Join(dir, "arch.yaml"), filepath.Join(dir, "snn.yaml"), strconv.Itoa(steps)}
	cmd := exec.Command("nice", args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	loadBefore := loadAverage()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	load := loadBefore + " before, " + loadAverage() + " after"
	if err := os.WriteFile(filepath.Join(dir, "sanafe.log"), []byte(out.String()), 0o644); err != nil {
		return nil, err
	}
	if err != nil {
		tail := out.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, fmt.Errorf("sanafecheck: %s %s: %w\n%s", bin, strings.Join(args[3:], " "), err, tail)
	}
	r := &sanafeRun{Wall: wall, Load: load, Layers: map[string]*layerCounts{}, Raster: map[string]map[int][]int{}}
	if st := cmd.ProcessState; st != nil {
		r.CPU = st.UserTime() + st.SystemTime()
		r.MaxRSSKB = maxRSSKB(st)
	}
	if r.Steps, err = readPerf(filepath.Join(dir, "perf.csv")); err != nil {
		return nil, err
	}
	if err := r.readSpikes(filepath.Join(dir, "spikes.csv")); err != nil {
		return nil, err
	}
	if err := r.readMessages(filepath.Join(dir, "messages.csv")); err != nil {
		return nil, err
	}
	if r.LoopSeconds, err = readLoopSeconds(filepath.Join(dir, "run_summary.yaml")); err != nil {
		return nil, err
	}
	return r, nil
}

// layer returns the counts of group g: spikes from spikes.csv; messages,
// their hops and synaptic events (messages.csv's spikes column) from
// messages.csv.
func (r *sanafeRun) layer(g string) *layerCounts {
	l := r.Layers[g]
	if l == nil {
		l = &layerCounts{}
		r.Layers[g] = l
	}
	return l
}

// readCSV calls row for every data row of a CSV file, with the header's
// column indices.
func readCSV(path string, row func(col map[string]int, rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sanafecheck: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("sanafecheck: %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sanafecheck: %s: %w", path, err)
		}
		if err := row(col, rec); err != nil {
			return fmt.Errorf("sanafecheck: %s line %d: %w", path, line, err)
		}
	}
}

// field returns column name of rec, or an error naming it.
func field(col map[string]int, rec []string, name string) (string, error) {
	i, ok := col[name]
	if !ok || i >= len(rec) {
		return "", fmt.Errorf("no column %q", name)
	}
	return strings.TrimSpace(rec[i]), nil
}

func intField(col map[string]int, rec []string, name string) (int64, error) {
	s, err := field(col, rec, name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("column %s: %w", name, err)
	}
	return v, nil
}

func floatField(col map[string]int, rec []string, name string) (float64, error) {
	s, err := field(col, rec, name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("column %s: %w", name, err)
	}
	return v, nil
}

func readPerf(path string) ([]sanafeStep, error) {
	var steps []sanafeStep
	err := readCSV(path, func(col map[string]int, rec []string) error {
		var s sanafeStep
		var err error
		ints := []struct {
			name string
			dst  *int64
		}{{"fired", &s.Fired}, {"updated", &s.Updated}, {"packets", &s.Packets}, {"hops", &s.Hops}, {"spikes", &s.Spikes}}
		for _, f := range ints {
			if *f.dst, err = intField(col, rec, f.name); err != nil {
				return err
			}
		}
		step, err := intField(col, rec, "timestep")
		if err != nil {
			return err
		}
		s.Step = int(step)
		floats := []struct {
			name string
			dst  *float64
		}{{"sim_time", &s.SimTime}, {"synapse_energy", &s.Synapse}, {"dendrite_energy", &s.Dendrite},
			{"soma_energy", &s.Soma}, {"network_energy", &s.Network}, {"total_energy", &s.TotalJ}}
		for _, f := range floats {
			if *f.dst, err = floatField(col, rec, f.name); err != nil {
				return err
			}
		}
		steps = append(steps, s)
		return nil
	})
	return steps, err
}

// splitNeuron splits SANA-FE's "group.index".
func splitNeuron(s string) (string, int, error) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", 0, fmt.Errorf("neuron %q: want group.index", s)
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return "", 0, fmt.Errorf("neuron %q: %w", s, err)
	}
	return s[:i], n, nil
}

func (r *sanafeRun) readSpikes(path string) error {
	return readCSV(path, func(col map[string]int, rec []string) error {
		nv, err := field(col, rec, "neuron")
		if err != nil {
			return err
		}
		g, n, err := splitNeuron(nv)
		if err != nil {
			return err
		}
		ts, err := intField(col, rec, "timestep")
		if err != nil {
			return err
		}
		r.layer(g).Spikes++
		if r.Raster[g] == nil {
			r.Raster[g] = map[int][]int{}
		}
		r.Raster[g][int(ts)] = append(r.Raster[g][int(ts)], n)
		return nil
	})
}

func (r *sanafeRun) readMessages(path string) error {
	return readCSV(path, func(col map[string]int, rec []string) error {
		// SANA-FE writes a placeholder message (destination x.x) for the
		// time a core spends after its last message; it is not a message.
		if d, err := field(col, rec, "dest_hw"); err != nil || d == "x.x" {
			return err
		}
		nv, err := field(col, rec, "src_neuron")
		if err != nil {
			return err
		}
		g, _, err := splitNeuron(nv)
		if err != nil {
			return err
		}
		hops, err := intField(col, rec, "hops")
		if err != nil {
			return err
		}
		syn, err := intField(col, rec, "spikes")
		if err != nil {
			return err
		}
		l := r.layer(g)
		l.Messages++
		l.Hops += hops
		l.SynEvents += syn
		return nil
	})
}

// readLoopSeconds sums the wall_time section of run_summary.yaml: the
// simulation loop (neuron and message processing, scheduler, energy),
// without loading the files.
func readLoopSeconds(path string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("sanafecheck: %w", err)
	}
	in, sum, found := false, 0.0, false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "wall_time:") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "  ") {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		// setup is not initialised at this SANA-FE commit (8951ab0 prints
		// 7e10 s); it is the per-step buffer clearing, negligible.
		if !ok || strings.TrimSpace(k) == "setup" {
			continue
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, fmt.Errorf("sanafecheck: %s: %q: %w", path, line, err)
		}
		sum += x
		found = true
	}
	if !found {
		return 0, fmt.Errorf("sanafecheck: %s: no wall_time section", path)
	}
	return sum, nil
}

// loadAverage returns the machine's 1-, 5- and 15-minute load average from
// /proc/loadavg (Linux), or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
