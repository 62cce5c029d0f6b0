package train

// axpyGo is the portable y[i] += a*x[i].
func axpyGo(a float32, x, y []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}
