package pipeline

import (
	"fmt"
	"time"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
)

// The up-front time estimate of train and supernet: CPU time per image
// from a two-term model fitted to measured runs, divided by the workers.
// It is a rough figure (the batch size, the machine and its load all move
// the real rate), printed as "about ..." in the commands' first line.

// cpuPerSynapseStep and cpuPerNeuronStep are the CPU seconds one training
// image costs per explicit synapse and per neuron (relays included) per
// timestep, fitted to training autosnn on 960 MNIST images at C=4, 8 and 16
// (3.7, 6.4 and 14.6 CPU-s beyond the process's start, batch 96, T=8, two
// workers, load average 6-7; docs/performance.md, "Memory estimates"): the
// model is within 20% of the three runs. evalCost is the cost of an
// evaluation image relative to a training image (the inference over
// training speed of the engine benchmark, 5-7x).
const (
	cpuPerSynapseStep = 1.9e-11
	cpuPerNeuronStep  = 2.1e-8
	evalCost          = 1.0 / 5
	// supernetCost is the super-network's CPU per image over the model's
	// for the sampled path: 2.4 in one run (snn1, C=8, 960 MNIST images:
	// 14.4 CPU-s, the model 6.0), the cost of switching paths.
	supernetCost = 2.4
)

// imageCPU is the CPU seconds of training one image through g.
func imageCPU(g *ir.Graph) float64 {
	c := ir.Count(g)
	return float64(max(g.T, 1)) * (cpuPerSynapseStep*float64(c.Synapses) + cpuPerNeuronStep*float64(c.Neurons+c.RelayNeurons))
}

// TrainTime estimates the wall time of training g on trainImages images
// and evaluating it on evalImages images (both summed over the epochs)
// with workers workers (>= 1).
func TrainTime(g *ir.Graph, trainImages, evalImages int64, workers int) time.Duration {
	return wall(imageCPU(g)*(float64(trainImages)+evalCost*float64(evalImages)), workers)
}

// SupernetTime estimates the wall time of training the super-network of
// space on trainImages images (summed over the epochs) with workers
// workers: every step trains one sampled path, counted as the mean cost
// of the uniform architectures (one candidate at every position) times
// supernetCost.
func SupernetTime(space search.Space, trainImages int64, workers int) (time.Duration, error) {
	var sum float64
	for c := range space.Candidates {
		a := make(search.Arch, space.Positions)
		for i := range a {
			a[i] = c
		}
		g, err := frontend.Lower(space.Spec(a))
		if err != nil {
			return 0, fmt.Errorf("pipeline: time estimate of space %s: %w", space.Name, err)
		}
		sum += imageCPU(g)
	}
	return wall(supernetCost*sum/float64(len(space.Candidates))*float64(trainImages), workers), nil
}

// wall is cpu seconds spread over workers, as a duration (capped at 1e9 s).
func wall(cpu float64, workers int) time.Duration {
	return time.Duration(min(cpu/float64(max(workers, 1)), 1e9) * float64(time.Second))
}

// FormatEstimate prints an estimated duration at a precision that does not
// claim more than the estimate knows: seconds under a minute, minutes
// under two hours, hours under four days, days beyond.
func FormatEstimate(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", max(d.Seconds(), 1))
	case d < 2*time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	case d < 96*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}
