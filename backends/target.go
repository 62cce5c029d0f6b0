package backends

import (
	"fmt"
	"math"
	"slices"

	"github.com/autosnn/autosnn/ir"
)

// Target is a validated chip profile plus the quantities derived from it.
// It is what the compiler passes, the simulator and the chip-aware cost
// models take. A Target is immutable; see the package doc for coordinates.
type Target struct {
	// Profile is the validated profile. Callers must not modify it.
	Profile Profile
	// File is where the profile came from: a path or "builtin:NAME".
	File string

	// NumChips is ChipsX*ChipsY (>= 1).
	NumChips int
	// TilesPerChip is TilesX*TilesY.
	TilesPerChip int
	// NumTiles is the number of tiles on the whole board.
	NumTiles int
	// NumCores is the number of cores on the whole board.
	NumCores int
	// MeshWidth and MeshHeight are the size of the global tile mesh
	// (ChipsX*TilesX by ChipsY*TilesY).
	MeshWidth, MeshHeight int

	// yFirst is Profile.NoC.Routing == RoutingYX, read by NextHop.
	yFirst bool
}

// NewTarget validates p and derives a Target from a private copy of it.
// file names the profile in errors.
func NewTarget(p *Profile, file string) (*Target, error) {
	if err := p.Validate(file); err != nil {
		return nil, err
	}
	cp := *p
	cp.Core.NeuronModels = slices.Clone(p.Core.NeuronModels)
	cp.Sync.BarrierNs = slices.Clone(p.Sync.BarrierNs)
	if p.LayerCores != nil {
		lc := *p.LayerCores
		lc.KernelMemoryEntries = slices.Clone(lc.KernelMemoryEntries)
		lc.NeuronMemoryEntries = slices.Clone(lc.NeuronMemoryEntries)
		cp.LayerCores = &lc
	}
	m := cp.Mesh
	cx, cy := max(m.ChipsX, 1), max(m.ChipsY, 1)
	t := &Target{
		Profile:      cp,
		File:         file,
		NumChips:     cx * cy,
		TilesPerChip: m.TilesX * m.TilesY,
		MeshWidth:    cx * m.TilesX,
		MeshHeight:   cy * m.TilesY,
		yFirst:       cp.NoC.Routing == RoutingYX,
	}
	t.NumTiles = t.NumChips * t.TilesPerChip
	t.NumCores = t.NumTiles * m.CoresPerTile
	return t, nil
}

// Name returns the profile name.
func (t *Target) Name() string { return t.Profile.Name }

// ValidCore reports whether core is a core id of this target.
func (t *Target) ValidCore(core int) bool { return core >= 0 && core < t.NumCores }

func (t *Target) mustCore(core int) {
	if !t.ValidCore(core) {
		panic(fmt.Sprintf("backends: %s: core %d out of range [0, %d)", t.Profile.Name, core, t.NumCores))
	}
}

// Coord locates a core on the board.
type Coord struct {
	// Chip is the chip id; ChipX, ChipY its position on the board.
	Chip, ChipX, ChipY int
	// Tile is the global tile id; LocalTile the tile id within its chip.
	Tile, LocalTile int
	// X, Y is the tile's position on the global mesh (East = +X, North = +Y).
	X, Y int
	// Slot is the core's index within its tile.
	Slot int
}

// CoreCoord returns where core sits. It panics if core is out of range.
func (t *Target) CoreCoord(core int) Coord {
	t.mustCore(core)
	m := t.Profile.Mesh
	tile := core / m.CoresPerTile
	chip := tile / t.TilesPerChip
	local := tile % t.TilesPerChip
	c := Coord{
		Chip:      chip,
		ChipX:     chip / max(m.ChipsY, 1),
		ChipY:     chip % max(m.ChipsY, 1),
		Tile:      tile,
		LocalTile: local,
		Slot:      core % m.CoresPerTile,
	}
	c.X = c.ChipX*m.TilesX + local/m.TilesY
	c.Y = c.ChipY*m.TilesY + local%m.TilesY
	return c
}

