package backends_test

import (
	"fmt"

	"github.com/autosnn/autosnn/backends"
)

// A message from core 0 to core 15 of the two-chip test board travels east
// three hops (one of them crosses the chip boundary) and north one hop.
func ExampleTarget_Route() {
	tg, err := backends.Lookup("tiny-2chip")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tg.Route(0, 15))
	h := tg.Hops(0, 15)
	fmt.Printf("hops: %d east, %d north, %d inter-chip\n", h.East, h.North, h.InterChip())
	fmt.Printf("energy: %g pJ, zero-load latency: %g ns\n", tg.MessageEnergyPJ(0, 15), tg.MessageLatencyNs(0, 15))
	// Output:
	// [(0,0)E (1,0)E* (2,0)E (3,0)N]
	// hops: 3 east, 1 north, 1 inter-chip
	// energy: 25 pJ, zero-load latency: 26 ns
}

// The barrier cost of SANA-FE's Loihi model for 8 tiles, interpolated in
// log2(tiles) between the table points 4 and 29.
func ExampleTarget_SyncNs() {
	tg, err := backends.Lookup("loihi1-sanafe")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.1f ns\n", tg.SyncNs(8))
	// Output:
	// 1540.0 ns
}

// Whether a 3x3 convolution from 64 to 64 channels with a 16x16 output fits
// Speck's layer cores 0 and 5.
func ExampleTarget_CheckLayer() {
	tg, err := backends.Lookup("speck")
	if err != nil {
		fmt.Println(err)
		return
	}
	layer := backends.LayerShape{InC: 64, InH: 32, InW: 32, OutC: 64, OutH: 16, OutW: 16, KernelH: 3, KernelW: 3, Destinations: 1}
	fmt.Println(tg.CheckLayer(0, layer))
	fmt.Println(tg.CheckLayer(5, layer))
	// Output:
	// backends: speck: core 0: kernel memory entries: got 65536, want <= 16384
	// <nil>
}
