package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// simdVec returns n values around the threshold 1, with exact 0s and 1s
// mixed in so both sides of every comparison are exercised.
func simdVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch rng.IntN(8) {
		case 0:
			v[i] = 1
		case 1:
			v[i] = 0
		default:
			v[i] = float32(rng.NormFloat64()*0.8 + 0.7)
		}
	}
	return v
}

func TestLIFStepKernelsMatchGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 kernels on this machine/build")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 7, 8, 9, 64, 333, 4096} {
		const k, vth = 0.37, 1
		// Forward.
		xs, v0 := simdVec(rng, n), simdVec(rng, n)
		// hs at float offsets 0, 1 and 8 of a 32-byte aligned buffer (a
		// large allocation): asked to (nt), the kernels store h
		// non-temporally where it is aligned and plainly where not.
		for _, nt := range []bool{true, false} {
			for _, off := range []int{0, 1, 8} {
				hbuf := make([]float32, n+off+8192)
				hsA, ysA, vA := hbuf[off:off+n], make([]float32, n), append([]float32(nil), v0...)
				hsG, ysG, vG := make([]float32, n), make([]float32, n), append([]float32(nil), v0...)
				cA := lifForwardStep(xs, hsA, ysA, vA, k, vth, nt)
				cG := lifForwardStepGo(xs, hsG, ysG, vG, k, vth)
				if cA != cG {
					t.Errorf("n=%d hs offset %d: forward count: got %d, want %d", n, off, cA, cG)
				}
				for name, pair := range map[string][2][]float32{"h": {hsA, hsG}, "y": {ysA, ysG}, "v": {vA, vG}} {
					if d := cmp.Diff(bits(pair[1]), bits(pair[0])); d != "" {
						t.Errorf("n=%d hs offset %d: forward %s differs from the Go loop (-want +got):\n%s", n, off, name, d)
					}
				}
			}
		}
		// Backward.
		hs, ds, hprev, dv0 := simdVec(rng, n), simdVec(rng, n), simdVec(rng, n), simdVec(rng, n)
		const a, half, reg = 2 * math.Pi / 2, 1, 0.01
		dvA, dxA := append([]float32(nil), dv0...), make([]float32, n)
		dvG, dxG := append([]float32(nil), dv0...), make([]float32, n)
		kA := lifBackwardStep(hs, ds, xs, hprev, dvA, dxA, k, vth, a, half, reg)
		kG := lifBackwardStepGo(hs, ds, xs, hprev, dvG, dxG, k, vth, a, half, reg)
		if math.Abs(float64(kA-kG)) > 1e-5*(1+math.Abs(float64(kG))) {
			t.Errorf("n=%d backward dk: got %v, want %v", n, kA, kG)
		}
		for name, pair := range map[string][2][]float32{"dv": {dvA, dvG}, "dx": {dxA, dxG}} {
			if d := cmp.Diff(bits(pair[1]), bits(pair[0])); d != "" {
				t.Errorf("n=%d backward %s differs from the Go loop (-want +got):\n%s", n, name, d)
			}
		}
	}
}

// bits returns the IEEE bit patterns of v (so -0 and NaN compare exactly).
func bits(v []float32) []uint32 {
	b := make([]uint32, len(v))
	for i, f := range v {
		b[i] = math.Float32bits(f)
	}
	return b
}

// refLanes is the documented reduction of sumF32 and friends, written out
// independently: f(i) accumulated into lane i%8 of float32 blocks of 64
// values, each block added in float64 as (lanes 0-3) + (lanes 4-7).
func refLanes(n int, f func(i int) float32) float64 {
	var total float64
	for b := 0; b < n; b += 64 {
		var s [8]float32
		for i := b; i < min(b+64, n); i++ {
			s[(i-b)%8] += f(i)
		}
		total += float64(s[0]+s[1]+s[2]+s[3]) + float64(s[4]+s[5]+s[6]+s[7])
	}
	return total
}

func TestBNKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, n := range []int{3, 8, 63, 64, 65, 200, 1024, 1031} {
		x, g := simdVec(rng, n), simdVec(rng, n)
		const c = 0.61
		if got, want := sumF32(x), refLanes(n, func(i int) float32 { return x[i] }); got != want {
			t.Errorf("n=%d sumF32: got %v, want %v", n, got, want)
		}
		sq := refLanes(n, func(i int) float32 { d := x[i] - c; return d * d })
		if got := sumSqDevF32(x, c); got != sq {
			t.Errorf("n=%d sumSqDevF32: got %v, want %v", n, got, sq)
		}
		sg, sgx := dotDevF32(g, x, c)
		wsg := refLanes(n, func(i int) float32 { return g[i] })
		wsgx := refLanes(n, func(i int) float32 { return g[i] * (x[i] - c) })
		if sg != wsg || sgx != wsgx {
			t.Errorf("n=%d dotDevF32: got %v %v, want %v %v", n, sg, sgx, wsg, wsgx)
		}
		const sc, sh, k, p, q = 1.7, -0.3, 0.9, -0.02, 0.004
		y, dx := make([]float32, n), make([]float32, n)
		wy, wdx := make([]float32, n), make([]float32, n)
		bnAffine(x, y, c, sc, sh)
		bnGrad(g, x, dx, k, p, c, q)
		for i := range x {
			wy[i] = (x[i]-c)*sc + sh
			wdx[i] = k*g[i] + p*(x[i]-c) + q
		}
		if d := cmp.Diff(bits(wy), bits(y)); d != "" {
			t.Errorf("n=%d bnAffine (-want +got):\n%s", n, d)
		}
		if d := cmp.Diff(bits(wdx), bits(dx)); d != "" {
			t.Errorf("n=%d bnGrad (-want +got):\n%s", n, d)
		}
	}
}

func TestCheckFiniteFindsFirst(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, n := range []int{5, 32, 33, 100, 4099} {
		for _, bad := range []float32{inf, -inf, nan} {
			for _, pos := range []int{0, n / 2, n - 1} {
				data := make([]float32, n)
				for i := range data {
					data[i] = float32(i%7) - 3
				}
				data[pos] = bad
				if pos+1 < n {
					data[n-1] = nan // a later one must not be reported
				}
				err := CheckFinite("l", 3, "output", data)
				nf, ok := err.(*NonFiniteError)
				if !ok || nf.Index != pos {
					t.Errorf("n=%d %v at %d: got %v, want a NonFiniteError at index %d", n, bad, pos, err, pos)
				}
			}
		}
		data := make([]float32, n)
		data[0] = math.MaxFloat32
		if err := CheckFinite("l", 3, "output", data); err != nil {
			t.Errorf("n=%d finite data: got %v, want nil", n, err)
		}
	}
}

func TestMax2x2MatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	nan := float32(math.NaN())
	for _, sz := range [][2]int{{4, 16}, {8, 32}, {5, 40}, {2, 6}, {3, 17}} {
		h, w := sz[0], sz[1]
		oh, ow := h/2, w/2
		in := make([]float32, h*w)
		for i := range in {
			switch rng.IntN(6) {
			case 0, 1:
				in[i] = 1 // ties, as on spike maps
			case 2:
				in[i] = float32(rng.NormFloat64())
			case 3:
				if rng.IntN(8) == 0 {
					in[i] = nan
				}
			}
		}
		out, arg := make([]float32, oh*ow), make([]uint8, oh*ow)
		count := max2x2(in, out, arg, w, oh, ow)
		wout, warg := make([]float32, oh*ow), make([]uint8, oh*ow)
		var wcount int64
		for oy := range oh {
			for ox := range ow {
				win := []float32{in[2*oy*w+2*ox], in[2*oy*w+2*ox+1], in[(2*oy+1)*w+2*ox], in[(2*oy+1)*w+2*ox+1]}
				best, bi := win[0], 0
				for i, v := range win[1:] {
					if v > best {
						best, bi = v, i+1
					}
				}
				wout[oy*ow+ox], warg[oy*ow+ox] = best, uint8(bi)
				if best != 0 {
					wcount++
				}
			}
		}
		if d := cmp.Diff(bits(wout), bits(out)); d != "" {
			t.Errorf("%dx%d outputs (-want +got):\n%s", h, w, d)
		}
		if d := cmp.Diff(warg, arg); d != "" {
			t.Errorf("%dx%d window indices (-want +got):\n%s", h, w, d)
		}
		if count != wcount {
			t.Errorf("%dx%d nonzero outputs: got %d, want %d", h, w, count, wcount)
		}
	}
}

