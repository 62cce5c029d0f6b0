package sim

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
)

// AddLinkLoad adds load (messages per mesh link, as LinkLoad returns it)
// to the link counts of s, as if s had run the images that produced it.
// A simulation run in shards on other Sims (a fleet of workers) is merged
// into one this way: Summary's link utilisation, LinkLoad and
// WriteHeatmap then count every shard's traffic. It returns an error,
// changing nothing, when load names a link the mesh of s does not have.
func (s *Sim) AddLinkLoad(load map[backends.Link]int64) error {
	idx := make(map[backends.Link]int, s.nLinks)
	for r, rt := range s.routers {
		for d := 0; d < numDirs; d++ {
			if rt.nbr[d] >= 0 {
				idx[backends.Link{X: int(rt.x), Y: int(rt.y), Dir: backends.Direction(d), InterChip: rt.inter[d]}] = r*s.nports + d
			}
		}
	}
	for l, c := range load {
		if _, ok := idx[l]; !ok || c < 0 {
			return fmt.Errorf("sim: link load: %v with %d messages is not a link of %s's %d x %d mesh", l, c, s.t.Name(), s.t.MeshWidth, s.t.MeshHeight)
		}
	}
	for l, c := range load {
		s.linkTotal[idx[l]] += c
	}
	return nil
}
