//go:build amd64 && !purego

package train

//go:noescape
func transposeAVX2(src, dst *float32, rows, cols int)

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
