package backends

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
)

func mustLookup(t *testing.T, name string) *Target {
	t.Helper()
	tg, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// tiny-2chip: 2 x 1 chips of 2 x 2 tiles x 2 cores. Global tile mesh 4 x 2:
//
//	y=1 | cores 2,3 | 6,7   || 10,11 | 14,15
//	y=0 | cores 0,1 | 4,5   ||  8,9  | 12,13
//	       x=0        x=1      x=2     x=3     (chip boundary between x=1, x=2)
var coordCases = []struct {
	core int
	want Coord
}{
	{0, Coord{Chip: 0, ChipX: 0, ChipY: 0, Tile: 0, LocalTile: 0, X: 0, Y: 0, Slot: 0}},
	{3, Coord{Chip: 0, Tile: 1, LocalTile: 1, X: 0, Y: 1, Slot: 1}},
	{4, Coord{Chip: 0, Tile: 2, LocalTile: 2, X: 1, Y: 0, Slot: 0}},
	{9, Coord{Chip: 1, ChipX: 1, Tile: 4, LocalTile: 0, X: 2, Y: 0, Slot: 1}},
	{15, Coord{Chip: 1, ChipX: 1, Tile: 7, LocalTile: 3, X: 3, Y: 1, Slot: 1}},
}

func TestCoreCoordTwoChips(t *testing.T) {
	tg := mustLookup(t, "tiny-2chip")
	if tg.NumCores != 16 || tg.NumChips != 2 || tg.MeshWidth != 4 || tg.MeshHeight != 2 {
		t.Fatalf("cores %d chips %d mesh %dx%d, want 16, 2, 4x2", tg.NumCores, tg.NumChips, tg.MeshWidth, tg.MeshHeight)
	}
	for _, tc := range coordCases {
		if diff := cmp.Diff(tc.want, tg.CoreCoord(tc.core)); diff != "" {
			t.Errorf("CoreCoord(%d) (-want +got):\n%s", tc.core, diff)
		}
	}
}

var routeCases = []struct {
	name     string
	routing  string
	src, dst int
	want     string // links in order
	hops     HopCounts
	energyPJ float64 // message_out 8 + EW 2 + NS 3 + inter-chip 10 per hop; within tile 1
	latNs    float64 // out 1 + in 1 + EW 1 + NS 2 + inter-chip 20 per hop; within tile 0.5
}{
	{"same core", RoutingXY, 5, 5, "", HopCounts{}, 8 + 1, 2.5},
	{"same tile", RoutingXY, 4, 5, "", HopCounts{}, 8 + 1, 2.5},
	{"one hop north", RoutingXY, 0, 2, "(0,0)N", HopCounts{North: 1}, 8 + 3, 2 + 2},
	{"one hop east", RoutingXY, 1, 4, "(0,0)E", HopCounts{East: 1}, 8 + 2, 2 + 1},
	{"across chips xy", RoutingXY, 0, 15, "(0,0)E (1,0)E* (2,0)E (3,0)N",
		HopCounts{East: 3, North: 1, InterChipEW: 1}, 8 + 2*2 + 3 + 10, 2 + 2*1 + 2 + 20},
	{"across chips back", RoutingXY, 15, 0, "(3,1)W (2,1)W* (1,1)W (0,1)S",
		HopCounts{West: 3, South: 1, InterChipEW: 1}, 8 + 2*2 + 3 + 10, 2 + 2*1 + 2 + 20},
	{"across chips yx", RoutingYX, 0, 15, "(0,0)N (0,1)E (1,1)E* (2,1)E",
		HopCounts{East: 3, North: 1, InterChipEW: 1}, 8 + 2*2 + 3 + 10, 2 + 2*1 + 2 + 20},
	{"chip 1 only", RoutingXY, 8, 14, "(2,0)E (3,0)N", HopCounts{East: 1, North: 1}, 8 + 2 + 3, 2 + 1 + 2},
}

func TestRouteTwoChips(t *testing.T) {
	for _, tc := range routeCases {
		t.Run(tc.name, func(t *testing.T) {
			base := mustLookup(t, "tiny-2chip")
			p := base.Profile
			p.NoC.Routing = tc.routing
			tg, err := NewTarget(&p, "test")
			if err != nil {
				t.Fatal(err)
			}
			var links []string
			for _, l := range tg.Route(tc.src, tc.dst) {
				links = append(links, l.String())
			}
			if got := strings.Join(links, " "); got != tc.want {
				t.Errorf("Route(%d, %d) = %q, want %q", tc.src, tc.dst, got, tc.want)
			}
			if diff := cmp.Diff(tc.hops, tg.Hops(tc.src, tc.dst)); diff != "" {
				t.Errorf("Hops(%d, %d) (-want +got):\n%s", tc.src, tc.dst, diff)
			}
			if got := tg.MessageEnergyPJ(tc.src, tc.dst); math.Abs(got-tc.energyPJ) > 1e-12 {
				t.Errorf("MessageEnergyPJ(%d, %d) = %g, want %g", tc.src, tc.dst, got, tc.energyPJ)
			}
			if got := tg.MessageLatencyNs(tc.src, tc.dst); math.Abs(got-tc.latNs) > 1e-12 {
				t.Errorf("MessageLatencyNs(%d, %d) = %g, want %g", tc.src, tc.dst, got, tc.latNs)
			}
		})
	}
}

// TestYXVariantContract runs the contract suite on a YX-routed board.
func TestYXVariantContract(t *testing.T) {
	p := mustLookup(t, "tiny-2chip").Profile
	p.NoC.Routing = RoutingYX
	p.Mesh.ChipsY = 2
	tg, err := NewTarget(&p, "yx")
	if err != nil {
		t.Fatal(err)
	}
	if tg.NumCores != 32 || tg.MeshWidth != 4 || tg.MeshHeight != 4 {
		t.Fatalf("cores %d mesh %dx%d, want 32, 4x4", tg.NumCores, tg.MeshWidth, tg.MeshHeight)
	}
	checkTarget(t, tg)
}

var syncCases = []struct {
	chip  string
	tiles int
	want  float64
}{
	{"loihi1-sanafe", 0, 0},
	{"loihi1-sanafe", 1, 600},
	{"loihi1-sanafe", 2, 1000},
	{"loihi1-sanafe", 3, 1000 + 400*math.Log2(1.5)},
	{"loihi1-sanafe", 4, 1400},
	{"loihi1-sanafe", 8, 1400 + 400*1/math.Log2(29.0/4)},
	{"loihi1-sanafe", 29, 1800},
	{"loihi1-sanafe", 32, 1800 + 400*math.Log2(32.0/29)/math.Log2(29.0/4)}, // extrapolated
	{"loihi1", 1, 113},
	{"loihi1", 32, 465},
	{"loihi1", 4, 113 + 352*2.0/5},
	{"tiny", 2, 150}, // log2: half way from 1 to 4 tiles
	{"truenorth", 100, 0},
	{"speck", 1, 0},
}

func TestSyncNs(t *testing.T) {
	for _, tc := range syncCases {
		tg := mustLookup(t, tc.chip)
		if got := tg.SyncNs(tc.tiles); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: SyncNs(%d) = %g, want %g", tc.chip, tc.tiles, got, tc.want)
		}
	}
}

