package experiments

import (
	"fmt"
	"math"
	"strings"
)

// Run is the result of one stand-alone training run (one seed): trained
// on the protocol's training split, evaluated on the first EvalLimit test
// images after the last epoch, in eval mode.
type Run struct {
	Key  string `json:"key"`
	Seed uint64 `json:"seed"`
	// Setup is what the result depends on besides key, seed and epochs
	// (data, C, T, batch, lr, images, regulariser).
	Setup string `json:"setup"`
	// Blocks is the architecture (its block list), Macro its macro.
	Macro  string   `json:"macro"`
	Blocks []string `json:"blocks"`
	// Accuracy is the test accuracy (fraction), Spikes the paper-metric
	// spikes per image (neurons plus pooled maps, all T steps) and
	// NeuronSpikes the neuron-only count; Neurons and Params count the net.
	Accuracy     float64 `json:"accuracy"`
	Spikes       float64 `json:"spikes"`
	NeuronSpikes float64 `json:"neuron_spikes"`
	Neurons      int     `json:"neurons"`
	Params       int     `json:"params"`
	// TrainAccuracy and TrainLoss are the last epoch's (sampled images).
	TrainAccuracy float64 `json:"train_accuracy"`
	TrainLoss     float64 `json:"train_loss"`
	Epochs        int     `json:"epochs"`
	// Layers are the spikes per image and (PLIF) w of every neuron layer.
	Layers []Layer `json:"layers"`
	// Seconds is the wall time of the run: its training epochs in every
	// process that ran a part of them (the trainer's history) plus the
	// test evaluation. CPUSeconds is the user + system CPU time of every
	// process that worked on it (cpuTally; processes of a binary before
	// the tally count 0). Neither is part of the result's determinism.
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

// Layer is one neuron layer of a trained net.
type Layer struct {
	Name    string  `json:"name"`
	Neurons int     `json:"neurons"`
	Spikes  float64 `json:"spikes"`
	W       float64 `json:"w,omitempty"` // PLIF only: k = sigmoid(w)
}

// Stat is a mean and a sample standard deviation over seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	N    int     `json:"n"`
}

// stat returns the mean and the sample standard deviation of xs (0 for
// fewer than two values).
func stat(xs []float64) Stat {
	s := Stat{N: len(xs)}
	if len(xs) == 0 {
		return s
	}
	for _, x := range xs {
		s.Mean += x
	}
	s.Mean /= float64(len(xs))
	if len(xs) > 1 {
		var v float64
		for _, x := range xs {
			v += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(v / float64(len(xs)-1))
	}
	return s
}

// pct formats an accuracy stat in percent ("91.50 ± 0.31%").
func (s Stat) pct() string {
	if s.N == 0 {
		return "-"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.2f%%", 100*s.Mean)
	}
	return fmt.Sprintf("%.2f ± %.2f%%", 100*s.Mean, 100*s.Std)
}

// count formats a spike-count stat ("9,348 ± 120").
func (s Stat) count() string {
	if s.N == 0 {
		return "-"
	}
	if s.N == 1 {
		return group(s.Mean)
	}
	return group(s.Mean) + " ± " + group(s.Std)
}

// group formats a count rounded to an integer with thousands separators.
func group(v float64) string {
	neg := v < 0
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Row is one row of an experiment's table.
type Row struct {
	// Key identifies the row within its experiment (and names its files).
	Key string `json:"key"`
	// Cells are the values of the experiment's identifying columns.
	Cells []string `json:"cells"`
	// Runs are the stand-alone runs of the row, one per seed (none for a
	// row measured on the super-network only).
	Runs []Run `json:"runs,omitempty"`
	// Accuracy and Spikes summarise Runs, or hold the row's measurement
	// when it has no runs (N = 1).
	Accuracy Stat `json:"accuracy"`
	Spikes   Stat `json:"spikes"`
	// Extra holds more measured values, keyed by the experiment's Extra
	// column names.
	Extra map[string]string `json:"extra,omitempty"`
	// Paper is the paper's number(s) for the row ("" when it has none).
	Paper string `json:"paper"`
	// Seconds and CPUSeconds sum the row's runs' times (and its
	// super-network and search work when it has any).
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`

	inherited [2]float64 // Kendall tau: inherited-weight accuracy and spikes
}

// summarise fills Accuracy and Spikes from the runs and adds their times.
func (r *Row) summarise() {
	var acc, sp []float64
	for _, x := range r.Runs {
		acc = append(acc, x.Accuracy)
		sp = append(sp, x.Spikes)
		r.Seconds += x.Seconds
		r.CPUSeconds += x.CPUSeconds
	}
	r.Accuracy, r.Spikes = stat(acc), stat(sp)
}
