package tensor

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKernelAsmMatchesGo runs every GEMM case through a Workspace with the
// assembly micro-kernel and one with the portable kernel and requires
// agreement within float tolerance. It is skipped where there is no
// assembly kernel (other architectures, purego builds, CPUs without
// AVX2/FMA).
func TestKernelAsmMatchesGo(t *testing.T) {
	asm, ok := asmKernels()
	if !ok {
		t.Skip("no assembly kernel on this build or CPU")
	}
	wsAsm, wsGo := newWorkspace(1, asm), newWorkspace(1, goKernels)
	defer wsAsm.Close()
	defer wsGo.Close()
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range gemmCases() {
		t.Run(c.String(), func(t *testing.T) {
			a, lda, b, ldb, cm, ldc := c.operands(r)
			cGo := append([]float32(nil), cm...)
			wsAsm.Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
			wsGo.Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cGo, ldc)
			want := make([]float64, c.m*c.n)
			for i := 0; i < c.m; i++ {
				for j := 0; j < c.n; j++ {
					want[i*c.n+j] = float64(cGo[i*ldc+j])
				}
			}
			checkClose(t, cm, ldc, want, c.m, c.n, c.k)
		})
	}
}

// TestKernelDirect calls each available micro-kernel on one tile, for every
// row count, and checks every element, including that nothing outside the
// rows x nr tile is written.
func TestKernelDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for name, ks := range kernelSets() {
		for rows := 1; rows <= mr; rows++ {
			for _, k := range []int{1, 3, 4, 5, 8, 37} {
				const ldc = nr + 5
				a, b := randSlice(r, k*mr), randSlice(r, k*nr)
				c := randSlice(r, mr*ldc)
				want := make([]float32, len(c))
				copy(want, c)
				for i := 0; i < rows; i++ {
					for j := 0; j < nr; j++ {
						var s float64
						for p := 0; p < k; p++ {
							s += float64(a[p*mr+i]) * float64(b[p*nr+j])
						}
						want[i*ldc+j] = float32(float64(want[i*ldc+j]) + s)
					}
				}
				ks.gemm(rows, k, a, b, c, ldc)
				if diff := cmp.Diff(want, c, cmp.Comparer(func(x, y float32) bool {
					d := x - y
					return d < 1e-5*float32(k+2) && -d < 1e-5*float32(k+2)
				})); diff != "" {
					t.Errorf("%s kernel, rows=%d, k=%d: C mismatch (-want +got):\n%s", name, rows, k, diff)
				}
			}
		}
	}
}

// TestDotDirect calls each available dot kernel on one tile and checks every
// element against a float64 reference, including that nothing outside the
// tile is written.
func TestDotDirect(t *testing.T) {
	kernels := map[string]dotFunc{"go": dotGo}
	if asm, ok := asmKernels(); ok {
		kernels["asm"] = asm.dot
	}
	r := rand.New(rand.NewPCG(19, 20))
	for name, dot := range kernels {
		for _, k8 := range []int{1, 2, 3, 8, 13} {
			const lda, ldb, ldc = 8*13 + 3, 8*13 + 1, dc + 2
			const alpha = -0.75
			a, b := randSlice(r, dr*lda), randSlice(r, dc*ldb)
			c := randSlice(r, dr*ldc)
			want := make([]float32, len(c))
			copy(want, c)
			for i := 0; i < dr; i++ {
				for j := 0; j < dc; j++ {
					var s float64
					for p := 0; p < 8*k8; p++ {
						s += float64(a[i*lda+p]) * float64(b[j*ldb+p])
					}
					want[i*ldc+j] = float32(float64(want[i*ldc+j]) + alpha*s)
				}
			}
			dot(k8, a, lda, b, ldb, c, ldc, alpha)
			tol := 1e-5 * float32(8*k8+2)
			if diff := cmp.Diff(want, c, cmp.Comparer(func(x, y float32) bool {
				d := x - y
				return d < tol && -d < tol
			})); diff != "" {
				t.Errorf("%s dot kernel, k8=%d: C mismatch (-want +got):\n%s", name, k8, diff)
			}
		}
	}
}