// CoreAt returns the id of the core in slot slot of the tile at global mesh
// position (x, y), and false if there is no such core.
func (t *Target) CoreAt(x, y, slot int) (int, bool) {
	m := t.Profile.Mesh
	if x < 0 || y < 0 || x >= t.MeshWidth || y >= t.MeshHeight || slot < 0 || slot >= m.CoresPerTile {
		return 0, false
	}
	chipX, chipY := x/m.TilesX, y/m.TilesY
	chip := chipX*max(m.ChipsY, 1) + chipY
	local := (x%m.TilesX)*m.TilesY + y%m.TilesY
	return (chip*t.TilesPerChip+local)*m.CoresPerTile + slot, true
}

// SameTile reports whether two cores share a tile (and so a router).
func (t *Target) SameTile(a, b int) bool {
	t.mustCore(a)
	t.mustCore(b)
	cpt := t.Profile.Mesh.CoresPerTile
	return a/cpt == b/cpt
}

// NetworkEnergyPJ returns the NoC energy of one message from src to dst in
// pJ: WithinTilePJ when both cores share a tile, else the sum over hops of
// HopEWPJ, HopNSPJ or, for hops crossing a chip boundary, InterChipHopPJ.
// It excludes MessageOutPJ. It panics if either core is out of range.
func (t *Target) NetworkEnergyPJ(src, dst int) float64 {
	e := t.Profile.Energy
	if t.SameTile(src, dst) {
		return e.WithinTilePJ
	}
	h := t.Hops(src, dst)
	return float64(h.OnChipEW())*e.HopEWPJ + float64(h.OnChipNS())*e.HopNSPJ + float64(h.InterChip())*e.InterChipHopPJ
}

// MessageEnergyPJ returns the energy of sending one message from src to dst
// in pJ: MessageOutPJ plus NetworkEnergyPJ. It panics if either core is out
// of range.
func (t *Target) MessageEnergyPJ(src, dst int) float64 {
	return t.Profile.Energy.MessageOutPJ + t.NetworkEnergyPJ(src, dst)
}

// MessageLatencyNs returns the zero-load latency of one message from src
// to dst in ns: MessageOutNs + MessageInNs plus WithinTileLatencyNs when both
// cores share a tile, else the sum over hops of the EW, NS or inter-chip hop
// latency. It panics if either core is out of range.
func (t *Target) MessageLatencyNs(src, dst int) float64 {
	n, tm := t.Profile.NoC, t.Profile.Timing
	lat := tm.MessageOutNs + tm.MessageInNs
	if t.SameTile(src, dst) {
		return lat + n.WithinTileLatencyNs
	}
	h := t.Hops(src, dst)
	return lat + float64(h.OnChipEW())*n.HopLatencyEWNs + float64(h.OnChipNS())*n.HopLatencyNSNs + float64(h.InterChip())*n.InterChipHopLatencyNs
}

// FlitsPerMessage returns ceil(PacketBits / FlitBits).
func (t *Target) FlitsPerMessage() int {
	n := t.Profile.NoC
	return (n.PacketBits + n.FlitBits - 1) / n.FlitBits
}

// SyncNs returns the latency in ns of the end-of-timestep barrier over
// tiles tiles. For SyncBarrier the Sync.BarrierNs table is interpolated
// piecewise linearly, in log2(tiles) (InterpLog2, the default) or in tiles
// (InterpLinear); below the first point the first latency holds, beyond the
// last point the last segment is extrapolated (a single point is constant).
// SyncFixedTick and SyncNone have no barrier: 0. tiles <= 0 gives 0.
func (t *Target) SyncNs(tiles int) float64 {
	s := t.Profile.Sync
	if s.Mode != SyncBarrier || tiles <= 0 {
		return 0
	}
	pts := s.BarrierNs
	if len(pts) == 1 || tiles <= pts[0].Tiles {
		return pts[0].LatencyNs
	}
	pos := func(n int) float64 {
		if s.Interpolation == InterpLinear {
			return float64(n)
		}
		return math.Log2(float64(n))
	}
	i := 1
	for i < len(pts)-1 && pts[i].Tiles < tiles {
		i++
	}
	a, b := pts[i-1], pts[i]
	frac := (pos(tiles) - pos(a.Tiles)) / (pos(b.Tiles) - pos(a.Tiles))
	return a.LatencyNs + frac*(b.LatencyNs-a.LatencyNs)
}

