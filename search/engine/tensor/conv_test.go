package tensor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// convDirect64 is the naive direct convolution in float64, the reference
// for the im2col kernels.
func convDirect64(s ConvShape, x, w []float32) []float64 {
	oh, ow := s.OutH(), s.OutW()
	y := make([]float64, s.N*s.Cout*oh*ow)
	for n := 0; n < s.N; n++ {
		for co := 0; co < s.Cout; co++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var sum float64
					for ci := 0; ci < s.Cin; ci++ {
						for kh := 0; kh < s.KH; kh++ {
							for kw := 0; kw < s.KW; kw++ {
								iy, ix := i*s.Stride-s.Pad+kh, j*s.Stride-s.Pad+kw
								if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
									continue
								}
								sum += float64(x[((n*s.Cin+ci)*s.H+iy)*s.W+ix]) * float64(w[((co*s.Cin+ci)*s.KH+kh)*s.KW+kw])
							}
						}
					}
					y[((n*s.Cout+co)*oh+i)*ow+j] = sum
				}
			}
		}
	}
	return y
}

// convCases covers k1/k3/k5, stride 1/2, with and without padding, odd
// sizes and the AutoSNN cell shapes at a small batch.
var convCases = []ConvShape{
	{N: 2, Cin: 3, H: 5, W: 5, Cout: 4, KH: 1, KW: 1, Stride: 1, Pad: 0},
	{N: 2, Cin: 3, H: 6, W: 7, Cout: 5, KH: 1, KW: 1, Stride: 2, Pad: 0},
	{N: 2, Cin: 3, H: 7, W: 6, Cout: 4, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 1, Cin: 2, H: 7, W: 7, Cout: 3, KH: 3, KW: 3, Stride: 2, Pad: 1},
	{N: 2, Cin: 2, H: 8, W: 8, Cout: 3, KH: 3, KW: 3, Stride: 2, Pad: 0},
	{N: 2, Cin: 3, H: 9, W: 8, Cout: 7, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 1, Cin: 2, H: 9, W: 9, Cout: 3, KH: 5, KW: 5, Stride: 2, Pad: 2},
	{N: 2, Cin: 1, H: 5, W: 5, Cout: 2, KH: 5, KW: 5, Stride: 1, Pad: 0},
	{N: 3, Cin: 2, H: 4, W: 9, Cout: 2, KH: 3, KW: 5, Stride: 1, Pad: 1},
	{N: 2, Cin: 2, H: 8, W: 8, Cout: 5, KH: 3, KW: 3, Stride: 1, Pad: 1}, // 8-wide rows: indirect filter gradient
	{N: 3, Cin: 1, H: 6, W: 8, Cout: 2, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 5, Cin: 2, H: 3, W: 16, Cout: 7, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 2, Cin: 16, H: 32, W: 32, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 2, Cin: 16, H: 32, W: 32, Cout: 32, KH: 3, KW: 3, Stride: 2, Pad: 1},
	{N: 2, Cin: 32, H: 16, W: 16, Cout: 32, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 2, Cin: 64, H: 8, W: 8, Cout: 64, KH: 1, KW: 1, Stride: 1, Pad: 0},
}

func checkClose64(t *testing.T, what string, got []float32, want []float64, k int) {
	t.Helper()
	tol := 1e-5 * float64(k+4)
	bad := 0
	for i := range want {
		g, w := float64(got[i]), want[i]
		if math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) || math.IsNaN(g) {
			if bad < 5 {
				t.Errorf("%s[%d] = %g, want %g", what, i, g, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements wrong", what, bad, len(want))
	}
}

// kernelSets returns the kernel sets this build and CPU can run, by name.
func kernelSets() map[string]kernels {
	sets := map[string]kernels{"go": goKernels}
	if asm, ok := asmKernels(); ok {
		sets["asm"] = asm
	}
	return sets
}

func TestConv2DForward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for name, ks := range kernelSets() {
		ws := newWorkspace(2, ks)
		for _, s := range convCases {
			t.Run(name+"/"+s.String(), func(t *testing.T) {
				x, w := randSlice(r, s.XLen()), randSlice(r, s.WLen())
				y := randSlice(r, s.YLen()) // garbage must be overwritten
				Conv2DForward(s, x, w, y, ws)
				checkClose64(t, "y", y, convDirect64(s, x, w), s.Cin*s.KH*s.KW)
			})
		}
		ws.Close()
	}
}

// lossGrad returns L(x, w) = sum(g .* conv(x, w)) in float64.
func lossGrad(s ConvShape, x, w []float32, g []float32) float64 {
	var l float64
	for i, v := range convDirect64(s, x, w) {
		l += v * float64(g[i])
	}
	return l
}

// numGrad returns the central-difference derivative of L with respect to
// v[i], where L reads v.
func numGrad(v []float32, i int, l func() float64) float64 {
	const eps = 1.0 / 64 // exact in float32, L is linear in v[i]
	old := v[i]
	v[i] = old + eps
	lp := l()
	v[i] = old - eps
	lm := l()
	v[i] = old
	return (lp - lm) / (2 * eps)
}

func TestConv2DBackwardNumeric(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ws := NewWorkspace(0)
	for _, s := range convCases {
		if s.XLen() > 2000 {
			continue // the numeric gradient costs a full convolution per element
		}
		t.Run(s.String(), func(t *testing.T) {
			x, w, g := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
			loss := func() float64 { return lossGrad(s, x, w, g) }

			dx := randSlice(r, s.XLen()) // overwritten
			Conv2DBackwardData(s, g, w, dx, ws)
			want := make([]float64, len(x))
			for i := range x {
				want[i] = numGrad(x, i, loss)
			}
			checkClose64(t, "dx", dx, want, s.Cout*s.KH*s.KW)

			dw0 := randSlice(r, s.WLen()) // accumulated into
			dw := append([]float32(nil), dw0...)
			Conv2DBackwardFilter(s, x, g, dw, ws)
			wantW := make([]float64, len(w))
			for i := range w {
				wantW[i] = float64(dw0[i]) + numGrad(w, i, loss)
			}
			checkClose64(t, "dw", dw, wantW, s.N*s.OutH()*s.OutW())
		})
	}
}

// TestConv2DBackwardAdjoint checks <conv(x), g> = <x, dx(g)> = <w, dw(g)>
// on the larger shapes, where a full numeric gradient is too slow.
func TestConv2DBackwardAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for name, ks := range kernelSets() {
		ws := newWorkspace(2, ks)
		testConvAdjoint(t, r, name, ws)
		ws.Close()
	}
}