// TestKernelIndirectMatchesPacked checks that each indirect micro-kernel
// gives bit-identical results to the packed kernel of the same build fed
// with the gathered panel.
func TestKernelIndirectMatchesPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for name, ks := range kernelSets() {
		for _, k := range []int{1, 3, 4, 9, 40} {
			rows := 1 + k%mr
			src := randSlice(r, 4096)
			boff := make([]int32, k)
			o := int32(0)
			for p := range boff {
				o += int32(r.IntN(50))
				boff[p] = o
			}
			b, b2 := src[3:], src[101:]
			panel := make([]float32, k*nr)
			for p, o := range boff {
				copy(panel[p*nr:p*nr+nr/2], b[o:])
				copy(panel[p*nr+nr/2:p*nr+nr], b2[o:])
			}
			a := randSlice(r, k*mr)
			const ldc = nr + 3
			c0 := randSlice(r, mr*ldc)
			want := append([]float32(nil), c0...)
			got := append([]float32(nil), c0...)
			ks.gemm(rows, k, a, panel, want, ldc)
			ks.ind(rows, k, a, b, b2, boff, got, ldc)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, rows=%d, k=%d: indirect kernel differs from packed (-packed +indirect):\n%s", name, rows, k, diff)
			}
		}
	}
}

// TestDotIndirectMatchesDirect checks that each indirect dot kernel gives
// bit-identical results to the direct dot kernel of the same build fed with
// the gathered rows.
func TestDotIndirectMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for name, ks := range kernelSets() {
		for _, k8 := range []int{1, 2, 3, 7} {
			src := randSlice(r, 8192)
			boff := []int32{0, int32(1 + r.IntN(100)), 0}
			boff[2] = boff[1] + int32(1+r.IntN(100))
			qoff := make([]int32, k8)
			q := int32(r.IntN(10))
			for s := range qoff {
				qoff[s] = q
				q += int32(8 + r.IntN(30))
			}
			ldb := 8 * k8
			rows := make([]float32, dc*ldb)
			for j := 0; j < dc; j++ {
				for s, q := range qoff {
					copy(rows[j*ldb+8*s:j*ldb+8*s+8], src[boff[j]+q:])
				}
			}
			const lda, ldc = 61, 5
			a := randSlice(r, dr*lda)
			c0 := randSlice(r, dr*ldc)
			want := append([]float32(nil), c0...)
			got := append([]float32(nil), c0...)
			ks.dot(k8, a, lda, rows, ldb, want, ldc, 0.5)
			ks.dotInd(k8, a, lda, src, boff, qoff, got, ldc, 0.5)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, k8=%d: indirect dot differs from direct (-direct +indirect):\n%s", name, k8, diff)
			}
		}
	}
}

// TestKernelScatterMatchesIndirect checks that each scatter micro-kernel
// adds to its scattered rows exactly what the indirect kernel of the same
// build computes for the tile.
func TestKernelScatterMatchesIndirect(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for name, ks := range kernelSets() {
		for rows := 1; rows <= mr; rows++ {
			k := 1 + r.IntN(40)
			src := randSlice(r, 4096)
			boff := make([]int32, k)
			for p := range boff {
				boff[p] = int32(p * 37)
			}
			a := randSlice(r, k*mr)
			b, b2 := src[5:], src[200:]
			// Rows land at scattered, non-overlapping places, in no order.
			c0 := randSlice(r, 2048)
			coff := make([]int32, rows)
			for i := range coff {
				coff[i] = int32((rows - i) * 100)
			}
			c, c2 := c0[0:], c0[1000:]
			want := append([]float32(nil), c0...)
			var tile [mr * nr]float32
			ks.ind(rows, k, a, b, b2, boff, tile[:], nr)
			for i, o := range coff {
				for j := 0; j < nr/2; j++ {
					want[int(o)+j] += tile[i*nr+j]
					want[1000+int(o)+j] += tile[i*nr+nr/2+j]
				}
			}
			ks.io(rows, k, a, b, b2, boff, c, c2, coff)
			if diff := cmp.Diff(want, c0); diff != "" {
				t.Errorf("%s, rows=%d, k=%d: scatter kernel differs (-want +got):\n%s", name, rows, k, diff)
			}
		}
	}
}
