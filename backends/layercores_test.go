package backends

import (
	"strings"
	"testing"
)

var memoryCases = []struct {
	cIn, cOut, kH, kW, h, w int
	kernel, neuron          int
}{
	{1, 1, 1, 1, 1, 1, 1, 1},
	{2, 8, 3, 3, 64, 64, 2 << (4 + 3), 8 << (6 + 6)},        // 9 -> 16 kernel slots
	{16, 10, 5, 5, 33, 20, 16 << (5 + 4), 10 << (6 + 5)},    // 25 -> 32, 10 -> 16, 33 -> 64, 20 -> 32
	{64, 64, 3, 3, 16, 16, 64 << (4 + 6), 64 << (4 + 4)},    // 65536, 16384
	{3, 1024, 16, 16, 1, 1, 3 << (8 + 10), 1024 << (0 + 0)}, // largest kernel and channel count
}

func TestMemoryFormulas(t *testing.T) {
	for _, tc := range memoryCases {
		if got := KernelMemoryEntries(tc.cIn, tc.cOut, tc.kH, tc.kW); got != tc.kernel {
			t.Errorf("KernelMemoryEntries(%d, %d, %d, %d) = %d, want %d", tc.cIn, tc.cOut, tc.kH, tc.kW, got, tc.kernel)
		}
		if got := NeuronMemoryEntries(tc.cOut, tc.h, tc.w); got != tc.neuron {
			t.Errorf("NeuronMemoryEntries(%d, %d, %d) = %d, want %d", tc.cOut, tc.h, tc.w, got, tc.neuron)
		}
	}
}

var layerCases = []struct {
	name  string
	core  int
	shape LayerShape
	want  []string // fragments of the error; nil = fits
}{
	{"fits big-kernel core", 5, LayerShape{InC: 64, InH: 32, InW: 32, OutC: 64, OutH: 16, OutW: 16, KernelH: 3, KernelW: 3, Destinations: 1}, nil},
	{"kernel memory too small", 0, LayerShape{InC: 64, InH: 32, InW: 32, OutC: 64, OutH: 16, OutW: 16, KernelH: 3, KernelW: 3, Destinations: 1},
		[]string{"core 0: kernel memory entries: got 65536, want <= 16384"}},
	{"neuron memory too small", 5, LayerShape{InC: 2, InH: 64, InW: 64, OutC: 8, OutH: 64, OutW: 64, KernelH: 3, KernelW: 3, Destinations: 1},
		[]string{"neuron memory entries: got 32768, want <= 16384"}},
	{"input too large and three destinations", 0, LayerShape{InC: 2, InH: 256, InW: 128, OutC: 4, OutH: 64, OutW: 64, KernelH: 3, KernelW: 3, Destinations: 3},
		[]string{"input height: got 256, want <= 128", "destination layers: got 3, want <= 2"}},
	{"zero channels", 0, LayerShape{InC: 0, InH: 8, InW: 8, OutC: 4, OutH: 8, OutW: 8, KernelH: 3, KernelW: 3},
		[]string{"input channels: got 0, want >= 1"}},
}

func TestCheckLayer(t *testing.T) {
	tg := mustLookup(t, "speck")
	for _, tc := range layerCases {
		t.Run(tc.name, func(t *testing.T) {
			err := tg.CheckLayer(tc.core, tc.shape)
			if tc.want == nil {
				if err != nil {
					t.Errorf("CheckLayer = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckLayer = nil, want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckLayer = %q, want it to contain %q", err, w)
				}
			}
		})
	}
	if err := mustLookup(t, "loihi1").CheckLayer(0, layerCases[0].shape); err == nil {
		t.Errorf("CheckLayer on loihi1 = nil, want an error (no layer cores)")
	}
}

func TestSpeckCapacities(t *testing.T) {
	tg := mustLookup(t, "speck")
	wantNeurons := []int{65536, 65536, 65536, 32768, 32768, 16384, 16384, 16384, 16384}
	wantKernelBytes := []int{16384, 16384, 16384, 32768, 32768, 65536, 65536, 16384, 16384} // 8-bit weights
	for c := range tg.NumCores {
		if got := tg.NeuronCapacity(c); got != wantNeurons[c] {
			t.Errorf("NeuronCapacity(%d) = %d, want %d", c, got, wantNeurons[c])
		}
		if got := tg.SynapticMemoryBytes(c); got != wantKernelBytes[c] {
			t.Errorf("SynapticMemoryBytes(%d) = %d, want %d", c, got, wantKernelBytes[c])
		}
	}
}