// TestAdamKernelMatchesGo checks the AVX2 Adam update against the Go loop
// bit for bit: parameters and both moments, over several steps, with
// gradients spanning many magnitudes (and zeros, where the moments decay
// towards denormals).
func TestAdamKernelMatchesGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 kernels on this machine/build")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{1, 7, 8, 9, 64, 1001} {
		p := simdVec(rng, n)
		pa, pg := append([]float32(nil), p...), append([]float32(nil), p...)
		ma, va, mg, vg := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for step := 1; step <= 5; step++ {
			g := make([]float32, n)
			for i := range g {
				if rng.IntN(5) > 0 {
					g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-9)))
				}
			}
			bc1, bc2 := 1-math.Pow(0.9, float64(step)), 1-math.Pow(0.999, float64(step))
			args := []float32{0.9, 0.1, 0.999, float32(1 - 0.999), float32(1e-3 / bc1), float32(math.Sqrt(bc2)), 1e-8}
			adamStep(pa, g, ma, va, args[0], args[1], args[2], args[3], args[4], args[5], args[6])
			adamStepGo(pg, g, mg, vg, args[0], args[1], args[2], args[3], args[4], args[5], args[6])
		}
		if !cmp.Equal(pa, pg) || !cmp.Equal(ma, mg) || !cmp.Equal(va, vg) {
			t.Errorf("n=%d: AVX2 and Go Adam updates differ", n)
		}
	}
}

// TestBatchNormAffineAdd checks AffineAdd against a deferred Forward's
// output written by a non-deferred twin, plus the addend, bit for bit
// (AVX2 kernel and Go tail), in training and evaluation.
func TestBatchNormAffineAdd(t *testing.T) {
	for _, training := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(11, 11))
		x := randTensor(rng, 1, 0.5, 3, 4, 5, 7, 9) // 63 values per plane: kernel and tail
		add := randTensor(rng, 1, 0, x.Shape...)
		plain, def := NewBatchNorm("bn", 5), NewBatchNorm("bn", 5)
		def.Defer = true
		w := NewWorkers(2)
		defer w.Close()
		plain.Workers, def.Workers = w, w
		for _, b := range []*BatchNorm{plain, def} {
			for i := range 5 {
				b.Weight.Data[i], b.Bias.Data[i] = 1+0.1*float32(i), 0.2*float32(i)
				b.RunningMean.Data[i], b.RunningVar.Data[i] = 0.1*float32(i), 1+0.3*float32(i)
			}
			b.SetTraining(training)
		}
		y, err := plain.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(y.Data))
		for i := range want {
			want[i] = y.Data[i] + add.Data[i]
		}
		if _, err := def.Forward(x); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(want))
		if err := def.AffineAdd(got, add.Data); err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(want, got) {
			t.Errorf("training=%v: AffineAdd differs from Forward + add", training)
		}
	}
}

