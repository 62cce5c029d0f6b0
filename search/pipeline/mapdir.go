package pipeline

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/passes"
)

// Files of the mapping directory written next to backends.WriteMapping's.
const (
	// CoreGraphFile is the Graphviz core graph (cores and the spikes
	// between them).
	CoreGraphFile = "cores.dot"
	// MetisFile is the partitioning problem in METIS format (absent when
	// the compile built none).
	MetisFile = "problem.graph"
)

// MappingFiles lists the files of a mapping directory, in the order
// `autosnn compile` names them.
var MappingFiles = []string{ir.GraphFile, backends.MappingFile, backends.MappingJSONFile, backends.SummaryFile,
	backends.RoutesFile, CoreGraphFile, MetisFile}

// WriteMappingDir writes the mapping directory of a compiled unit: the
// placed integer graph and weights, mapping.yaml and mapping.json (with
// the chip profile), summary.yaml, routes.yaml (backends.WriteMapping),
// cores.dot and problem.graph. `autosnn simulate --mapping` and
// backends.ReadMapping read it; it is also a valid `autosnn compile --model`.
func WriteMappingDir(dir string, u *passes.Unit) error {
	if u.Report == nil || u.Report.Mapping == nil {
		return fmt.Errorf("pipeline: %s: no mapping to write (the compile stopped before verify)", dir)
	}
	if err := backends.WriteMapping(dir, u.G, u.Target, backends.MappingExtras{Summary: u.Report.Mapping, Routes: u.Layout.Routes}); err != nil {
		return err
	}
	a := passes.Analyze(u.G, u.Target)
	var dot bytes.Buffer
	if err := backends.WriteDOT(&dot, u.Target, passes.CoreGraph(u.G, u.Target, a)); err != nil {
		return err
	}
	if err := ir.WriteFileAtomic(filepath.Join(dir, CoreGraphFile), dot.Bytes()); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if u.Layout.Chosen != nil && u.Layout.Chosen.Problem != nil {
		var m bytes.Buffer
		if err := backends.WriteMETIS(&m, u.Layout.Chosen.Problem.MetisGraph()); err != nil {
			return err
		}
		if err := ir.WriteFileAtomic(filepath.Join(dir, MetisFile), m.Bytes()); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	return nil
}