func testConvAdjoint(t *testing.T, r *rand.Rand, name string, ws *Workspace) {
	for _, s := range convCases {
		t.Run(name+"/"+s.String(), func(t *testing.T) {
			x, w, g := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
			want := lossGrad(s, x, w, g)
			dx := make([]float32, s.XLen())
			Conv2DBackwardData(s, g, w, dx, ws)
			dw := make([]float32, s.WLen())
			Conv2DBackwardFilter(s, x, g, dw, ws)
			var gotX, gotW float64
			for i := range x {
				gotX += float64(x[i]) * float64(dx[i])
			}
			for i := range w {
				gotW += float64(w[i]) * float64(dw[i])
			}
			tol := 1e-4 * math.Sqrt(float64(s.YLen()*s.Cin*s.KH*s.KW))
			if math.Abs(gotX-want) > tol {
				t.Errorf("<x, dx> = %g, want <y, g> = %g", gotX, want)
			}
			if math.Abs(gotW-want) > tol {
				t.Errorf("<w, dw> = %g, want <y, g> = %g", gotW, want)
			}
		})
	}
}

func TestConvShapeValidate(t *testing.T) {
	for _, tc := range []struct {
		s    ConvShape
		want string // substring of the error, "" for valid
	}{
		{ConvShape{1, 1, 4, 4, 1, 3, 3, 1, 1}, ""},
		{ConvShape{0, 1, 4, 4, 1, 3, 3, 1, 1}, "N = 0, want > 0"},
		{ConvShape{1, 1, 4, 4, 1, 3, 3, 0, 1}, "Stride = 0, want > 0"},
		{ConvShape{1, 1, 4, 4, 1, 3, 3, 1, -1}, "Pad = -1, want >= 0"},
		{ConvShape{1, 1, 4, 4, 1, 3, 3, 1, 3}, ""}, // padding wider than the kernel is allowed
		{ConvShape{1, 1 << 20, 64, 64, 1, 3, 3, 1, 1}, "padded image of 4567597056 floats, want <= 2147483647"},
		{ConvShape{1, 1, 2, 2, 1, 5, 5, 1, 1}, "kernel 5x5 larger than padded input 4x4"},
	} {
		err := tc.s.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v.Validate() = %v, want nil", tc.s, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v.Validate() = %v, want error containing %q", tc.s, err, tc.want)
		}
	}
}

func TestConvOutSize(t *testing.T) {
	for _, tc := range []struct {
		s      ConvShape
		oh, ow int
	}{
		{ConvShape{1, 1, 32, 32, 1, 3, 3, 1, 1}, 32, 32},
		{ConvShape{1, 1, 32, 32, 1, 3, 3, 2, 1}, 16, 16},
		{ConvShape{1, 1, 32, 32, 1, 5, 5, 2, 2}, 16, 16},
		{ConvShape{1, 1, 7, 9, 1, 3, 3, 2, 0}, 3, 4},
	} {
		if oh, ow := tc.s.OutH(), tc.s.OutW(); oh != tc.oh || ow != tc.ow {
			t.Errorf("%v: out %dx%d, want %dx%d", tc.s, oh, ow, tc.oh, tc.ow)
		}
	}
}

func TestConvPanicsOnBadArgs(t *testing.T) {
	s := ConvShape{N: 2, Cin: 3, H: 5, W: 5, Cout: 4, KH: 3, KW: 3, Stride: 1, Pad: 1}
	x, w, y := make([]float32, s.XLen()), make([]float32, s.WLen()), make([]float32, s.YLen())
	ws := NewWorkspace(1)
	defer ws.Close()
	bad := s
	bad.Stride = 0
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"forward short y", "len(y) = 199, want >= 200", func() { Conv2DForward(s, x, w, y[:199], ws) }},
		{"forward short w", "len(w) = 0, want >= 108", func() { Conv2DForward(s, x, nil, y, ws) }},
		{"backward data short dx", "len(dx) = 149, want >= 150", func() { Conv2DBackwardData(s, y, w, x[:149], ws) }},
		{"backward filter short dw", "len(dw) = 107, want >= 108", func() { Conv2DBackwardFilter(s, x, y, w[:107], ws) }},
		{"invalid shape", "Stride = 0, want > 0", func() { Conv2DForward(bad, x, w, y, ws) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}
