package backends

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestContract runs the same checks on every built-in profile (in the style
// of gonum's graph/testgraph): whatever a profile says, its Target must obey
// these invariants.
func TestContract(t *testing.T) {
	for _, name := range Builtins() {
		t.Run(name, func(t *testing.T) {
			tg, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			checkTarget(t, tg)
		})
	}
}

// checkTarget is the contract suite; tests that build their own profiles
// (e.g. the YX variant in target_test.go) run it too.
func checkTarget(t *testing.T, tg *Target) {
	t.Helper()
	p := tg.Profile
	t.Run("counts", func(t *testing.T) { contractCounts(t, tg) })
	t.Run("coordinates", func(t *testing.T) { contractCoordinates(t, tg) })
	t.Run("routes", func(t *testing.T) { contractRoutes(t, tg) })
	t.Run("sync", func(t *testing.T) { contractSync(t, tg) })
	t.Run("capacities", func(t *testing.T) { contractCapacities(t, tg) })
	t.Run("provenance", func(t *testing.T) {
		if p.Source == "" || p.Description == "" {
			t.Errorf("source %q, description %q: want both set", p.Source, p.Description)
		}
		if p.Energy.Basis != BasisMeasured && p.Energy.Notes == "" {
			t.Errorf("energy basis %q without energy.notes", p.Energy.Basis)
		}
		if strings.HasPrefix(tg.File, "builtin:") && strings.TrimSpace(p.Core.ConvWeightSharingSource) == "" {
			t.Errorf("core.conv_weight_sharing %v without core.conv_weight_sharing_source: want the citation", p.Core.ConvWeightSharing)
		}
	})
}

func contractCounts(t *testing.T, tg *Target) {
	m := tg.Profile.Mesh
	want := m.TilesX * m.TilesY * m.CoresPerTile * max(m.ChipsX, 1) * max(m.ChipsY, 1)
	if tg.NumCores != want {
		t.Errorf("NumCores = %d, want %d", tg.NumCores, want)
	}
	if tg.MeshWidth*tg.MeshHeight != tg.NumTiles {
		t.Errorf("mesh %d x %d != NumTiles %d", tg.MeshWidth, tg.MeshHeight, tg.NumTiles)
	}
	if tg.NumTiles*m.CoresPerTile != tg.NumCores {
		t.Errorf("NumTiles %d x CoresPerTile %d != NumCores %d", tg.NumTiles, m.CoresPerTile, tg.NumCores)
	}
	if tg.FlitsPerMessage() < 1 {
		t.Errorf("FlitsPerMessage() = %d, want >= 1", tg.FlitsPerMessage())
	}
}

// contractCoordinates checks that CoreCoord and CoreAt are inverse, that
// every (x, y, slot) holds exactly one core and that ids are consistent.
func contractCoordinates(t *testing.T, tg *Target) {
	m := tg.Profile.Mesh
	seen := make(map[[3]int]int, tg.NumCores)
	for c := 0; c < tg.NumCores; c++ {
		co := tg.CoreCoord(c)
		if co.X < 0 || co.X >= tg.MeshWidth || co.Y < 0 || co.Y >= tg.MeshHeight {
			t.Fatalf("core %d at (%d,%d), want inside %d x %d", c, co.X, co.Y, tg.MeshWidth, tg.MeshHeight)
		}
		if co.Chip < 0 || co.Chip >= tg.NumChips || co.Tile != c/m.CoresPerTile || co.Slot != c%m.CoresPerTile {
			t.Fatalf("core %d coord %+v inconsistent", c, co)
		}
		if co.X/m.TilesX != co.ChipX || co.Y/m.TilesY != co.ChipY {
			t.Fatalf("core %d at (%d,%d) says chip (%d,%d)", c, co.X, co.Y, co.ChipX, co.ChipY)
		}
		key := [3]int{co.X, co.Y, co.Slot}
		if prev, dup := seen[key]; dup {
			t.Fatalf("cores %d and %d share position %v", prev, c, key)
		}
		seen[key] = c
		back, ok := tg.CoreAt(co.X, co.Y, co.Slot)
		if !ok || back != c {
			t.Fatalf("CoreAt(%d,%d,%d) = %d, %v, want %d, true", co.X, co.Y, co.Slot, back, ok, c)
		}
	}
	for _, bad := range [][3]int{{-1, 0, 0}, {tg.MeshWidth, 0, 0}, {0, tg.MeshHeight, 0}, {0, 0, m.CoresPerTile}, {0, 0, -1}} {
		if _, ok := tg.CoreAt(bad[0], bad[1], bad[2]); ok {
			t.Errorf("CoreAt%v ok, want false", bad)
		}
	}
	if tg.ValidCore(-1) || tg.ValidCore(tg.NumCores) || !tg.ValidCore(tg.NumCores-1) {
		t.Errorf("ValidCore wrong at the edges of [0, %d)", tg.NumCores)
	}
}

// corePairs returns every pair for small targets and a fixed sample (corners
// plus pseudo-random pairs) for large ones.
func corePairs(tg *Target) [][2]int {
	n := tg.NumCores
	var pairs [][2]int
	if n <= 40 {
		for a := range n {
			for b := range n {
				pairs = append(pairs, [2]int{a, b})
			}
		}
		return pairs
	}
	corners := []int{0, 1, n / 2, n - 2, n - 1}
	for _, a := range corners {
		for _, b := range corners {
			pairs = append(pairs, [2]int{a, b})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 400 {
		pairs = append(pairs, [2]int{r.IntN(n), r.IntN(n)})
	}
	return pairs
}

// contractRoutes checks that every route is a connected minimal walk from
// source to destination that matches Hops, and that energy and latency are
// finite, non-negative and symmetric.
func contractRoutes(t *testing.T, tg *Target) {
	m := tg.Profile.Mesh
	for _, pr := range corePairs(tg) {
		src, dst := pr[0], pr[1]
		a, b := tg.CoreCoord(src), tg.CoreCoord(dst)
		route := tg.Route(src, dst)
		h := tg.Hops(src, dst)
		manhattan := absInt(a.X-b.X) + absInt(a.Y-b.Y)
		if len(route) != manhattan || h.Total() != manhattan {
			t.Fatalf("%d->%d: route %v (%d links), hops %+v, want %d (minimal)", src, dst, route, len(route), h, manhattan)
		}
		x, y := a.X, a.Y
		var got HopCounts
		for i, l := range route {
			if l.X != x || l.Y != y {
				t.Fatalf("%d->%d: link %d leaves (%d,%d), want (%d,%d): %v", src, dst, i, l.X, l.Y, x, y, route)
			}
			nx, ny := l.To()
			if nx < 0 || ny < 0 || nx >= tg.MeshWidth || ny >= tg.MeshHeight {
				t.Fatalf("%d->%d: link %v leaves the mesh", src, dst, l)
			}
			crosses := nx/m.TilesX != x/m.TilesX || ny/m.TilesY != y/m.TilesY
			if crosses != l.InterChip {
				t.Fatalf("%d->%d: link %v InterChip = %v, want %v", src, dst, l, l.InterChip, crosses)
			}
			switch l.Dir {
			case East:
				got.East++
			case West:
				got.West++
			case North:
				got.North++
			case South:
				got.South++
			}
			if l.InterChip && (l.Dir == East || l.Dir == West) {
				got.InterChipEW++
			} else if l.InterChip {
				got.InterChipNS++
			}
			x, y = nx, ny
		}
		if x != b.X || y != b.Y {
			t.Fatalf("%d->%d: route ends at (%d,%d), want (%d,%d)", src, dst, x, y, b.X, b.Y)
		}
		if got != h {
			t.Fatalf("%d->%d: counts from Route %+v, Hops %+v", src, dst, got, h)
		}
		if tg.SameTile(src, dst) != (len(route) == 0) {
			t.Fatalf("%d->%d: SameTile %v with %d links", src, dst, tg.SameTile(src, dst), len(route))
		}
		e, eBack := tg.MessageEnergyPJ(src, dst), tg.MessageEnergyPJ(dst, src)
		l, lBack := tg.MessageLatencyNs(src, dst), tg.MessageLatencyNs(dst, src)
		for _, v := range []float64{e, l} {
			if !(v >= 0) || math.IsInf(v, 0) {
				t.Fatalf("%d->%d: energy %g pJ, latency %g ns, want finite >= 0", src, dst, e, l)
			}
		}
		if e != eBack || l != lBack {
			t.Fatalf("%d->%d: energy %g/%g, latency %g/%g, want symmetric", src, dst, e, eBack, l, lBack)
		}
		if e < tg.Profile.Energy.MessageOutPJ || tg.NetworkEnergyPJ(src, dst) > e {
			t.Fatalf("%d->%d: message energy %g below its parts", src, dst, e)
		}
	}
}

// contractSync checks that the barrier cost is zero for no tiles, never
// negative, non-decreasing in tiles when the table is, and reproduces every
// table point.
func contractSync(t *testing.T, tg *Target) {
	s := tg.Profile.Sync
	if got := tg.SyncNs(0); got != 0 {
		t.Errorf("SyncNs(0) = %g, want 0", got)
	}
	for _, pt := range s.BarrierNs {
		if got := tg.SyncNs(pt.Tiles); math.Abs(got-pt.LatencyNs) > 1e-9 {
			t.Errorf("SyncNs(%d) = %g, want table value %g", pt.Tiles, got, pt.LatencyNs)
		}
	}
	monotone := true
	for i := 1; i < len(s.BarrierNs); i++ {
		monotone = monotone && s.BarrierNs[i].LatencyNs >= s.BarrierNs[i-1].LatencyNs
	}
	prev := 0.0
	for n := 1; n <= min(tg.NumTiles, 256); n++ {
		got := tg.SyncNs(n)
		if got < 0 || math.IsNaN(got) {
			t.Fatalf("SyncNs(%d) = %g, want >= 0", n, got)
		}
		if s.Mode != SyncBarrier && got != 0 {
			t.Fatalf("SyncNs(%d) = %g with sync mode %q, want 0", n, got, s.Mode)
		}
		if monotone && got < prev {
			t.Fatalf("SyncNs(%d) = %g < SyncNs(%d) = %g, want non-decreasing", n, got, n-1, prev)
		}
		prev = got
	}
}

func contractCapacities(t *testing.T, tg *Target) {
	p := tg.Profile
	for c := 0; c < tg.NumCores; c++ {
		if n := tg.NeuronCapacity(c); n <= 0 || n > p.Core.MaxNeurons {
			t.Fatalf("NeuronCapacity(%d) = %d, want in (0, %d]", c, n, p.Core.MaxNeurons)
		}
		if b := tg.SynapticMemoryBytes(c); b <= 0 {
			t.Fatalf("SynapticMemoryBytes(%d) = %d, want > 0", c, b)
		}
	}
	for _, k := range []Connectivity{Dense, Sparse, Conv} {
		if e := tg.SynOpEnergyPJ(k); !(e > 0) {
			t.Errorf("SynOpEnergyPJ(%d) = %g, want > 0", k, e)
		}
	}
	if len(p.Core.NeuronModels) == 0 || !tg.SupportsNeuron(p.Core.NeuronModels[0]) {
		t.Errorf("SupportsNeuron(%v[0]) = false", p.Core.NeuronModels)
	}
	if tg.SupportsNeuron("hodgkin_huxley") {
		t.Errorf("SupportsNeuron(hodgkin_huxley) = true, want false")
	}
	if got := tg.StaticEnergyPJ(1000); got != p.StaticPowerMW*1000*float64(tg.NumChips) {
		t.Errorf("StaticEnergyPJ(1000) = %g, want %g", got, p.StaticPowerMW*1000*float64(tg.NumChips))
	}
}
