package passes

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkMoves applies random moves to a random 3-part assignment of p and
// checks the incremental gain (messages, or rate x hops when hop is set),
// fan-out and fan-in bookkeeping against recomputation. It returns the
// number of moves checked.
func checkMoves(t *testing.T, p *Problem, seed uint64, hop func(a, b int32) float64) int {
	t.Helper()
	return checkMovesRef(t, p, seed, hop, true)
}

// checkMovesRef is checkMoves with dense (or, if !dense, map) per-part
// reference counts.
func checkMovesRef(t *testing.T, p *Problem, seed uint64, hop func(a, b int32) float64, dense bool) int {
	t.Helper()
	s := newPState(p, Limits{Neurons: 1 << 30, MemBytes: 1 << 40})
	s.budN, s.budM = 1<<30, 1<<40
	if !dense {
		s.denseBytes = maxDenseRefBytes
	}
	r := rand.New(rand.NewPCG(seed, 1))
	k := 3
	for q := 0; q < k; q++ {
		s.newPart()
	}
	fo := map[int32]int64{}
	for v := range p.Frags {
		q := int32(r.IntN(k))
		s.gain(int32(v), q, fo)
		s.apply(int32(v), q, fo)
	}
	s.hop = hop
	checked := 0
	for step := 0; step < 40; step++ {
		v := int32(r.IntN(len(p.Frags)))
		q := int32(r.IntN(k))
		if q == s.part[v] {
			continue
		}
		before := s.cost()
		gain := s.g(v, q, fo)
		s.apply(v, q, fo)
		after := s.cost()
		if math.Abs((before-after)-gain) > 1e-9*math.Max(1, before) {
			t.Fatalf("seed %d: move %d -> part %d: gain %g, want %g", seed, v, q, gain, before-after)
		}
		checked++
		wantFO := make([]int64, k)
		for n := range p.Src {
			seen := map[int32]bool{}
			for _, d := range p.Dests(n) {
				seen[s.part[d]] = true
			}
			wantFO[s.part[p.Src[n]]] += int64(p.NN[n]) * int64(len(seen))
		}
		wantFI := make([]int, k)
		for q := 0; q < k; q++ {
			src := map[int32]bool{}
			for v := range p.Frags {
				if s.part[v] == int32(q) {
					for _, x := range p.Sources(v) {
						src[x] = true
					}
				}
			}
			wantFI[q] = len(src)
		}
		if diff := cmp.Diff(wantFO, s.fanOut[:k]); diff != "" {
			t.Fatalf("seed %d step %d: fan-out per part (-want +got):\n%s", seed, step, diff)
		}
		if diff := cmp.Diff(wantFI, s.fanIn[:k]); diff != "" {
			t.Fatalf("seed %d step %d: fan-in per part (-want +got):\n%s", seed, step, diff)
		}
	}
	return checked
}

// TestGainMatchesCost checks the incremental bookkeeping on fragment
// problems, on coarsened problems (whose clusters can be source and
// destination of one net) and with the mesh (rate x hops) gain.
func TestGainMatchesCost(t *testing.T) {
	hops := func(a, b int32) float64 { return float64((a*7+b*3)%5) + 0.5 }
	checked := map[string]int{}
	for seed := uint64(1); seed <= 12; seed++ {
		_, p, ok := problemFor(t, "tiny", seed)
		if !ok || len(p.Frags) < 3 {
			continue
		}
		checked["fragments"] += checkMoves(t, p, seed, nil)
		checked["mesh"] += checkMoves(t, p, seed, hops)
		checked["map counts"] += checkMovesRef(t, p, seed, nil, false)
		if cp, _ := coarsen(p, Limits{Neurons: 1 << 30, MemBytes: 1 << 40}); cp != nil && len(cp.Frags) >= 3 {
			checked["coarse"] += checkMoves(t, cp, seed, nil)
			checked["coarse mesh"] += checkMoves(t, cp, seed, hops)
		}
	}
	for _, kind := range []string{"fragments", "mesh", "map counts", "coarse", "coarse mesh"} {
		if checked[kind] < 50 {
			t.Errorf("%s: checked %d moves, want >= 50", kind, checked[kind])
		}
	}
}
