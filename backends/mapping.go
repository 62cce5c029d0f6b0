package backends

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/ir"
)

// MappingVersion is the version of the mapping directory format this
// package writes and reads.
const MappingVersion = 1

// Files of a mapping directory. The compiled graph itself is ir.GraphFile
// and ir.WeightsFile, written by ir.WriteDir.
const (
	MappingFile     = "mapping.yaml"
	MappingJSONFile = "mapping.json"
	SummaryFile     = "summary.yaml"
	RoutesFile      = "routes.yaml"
)

// Mapping is the contents of mapping.yaml: which neurons each core holds,
// on which target. It is derived from the compiled graph's
// Population.Core and stored next to the graph so that a reader can check
// the two agree and a person can read the layout without the graph.
type Mapping struct {
	// Version is MappingVersion.
	Version int `yaml:"version" json:"version"`
	// Graph is the compiled graph's name; GraphFile the file holding it.
	Graph     string `yaml:"graph" json:"graph"`
	GraphFile string `yaml:"graph_file" json:"graph_file"`
	// Target is the profile name; Profile the full profile compiled for,
	// embedded so that the directory is self-contained.
	Target  string  `yaml:"target" json:"target"`
	Profile Profile `yaml:"profile" json:"-"`
	// CoresUsed is len(Cores); Neurons the neurons mapped.
	CoresUsed int `yaml:"cores_used" json:"cores_used"`
	Neurons   int `yaml:"neurons" json:"neurons"`
	// Cores lists every core that holds neurons, by increasing id.
	Cores []CoreMapping `yaml:"cores" json:"cores"`
}

// CoreMapping is one used core.
type CoreMapping struct {
	// Core is the core id; Chip, X, Y, Slot where it sits (see Coord).
	Core int `yaml:"core" json:"core"`
	Chip int `yaml:"chip" json:"chip"`
	X    int `yaml:"x" json:"x"`
	Y    int `yaml:"y" json:"y"`
	Slot int `yaml:"slot" json:"slot"`
	// Neurons is the number of neurons on the core.
	Neurons int `yaml:"neurons" json:"neurons"`
	// Fragments lists, per population with neurons here, which ones.
	Fragments []FragmentRef `yaml:"fragments" json:"fragments"`
}

// FragmentRef names the neurons of one population on one core.
type FragmentRef struct {
	// Pop is the population name.
	Pop string `yaml:"pop" json:"pop"`
	// Neurons is how many of its neurons the core holds.
	Neurons int `yaml:"neurons" json:"neurons"`
	// Ranges are half-open runs [start, end) of flat (C,H,W) neuron
	// indices, increasing and disjoint.
	Ranges [][2]int `yaml:"ranges,flow" json:"ranges"`
}

// NewMapping derives the mapping of g, whose non-input populations must
// all carry Population.Core with valid core ids of t.
func NewMapping(g *ir.Graph, t *Target) (*Mapping, error) {
	m := &Mapping{Version: MappingVersion, Graph: g.Name, GraphFile: ir.GraphFile, Target: t.Name(), Profile: t.Profile}
	byCore := map[int]*CoreMapping{}
	for i, p := range g.Pops {
		if i == 0 {
			continue
		}
		if len(p.Core) != p.Shape.Len() {
			return nil, fmt.Errorf("backends: mapping of %s: layer %s has %d core entries, want %d (run the place pass)", g.Name, p.Name, len(p.Core), p.Shape.Len())
		}
		for j, c := range p.Core {
			if !t.ValidCore(int(c)) {
				return nil, fmt.Errorf("backends: mapping of %s: layer %s neuron %d on core %d, want 0..%d", g.Name, p.Name, j, c, t.NumCores-1)
			}
			cm := byCore[int(c)]
			if cm == nil {
				cc := t.CoreCoord(int(c))
				cm = &CoreMapping{Core: int(c), Chip: cc.Chip, X: cc.X, Y: cc.Y, Slot: cc.Slot}
				byCore[int(c)] = cm
			}
			cm.Neurons++
			m.Neurons++
			fr := len(cm.Fragments) - 1
			if fr < 0 || cm.Fragments[fr].Pop != p.Name {
				cm.Fragments = append(cm.Fragments, FragmentRef{Pop: p.Name})
				fr++
			}
			f := &cm.Fragments[fr]
			f.Neurons++
			if r := len(f.Ranges) - 1; r >= 0 && f.Ranges[r][1] == j {
				f.Ranges[r][1] = j + 1
			} else {
				f.Ranges = append(f.Ranges, [2]int{j, j + 1})
			}
		}
	}
	for _, cm := range byCore {
		m.Cores = append(m.Cores, *cm)
	}
	slices.SortFunc(m.Cores, func(a, b CoreMapping) int { return a.Core - b.Core })
	m.CoresUsed = len(m.Cores)
	return m, nil
}

// MappingExtras are optional documents written next to a mapping.
type MappingExtras struct {
	// Summary, if not nil, is marshalled to summary.yaml.
	Summary any
	// Routes, if not nil, is marshalled to routes.yaml.
	Routes any
}