// Connectivity is the kind of a projection, which selects its synaptic
// operation energy and latency. ConnectivityOf gives a projection's kind.
type Connectivity uint8

// Kinds of connectivity.
const (
	// Dense is a fully connected or dense-matrix projection.
	Dense Connectivity = iota
	// Sparse is a projection stored as a list of synapses.
	Sparse
	// Conv is a convolution with shared kernels.
	Conv
)

// NumConnectivities is the number of kinds: a Connectivity is always below
// it, so a [NumConnectivities]T table holds one entry per kind.
const NumConnectivities = 3

// ConnectivityOf returns the connectivity kind of a projection with
// operator op: Conv for ir.Conv2D, Dense for ir.Dense, Sparse for the pools
// and identity shortcuts (and any other operator). It is the one mapping
// the compiler's report, the simulator, the chip-cost model and the
// SANA-FE export share.
func ConnectivityOf(op ir.Op) Connectivity {
	switch op {
	case ir.Conv2D:
		return Conv
	case ir.Dense:
		return Dense
	}
	return Sparse
}

// String returns "dense", "sparse" or "conv", the names of the synapse
// units in an exported SANA-FE architecture.
func (k Connectivity) String() string {
	switch k {
	case Dense:
		return "dense"
	case Sparse:
		return "sparse"
	case Conv:
		return "conv"
	}
	return fmt.Sprintf("Connectivity(%d)", uint8(k))
}

// SynOpEnergyPJ returns the energy of one synaptic operation of kind k in pJ.
func (t *Target) SynOpEnergyPJ(k Connectivity) float64 {
	e := t.Profile.Energy
	switch {
	case k == Sparse && e.SynOpSparsePJ > 0:
		return e.SynOpSparsePJ
	case k == Conv && e.SynOpConvPJ > 0:
		return e.SynOpConvPJ
	}
	return e.SynOpPJ
}

// StaticEnergyPJ returns the static energy of the whole board over durationNs
// ns in pJ (1 mW x 1 ns = 1 pJ).
func (t *Target) StaticEnergyPJ(durationNs float64) float64 {
	return t.Profile.StaticPowerMW * float64(t.NumChips) * durationNs
}

// NeuronCapacity returns how many neurons core can hold. It panics if core
// is out of range.
func (t *Target) NeuronCapacity(core int) int {
	t.mustCore(core)
	if lc := t.Profile.LayerCores; lc != nil {
		return lc.NeuronMemoryEntries[core]
	}
	return t.Profile.Core.MaxNeurons
}

// SynapticMemoryBytes returns the synaptic (kernel) memory of core in bytes;
// for layer cores it is the kernel entries times ceil(WeightBits/8). It
// panics if core is out of range.
func (t *Target) SynapticMemoryBytes(core int) int {
	t.mustCore(core)
	if lc := t.Profile.LayerCores; lc != nil {
		return lc.KernelMemoryEntries[core] * ((t.Profile.Precision.WeightBits + 7) / 8)
	}
	return t.Profile.Core.SynapticMemoryBytes
}

// SupportsNeuron reports whether the cores implement the neuron model.
func (t *Target) SupportsNeuron(model string) bool {
	return slices.Contains(t.Profile.Core.NeuronModels, model)
}

// MaxDelaySteps returns the longest synaptic delay, in timesteps, a
// projection may have on t: Core.MaxSynapticDelaySteps, or 1 (the
// barrier's one step per synapse) on a chip without programmable delays.
func (t *Target) MaxDelaySteps() int {
	return max(t.Profile.Core.MaxSynapticDelaySteps, 1)
}
