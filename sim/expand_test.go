package sim

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/autosnn/autosnn/ir"
)

// TestWiden switches a compact Sim to the wide form (as expand does at a
// group that does not fit, and build when the sums need int64) and
// requires the same synapses and the same run, with and without delays.
func TestWiden(t *testing.T) {
	for _, delays := range []bool{false, true} {
		tg := mustTarget(t, "tiny")
		g, err := residualNet(ir.Direct)
		if err != nil {
			t.Fatal(err)
		}
		g = compileNet(t, g, tg, scattered, 6)
		o := Options{}
		if delays {
			balanceByHand(g)
			o.Semantics = Chip
		}
		s, err := NewWithOptions(g, tg, o)
		if err != nil {
			t.Fatal(err)
		}
		w, err := NewWithOptions(g, tg, o)
		if err != nil {
			t.Fatal(err)
		}
		if !s.compact || w.delays.on != delays {
			t.Fatalf("delays %v: compact %v, delay line %v; want a compact Sim", delays, s.compact, w.delays.on)
		}
		w.widen()
		if w.compact || len(w.syns) != s.nSyn || w.csyns != nil {
			t.Fatalf("widened: compact %v, %d wide synapses, want false, %d", w.compact, len(w.syns), s.nSyn)
		}
		for i, gr := range s.groups {
			for k := gr.syn0; k < gr.syn1; k++ {
				dt, wt := s.csyns[k].unpack(s.cwb)
				if want := (synapse{t: gr.base + int32(dt), w: wt}); w.syns[k] != want {
					t.Fatalf("group %d synapse %d: %+v, want %+v", i, k, w.syns[k], want)
				}
			}
		}
		rng := rand.New(rand.NewPCG(6, 6))
		for img := 0; img < 2; img++ {
			in := randomInput(g, rng)
			var ra, rb raster
			a, err := s.Run(in, ra.observe)
			if err != nil {
				t.Fatal(err)
			}
			b, err := w.Run(in, rb.observe)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) || !rastersEqual(ra, rb) {
				t.Errorf("delays %v image %d: the widened Sim's run differs from the compact one's", delays, img)
			}
		}
	}
}

// TestPackSynapse round-trips offsets and weights at the extremes of
// every weight width.
func TestPackSynapse(t *testing.T) {
	for wb := uint8(1); wb <= 24; wb++ {
		maxDt := uint32(1)<<(32-wb) - 1
		lo, hi := -(int32(1) << (wb - 1)), int32(1)<<(wb-1)-1
		for _, dt := range []uint32{0, 1, maxDt} {
			for _, w := range []int32{lo, hi, 0, min(1, hi), max(-1, lo)} {
				if gd, gw := packSynapse(dt, w, wb).unpack(wb); gd != dt || gw != w {
					t.Fatalf("%d weight bits: pack(%d, %d) unpacks to (%d, %d)", wb, dt, w, gd, gw)
				}
			}
		}
	}
}
