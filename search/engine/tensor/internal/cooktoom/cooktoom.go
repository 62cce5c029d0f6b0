// Package cooktoom builds the transform matrices of Winograd's minimal
// filtering algorithm F(m, r) by the Cook-Toom construction, in exact
// rational arithmetic.
//
// F(m, r) computes m outputs of an r-tap correlation, y[j] = sum_k
// d[j+k]*g[k] (j < m, k < r), from alpha = m+r-1 inputs with alpha
// multiplications:
//
//	y = AT * ((G*g) . (BT*d))
//
// where AT is m x alpha, G is alpha x r, BT is alpha x alpha and "." is the
// elementwise product. The 2-D algorithm F(m x m, r x r) nests the 1-D one:
// Y = AT * ((G*g*G^T) . (BT*d*B)) * A. The matrices come from
// evaluating polynomials at alpha-1 finite points and at infinity: AT[j][i]
// = a_i^j, G[i][k] = a_i^k / prod_{l != i} (a_i - a_l), and BT solves the
// remaining linear identity exactly (New checks every coefficient of it).
// Package tensor uses these matrices for its Winograd convolutions, and its
// assembly generator (internal/wingen) turns AT and BT into unrolled code.
package cooktoom

import (
	"fmt"
	"math/big"
)

// Transform holds the matrices of F(M, R) (see the package comment) as
// exact rationals (Float64 converts them). Alpha = M+R-1.
type Transform struct {
	M, R, Alpha int

	AT, G, BT [][]*big.Rat
}

// rats makes rationals from numerator, denominator pairs.
func rats(nd ...int64) []*big.Rat {
	var out []*big.Rat
	for i := 0; i+1 < len(nd); i += 2 {
		out = append(out, big.NewRat(nd[i], nd[i+1]))
	}
	return out
}

