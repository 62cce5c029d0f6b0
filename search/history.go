package search

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// Pareto returns the indices of the records on the accuracy/spikes Pareto
// front (no other record has higher or equal accuracy with fewer or equal
// spikes and is strictly better in one), sorted by spikes.
func (h *History) Pareto() []int {
	idx := make([]int, len(h.Records))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := h.Records[idx[a]], h.Records[idx[b]]
		if ra.Spikes != rb.Spikes {
			return ra.Spikes < rb.Spikes
		}
		return ra.Acc > rb.Acc
	})
	var front []int
	best := -1.0
	for _, i := range idx {
		if h.Records[i].Acc > best {
			front = append(front, i)
			best = h.Records[i].Acc
		}
	}
	return front
}

// WriteCSV writes one row per evaluated architecture.
func (h *History) WriteCSV() ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"index", "round", "origin", "arch", "blocks", "accuracy", "spikes", "cost", "fitness", "best"})
	for i, r := range h.Records {
		w.Write([]string{strconv.Itoa(i), strconv.Itoa(r.Round), string(r.Origin), r.Arch.Key(), strings.Join(r.Blocks, " "),
			strconv.FormatFloat(r.Acc, 'g', -1, 64), strconv.FormatFloat(r.Spikes, 'g', -1, 64),
			strconv.FormatFloat(r.Cost, 'g', -1, 64), strconv.FormatFloat(r.Fitness, 'g', -1, 64), strconv.FormatBool(i == h.Best)})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// historyJSON is the JSON form of a History.
type historyJSON struct {
	Space   string       `json:"space"`
	Algo    string       `json:"algo"`
	Form    string       `json:"fitness_form"`
	Cost    string       `json:"cost"`
	Lambda  float64      `json:"lambda"`
	NAvg    float64      `json:"n_avg"`
	Best    int          `json:"best"`
	Pareto  []int        `json:"pareto"`
	Records []recordJSON `json:"records"`
}

type recordJSON struct {
	Round   int      `json:"round"`
	Origin  Origin   `json:"origin"`
	Arch    Arch     `json:"arch"`
	Blocks  []string `json:"blocks"`
	Acc     float64  `json:"accuracy"`
	Spikes  float64  `json:"spikes"`
	Cost    *float64 `json:"cost"` // null when infinite (the candidate does not fit the chip)
	Fitness float64  `json:"fitness"`
}

// MarshalJSON implements json.Marshaler.
func (h *History) MarshalJSON() ([]byte, error) {
	form := "power"
	if h.Fitness.Form == Linear {
		form = "linear"
	}
	cost := h.Fitness.CostName
	if cost == "" {
		cost = "spikes"
	}
	j := historyJSON{Space: h.Space, Algo: h.Algo, Form: form, Cost: cost, Lambda: h.Fitness.Lambda, NAvg: h.Fitness.NAvg, Best: h.Best, Pareto: h.Pareto()}
	for _, r := range h.Records {
		j.Records = append(j.Records, recordJSON{r.Round, r.Origin, r.Arch, r.Blocks, r.Acc, r.Spikes, FiniteOrNil(r.Cost), r.Fitness})
	}
	return json.MarshalIndent(j, "", "  ")
}

// FiniteOrNil returns &v, or nil for an infinite or NaN v, which JSON
// cannot hold.
func FiniteOrNil(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// WriteDir writes a search's results to dir: best.yaml (the best
// architecture as a spec, the input of `autosnn train`), history.csv,
// history.json and pareto.png. Files are written atomically.
func (h *History) WriteDir(dir string, space Space) error {
	if len(h.Records) == 0 {
		return fmt.Errorf("search: write %s: empty history", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("search: write results: %w", err)
	}
	best := h.BestRecord()
	spec := space.Spec(best.Arch)
	spec.Name = fmt.Sprintf("%s-%s-lambda%g", space.Name, h.Algo, h.Fitness.Lambda)
	y, err := frontend.MarshalSpec(spec)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# best of %d architectures (%s search, lambda %g): accuracy %.4f, spikes %.0f, fitness %.4f\n",
		len(h.Records), h.Algo, h.Fitness.Lambda, best.Acc, best.Spikes, best.Fitness)
	c, err := h.WriteCSV()
	if err != nil {
		return err
	}
	j, err := json.Marshal(h)
	if err != nil {
		return err
	}
	png, err := h.ParetoPNG(fmt.Sprintf("%s search on %s, lambda %g", h.Algo, space.Name, h.Fitness.Lambda))
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"best.yaml": append([]byte(header), y...), "history.csv": c, "history.json": j, "pareto.png": png} {
		if err := ir.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("search: %w", err)
		}
	}
	return nil
}
