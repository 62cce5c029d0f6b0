package main

// This file runs autosnn's simulator in chip semantics and derives its
// per-layer counts from the raster and the mapping.

import (
	"fmt"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/sim"
)

// layerCounts are the counts one layer's spikes cause: the spikes, the
// messages its neurons send (one per firing neuron and destination core),
// their hops and the synaptic events at the destinations.
type layerCounts struct {
	Spikes, Messages, Hops, SynEvents int64
}

// ourRun is one run of autosnn's simulator in chip semantics: the per-step
// stats, the per-population counts (index as g.Pops), the raster
// (population -> chip step -> firing neurons), and the time to build the
// simulator (loading) and to run the image without an observer.
type ourRun struct {
	Steps    []sim.Stats
	Total    sim.Stats
	Layers   []layerCounts
	Raster   []map[int][]int
	LoadTime time.Duration
	RunTime  time.Duration
	// RunCPU is the CPU time (user + system) of the fastest timed run.
	RunCPU time.Duration
}

// fanout is what one spike of each neuron of a population causes: synaptic
// events, messages and hops.
type fanout struct{ syn, msg, hops []int64 }

// neuronFanout returns the fanout of every neuron of population i of g on
// t, the way the simulator counts: one message per destination core, its
// hops by dimension-order routing.
func neuronFanout(g *ir.Graph, t *backends.Target, i int) fanout {
	p := g.Pops[i]
	n := p.Shape.Len()
	f := fanout{make([]int64, n), make([]int64, n), make([]int64, n)}
	out := g.Out(p)
	cores := map[int32]bool{}
	for j := range n {
		clear(cores)
		for _, e := range out {
			if e.Q != nil && e.Q.Host {
				continue
			}
			ir.SynapsesFrom(e, j, func(d, _ int) {
				f.syn[j]++
				cores[e.Dst.Core[d]] = true
			})
		}
		f.msg[j] = int64(len(cores))
		for c := range cores {
			f.hops[j] += int64(t.Hops(int(p.Core[j]), int(c)).Total())
		}
	}
	return f
}

// timedRuns is how many runs without an observer runOurs times.
const timedRuns = 5

// runOurs simulates input on g (placed for t) in chip semantics: once with
// an observer for the raster, then timedRuns times without for the time
// (RunTime is the fastest, RunCPU its CPU time).
func runOurs(g *ir.Graph, t *backends.Target, input []float32) (*ourRun, error) {
	start := time.Now()
	s, err := sim.NewWithOptions(g, t, sim.Options{Semantics: sim.Chip})
	if err != nil {
		return nil, err
	}
	r := &ourRun{LoadTime: time.Since(start), Raster: make([]map[int][]int, len(g.Pops)), Layers: make([]layerCounts, len(g.Pops))}
	for i := range r.Raster {
		r.Raster[i] = map[int][]int{}
	}
	res, err := s.Run(input, func(step, p int, out []float32) {
		if p == 0 {
			return
		}
		for j, v := range out {
			if v != 0 {
				r.Raster[p][step] = append(r.Raster[p][step], j)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	r.Steps, r.Total = res.Steps, res.Total
	// The fastest of timedRuns runs (a run of a small network takes tens of
	// ms, so one run is at the mercy of the machine's other load).
	for k := range timedRuns {
		start, cpu := time.Now(), cpuTime()
		res2, err := s.Run(input, nil)
		if err != nil {
			return nil, err
		}
		if wall := time.Since(start); k == 0 || wall < r.RunTime {
			r.RunTime, r.RunCPU = wall, cpuTime()-cpu
		}
		if res2.Total.SynOps != res.Total.SynOps || res2.Total.Spikes != res.Total.Spikes {
			return nil, fmt.Errorf("sanafecheck: two runs of the same input differ: %d/%d spikes, %d/%d synaptic events",
				res.Total.Spikes, res2.Total.Spikes, res.Total.SynOps, res2.Total.SynOps)
		}
	}
	for i := 1; i < len(g.Pops); i++ {
		f := neuronFanout(g, t, i)
		l := &r.Layers[i]
		for _, js := range r.Raster[i] {
			for _, j := range js {
				l.Spikes++
				l.SynEvents += f.syn[j]
				l.Messages += f.msg[j]
				l.Hops += f.hops[j]
			}
		}
	}
	return r, nil
}
