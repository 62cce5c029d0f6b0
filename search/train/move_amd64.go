//go:build amd64 && !purego

package train

//go:noescape
func transposeAVX2(src, dst *float32, rows, cols int)

//go:noescape
func nonzeroTableAVX2(x *float32, n int, idx *int32, table *[256][8]int32) int

// compressTable[m] lists the set bits of the 8-bit mask m in increasing
// order (the rest of the row is 0); read-only after package initialisation.
var compressTable = func() *[256][8]int32 {
	var t [256][8]int32
	for m := range 256 {
		j := 0
		for b := range 8 {
			if m&(1<<b) != 0 {
				t[m][j] = int32(b)
				j++
			}
		}
	}
	return &t
}()

// transpose sets dst[c*rows+r] = src[r*cols+c] for r < rows, c < cols
// (pure data movement: the same result on every path).
func transpose(src, dst []float32, rows, cols int) {
	if rows*cols == 0 {
		return
	}
	_, _ = src[rows*cols-1], dst[rows*cols-1]
	if hasAVX2FMA && rows%8 == 0 && cols%8 == 0 {
		transposeAVX2(&src[0], &dst[0], rows, cols)
		return
	}
	transposeGo(src, dst, rows, cols)
}

// nonzero writes the indices of the nonzero values of x (x[i] != 0, so NaN
// counts and -0 does not) to idx in increasing order and returns their
// number; idx must be at least as long as x. The multiple-of-8 head is
// scanned by a branch-free AVX2 kernel (it needs POPCNT too: hasFusedAVX2).
func nonzero(x []float32, idx []int32) int {
	_ = idx[:len(x)]
	if m := len(x) &^ 7; hasFusedAVX2 && m > 0 {
		n := nonzeroTableAVX2(&x[0], m, &idx[0], compressTable)
		return n + nonzeroGo(x[m:], idx[n:], int32(m))
	}
	return nonzeroGo(x, idx, 0)
}
