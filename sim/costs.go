package sim

// This file resolves the per-event energy (pJ) and time (ns) costs of the
// chip profile once, for the event loop to add up.

import "github.com/autosnn/autosnn/backends"

// resolvedCosts are per-event costs taken from the target, in pJ and ns.
type resolvedCosts struct {
	synE, synT                 [backends.NumConnectivities]float64 // by backends.Connectivity
	activeE, inactiveE, spikeE float64
	activeT, inactiveT, spikeT float64
	msgOutE, msgOutT, msgInT   float64
	withinTileE, withinTileT   float64
	serNs                      float64 // link occupancy of one message
	cycleNs                    float64
	bufCap                     int32
	drop                       bool
	dropWaitNs                 float64 // wait before a drop (drop policy only)
	staticPerNs                float64
	fixedTickNs                float64
	syncMode                   string
	barrierNs                  float64
	multicastAsUnicast         bool
}

func resolveCosts(t *backends.Target) resolvedCosts {
	p := t.Profile
	var c resolvedCosts
	tm := p.Timing
	for _, k := range []backends.Connectivity{backends.Dense, backends.Sparse, backends.Conv} {
		c.synE[k] = t.SynOpEnergyPJ(k)
	}
	c.synT[backends.Dense] = tm.SynOpNs
	c.synT[backends.Sparse] = orF(tm.SynOpSparseNs, tm.SynOpNs)
	c.synT[backends.Conv] = orF(tm.SynOpConvNs, tm.SynOpNs)
	e := p.Energy
	c.activeE, c.inactiveE, c.spikeE = e.NeuronUpdateActivePJ, e.NeuronUpdateInactivePJ, e.SpikeOutPJ
	c.activeT, c.inactiveT, c.spikeT = tm.NeuronUpdateActiveNs, tm.NeuronUpdateInactiveNs, tm.SpikeOutNs
	c.msgOutE, c.msgOutT, c.msgInT = e.MessageOutPJ, tm.MessageOutNs, tm.MessageInNs
	c.withinTileE, c.withinTileT = e.WithinTilePJ, p.NoC.WithinTileLatencyNs
	c.serNs = 1 / p.NoC.LinkBandwidthGMsgPerS
	if p.ClockMHz > 0 {
		c.cycleNs = 1000 / p.ClockMHz
	} else {
		c.cycleNs = c.serNs / float64(t.FlitsPerMessage())
	}
	c.bufCap = int32(max(1, p.NoC.LinkBufferDepthFlits/t.FlitsPerMessage()))
	c.drop = p.NoC.OverflowPolicy == backends.OverflowDrop
	if c.drop {
		c.dropWaitNs = p.NoC.DropWaitNs
	}
	c.staticPerNs = p.StaticPowerMW * float64(t.NumChips)
	c.syncMode = p.Sync.Mode
	c.fixedTickNs = p.Sync.TickNs
	return c
}

func orF(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}
