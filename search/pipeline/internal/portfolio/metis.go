package main

// Running gpmetis on a fragment graph.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/passes"
)

// metis partitions p into k parts with gpmetis k-way and objective obj
// (cut or vol), -ubvec set so that parts respect the neuron and synaptic
// memory limits on average, and returns the partition and gpmetis's
// user+sys CPU time.
func metis(p *passes.Problem, lim passes.Limits, k int, obj string, cfg config) (*passes.Partition, time.Duration, error) {
	file := filepath.Join(cfg.tmp, "problem.graph")
	var buf bytes.Buffer
	if err := backends.WriteMETIS(&buf, p.MetisGraph()); err != nil {
		return nil, 0, err
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return nil, 0, err
	}
	ubN, ubM := p.MetisUBVec(lim, k)
	ub := fmt.Sprintf("%.4f %.4f", min(ubN, 100), min(ubM, 100))
	cmd := exec.Command(cfg.gpmetis, "-ptype=kway", "-objtype="+obj, fmt.Sprintf("-seed=%d", cfg.seed), "-ubvec="+ub, file, fmt.Sprint(k))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	f, err := os.Open(fmt.Sprintf("%s.part.%d", file, k))
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	part, err := backends.ReadMETISPartition(f, len(p.Frags), k)
	if err != nil {
		return nil, 0, err
	}
	pt, err := p.ImportPartition(part, k)
	return pt, cpu, err
}
