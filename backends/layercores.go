package backends

import (
	"fmt"
	"math/bits"
	"strings"
)

// ceilLog2 returns the smallest e with 2^e >= n, for n >= 1.
func ceilLog2(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// KernelMemoryEntries returns the kernel-memory entries a DYNAP-CNN layer
// core needs for a convolution with cIn input channels, cOut output channels
// and a kH x kW kernel:
//
//	cIn * 2^(ceil(log2(kH*kW)) + ceil(log2(cOut)))
//
// (each input channel addresses a power-of-two block of kernel positions
// times output channels). All arguments must be >= 1.
func KernelMemoryEntries(cIn, cOut, kH, kW int) int {
	return cIn << (ceilLog2(kH*kW) + ceilLog2(cOut))
}

// NeuronMemoryEntries returns the neuron-memory entries a DYNAP-CNN layer
// core needs for cOut output channels of h x w neurons:
//
//	cOut * 2^(ceil(log2(h)) + ceil(log2(w)))
//
// All arguments must be >= 1.
func NeuronMemoryEntries(cOut, h, w int) int {
	return cOut << (ceilLog2(h) + ceilLog2(w))
}

// LayerShape is one convolution layer as a layer core sees it.
type LayerShape struct {
	// InC, InH, InW are the input channels, height and width.
	InC, InH, InW int
	// OutC, OutH, OutW are the output channels, height and width (before
	// the core's optional sum pooling).
	OutC, OutH, OutW int
	// KernelH, KernelW are the kernel size.
	KernelH, KernelW int
	// Destinations is how many layers the layer's output feeds.
	Destinations int
}

// CheckLayer reports whether layer s fits layer core core, as one error
// listing every violated limit ("core 3: kernel memory: got 20480 entries,
// want <= 16384; ..."), or nil. It returns an error for targets without
// layer cores and panics if core is out of range.
func (t *Target) CheckLayer(core int, s LayerShape) error {
	t.mustCore(core)
	lc := t.Profile.LayerCores
	if lc == nil {
		return fmt.Errorf("backends: %s has no layer cores", t.Profile.Name)
	}
	var errs []string
	bad := func(what string, got, limit int) {
		if got > limit {
			errs = append(errs, fmt.Sprintf("%s: got %d, want <= %d", what, got, limit))
		}
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"input channels", s.InC}, {"input height", s.InH}, {"input width", s.InW}, {"output channels", s.OutC},
		{"output height", s.OutH}, {"output width", s.OutW}, {"kernel height", s.KernelH}, {"kernel width", s.KernelW}} {
		if d.v < 1 {
			errs = append(errs, fmt.Sprintf("%s: got %d, want >= 1", d.name, d.v))
		}
	}
	if len(errs) == 0 {
		bad("input height", s.InH, lc.MaxInputHeight)
		bad("input width", s.InW, lc.MaxInputWidth)
		bad("output height", s.OutH, lc.MaxOutputHeight)
		bad("output width", s.OutW, lc.MaxOutputWidth)
		bad("input channels", s.InC, lc.MaxChannels)
		bad("output channels", s.OutC, lc.MaxChannels)
		bad("kernel height", s.KernelH, lc.MaxKernelSize)
		bad("kernel width", s.KernelW, lc.MaxKernelSize)
		bad("destination layers", s.Destinations, lc.MaxDestinationLayers)
		bad("kernel memory entries", KernelMemoryEntries(s.InC, s.OutC, s.KernelH, s.KernelW), lc.KernelMemoryEntries[core])
		bad("neuron memory entries", NeuronMemoryEntries(s.OutC, s.OutH, s.OutW), lc.NeuronMemoryEntries[core])
		bad("bias entries", s.OutC, lc.BiasMemoryEntries)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("backends: %s: core %d: %s", t.Profile.Name, core, strings.Join(errs, "; "))
}