// WriteMapping writes the mapping directory of the compiled graph g for t:
// graph.yaml + weights.bin (ir.WriteDir, which serialises the integer
// form and Population.Core), mapping.yaml (versioned, with the embedded
// profile), mapping.json (the same content as JSON, profile included),
// and the extras. Every file is written atomically.
func WriteMapping(dir string, g *ir.Graph, t *Target, x MappingExtras) error {
	m, err := NewMapping(g, t)
	if err != nil {
		return err
	}
	if err := ir.WriteDir(dir, g); err != nil {
		return fmt.Errorf("backends: write mapping: %w", err)
	}
	doc, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Errorf("backends: write mapping: %w", err)
	}
	head := fmt.Sprintf("# autosnn core mapping, format version %d: network %s on %s (%d cores used).\n", MappingVersion, g.Name, t.Name(), m.CoresUsed)
	if err := ir.WriteFileAtomic(filepath.Join(dir, MappingFile), append([]byte(head), doc...)); err != nil {
		return fmt.Errorf("backends: %w", err)
	}
	// JSON: the YAML document re-encoded, so the keys are the same.
	var generic any
	if err := yaml.Unmarshal(doc, &generic); err != nil {
		return fmt.Errorf("backends: write mapping json: %w", err)
	}
	js, err := json.Marshal(generic)
	if err != nil {
		return fmt.Errorf("backends: write mapping json: %w", err)
	}
	if err := ir.WriteFileAtomic(filepath.Join(dir, MappingJSONFile), append(js, '\n')); err != nil {
		return fmt.Errorf("backends: %w", err)
	}
	for _, f := range []struct {
		name string
		v    any
	}{{SummaryFile, x.Summary}, {RoutesFile, x.Routes}} {
		if f.v == nil {
			continue
		}
		b, err := yaml.Marshal(f.v)
		if err != nil {
			return fmt.Errorf("backends: write %s: %w", f.name, err)
		}
		if err := ir.WriteFileAtomic(filepath.Join(dir, f.name), b); err != nil {
			return fmt.Errorf("backends: %w", err)
		}
	}
	return nil
}

// ReadMapping reads a mapping directory written by WriteMapping and
// returns the compiled graph (with Population.Core and the integer form),
// the target rebuilt from the embedded profile, and the mapping. It checks
// the format version, validates the profile, and checks that the graph's
// core assignment agrees with mapping.yaml core by core.
func ReadMapping(dir string) (*ir.Graph, *Target, *Mapping, error) {
	path := filepath.Join(dir, MappingFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("backends: read mapping: %w", err)
	}
	var m Mapping
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, nil, nil, fmt.Errorf("backends: read %s: %w", path, err)
	}
	if m.Version != MappingVersion {
		return nil, nil, nil, fmt.Errorf("backends: read %s: version %d, want %d", path, m.Version, MappingVersion)
	}
	t, err := NewTarget(&m.Profile, path+"#profile")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("backends: read %s: %w", path, err)
	}
	if m.GraphFile != ir.GraphFile {
		return nil, nil, nil, fmt.Errorf("backends: read %s: graph_file %q, want %q", path, m.GraphFile, ir.GraphFile)
	}
	g, err := ir.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("backends: read mapping: %w", err)
	}
	got, err := NewMapping(g, t)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("backends: read %s: %w", path, err)
	}
	if err := sameMapping(got, &m); err != nil {
		return nil, nil, nil, fmt.Errorf("backends: read %s: %s disagrees with %s: %w", path, ir.GraphFile, MappingFile, err)
	}
	return g, t, &m, nil
}

// sameMapping compares the core contents of two mappings.
func sameMapping(got, want *Mapping) error {
	if got.Graph != want.Graph {
		return fmt.Errorf("graph %q, want %q", got.Graph, want.Graph)
	}
	if len(got.Cores) != len(want.Cores) {
		return fmt.Errorf("%d cores used, want %d", len(got.Cores), len(want.Cores))
	}
	for i := range got.Cores {
		a, b := &got.Cores[i], &want.Cores[i]
		if a.Core != b.Core || a.Neurons != b.Neurons || len(a.Fragments) != len(b.Fragments) {
			return fmt.Errorf("core %d holds %d neurons, want core %d with %d", a.Core, a.Neurons, b.Core, b.Neurons)
		}
		for k := range a.Fragments {
			fa, fb := &a.Fragments[k], &b.Fragments[k]
			if fa.Pop != fb.Pop || !slices.Equal(fa.Ranges, fb.Ranges) {
				return fmt.Errorf("core %d: fragment %d is %s %v, want %s %v", a.Core, k, fa.Pop, fa.Ranges, fb.Pop, fb.Ranges)
			}
		}
	}
	return nil
}

// IsMappingDir reports whether dir holds a mapping.yaml.
func IsMappingDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, MappingFile))
	return err == nil
}
