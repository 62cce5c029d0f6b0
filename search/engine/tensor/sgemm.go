package tensor

import "fmt"

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X, or X^T when the matching trans flag is set. op(A) is m x k,
// op(B) is k x n and C is m x n. lda, ldb and ldc are the row strides of the
// stored matrices in elements: A is stored as m x k (k x m when transA) with
// row stride lda, B as k x n (n x k when transB) with row stride ldb, and C as
// m x n with row stride ldc.
//
// When beta is 0, C is overwritten and its old contents (even NaN) are
// ignored. C must not overlap A or B. Sgemm panics if a size is negative, a
// stride is smaller than its row length or a slice is too short.
//
// Sgemm borrows a Workspace from an internal pool; callers that want to
// control the number of workers use Workspace.Sgemm.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ws := sgemmPool.Get().(*Workspace)
	ws.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	sgemmPool.Put(ws)
}

// checkGemm panics with a descriptive message if the GEMM arguments are
// inconsistent.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("tensor: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	checkMat("A", a, lda, m, k, transA)
	checkMat("B", b, ldb, k, n, transB)
	checkMat("C", c, ldc, m, n, false)
}

// checkMat checks that x holds an r x c matrix (c x r stored when trans)
// with row stride ld.
func checkMat(name string, x []float32, ld, r, c int, trans bool) {
	if trans {
		r, c = c, r
	}
	if ld < max(c, 1) {
		panic(fmt.Sprintf("tensor: Sgemm: ld%s = %d, want >= %d (row length)", name, ld, max(c, 1)))
	}
	if r == 0 || c == 0 {
		return
	}
	if need := (r-1)*ld + c; len(x) < need {
		panic(fmt.Sprintf("tensor: Sgemm: len(%s) = %d, want >= %d for %d x %d with stride %d", name, len(x), need, r, c, ld))
	}
}