// TestLIFFwdIdxMatchesGo checks the LIF forward kernels that list their
// spikes (plain, and affine with the identity map, which leaves x exact)
// against the Go step and a scan of its output: same bits, same indices
// (offset by base), same count, and nothing written past idx[n-1] by the
// whole-block stores.
func TestLIFFwdIdxMatchesGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 kernels on this machine/build")
	}
	rng := rand.New(rand.NewPCG(13, 13))
	for _, n := range []int{8, 64, 1024} {
		const k, vth, base = 0.37, 1, 77
		xs, v0 := simdVec(rng, n), simdVec(rng, n)
		hsG, ysG, vG := make([]float32, n), make([]float32, n), append([]float32(nil), v0...)
		idxG := make([]int32, n)
		cG := lifForwardStepGo(xs, hsG, ysG, vG, k, vth)
		nG := NonzeroIndices(ysG, idxG, base)
		for _, aff := range []bool{false, true} {
			hsA, ysA, vA := make([]float32, n), make([]float32, n), append([]float32(nil), v0...)
			idxA := make([]int32, n+8)
			for i := range idxA {
				idxA[i] = -1
			}
			var cA int64
			if aff {
				cA = lifFwdAffIdxAVX2(&xs[0], &hsA[0], &ysA[0], &vA[0], n, k, vth, 0, 1, 0, &idxA[0], base, true)
			} else {
				cA = lifFwdIdxAVX2(&xs[0], &hsA[0], &ysA[0], &vA[0], n, k, vth, &idxA[0], base, true)
			}
			if cA != cG || int(cA) != nG {
				t.Errorf("n=%d aff=%v: count %d, want %d (%d listed)", n, aff, cA, cG, nG)
			}
			if !cmp.Equal(hsA, hsG) || !cmp.Equal(ysA, ysG) || !cmp.Equal(vA, vG) || !cmp.Equal(idxA[:nG], idxG[:nG]) {
				t.Errorf("n=%d aff=%v: kernel and Go step differ", n, aff)
			}
			for i, v := range idxA[n:] {
				if v != -1 {
					t.Errorf("n=%d aff=%v: idx[%d] written past n", n, aff, n+i)
					break
				}
			}
		}
	}
}

// TestMaxBwd2x2MatchesScatter checks the max-pool backward (the AVX2
// kernel for 2x2 stride-2 pools whose output rows are multiples of 4 wide,
// the Go loop otherwise) against clearing and scattering, bit for bit,
// with and without a second gradient and with -0 gradients, which both
// turn into +0.
func TestMaxBwd2x2MatchesScatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for _, c := range []struct{ h, w int }{{8, 8}, {16, 16}, {32, 32}, {4, 24}, {12, 12}, {7, 9}} {
		for _, two := range []bool{false, true} {
			p := NewMaxPool2d("pool", 2, 2)
			x := randTensor(rng, 1, 0, 2, 3, 5, c.h, c.w)
			y, err := p.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			dy, dy2 := randTensor(rng, 1, 0, y.Shape...), randTensor(rng, 1, 0, y.Shape...)
			for i := range dy.Data {
				if i%7 == 0 {
					dy.Data[i] = float32(math.Copysign(0, -1))
				}
			}
			var got *Tensor
			if two {
				got, err = p.BackwardSum(dy, dy2)
			} else {
				got, err = p.Backward(dy)
			}
			if err != nil {
				t.Fatal(err)
			}
			oh, ow := y.Shape[3], y.Shape[4]
			want := make([]float32, len(x.Data))
			for pl := range len(y.Data) / (oh * ow) {
				for oy := range oh {
					for ox := range ow {
						i := (pl*oh+oy)*ow + ox
						g := dy.Data[i]
						if two {
							g += dy2.Data[i]
						}
						a := int(p.arg[i])
						want[pl*c.h*c.w+(2*oy+a/2)*c.w+2*ox+a%2] += g
					}
				}
			}
			if d := cmp.Diff(bits(want), bits(got.Data)); d != "" {
				t.Errorf("%dx%d, second gradient %v: differs from clear and scatter (-want +got):\n%.400s", c.h, c.w, two, d)
			}
		}
	}
}

// TestNonzeroIndices checks NonzeroIndices (the table scan with AVX2)
// against a plain loop, with a base, NaN (counted) and -0 (not counted).
func TestNonzeroIndices(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 1000} {
		x := make([]float32, n)
		for i := range x {
			switch rng.IntN(6) {
			case 0:
				x[i] = 1
			case 1:
				x[i] = float32(math.NaN())
			case 2:
				x[i] = float32(math.Copysign(0, -1))
			case 3:
				x[i] = float32(rng.NormFloat64())
			}
		}
		const base = 5
		want := []int32{}
		for i, v := range x {
			if v != 0 {
				want = append(want, base+int32(i))
			}
		}
		got := make([]int32, n)
		got = got[:NonzeroIndices(x, got, base)]
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("n=%d (-want +got):\n%s", n, d)
		}
	}
}
