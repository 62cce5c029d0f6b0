package tensor

import "runtime"

// Workspace holds reusable scratch memory for the kernels so that
// steady-state calls do not allocate. A Workspace must not be used by two
// goroutines at once; give each concurrent caller its own.
type Workspace struct {
	workers int
	col     []float32
	part    []float32
}

// NewWorkspace returns a Workspace that splits work across the given number
// of workers; workers <= 0 means runtime.GOMAXPROCS(0). Results do not depend
// on the number of workers.
func NewWorkspace(workers int) *Workspace {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Workspace{workers: workers}
}

// Workers returns the number of workers the Workspace splits work across.
func (ws *Workspace) Workers() int { return ws.workers }

// grow returns buf resized to n elements, reallocating only when its
// capacity is too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

func (ws *Workspace) convForward(s ConvShape, x, w, y []float32) {
	k := s.Cin * s.KH * s.KW
	p := s.OutH() * s.OutW()
	ws.col = grow(ws.col, k*p)
	for n := 0; n < s.N; n++ {
		xn := x[n*s.Cin*s.H*s.W : (n+1)*s.Cin*s.H*s.W]
		col := xn
		if !s.isPointwise() {
			col = ws.col
			im2col(s, xn, col)
		}
		Sgemm(false, false, s.Cout, p, k, 1, w, k, col, p, 0, y[n*s.Cout*p:], p)
	}
}

func (ws *Workspace) convBackwardData(s ConvShape, dy, w, dx []float32) {
	k := s.Cin * s.KH * s.KW
	p := s.OutH() * s.OutW()
	img := s.Cin * s.H * s.W
	ws.col = grow(ws.col, k*p)
	for n := 0; n < s.N; n++ {
		dxn := dx[n*img : (n+1)*img]
		if s.isPointwise() {
			Sgemm(true, false, k, p, s.Cout, 1, w, k, dy[n*s.Cout*p:], p, 0, dxn, p)
			continue
		}
		Sgemm(true, false, k, p, s.Cout, 1, w, k, dy[n*s.Cout*p:], p, 0, ws.col, p)
		clear(dxn)
		col2im(s, ws.col, dxn)
	}
}

func (ws *Workspace) convBackwardFilter(s ConvShape, x, dy, dw []float32) {
	k := s.Cin * s.KH * s.KW
	p := s.OutH() * s.OutW()
	img := s.Cin * s.H * s.W
	ws.col = grow(ws.col, k*p)
	for n := 0; n < s.N; n++ {
		xn := x[n*img : (n+1)*img]
		col := xn
		if !s.isPointwise() {
			col = ws.col
			im2col(s, xn, col)
		}
		Sgemm(false, true, s.Cout, k, p, 1, dy[n*s.Cout*p:], p, col, p, 1, dw, k)
	}
}