// New returns the transform of F(m, r) on the given finite points (m+r-2 of
// them, distinct). It returns an error if the points do not fit or the
// construction fails its exact check.
func New(m, r int, points []*big.Rat) (*Transform, error) {
	alpha := m + r - 1
	n := alpha - 1
	if m < 1 || r < 1 || len(points) != n {
		return nil, fmt.Errorf("cooktoom: F(%d,%d) needs %d finite points, got %d", m, r, n, len(points))
	}
	for i := range points {
		for j := i + 1; j < n; j++ {
			if points[i].Cmp(points[j]) == 0 {
				return nil, fmt.Errorf("cooktoom: point %v given twice", points[i])
			}
		}
	}
	t := &Transform{M: m, R: r, Alpha: alpha}
	t.AT = newMat(m, alpha)
	for j := 0; j < m; j++ {
		for i := 0; i < n; i++ {
			t.AT[j][i] = pow(points[i], j)
		}
		if j == m-1 {
			t.AT[j][n].SetInt64(1)
		}
	}
	t.G = newMat(alpha, r)
	for i := 0; i < n; i++ {
		f := big.NewRat(1, 1)
		for l := 0; l < n; l++ {
			if l != i {
				f.Mul(f, new(big.Rat).Sub(points[i], points[l]))
			}
		}
		for k := 0; k < r; k++ {
			t.G[i][k].Quo(pow(points[i], k), f)
		}
	}
	t.G[n][r-1].SetInt64(1)
	// BT: for every input l, column l of B (row l of BT transposed) solves
	// sum_i AT[j][i]*G[i][k]*B[i][l] = [l == j+k] for all j < m, k < r.
	sys := newMat(m*r, alpha)
	for j := 0; j < m; j++ {
		for k := 0; k < r; k++ {
			for i := 0; i < alpha; i++ {
				sys[j*r+k][i].Mul(t.AT[j][i], t.G[i][k])
			}
		}
	}
	t.BT = newMat(alpha, alpha)
	for l := 0; l < alpha; l++ {
		rhs := make([]*big.Rat, m*r)
		for j := 0; j < m; j++ {
			for k := 0; k < r; k++ {
				rhs[j*r+k] = big.NewRat(0, 1)
				if j+k == l {
					rhs[j*r+k].SetInt64(1)
				}
			}
		}
		x, err := solve(sys, rhs)
		if err != nil {
			return nil, fmt.Errorf("cooktoom: F(%d,%d): input %d: %w", m, r, l, err)
		}
		for i := 0; i < alpha; i++ {
			t.BT[i][l] = x[i]
		}
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// check verifies the identity of the package comment coefficient by
// coefficient: sum_i AT[j][i]*G[i][k]*BT[i][l] = [l == j+k].
func (t *Transform) check() error {
	for j := 0; j < t.M; j++ {
		for k := 0; k < t.R; k++ {
			for l := 0; l < t.Alpha; l++ {
				s := new(big.Rat)
				for i := 0; i < t.Alpha; i++ {
					p := new(big.Rat).Mul(t.AT[j][i], t.G[i][k])
					s.Add(s, p.Mul(p, t.BT[i][l]))
				}
				want := int64(0)
				if l == j+k {
					want = 1
				}
				if s.Cmp(big.NewRat(want, 1)) != 0 {
					return fmt.Errorf("cooktoom: F(%d,%d): coefficient of d[%d]*g[%d] in y[%d] is %v, want %d", t.M, t.R, l, k, j, s, want)
				}
			}
		}
	}
	return nil
}

// solve returns x with a*x = b for a consistent system of full column rank
// (rows >= columns), by exact Gauss-Jordan elimination.
func solve(a [][]*big.Rat, b []*big.Rat) ([]*big.Rat, error) {
	rows, cols := len(a), len(a[0])
	aug := make([][]*big.Rat, rows)
	for i := range aug {
		aug[i] = make([]*big.Rat, cols+1)
		for j := 0; j < cols; j++ {
			aug[i][j] = new(big.Rat).Set(a[i][j])
		}
		aug[i][cols] = new(big.Rat).Set(b[i])
	}
	r := 0
	for c := 0; c < cols; c++ {
		p := -1
		for i := r; i < rows; i++ {
			if aug[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			return nil, fmt.Errorf("rank deficient at column %d", c)
		}
		aug[r], aug[p] = aug[p], aug[r]
		inv := new(big.Rat).Inv(aug[r][c])
		for j := c; j <= cols; j++ {
			aug[r][j].Mul(aug[r][j], inv)
		}
		for i := 0; i < rows; i++ {
			if i == r || aug[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(aug[i][c])
			for j := c; j <= cols; j++ {
				aug[i][j].Sub(aug[i][j], new(big.Rat).Mul(f, aug[r][j]))
			}
		}
		r++
	}
	for i := r; i < rows; i++ {
		if aug[i][cols].Sign() != 0 {
			return nil, fmt.Errorf("inconsistent system")
		}
	}
	x := make([]*big.Rat, cols)
	for c := 0; c < cols; c++ {
		x[c] = aug[c][cols]
	}
	return x, nil
}

func newMat(r, c int) [][]*big.Rat {
	m := make([][]*big.Rat, r)
	for i := range m {
		m[i] = make([]*big.Rat, c)
		for j := range m[i] {
			m[i][j] = new(big.Rat)
		}
	}
	return m
}

func pow(x *big.Rat, e int) *big.Rat {
	p := big.NewRat(1, 1)
	for range e {
		p.Mul(p, x)
	}
	return p
}

// Float64 returns m as float64 values.
func Float64(m [][]*big.Rat) [][]float64 {
	out := make([][]float64, len(m))
	for i, row := range m {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j], _ = v.Float64()
		}
	}
	return out
}

// K3 returns the algorithm package tensor uses for 3x3 kernels: F(3, 3) on
// the points 0, 1, -2, -1/2. For flipped filters (input gradients), the
// 4-point sets of 0 and three of +-1, +-2, +-1/2, +-3, +-3/2, +-3/4, +-4,
// +-1/4 with float32-exact transforms (package tensor's
// TestWinogradPointSweep with -wino.sweep 3) are at best 9.9e-7 of the
// largest value (0, -1, 2, 1/2) and 1.0e-6 for these
// points, against 3.3e-7 for F(2, 3) on 0, +-1; of the two, these points
// gave the smaller errors on the PyTorch parity fixtures and their 80 seed
// variants (docs/performance.md). F(3, 3) takes 25 multiplications per 9
// outputs where F(2, 3) takes 16 per 4 (1.44x fewer). F(4, 3) would save
// 1.8x against F(2, 3), but its float32 error, ~1e-6 of the output rms,
// moved an ill-conditioned gradient of the parity fixtures past their 1e-4
// tolerance.
func K3() (*Transform, error) { return New(3, 3, rats(0, 1, 1, 1, -2, 1, -1, 2)) }

// K5 returns the algorithm package tensor uses for 5x5 kernels: F(3, 5) on
// the points 0, 1, -1, -2, -1/2, 3/4. Package tensor uses it for input
// gradients, whose filters are flipped; for those these were the most
// accurate of the 6-point sets whose transform coefficients are exact in
// float32, made of 0 and five of +-1, +-2, +-1/2, +-3, +-3/2, +-3/4, +-4,
// +-1/4 (all 4368, on random 32x16x16, 16x32x32 and 64x8x8 input gradients
// in float32: package tensor's TestWinogradPointSweep with -wino.sweep 5):
// at most 3.5e-6 of the largest value, against 5.5e-6 for 0, +-1, 2, 1/2,
// -3/2 (the best for unflipped filters), 4.7e-6 for 0, +-1/2, +-2, 1 (a
// first attempt), and 2.5e-6 for F(2, 5) on 0, +-1/2, +-2. F(3, 5) takes 49
// multiplications per 9 outputs where F(2, 5) takes 36 per 4 (1.65x fewer);
// docs/performance.md weighs the two.
func K5() (*Transform, error) { return New(3, 5, rats(0, 1, 1, 1, -1, 1, -2, 1, -1, 2, 3, 4)) }
