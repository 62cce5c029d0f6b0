package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/autosnn/autosnn/ir/cpuclock"
)

// cpuTally carries a resumable run's CPU time across the processes that
// train it, in the file next to its checkpoint (KEY-sSEED.cpu): the
// trainer's checkpoint keeps each epoch's wall time but not its CPU time,
// and its format is frozen.
type cpuTally struct {
	path  string
	prior float64 // CPU seconds of earlier processes
	cpu0  float64 // this process's CPU time when it started on the run
}

// openCPUTally starts the tally of the run checkpointed at ckpt; resumed
// says whether the run continues from a checkpoint (a fresh run starts at
// 0 whatever an earlier file says). An unreadable file is an error naming
// it.
func openCPUTally(ckpt string, resumed bool) (*cpuTally, error) {
	t := &cpuTally{path: ckpt + ".cpu", cpu0: cpuclock.Seconds()}
	if !resumed {
		return t, nil
	}
	data, err := os.ReadFile(t.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return t, nil // checkpointed by a binary without the tally: earlier CPU unknown, counted 0
	case err != nil:
		return nil, fmt.Errorf("experiments: %w", err)
	}
	var v struct {
		CPUSeconds float64 `json:"cpu_seconds"`
	}
	if err := json.Unmarshal(data, &v); err != nil || v.CPUSeconds < 0 {
		return nil, fmt.Errorf("experiments: %s: want {\"cpu_seconds\": N >= 0}: %v", t.path, err)
	}
	t.prior = v.CPUSeconds
	return t, nil
}

// seconds returns the run's CPU seconds so far, every process's.
func (t *cpuTally) seconds() float64 { return t.prior + cpuclock.Seconds() - t.cpu0 }

// save records seconds() in the tally's file; called after every epoch
// (a process stopped between an epoch's record and its checkpoint counts
// that epoch's CPU twice).
func (t *cpuTally) save() error {
	return writeJSON(t.path, map[string]float64{"cpu_seconds": t.seconds()})
}
