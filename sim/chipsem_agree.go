package sim

// This file measures how far the chip's time semantics agrees with the
// trained one on the same inputs: predictions, and spikes lined up by each
// population's depth.

import (
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/ir"
)

// Agreement compares runs of one graph in Trained and in Chip semantics,
// image by image: ObserveTrained sees the Trained run of an image,
// ObserveChip the Chip run of the same image, then AddImage tallies it.
//
// Spikes are lined up per population: step t of the Trained run is step
// t + depth - 1 of the Chip run (depth from Depths), over the T steps of
// the Trained run (the aligned window). A Chip spike outside its
// population's window (a population still integrating its bias or leak
// after its last input, in the fill-out steps) is counted in ChipAfter,
// not as a disagreement.
type Agreement struct {
	// Images is the number of images compared; PredictionsEqual those
	// whose predicted class is the same in both semantics.
	Images           int `yaml:"images"`
	PredictionsEqual int `yaml:"predictions_equal"`
	// Labeled counts the images with a label; TrainedCorrect and
	// ChipCorrect those predicted right in each semantics.
	Labeled        int `yaml:"labeled"`
	TrainedCorrect int `yaml:"trained_correct"`
	ChipCorrect    int `yaml:"chip_correct"`
	// All populations: spikes in both runs at the same neuron and aligned
	// step (Matched), in the Trained run only, in the Chip run only (both
	// inside the window), and Chip spikes outside the window.
	Matched     int64 `yaml:"spikes_matched"`
	TrainedOnly int64 `yaml:"spikes_trained_only"`
	ChipOnly    int64 `yaml:"spikes_chip_only"`
	ChipAfter   int64 `yaml:"chip_spikes_after_window"`
	// The same for the output population (whose window is the voted
	// steps).
	OutMatched     int64 `yaml:"output_matched"`
	OutTrainedOnly int64 `yaml:"output_trained_only"`
	OutChipOnly    int64 `yaml:"output_chip_only"`

	g     *ir.Graph
	depth []int
	// seen[p][t*n+j] is 1 when neuron j of population p fired at step t of
	// the current image's Trained run.
	seen [][]uint8
}

// NewAgreement returns an empty comparison for g (a compiled graph, with
// the delays the Chip run will use).
func NewAgreement(g *ir.Graph) *Agreement {
	a := &Agreement{g: g, seen: make([][]uint8, len(g.Pops))}
	_, a.depth = ir.Depths(g, true)
	for p := 1; p < len(g.Pops); p++ {
		a.seen[p] = make([]uint8, g.T*g.Pops[p].Shape.Len())
	}
	return a
}

// ObserveTrained is the StepFunc of the Trained run of an image.
func (a *Agreement) ObserveTrained(t, p int, out []float32) {
	if p == 0 || t >= a.g.T {
		return
	}
	row := a.seen[p][t*len(out) : (t+1)*len(out)]
	for j, s := range out {
		if s != 0 {
			row[j] = 1
		}
	}
}

// ObserveChip is the StepFunc of the Chip run of the same image.
func (a *Agreement) ObserveChip(t, p int, out []float32) {
	if p == 0 {
		return
	}
	s := t - (a.depth[p] - 1)
	isOut := p == len(a.g.Pops)-1
	if s < 0 || s >= a.g.T {
		for _, v := range out {
			if v != 0 {
				a.ChipAfter++
			}
		}
		return
	}
	row := a.seen[p][s*len(out) : (s+1)*len(out)]
	for j, v := range out {
		tr, ch := row[j] != 0, v != 0
		switch {
		case tr && ch:
			a.Matched++
			if isOut {
				a.OutMatched++
			}
		case tr:
			a.TrainedOnly++
			if isOut {
				a.OutTrainedOnly++
			}
		case ch:
			a.ChipOnly++
			if isOut {
				a.OutChipOnly++
			}
		}
		row[j] = 0 // consumed: the next image starts clean
	}
}

// AddImage tallies the predictions of one image's two runs; label < 0
// means unlabelled. Call it after both runs, which clears the recorded
// Trained spikes the Chip run did not consume.
func (a *Agreement) AddImage(trained, chip ImageResult, label int) {
	a.Images++
	if trained.Predicted == chip.Predicted {
		a.PredictionsEqual++
	}
	if label >= 0 {
		a.Labeled++
		if trained.Predicted == label {
			a.TrainedCorrect++
		}
		if chip.Predicted == label {
			a.ChipCorrect++
		}
	}
	for _, s := range a.seen {
		clear(s)
	}
}

