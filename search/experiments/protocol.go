package experiments

import (
	"fmt"
	"strings"

	"github.com/autosnn/autosnn/search"
)

// Protocol is the scale an experiment runs at: the stand-alone training
// recipe, the seeds, and the super-network and search sizes.
type Protocol struct {
	// Preset is the training recipe of every stand-alone (retraining) run;
	// its Data, C and T are also the super-networks'.
	Preset
	// Seeds are the seeds of the stand-alone runs (mean and std over them).
	Seeds []uint64
	// SupernetEpochs and SupernetLimit are the super-network's epochs and
	// D_train images per epoch (0: all); it trains with Preset's batch and LR.
	SupernetEpochs, SupernetLimit int
	// Evo is the search (Algorithm 1; Budget architectures per lambda).
	Evo search.EvoConfig
	// ValLimit is the D_val images a candidate is evaluated on (0: all);
	// EvalBatch the evaluation batch.
	ValLimit, EvalBatch int
	// Lambdas are the fitness exponents of Table 2.
	Lambdas []float64
	// RandomArchs is the number of random architectures trained alone
	// (Table 5, Kendall tau).
	RandomArchs int
}

// Protocols are the scales the CLI's --protocol names.
var Protocols = map[string]Protocol{
	// The paper: CIFAR-10 (the data path must be given), C = 16, T = 8,
	// 600 epochs each for the super-network and the retraining, full
	// D_val, Algorithm 1 with its budget of 200; 3 seeds.
	"paper": {Preset: withData(Presets["paper"], "cifar10", 16, "none: the paper's scale (give the data as --data cifar10:/path)"), Seeds: []uint64{1, 2, 3}, SupernetEpochs: 600,
		Evo: search.DefaultEvoConfig(), EvalBatch: 96, Lambdas: []float64{0, -0.08, -0.16, -0.24}, RandomArchs: 10},
	// The reduced protocol (the reduced preset, fewer epochs for the
	// super-network, 1,000 D_val images, a budget of 60 in 6 rounds of 10).
	"reduced": {Preset: Presets["reduced"], Seeds: []uint64{1, 2, 3}, SupernetEpochs: 5, SupernetLimit: 6000,
		Evo:      search.EvoConfig{Rounds: 6, Pool: 10, TopK: 5, Mutations: 5, Crossovers: 5, MutationProb: 0.2, Budget: 60, Seed: 1},
		ValLimit: 1000, EvalBatch: 64, Lambdas: []float64{0, -0.08, -0.16, -0.24}, RandomArchs: 10},
	// tiny runs every experiment end to end in seconds (tests, smoke runs):
	// MNIST, C = 2, T = 2, 64 images, a budget of 4.
	"tiny": {Preset: Preset{Name: "tiny", Data: "mnist", C: 2, T: 2, Epochs: 1, Batch: 16, LR: 1e-3, Limit: 64, EvalLimit: 32,
		Differs: "a smoke test: MNIST, C = 2, T = 2, one epoch of 64 images, 32 test images"},
		Seeds: []uint64{1, 2}, SupernetEpochs: 1, SupernetLimit: 64,
		Evo:      search.EvoConfig{Rounds: 2, Pool: 2, TopK: 2, Mutations: 1, Crossovers: 1, MutationProb: 0.2, Budget: 4, Seed: 1},
		ValLimit: 32, EvalBatch: 16, Lambdas: []float64{0, -0.24}, RandomArchs: 3},
}

func withData(p Preset, data string, c int, differs string) Preset {
	p.Data, p.C, p.Differs = data, c, differs
	return p
}

// LookupProtocol returns the protocol called name (a copy).
func LookupProtocol(name string) (Protocol, error) {
	p, ok := Protocols[name]
	if !ok {
		return Protocol{}, fmt.Errorf("experiments: protocol %q, want one of paper, reduced, tiny", name)
	}
	p.Seeds = append([]uint64(nil), p.Seeds...)
	p.Lambdas = append([]float64(nil), p.Lambdas...)
	return p, nil
}

// Validate checks the protocol.
func (p Protocol) Validate() error {
	var bad []string
	if p.Data == "" {
		bad = append(bad, "no data spec")
	}
	if p.C < 1 || p.T < 1 || p.Epochs < 1 || p.Batch < 1 || !(p.LR > 0) {
		bad = append(bad, fmt.Sprintf("C %d, T %d, epochs %d, batch %d, lr %g: want all >= 1 (lr > 0)", p.C, p.T, p.Epochs, p.Batch, p.LR))
	}
	if len(p.Seeds) == 0 {
		bad = append(bad, "no seeds")
	}
	if p.SupernetEpochs < 1 || p.EvalBatch < 1 || p.Evo.Budget < 1 || p.RandomArchs < 1 {
		bad = append(bad, fmt.Sprintf("supernet epochs %d, eval batch %d, search budget %d, random architectures %d: want all >= 1",
			p.SupernetEpochs, p.EvalBatch, p.Evo.Budget, p.RandomArchs))
	}
	if p.Limit < 0 || p.EvalLimit < 0 || p.SupernetLimit < 0 || p.ValLimit < 0 {
		bad = append(bad, "negative image limits")
	}
	if len(bad) > 0 {
		return fmt.Errorf("experiments: protocol %s: %s", p.Name, strings.Join(bad, "; "))
	}
	return nil
}
