package cooktoom

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// points6 are the standard finite points of the alpha = 6 algorithms
// (F(4,3), F(2,5)); the tests measure their float32 error.
func points6() []*big.Rat { return rats(0, 1, 1, 1, -1, 1, 2, 1, -2, 1) }

// points8 are the standard finite points of the alpha = 8 algorithms
// (F(6,3), F(4,5)); the tests measure their float32 error.
func points8() []*big.Rat { return rats(0, 1, 1, 1, -1, 1, 2, 1, -2, 1, 1, 2, -1, 2) }

var cases = []struct {
	m, r   int
	points []*big.Rat
}{
	{2, 3, rats(0, 1, 1, 1, -1, 1)},
	{4, 3, points6()},
	{2, 5, points6()},
	{6, 3, points8()},
	{4, 5, points8()},
}

// TestNewKnown compares F(2,3) with Lavin and Gray's matrices (up to the
// sign of rows, which G and BT may share).
func TestNewKnown(t *testing.T) {
	tr, err := New(2, 3, rats(0, 1, 1, 1, -1, 1))
	if err != nil {
		t.Fatal(err)
	}
	wantAT := [][]float64{{1, 1, 1, 0}, {0, 1, -1, 1}}
	got := Float64(tr.AT)
	for j := range wantAT {
		for i := range wantAT[j] {
			if got[j][i] != wantAT[j][i] {
				t.Errorf("AT[%d][%d] = %v, want %v", j, i, got[j][i], wantAT[j][i])
			}
		}
	}
	// Lavin's BT rows, up to sign.
	wantBT := [][]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}
	bt := Float64(tr.BT)
	for i := range wantBT {
		s := 1.0
		if bt[i][0]*wantBT[i][0] < 0 || bt[i][1]*wantBT[i][1] < 0 || bt[i][3]*wantBT[i][3] < 0 {
			s = -1
		}
		for l := range wantBT[i] {
			if bt[i][l] != s*wantBT[i][l] {
				t.Errorf("BT[%d] = %v, want +-%v", i, bt[i], wantBT[i])
				break
			}
		}
	}
}

// TestNewErrors checks that bad point sets are refused.
func TestNewErrors(t *testing.T) {
	if _, err := New(4, 3, rats(0, 1, 1, 1)); err == nil {
		t.Error("too few points: got nil error")
	}
	if _, err := New(2, 3, rats(0, 1, 1, 1, 1, 1)); err == nil {
		t.Error("repeated point: got nil error")
	}
}

// TestFloat32Error runs the 2-D algorithms in float32 on random data and
// reports the error against a float64 direct correlation, relative to the
// largest output; the tolerance is what package tensor's tests allow.
func TestFloat32Error(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		tr, err := New(c.m, c.r, c.points)
		if err != nil {
			t.Fatal(err)
		}
		at, g, bt := f32(tr.AT), f32(tr.G), f32(tr.BT)
		a := tr.Alpha
		var maxErr, maxRef float64
		const chans = 64
		ref := make([]float64, c.m*c.m)
		acc := make([]float32, a*a)
		for trial := 0; trial < 50; trial++ {
			clear(ref)
			clear(acc)
			for ch := 0; ch < chans; ch++ {
				d := make([]float32, a*a)
				w := make([]float32, c.r*c.r)
				for i := range d {
					d[i] = float32(rng.NormFloat64())
				}
				for i := range w {
					w[i] = float32(rng.NormFloat64() * 0.1)
				}
				for y := 0; y < c.m; y++ {
					for x := 0; x < c.m; x++ {
						for ky := 0; ky < c.r; ky++ {
							for kx := 0; kx < c.r; kx++ {
								ref[y*c.m+x] += float64(d[(y+ky)*a+x+kx]) * float64(w[ky*c.r+kx])
							}
						}
					}
				}
				u := mul(mul(g, w, a, c.r, c.r), tpose(g, a, c.r), a, c.r, a)
				v := mul(mul(bt, d, a, a, a), tpose(bt, a, a), a, a, a)
				for i := range acc {
					acc[i] += u[i] * v[i]
				}
			}
			y := mul(mul(at, acc, c.m, a, a), tpose(at, c.m, a), c.m, a, c.m)
			for i := range ref {
				maxErr = math.Max(maxErr, math.Abs(float64(y[i])-ref[i]))
				maxRef = math.Max(maxRef, math.Abs(ref[i]))
			}
		}
		t.Logf("F(%dx%d,%dx%d): max error %.3g relative to max |y| %.3g: %.3g", c.m, c.m, c.r, c.r, maxErr, maxRef, maxErr/maxRef)
		if maxErr/maxRef > 1e-4 {
			t.Errorf("F(%d,%d): relative error %.3g, want <= 1e-4", c.m, c.r, maxErr/maxRef)
		}
	}
}

func f32(m [][]*big.Rat) []float32 {
	var out []float32
	for _, row := range Float64(m) {
		for _, v := range row {
			out = append(out, float32(v))
		}
	}
	return out
}

// mul returns the p x q product of a (p x n) and b (n x q).
func mul(a, b []float32, p, n, q int) []float32 {
	c := make([]float32, p*q)
	for i := 0; i < p; i++ {
		for j := 0; j < q; j++ {
			var s float32
			for k := 0; k < n; k++ {
				s += a[i*n+k] * b[k*q+j]
			}
			c[i*q+j] = s
		}
	}
	return c
}

func tpose(a []float32, r, c int) []float32 {
	t := make([]float32, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t[j*r+i] = a[i*c+j]
		}
	}
	return t
}