// SpikeAgreement returns Matched / (Matched + TrainedOnly + ChipOnly), the
// fraction of the aligned spikes of either run that both runs fire (1
// when neither fires).
func (a *Agreement) SpikeAgreement() float64 {
	return jaccard(a.Matched, a.TrainedOnly, a.ChipOnly)
}

// OutputAgreement is SpikeAgreement over the output population.
func (a *Agreement) OutputAgreement() float64 {
	return jaccard(a.OutMatched, a.OutTrainedOnly, a.OutChipOnly)
}

func jaccard(both, onlyA, onlyB int64) float64 {
	if n := both + onlyA + onlyB; n > 0 {
		return float64(both) / float64(n)
	}
	return 1
}

// String summarises the comparison on a few lines.
func (a *Agreement) String() string {
	s := fmt.Sprintf("trained vs chip semantics over %d images: predictions equal %.2f%% (%d/%d)\n",
		a.Images, agreePct(a.PredictionsEqual, a.Images), a.PredictionsEqual, a.Images)
	if a.Labeled > 0 {
		s += fmt.Sprintf("accuracy: trained %.2f%% (%d/%d), chip %.2f%% (%d/%d)\n",
			agreePct(a.TrainedCorrect, a.Labeled), a.TrainedCorrect, a.Labeled, agreePct(a.ChipCorrect, a.Labeled), a.ChipCorrect, a.Labeled)
	}
	s += fmt.Sprintf("spikes aligned by depth: %.4f agree (%d both, %d trained only, %d chip only; %d chip spikes after the window); output layer %.4f (%d, %d, %d)\n",
		a.SpikeAgreement(), a.Matched, a.TrainedOnly, a.ChipOnly, a.ChipAfter, a.OutputAgreement(), a.OutMatched, a.OutTrainedOnly, a.OutChipOnly)
	return s
}

func agreePct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// WriteYAML writes the counts and the fractions derived from them.
func (a *Agreement) WriteYAML(w io.Writer) error {
	doc := struct {
		Counts             *Agreement `yaml:",inline"`
		PredictionsEqualFr float64    `yaml:"predictions_equal_fraction"`
		TrainedAccuracy    float64    `yaml:"trained_accuracy"`
		ChipAccuracy       float64    `yaml:"chip_accuracy"`
		SpikeAgreement     float64    `yaml:"spike_agreement"`
		OutputAgreement    float64    `yaml:"output_spike_agreement"`
	}{a, agreePct(a.PredictionsEqual, a.Images) / 100, agreePct(a.TrainedCorrect, a.Labeled) / 100,
		agreePct(a.ChipCorrect, a.Labeled) / 100, a.SpikeAgreement(), a.OutputAgreement()}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("sim: agreement: %w", err)
	}
	return enc.Close()
}

// Merge adds the counts of b, a comparison of other images of the same
// graph (another worker's), to a. The counts are integers, so merging in
// any order gives the same totals.
func (a *Agreement) Merge(b *Agreement) error {
	if b.g != a.g {
		return fmt.Errorf("sim: agreement: merging a comparison of %s into one of %s", b.g.Name, a.g.Name)
	}
	a.AddCounts(b)
	return nil
}

// AddCounts adds the counts of b to a without checking that both compare
// the same graph: for a b decoded from another process (a shard's
// result), which carries its counts but no graph.
func (a *Agreement) AddCounts(b *Agreement) {
	a.Images += b.Images
	a.PredictionsEqual += b.PredictionsEqual
	a.Labeled += b.Labeled
	a.TrainedCorrect += b.TrainedCorrect
	a.ChipCorrect += b.ChipCorrect
	a.Matched += b.Matched
	a.TrainedOnly += b.TrainedOnly
	a.ChipOnly += b.ChipOnly
	a.ChipAfter += b.ChipAfter
	a.OutMatched += b.OutMatched
	a.OutTrainedOnly += b.OutTrainedOnly
	a.OutChipOnly += b.OutChipOnly
}
