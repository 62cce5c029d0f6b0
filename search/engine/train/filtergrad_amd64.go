//go:build amd64 && !purego

package train

//go:generate go run ./internal/filtergen -out filtergrad_amd64.s

// filterArgs are the arguments of filterReg1 .. filterReg12 (field offsets
// are #defined in filtergrad_amd64.s); strides and lengths in bytes.
type filterArgs struct {
	dw, dy    *float32
	offs      *int32
	vals      *float32
	runs      *int32
	nruns, k  int
	rowStride int // bytes between kernel rows of dy
	rowLen    int // bytes of one reversed filter row
	nchunks   int // chunks of 32*n bytes per row
	vstride   int // bytes between the values of two events (0: one value for all)
}

//go:noescape
func filterReg1(a *filterArgs)

//go:noescape
func filterReg2(a *filterArgs)

//go:noescape
func filterReg3(a *filterArgs)

//go:noescape
func filterReg4(a *filterArgs)

//go:noescape
func filterReg5(a *filterArgs)

//go:noescape
func filterReg6(a *filterArgs)

//go:noescape
func filterReg7(a *filterArgs)

//go:noescape
func filterReg8(a *filterArgs)

//go:noescape
func filterReg9(a *filterArgs)

//go:noescape
func filterReg10(a *filterArgs)

//go:noescape
func filterReg11(a *filterArgs)

//go:noescape
func filterReg12(a *filterArgs)

var filterRegs = [maxFilterAcc + 1]func(*filterArgs){nil, filterReg1, filterReg2, filterReg3, filterReg4,
	filterReg5, filterReg6, filterReg7, filterReg8, filterReg9, filterReg10, filterReg11, filterReg12}

// filterRegionsAsm runs filterRegionsGo's sums (arguments checked, runs
// not empty) with rows in chunks of n 8-float vectors kept in registers
// (fused multiply-adds), and reports false, having done nothing, when the
// CPU lacks AVX2/FMA or rowLen is not n*8*chunks.
func filterRegionsAsm(n, chunks int, dw, dy []float32, offs []int32, vals []float32, runs []int32, k, rowStride, rowLen int) bool {
	if !hasAVX2FMA || n < 1 || n > maxFilterAcc || n*8*chunks != rowLen {
		return false
	}
	vstride := 4
	if len(vals) == 1 {
		vstride = 0
	}
	a := filterArgs{dw: &dw[0], dy: &dy[0], offs: &offs[0], vals: &vals[0], runs: &runs[0],
		nruns: len(runs) / 3, k: k, rowStride: 4 * rowStride, rowLen: 4 * rowLen, nchunks: chunks, vstride: vstride}
	filterRegs[n](&a)
	return true
}
