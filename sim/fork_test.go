package sim

import (
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// TestForkConcurrent runs images on forks of one Sim, concurrently, and
// requires every result and raster to equal that of a Sim of its own made
// by NewWithOptions: forks share the tables and nothing else. Run it with
// -race to check the sharing.
func TestForkConcurrent(t *testing.T) {
	cases := []struct {
		name     string
		chip     string
		o        NoCOverride
		sem      Semantics
		balanced bool
	}{
		{"trained", "tiny-2chip", NoCOverride{}, Trained, false},
		{"chip", "tiny-2chip", NoCOverride{LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.05}, Chip, false},
		{"chip/delays", "tiny", NoCOverride{}, Chip, true},
		{"chip/multicast/drop", "tiny", NoCOverride{MessageMode: backends.MessageMulticastTree, LinkBufferDepthFlits: 1, LinkBandwidthGMsgPerS: 0.002, OverflowPolicy: backends.OverflowDrop}, Chip, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := WithNoC(mustTarget(t, tc.chip), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			g, err := residualNet(ir.Direct)
			if err != nil {
				t.Fatal(err)
			}
			g = compileNet(t, g, tg, scattered, 3)
			if tc.balanced {
				balanceByHand(g)
			}
			rng := rand.New(rand.NewPCG(5, 5))
			inputs := make([][]float32, 6)
			for i := range inputs {
				inputs[i] = randomInput(g, rng)
			}
			type run struct {
				res ImageResult
				ras raster
			}
			want := make([]run, len(inputs))
			for i, in := range inputs {
				s, err := NewWithOptions(g, tg, Options{Semantics: tc.sem})
				if err != nil {
					t.Fatal(err)
				}
				if want[i].res, err = s.Run(in, want[i].ras.observe); err != nil {
					t.Fatal(err)
				}
			}
			// The origin in the other semantics, so every fork switches.
			other := Chip
			if tc.sem == Chip {
				other = Trained
			}
			origin, err := NewWithOptions(g, tg, Options{Semantics: other})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]run, len(inputs))
			forks := make([]*Sim, 3)
			for k := range forks {
				if forks[k], err = origin.Fork(Options{Semantics: tc.sem}); err != nil {
					t.Fatal(err)
				}
			}
			if forks[0].delays.on != tc.balanced {
				t.Fatalf("fork's delay line on = %v, want %v", forks[0].delays.on, tc.balanced)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(forks))
			for k, f := range forks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Each fork runs images k, k+3: a second image on a used fork.
					for i := k; i < len(inputs); i += len(forks) {
						if got[i].res, errs[k] = f.Run(inputs[i], got[i].ras.observe); errs[k] != nil {
							return
						}
					}
				}()
			}
			// The origin runs concurrently too, in its own semantics.
			if _, err := origin.Run(inputs[0], nil); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			for i := range inputs {
				if !reflect.DeepEqual(got[i].res, want[i].res) {
					t.Errorf("image %d: fork's result\n%+v\nwant\n%+v", i, got[i].res.Total, want[i].res.Total)
				}
				if !rastersEqual(got[i].ras, want[i].ras) {
					t.Errorf("image %d: fork's raster differs from a new Sim's", i)
				}
			}
			// The origin's link load, after adding the forks', covers every run.
			wantLoad := origin.LinkLoad()
			for _, f := range forks {
				for l, c := range f.LinkLoad() {
					wantLoad[l] += c
				}
				if err := origin.AddForkLinkLoad(f); err != nil {
					t.Fatal(err)
				}
			}
			if got := origin.LinkLoad(); !reflect.DeepEqual(got, wantLoad) {
				t.Errorf("link load after AddLinkLoad: %v, want %v", got, wantLoad)
			}
		})
	}
}

func TestForkErrors(t *testing.T) {
	g, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	tg := mustTarget(t, "tiny")
	g = compileNet(t, g, tg, scattered, 3)
	s, err := New(g, tg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fork(Options{Semantics: 7}); err == nil {
		t.Error("Fork with semantics 7: no error")
	}
	g2, err := residualNet(ir.Direct)
	if err != nil {
		t.Fatal(err)
	}
	tg2 := mustTarget(t, "tiny-2chip")
	other, err := New(compileNet(t, g2, tg2, scattered, 3), tg2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddForkLinkLoad(other); err == nil {
		t.Error("AddLinkLoad of a Sim on another chip: no error")
	}
}
