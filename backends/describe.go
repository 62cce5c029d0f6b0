package backends

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes single chips and boards (NumChips > 1) as two tables,
// one line per target: name, cores, mesh, neurons per core, synaptic
// memory per core, and for a chip its fan-in and energy per synaptic
// operation, for a board its chips and the latency and energy of an
// inter-chip hop. Ranges ("16-64 KiB") appear where cores differ.
func WriteTable(w io.Writer, targets []*Target) error {
	var chips, boards []*Target
	for _, t := range targets {
		if t.NumChips > 1 {
			boards = append(boards, t)
		} else {
			chips = append(chips, t)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(chips) > 0 {
		fmt.Fprintln(tw, "SINGLE CHIPS")
		fmt.Fprintln(tw, "NAME\tCORES\tMESH\tNEURONS/CORE\tFAN-IN\tMEMORY/CORE\tSYNOP ENERGY\tDESCRIPTION")
		for _, t := range chips {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s pJ\t%s\n", t.Profile.Name, t.NumCores, meshString(t), tableNeurons(t),
				limit(t.Profile.Core.MaxFanInAxons), tableMemory(t), fmtFloat(t.Profile.Energy.SynOpPJ), t.Profile.Description)
		}
	}
	if len(boards) > 0 {
		if len(chips) > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "BOARDS (several chips; a hop between chips costs the inter-chip link's latency and energy, at its bandwidth)")
		fmt.Fprintln(tw, "NAME\tCHIPS\tCORES\tMESH\tNEURONS/CORE\tMEMORY/CORE\tINTER-CHIP LINK\tDESCRIPTION")
		for _, t := range boards {
			p := t.Profile
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s ns, %s pJ, %s Gmsg/s\t%s\n", p.Name, t.NumChips, t.NumCores, meshString(t), tableNeurons(t),
				tableMemory(t), fmtFloat(p.NoC.InterChipHopLatencyNs), fmtFloat(p.Energy.InterChipHopPJ), fmtFloat(p.NoC.InterChipLinkBandwidthGMsgPerS), p.Description)
		}
	}
	return tw.Flush()
}

// tableNeurons formats the neurons per core, a range when cores differ.
func tableNeurons(t *Target) string {
	nMin, nMax := t.NeuronCapacity(0), 0
	for c := range t.NumCores {
		nMin, nMax = min(nMin, t.NeuronCapacity(c)), max(nMax, t.NeuronCapacity(c))
	}
	if nMin != nMax {
		return fmt.Sprintf("%d-%d", nMin, nMax)
	}
	return strconv.Itoa(nMax)
}

// tableMemory formats the synaptic memory per core, a range when cores
// differ.
func tableMemory(t *Target) string {
	mMin, mMax := t.SynapticMemoryBytes(0), 0
	for c := range t.NumCores {
		mMin, mMax = min(mMin, t.SynapticMemoryBytes(c)), max(mMax, t.SynapticMemoryBytes(c))
	}
	if mMin != mMax {
		return fmtBytes(mMin) + "-" + fmtBytes(mMax)
	}
	return fmtBytes(mMax)
}

func meshString(t *Target) string {
	m := t.Profile.Mesh
	s := fmt.Sprintf("%dx%dx%d", m.TilesX, m.TilesY, m.CoresPerTile)
	if t.NumChips > 1 {
		s = fmt.Sprintf("%dx%d chips of %s", max(m.ChipsX, 1), max(m.ChipsY, 1), s)
	}
	return s
}

