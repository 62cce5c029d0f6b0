package supernet

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/train"
)

// Export returns the weighted IR graph of path a: the plain network of
// a (frontend.Lower of Space().Spec(a)) carrying the super-network's
// inherited weights, batch-norm statistics and PLIF W of the shared layers
// and of a's candidate at every position. It is what the compiler compiles
// when a searched candidate is deployed without retraining, and it computes
// exactly what Forward computes on path a in evaluation mode.
func (s *SuperNet) Export(a search.Arch) (*ir.Graph, error) {
	if err := s.checkArch(a); err != nil {
		return nil, err
	}
	g, err := frontend.Lower(s.space.Spec(a))
	if err != nil {
		return nil, fmt.Errorf("supernet: export %s: %w", a.Key(), err)
	}
	// Every value is overwritten below; the seed only fills what nothing
	// overwrites, of which there is none (checked).
	net, err := train.BuildEnv(g, rand.New(rand.NewPCG(0, 0)), s.env)
	if err != nil {
		return nil, fmt.Errorf("supernet: export %s: %w", a.Key(), err)
	}
	defer net.Close()
	byName := map[string]*nn.Param{}
	for i, p := range s.params {
		if s.OnPath(i, a) {
			byName[s.pathName(p.Name)] = p
		}
	}
	for _, p := range s.buffers {
		if s.bufferOnPath(p.Name, a) {
			byName[s.pathName(p.Name)] = p
		}
	}
	for _, p := range append(append([]*nn.Param(nil), net.Params()...), net.Buffers()...) {
		q := byName[p.Name]
		if q == nil || len(q.Data) != len(p.Data) {
			return nil, fmt.Errorf("supernet: export %s: network tensor %s (%d values) has no super-network counterpart of that size", a.Key(), p.Name, len(p.Data))
		}
		copy(p.Data, q.Data)
	}
	out, err := net.Export()
	if err != nil {
		return nil, fmt.Errorf("supernet: export %s: %w", a.Key(), err)
	}
	out.Name = g.Name
	return out, nil
}

// pathName maps a super-network tensor name to the plain network's name:
// "blocks.<i>.<candidate>.rest" becomes "blocks.<i>.rest"; shared names
// are unchanged.
func (s *SuperNet) pathName(name string) string {
	parts := strings.SplitN(name, ".", 4)
	if len(parts) == 4 && parts[0] == "blocks" {
		for _, c := range s.space.Candidates {
			if parts[2] == c {
				return parts[0] + "." + parts[1] + "." + parts[3]
			}
		}
	}
	return name
}

// bufferOnPath reports whether the buffer named name belongs to path a
// (shared buffers belong to every path).
func (s *SuperNet) bufferOnPath(name string, a search.Arch) bool {
	parts := strings.SplitN(name, ".", 4)
	if len(parts) < 4 || parts[0] != "blocks" {
		return true
	}
	for pos, c := range a {
		if parts[1] == fmt.Sprint(pos) && parts[2] == s.space.Candidates[c] {
			return true
		}
	}
	return false
}
