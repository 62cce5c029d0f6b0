package tensor

import (
	"flag"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/autosnn/autosnn/search/engine/tensor/internal/cooktoom"
)

var winoSweep = flag.Int("wino.sweep", 0, "TestWinogradPointSweep: kernel size (3 or 5) whose F(3, r) point sets to rank; 0 skips")

// TestWinogradPointSweep ranks the point sets of F(3x3, rxr) (r from
// -wino.sweep) by their float32 error on input gradients, the use package
// tensor has for them: every set of 0 and r of the dyadic candidates
// +-1, +-2, +-1/2, +-3, +-3/2, +-3/4, +-4, +-1/4 whose input and output
// transforms are exact in float32 (so that wingen can unroll them), on
// random 32x16x16, 16x32x32 and 64x8x8 shapes, two seeds each, with the
// portable kernels against the float64 direct sums (flipped, transposed
// filters, as Conv2DBackwardData uses them). It logs F(2x2, rxr) on the
// points of the F(2, r) of earlier versions, for r = 5 two point sets of
// earlier attempts, and the 25 best sets (K3 and K5 use sets among them). It does not fail; the choice of K3 and K5 is documented in
// package cooktoom and docs/performance.md. (The 5x5 sweep takes about two
// minutes on one core.)
//
//	go test -run WinogradPointSweep -v ./search/engine/tensor/ -wino.sweep 5
func TestWinogradPointSweep(t *testing.T) {
	r := *winoSweep
	if r == 0 {
		t.Skip("set -wino.sweep 3 or 5")
	}
	if r != 3 && r != 5 {
		t.Fatalf("-wino.sweep %d: want 3 or 5", r)
	}
	var cands []*big.Rat
	for _, nd := range [][2]int64{{1, 1}, {2, 1}, {1, 2}, {3, 1}, {3, 2}, {3, 4}, {4, 1}, {1, 4}} {
		cands = append(cands, big.NewRat(nd[0], nd[1]), big.NewRat(-nd[0], nd[1]))
	}
	type sweepCase struct {
		s    ConvShape
		x, w []float32
		y    []float32
		ref  []float64
	}
	var cases []sweepCase
	for si, c := range [][2]int{{32, 16}, {16, 32}, {64, 8}} {
		s := ConvShape{N: 2, Cin: c[0], H: c[1], W: c[1], Cout: c[0], KH: r, KW: r, Stride: 1, Pad: r / 2}
		for seed := range uint64(2) {
			rng := rand.New(rand.NewPCG(seed, uint64(si)))
			x, w := randSlice(rng, s.XLen()), randSlice(rng, s.WLen())
			// w holds the filters of the convolution whose input gradient
			// this is; the Winograd path uses them transposed and flipped.
			wf := make([]float32, len(w))
			n := s.Cin
			for co := range n {
				for ci := range n {
					for ky := range r {
						for kx := range r {
							wf[((co*n+ci)*r+ky)*r+kx] = w[((ci*n+co)*r+r-1-ky)*r+r-1-kx]
						}
					}
				}
			}
			cases = append(cases, sweepCase{s, x, w, make([]float32, s.YLen()), convDirect64(s, x, wf)})
		}
	}
	old := winoTables
	defer func() { winoTables = old }()
	type result struct {
		name string
		err  float64
	}
	// eval returns the worst error of F(m, r) on pts over the cases, and
	// false when a transform coefficient is not exact in float32.
	eval := func(m int, pts []*big.Rat) (float64, bool) {
		tr, err := cooktoom.New(m, r, pts)
		if err != nil {
			return 0, false
		}
		for _, mat := range [][][]*big.Rat{tr.AT, tr.BT} {
			for _, row := range mat {
				for _, v := range row {
					f, _ := v.Float32()
					if new(big.Rat).SetFloat64(float64(f)).Cmp(v) != 0 {
						return 0, false
					}
				}
			}
		}
		ts := *old
		a := winoAlgo{m: tr.M, r: r, alpha: tr.Alpha, g: flat64(cooktoom.Float64(tr.G))}
		if r == 3 {
			a.in, a.out = xfInK3, xfOutK3
			ts.k3 = a
		} else {
			a.in, a.out = xfInK5, xfOutK5
			ts.k5 = a
		}
		ts.mats[a.in], ts.mats[a.out] = mat32(tr.BT), mat32(tr.AT)
		winoTables = &ts
		ws := newWorkspace(1, goKernels)
		defer ws.Close()
		worst := 0.0
		for _, c := range cases {
			ws.s.winoConv(c.s, &a, winoKernelsGo, c.x, c.w, c.y, true)
			worst = max(worst, maxRelErr(c.y, c.ref))
		}
		return worst, true
	}
	ratStrings := func(pts []*big.Rat) string {
		s := ""
		for i, p := range pts {
			if i > 0 {
				s += " "
			}
			s += p.RatString()
		}
		return s
	}
	f2 := []*big.Rat{big.NewRat(0, 1), big.NewRat(1, 1), big.NewRat(-1, 1)}
	if r == 5 {
		f2 = []*big.Rat{big.NewRat(0, 1), big.NewRat(1, 2), big.NewRat(-1, 2), big.NewRat(2, 1), big.NewRat(-2, 1)}
	}
	e, _ := eval(2, f2)
	t.Logf("F(2, %d) on %s: %.3g", r, ratStrings(f2), e)
	if r == 5 {
		// Sets of earlier attempts: the first F(3, 5), and the best of a
		// sweep with unflipped filters.
		for _, pts := range [][]*big.Rat{
			{big.NewRat(0, 1), big.NewRat(1, 2), big.NewRat(-1, 2), big.NewRat(2, 1), big.NewRat(-2, 1), big.NewRat(1, 1)},
			{big.NewRat(0, 1), big.NewRat(1, 1), big.NewRat(-1, 1), big.NewRat(2, 1), big.NewRat(1, 2), big.NewRat(-3, 2)},
		} {
			e, _ := eval(3, pts)
			t.Logf("F(3, 5) on %s: %.3g", ratStrings(pts), e)
		}
	}
	var out []result
	// All sets of 0 and r candidates, in lexicographic order.
	idx := make([]int, r)
	var rec func(k, from int)
	rec = func(k, from int) {
		if k == r {
			pts := []*big.Rat{big.NewRat(0, 1)}
			for _, i := range idx {
				pts = append(pts, cands[i])
			}
			if e, ok := eval(3, pts); ok {
				out = append(out, result{ratStrings(pts), e})
			}
			return
		}
		for i := from; i < len(cands); i++ {
			idx[k] = i
			rec(k+1, i+1)
		}
	}
	rec(0, 0)
	sort.SliceStable(out, func(i, j int) bool { return out[i].err < out[j].err })
	t.Logf("%d point sets with exact transforms", len(out))
	for i, o := range out[:min(25, len(out))] {
		t.Logf("%2d. F(3, %d) on %s: %.3g", i+1, r, o.name, o.err)
	}
}