// limit formats a "0 = no limit" field.
func limit(v int) string {
	if v == 0 {
		return "no limit"
	}
	return strconv.Itoa(v)
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fmtBytes formats a byte count exactly: "128 KiB", "1.5 KiB", "100 B".
func fmtBytes(b int) string {
	switch {
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	case b >= 1<<10 && b%(1<<9) == 0:
		return fmtFloat(float64(b)/1024) + " KiB"
	}
	return fmt.Sprintf("%d B", b)
}

// WriteText writes the profile in a readable form, every number with its
// unit, in the order of the schema.
func (t *Target) WriteText(w io.Writer) error {
	p := t.Profile
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(name string) { fmt.Fprintf(tw, "%s\n", name) }
	row := func(k string, format string, args ...any) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, fmt.Sprintf(format, args...))
	}
	text := func(k, v string) {
		if v != "" {
			row(k, "%s", strings.Join(strings.Fields(v), " "))
		}
	}
	ns := func(v float64) string { return fmtFloat(v) + " ns" }
	pj := func(v float64) string { return fmtFloat(v) + " pJ" }

	fmt.Fprintf(tw, "%s: %s\n", p.Name, p.Description)
	text("file", t.File)
	text("source", p.Source)
	text("notes", p.Notes)

	section("board")
	m := p.Mesh
	row("chips", "%d (%d x %d)", t.NumChips, max(m.ChipsX, 1), max(m.ChipsY, 1))
	row("tiles per chip", "%d (%d x %d), %d cores per tile", t.TilesPerChip, m.TilesX, m.TilesY, m.CoresPerTile)
	row("cores", "%d on a %d x %d tile mesh", t.NumCores, t.MeshWidth, t.MeshHeight)
	if p.ClockMHz == 0 {
		row("clock", "asynchronous")
	} else {
		row("clock", "%s MHz", fmtFloat(p.ClockMHz))
	}
	row("static power", "%s mW per chip", fmtFloat(p.StaticPowerMW))

	section("core limits")
	c := p.Core
	row("neurons", "%d", c.MaxNeurons)
	row("fan-in axons", "%s", limit(c.MaxFanInAxons))
	row("fan-out axons", "%s", limit(c.MaxFanOutAxons))
	row("destination cores per neuron", "%s", limit(c.MaxDestinationCoresPerNeuron))
	if c.DistinctWeightsPerNeuron > 0 {
		row("distinct weights per neuron", "%d", c.DistinctWeightsPerNeuron)
	}
	if p.LayerCores == nil {
		row("synaptic memory", "%s (%d bytes)", fmtBytes(c.SynapticMemoryBytes), c.SynapticMemoryBytes)
	}
	if c.RoutingTableBytes > 0 {
		row("routing table", "%s (%d bytes)", fmtBytes(c.RoutingTableBytes), c.RoutingTableBytes)
	}
	if c.RoutingTableEntries > 0 {
		row("routing table entries", "%d", c.RoutingTableEntries)
	}
	if c.ConvWeightSharingSource != "" {
		row("conv weight sharing", "%v (%s)", c.ConvWeightSharing, c.ConvWeightSharingSource)
	} else {
		row("conv weight sharing", "%v", c.ConvWeightSharing)
	}
	row("neuron models", "%s", strings.Join(c.NeuronModels, ", "))

	if lc := p.LayerCores; lc != nil {
		section("layer cores (one conv layer per core)")
		row("kernel memory", "%s entries", joinInts(lc.KernelMemoryEntries))
		row("neuron memory", "%s entries", joinInts(lc.NeuronMemoryEntries))
		row("bias memory", "%d entries", lc.BiasMemoryEntries)
		row("destination layers", "<= %d", lc.MaxDestinationLayers)
		row("input", "<= %d x %d", lc.MaxInputHeight, lc.MaxInputWidth)
		row("output", "<= %d x %d", lc.MaxOutputHeight, lc.MaxOutputWidth)
		row("channels", "<= %d", lc.MaxChannels)
		row("kernel", "<= %d x %d", lc.MaxKernelSize, lc.MaxKernelSize)
		row("kernel memory needed", "c_in * 2^(ceil(log2(kx*ky)) + ceil(log2(c_out)))")
		row("neuron memory needed", "c_out * 2^(ceil(log2(h)) + ceil(log2(w)))")
		text("source", lc.Source)
	}

	section("precision")
	pr := p.Precision
	row("weight", "%d bits", pr.WeightBits)
	row("membrane potential", "%d bits", pr.MembraneBits)
	row("decay", "%d bits", pr.DecayBits)
	row("threshold", "%d bits, fires when v %s threshold", pr.ThresholdBits, pr.ThresholdCompare)
	if pr.SpikePayloadBits == 0 {
		row("spikes", "binary")
	} else {
		row("spikes", "graded, %d-bit payload", pr.SpikePayloadBits)
	}
	text("source", pr.Source)

	section("network on chip")
	n := p.NoC
	row("routing", "%s, %s, %s", n.Routing, n.OverflowPolicy, n.MessageMode)
	if n.OverflowPolicy == OverflowDrop {
		if n.DropWaitNs > 0 {
			row("drop after", "%s blocked at a full link", ns(n.DropWaitNs))
		} else {
			row("drop after", "0 ns (a message that meets a full link is dropped at once)")
		}
	}
	row("link buffer", "%d flits of %d bits; message %d bits (%s)", n.LinkBufferDepthFlits, n.FlitBits, n.PacketBits, plural(t.FlitsPerMessage(), "flit"))
	row("link bandwidth", "%s Gmsg/s", fmtFloat(n.LinkBandwidthGMsgPerS))
	row("hop latency", "%s east-west, %s north-south", ns(n.HopLatencyEWNs), ns(n.HopLatencyNSNs))
	row("within-tile latency", "%s", ns(n.WithinTileLatencyNs))
	if t.NumChips > 1 || n.InterChipHopLatencyNs > 0 {
		row("inter-chip hop latency", "%s", ns(n.InterChipHopLatencyNs))
		row("inter-chip link bandwidth", "%s Gmsg/s", fmtFloat(n.LinkBandwidth(true)))
	}
	if n.RoutingTableEntriesPerChip > 0 {
		row("router entries per chip", "%d", n.RoutingTableEntriesPerChip)
	}
	text("source", n.Source)

	section(fmt.Sprintf("energy per event (%s)", p.Energy.Basis))
	e := p.Energy
	if e.SynOpSparsePJ > 0 || e.SynOpConvPJ > 0 {
		row("synaptic op", "%s dense, %s sparse, %s conv", pj(t.SynOpEnergyPJ(Dense)), pj(t.SynOpEnergyPJ(Sparse)), pj(t.SynOpEnergyPJ(Conv)))
	} else {
		row("synaptic op", "%s", pj(e.SynOpPJ))
	}
	row("neuron update", "%s active, %s inactive", pj(e.NeuronUpdateActivePJ), pj(e.NeuronUpdateInactivePJ))
	row("spike out", "%s", pj(e.SpikeOutPJ))
	row("message out", "%s", pj(e.MessageOutPJ))
	row("hop", "%s east-west, %s north-south", pj(e.HopEWPJ), pj(e.HopNSPJ))
	row("within tile", "%s", pj(e.WithinTilePJ))
	if t.NumChips > 1 || e.InterChipHopPJ > 0 {
		row("inter-chip hop", "%s", pj(e.InterChipHopPJ))
	}
	if e.SynapticUpdatePJ > 0 {
		row("synaptic update (learning)", "%s", pj(e.SynapticUpdatePJ))
	}
	text("source", e.Source)
	text("notes", e.Notes)

	section("time per event")
	tm := p.Timing
	if tm.SynOpSparseNs > 0 || tm.SynOpConvNs > 0 {
		row("synaptic op", "%s dense, %s sparse, %s conv", ns(tm.SynOpNs), ns(orF(tm.SynOpSparseNs, tm.SynOpNs)), ns(orF(tm.SynOpConvNs, tm.SynOpNs)))
	} else {
		row("synaptic op", "%s", ns(tm.SynOpNs))
	}
	row("neuron update", "%s active, %s inactive", ns(tm.NeuronUpdateActiveNs), ns(tm.NeuronUpdateInactiveNs))
	row("spike out", "%s", ns(tm.SpikeOutNs))
	row("message out / in", "%s / %s", ns(tm.MessageOutNs), ns(tm.MessageInNs))
	text("source", tm.Source)

	section("timestep synchronisation")
	s := p.Sync
	switch s.Mode {
	case SyncBarrier:
		var pts []string
		for _, pt := range s.BarrierNs {
			pts = append(pts, fmt.Sprintf("%d: %s", pt.Tiles, ns(pt.LatencyNs)))
		}
		interp := s.Interpolation
		if interp == "" {
			interp = InterpLog2
		}
		row("barrier", "by tiles {%s}, interpolated in %s", strings.Join(pts, ", "), interp)
		row("barrier, whole board", "%s ns (%d tiles)", strconv.FormatFloat(t.SyncNs(t.NumTiles), 'g', 5, 64), t.NumTiles)
	case SyncFixedTick:
		row("fixed tick", "%s", ns(s.TickNs))
	case SyncNone:
		row("mode", "none (event-driven, no timesteps)")
	}
	text("source", s.Source)
	return tw.Flush()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func orF(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}