func TestSyncNsLinear(t *testing.T) {
	p := mustLookup(t, "tiny").Profile
	p.Sync.Interpolation = InterpLinear
	tg, err := NewTarget(&p, "linear")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tiles int
		want  float64
	}{{1, 100}, {2, 100 + 100.0/3}, {4, 200}, {7, 300}} {
		if got := tg.SyncNs(tc.tiles); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("linear SyncNs(%d) = %g, want %g", tc.tiles, got, tc.want)
		}
	}
}

func TestSynOpEnergyPJ(t *testing.T) {
	sanafe := mustLookup(t, "loihi1-sanafe")
	loihi := mustLookup(t, "loihi1")
	for _, tc := range []struct {
		tg   *Target
		k    Connectivity
		want float64
	}{
		{sanafe, Dense, 35.5}, {sanafe, Sparse, 33.6}, {sanafe, Conv, 24.0},
		{loihi, Dense, 23.6}, {loihi, Sparse, 23.6}, {loihi, Conv, 23.6},
	} {
		if got := tc.tg.SynOpEnergyPJ(tc.k); got != tc.want {
			t.Errorf("%s SynOpEnergyPJ(%d) = %g, want %g", tc.tg.Name(), tc.k, got, tc.want)
		}
	}
}

func TestOutOfRangeCorePanics(t *testing.T) {
	tg := mustLookup(t, "tiny")
	for _, f := range []func(){
		func() { tg.CoreCoord(8) },
		func() { tg.Route(0, -1) },
		func() { tg.MessageEnergyPJ(99, 0) },
		func() { tg.NeuronCapacity(8) },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), "out of range") {
					t.Errorf("recover() = %v, want an out-of-range panic", r)
				}
			}()
			f()
		}()
	}
}

func TestConnectivityOf(t *testing.T) {
	for _, tc := range []struct {
		op   ir.Op
		want Connectivity
		name string
	}{
		{ir.Conv2D, Conv, "conv"}, {ir.Dense, Dense, "dense"}, {ir.AvgPool, Sparse, "sparse"},
		{ir.SumPool, Sparse, "sparse"}, {ir.MaxPool, Sparse, "sparse"}, {ir.Identity, Sparse, "sparse"},
	} {
		if got := ConnectivityOf(tc.op); got != tc.want || got.String() != tc.name {
			t.Errorf("ConnectivityOf(%v) = %v, want %v", tc.op, got, tc.name)
		}
	}
}
