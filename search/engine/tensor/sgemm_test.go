package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randSlice returns n uniform values in [-1, 1) drawn from r.
func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

// gemm64 computes alpha*op(A)*op(B) + beta*C in float64 as the reference.
func gemm64(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			s *= float64(alpha)
			if beta != 0 {
				s += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*n+j] = s
		}
	}
	return out
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra stride beyond the row length
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d", c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.beta, c.pad)
}

// operands builds random A, B, C (C with a NaN-free random fill) for the case.
func (c gemmCase) operands(r *rand.Rand) (a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
	ar, ac := c.m, c.k
	if c.transA {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.transB {
		br, bc = c.n, c.k
	}
	lda, ldb, ldc = max(ac, 1)+c.pad, max(bc, 1)+c.pad, max(c.n, 1)+c.pad
	return randSlice(r, ar*lda), lda, randSlice(r, br*ldb), ldb, randSlice(r, c.m*ldc), ldc
}

// gemmCases lists shapes that hit full tiles, ragged edges in every
// dimension, the cache-block boundaries and degenerate sizes.
func gemmCases() []gemmCase {
	var cs []gemmCase
	dims := [][3]int{
		{1, 1, 1}, {0, 5, 3}, {5, 0, 3}, {4, 5, 0}, {6, 16, 1}, {7, 17, 3}, {5, 15, 9},
		{12, 32, 64}, {13, 33, 65}, {16, 1024, 144}, {32, 144, 100}, {100, 3, 7},
		{3, 100, 300}, {97, 131, 257}, {200, 70, 513}, {150, 600, 40},
		{16, 36, 20001}, {5, 7, 9000}, // split-K
	}
	for i, d := range dims {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				alpha, beta := float32(1), float32(0)
				switch i % 3 {
				case 1:
					alpha, beta = 0.5, 1
				case 2:
					alpha, beta = -1.5, 0.25
				}
				cs = append(cs, gemmCase{tA, tB, d[0], d[1], d[2], alpha, beta, i % 2 * 3})
			}
		}
	}
	return cs
}

// checkClose compares got with want elementwise with a tolerance scaled by
// the reduction length.
func checkClose(t *testing.T, got []float32, ldc int, want []float64, m, n, k int) {
	t.Helper()
	tol := 1e-5 * float64(k+4)
	bad := 0
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			g, w := float64(got[i*ldc+j]), want[i*n+j]
			if math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) || math.IsNaN(g) {
				if bad < 5 {
					t.Errorf("C[%d,%d] = %g, want %g", i, j, g, w)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d elements wrong", bad, m*n)
	}
}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range gemmCases() {
		t.Run(c.String(), func(t *testing.T) {
			a, lda, b, ldb, cm, ldc := c.operands(r)
			want := gemm64(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
			Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
			checkClose(t, cm, ldc, want, c.m, c.n, c.k)
		})
	}
}

func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	a := []float32{1, 2, 3, 4}
	c := []float32{float32(math.NaN()), float32(math.Inf(1)), 7, 8}
	Sgemm(false, false, 2, 2, 2, 1, a, 2, a, 2, 0, c, 2)
	want := []float32{7, 10, 15, 22}
	for i := range c {
		if c[i] != want[i] {
			t.Errorf("C[%d] = %g, want %g", i, c[i], want[i])
		}
	}
}

func TestSgemmPanicsOnBadArgs(t *testing.T) {
	x := make([]float32, 16)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) }},
		{"short A", func() { Sgemm(false, false, 4, 4, 5, 1, x, 5, x, 4, 0, x, 4) }},
		{"small lda", func() { Sgemm(false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) }},
		{"small ldb trans", func() { Sgemm(false, true, 2, 2, 3, 1, x, 3, x, 2, 0, x, 2) }},
		{"short C", func() { Sgemm(false, false, 4, 5, 1, 1, x, 1, x, 5, 0, x, 5) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic, want one")
				}
			}()
			tc.f()
		})
	}
}
