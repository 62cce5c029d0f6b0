package sim

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
)

// NoCOverride replaces NoC parameters of a chip profile, for sweeps that
// show where congestion sets in. Zero values (nil pointers) keep the
// profile's value.
type NoCOverride struct {
	// LinkBandwidthGMsgPerS is the bandwidth of every link, inter-chip
	// links included, in messages per ns.
	LinkBandwidthGMsgPerS float64
	// LinkBufferDepthFlits is the router input buffer depth in flits.
	LinkBufferDepthFlits int
	// OverflowPolicy is backends.OverflowBackpressure or OverflowDrop.
	OverflowPolicy string
	// MessageMode is backends.MessagePerCore or MessageMulticastTree.
	MessageMode string
	// DropWaitNs, if not nil, replaces NoC.DropWaitNs: how long (ns) a
	// message blocked by a full buffer waits before it is dropped under
	// the drop policy; 0 drops at once. When nil and OverflowPolicy
	// switches to backpressure, the profile's drop wait is cleared (it
	// means nothing on a lossless mesh).
	DropWaitNs *float64
}

// WithNoC returns a new Target: t's profile with the overridden NoC
// parameters, validated again (so a negative bandwidth is an error). The
// profile name gets a suffix saying what changed.
func WithNoC(t *backends.Target, o NoCOverride) (*backends.Target, error) {
	p := t.Profile
	p.Core.NeuronModels = append([]string(nil), p.Core.NeuronModels...)
	p.Sync.BarrierNs = append([]backends.SyncPoint(nil), p.Sync.BarrierNs...)
	if p.LayerCores != nil {
		lc := *p.LayerCores
		lc.KernelMemoryEntries = append([]int(nil), lc.KernelMemoryEntries...)
		lc.NeuronMemoryEntries = append([]int(nil), lc.NeuronMemoryEntries...)
		p.LayerCores = &lc
	}
	file := t.File
	if o.LinkBandwidthGMsgPerS != 0 {
		p.NoC.LinkBandwidthGMsgPerS = o.LinkBandwidthGMsgPerS
		p.NoC.InterChipLinkBandwidthGMsgPerS = 0 // every link, inter-chip ones too
		file += fmt.Sprintf(" (link bandwidth %g Gmsg/s)", o.LinkBandwidthGMsgPerS)
	}
	if o.LinkBufferDepthFlits != 0 {
		p.NoC.LinkBufferDepthFlits = o.LinkBufferDepthFlits
		file += fmt.Sprintf(" (buffer depth %d flits)", o.LinkBufferDepthFlits)
	}
	if o.OverflowPolicy != "" {
		p.NoC.OverflowPolicy = o.OverflowPolicy
		file += fmt.Sprintf(" (overflow %s)", o.OverflowPolicy)
	}
	switch {
	case o.DropWaitNs != nil:
		p.NoC.DropWaitNs = *o.DropWaitNs
		file += fmt.Sprintf(" (drop wait %g ns)", *o.DropWaitNs)
	case o.OverflowPolicy == backends.OverflowBackpressure:
		p.NoC.DropWaitNs = 0
	}
	if o.MessageMode != "" {
		p.NoC.MessageMode = o.MessageMode
		file += fmt.Sprintf(" (messages %s)", o.MessageMode)
	}
	nt, err := backends.NewTarget(&p, file)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	return nt, nil
}
