package tensor

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// winoCases are shapes the Winograd path accepts: 3x3 and 5x5 kernels,
// same and other paddings, sizes that are and are not multiples of the
// 3x3 output tile and of the 8-pixel transpose blocks, ragged output
// channel panels (Cout 8, 24) and the AutoSNN cell shapes.
var winoCases = []ConvShape{
	{N: 2, Cin: 8, H: 8, W: 8, Cout: 8, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 2, Cin: 16, H: 7, W: 13, Cout: 24, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 1, Cin: 8, H: 9, W: 10, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 0},
	{N: 1, Cin: 8, H: 6, W: 6, Cout: 8, KH: 3, KW: 3, Stride: 1, Pad: 2},
	{N: 2, Cin: 16, H: 32, W: 32, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 2, Cin: 8, H: 8, W: 8, Cout: 8, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 2, Cin: 24, H: 11, W: 5, Cout: 8, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 1, Cin: 8, H: 12, W: 9, Cout: 16, KH: 5, KW: 5, Stride: 1, Pad: 0},
	{N: 1, Cin: 16, H: 28, W: 28, Cout: 16, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 2, Cin: 32, H: 16, W: 16, Cout: 32, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 2, Cin: 64, H: 8, W: 8, Cout: 64, KH: 5, KW: 5, Stride: 1, Pad: 2},
	// Groups of small images per task, the last group partial.
	{N: 5, Cin: 16, H: 8, W: 8, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 4, Cin: 8, H: 16, W: 16, Cout: 24, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 7, Cin: 8, H: 3, W: 5, Cout: 8, KH: 3, KW: 3, Stride: 1, Pad: 1},
}

// winoTol returns the allowed error of the Winograd convolutions of shape
// s relative to the largest output. Measured on winoCases (2026-11-27):
// F(3x3, 3x3) <= 8.0e-7; F(3x3, 5x5) <= 3.6e-6 for the outputs and <= 4.7e-6
// for the input gradients (the points are chosen for flipped filters). The
// bounds catch a wrong or less accurate algorithm: F(4x4, 3x3) reached 6e-6.
func winoTol(s ConvShape) float64 {
	if s.KH == 5 {
		return 6e-6
	}
	return 3e-6
}

// maxRelErr returns max |got-want| / max |want|, or +Inf when got has a
// NaN.
func maxRelErr(got []float32, want []float64) float64 {
	var e, m float64
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(g) {
			return math.Inf(1)
		}
		e = math.Max(e, math.Abs(g-w))
		m = math.Max(m, math.Abs(w))
	}
	return e / math.Max(m, 1e-30)
}

func winoKernelSets() map[string]*winoKernels {
	sets := map[string]*winoKernels{"go": winoKernelsGo}
	if k, ok := asmKernels(); ok && k.wino != nil {
		sets["asm"] = k.wino
	}
	return sets
}

func TestWinogradConv(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for name, wk := range winoKernelSets() {
		ws := newWorkspace(2, goKernels)
		for _, s := range winoCases {
			t.Run(name+"/"+s.String(), func(t *testing.T) {
				a, ok := winoAlgoFor(s)
				if !ok {
					t.Fatalf("winoAlgoFor(%v) = false, want true", s)
				}
				x, w := randSlice(r, s.XLen()), randSlice(r, s.WLen())
				y := randSlice(r, s.YLen()) // garbage must be overwritten
				ws.s.winoConv(s, a, wk, x, w, y, false)
				e := maxRelErr(y, convDirect64(s, x, w))
				t.Logf("max error %.3g of the largest output", e)
				if e > winoTol(s) {
					t.Errorf("max error %.3g of the largest output, want <= %.3g", e, winoTol(s))
				}
			})
		}
		ws.Close()
	}
}

// TestWinogradBackwardData checks Conv2DBackwardData on shapes whose
// transposed convolution takes the Winograd path (filters flipped while
// they are reordered) against the float64 reference.
func TestWinogradBackwardData(t *testing.T) {
	k, ok := asmKernels()
	if !ok || k.wino == nil {
		t.Skip("no Winograd kernels on this build")
	}
	r := rand.New(rand.NewPCG(13, 14))
	ws := newWorkspace(2, k)
	defer ws.Close()
	for _, s := range winoCases {
		t.Run(s.String(), func(t *testing.T) {
			if tr, ok := s.transposed(); !ok {
				t.Skip("not a transposable shape")
			} else if _, ok := winoAlgoFor(tr); !ok {
				t.Fatalf("transposed shape %v not accepted", tr)
			}
			x, w, g := randSlice(r, s.XLen()), randSlice(r, s.WLen()), randSlice(r, s.YLen())
			dx := randSlice(r, s.XLen())
			Conv2DBackwardData(s, g, w, dx, ws)
			want, _ := convBackward64(s, x, w, g)
			e := maxRelErr(dx, want)
			t.Logf("max error %.3g of the largest input gradient", e)
			if e > winoTol(s) {
				t.Errorf("max error %.3g of the largest input gradient, want <= %.3g", e, winoTol(s))
			}
		})
	}
}

// TestWinogradDeterministic checks that the Winograd path gives the same
// bits for any number of workers, and through Conv2DBackwardData.
func TestWinogradDeterministic(t *testing.T) {
	k, ok := asmKernels()
	if !ok || k.wino == nil {
		t.Skip("no Winograd kernels on this build")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range winoCases {
		x, w := randSlice(r, s.XLen()), randSlice(r, s.WLen())
		var ref []float32
		for _, workers := range []int{1, 2, 3} {
			ws := newWorkspace(workers, k)
			a, _ := winoAlgoFor(s)
			y := make([]float32, s.YLen())
			ws.s.winoConv(s, a, k.wino, x, w, y, false)
			ws.Close()
			if ref == nil {
				ref = y
				continue
			}
			if d := cmp.Diff(ref, y); d != "" {
				t.Errorf("%v: %d workers differ from 1 (-1 +%d):\n%.300s", s, workers, workers, d)
			}
		}
	}
}

func TestWinogradAlgoFor(t *testing.T) {
	for _, c := range []struct {
		s    ConvShape
		want bool
	}{
		{ConvShape{N: 1, Cin: 16, H: 8, W: 8, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, true},
		{ConvShape{N: 1, Cin: 16, H: 8, W: 8, Cout: 16, KH: 5, KW: 5, Stride: 1, Pad: 2}, true},
		{ConvShape{N: 1, Cin: 16, H: 8, W: 8, Cout: 16, KH: 3, KW: 3, Stride: 2, Pad: 1}, false},
		{ConvShape{N: 1, Cin: 3, H: 8, W: 8, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, false},
		{ConvShape{N: 1, Cin: 16, H: 8, W: 8, Cout: 12, KH: 3, KW: 3, Stride: 1, Pad: 1}, false},
		{ConvShape{N: 1, Cin: 16, H: 8, W: 8, Cout: 16, KH: 1, KW: 1, Stride: 1, Pad: 0}, false},
		{ConvShape{N: 1, Cin: 16, H: 8, W: 8, Cout: 16, KH: 3, KW: 5, Stride: 1, Pad: 1}, false},
	} {
		if _, got := winoAlgoFor(c.s); got != c.want {
			t.Errorf("winoAlgoFor(%v) = %v, want %v", c.s, got, c.want)
		}
	}
}

// TestWinogradKernelsAsmMatchGo compares each assembly kernel with its Go
// reference: transposes bit for bit, transforms and GEMM to float
// tolerance (fused multiply-adds).
func TestWinogradKernelsAsmMatchGo(t *testing.T) {
	k, ok := asmKernels()
	if !ok || k.wino == nil {
		t.Skip("no Winograd kernels on this build")
	}
	r := rand.New(rand.NewPCG(7, 8))
	r0 := rand.New(rand.NewPCG(9, 10))
	for id := xformID(0); id < numXforms; id++ {
		mat := winoTables.mats[id]
		ins, outs := len(mat[0]), len(mat)
		n1, n2, sstride, dstride := 3, 2, 29, 31
		s2src, s2dst := sstride*ins+5, dstride*outs+3
		src := randSlice(r, (n2-1)*s2src+n1*8+(ins-1)*sstride)
		got := make([]float32, (n2-1)*s2dst+n1*8+(outs-1)*dstride)
		want := make([]float32, len(got))
		k.wino.xform(id, src, sstride, got, dstride, n1, n2, s2src, s2dst)
		winoKernelsGo.xform(id, src, sstride, want, dstride, n1, n2, s2src, s2dst)
		if d := cmp.Diff(want, got, cmpApprox(1e-5)); d != "" {
			t.Errorf("transform %d (-go +asm):\n%.500s", id, d)
		}
	}
	for _, a := range []*winoAlgo{&winoTables.k3, &winoTables.k5} {
		r, alpha := a.r, a.alpha
		n1, n2, sstride, dstride := 3, 2, 29, 31
		s2src, s2dst := sstride*r+5, dstride*alpha+3
		src := make([]float64, (n2-1)*s2src+n1*4+(r-1)*sstride)
		for i := range src {
			src[i] = r0.NormFloat64()
		}
		got := make([]float64, (n2-1)*s2dst+n1*4+(alpha-1)*dstride)
		want := make([]float64, len(got))
		k.wino.xform64(a, src, sstride, got, dstride, n1, n2, s2src, s2dst)
		winoKernelsGo.xform64(a, src, sstride, want, dstride, n1, n2, s2src, s2dst)
		if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-13, 1e-13)); d != "" {
			t.Errorf("filter transform r=%d (-go +asm):\n%.500s", r, d)
		}
	}
	t.Run("gemm", func(t *testing.T) {
		groups, kk, lda, ldc := 3, 21, 23, 35
		a, b := randSlice(r, 6*groups*lda), randSlice(r, kk*16)
		got, want := make([]float32, 6*groups*ldc), make([]float32, 6*groups*ldc)
		k.wino.gemm(groups, kk, a, lda, b, got, ldc)
		winoKernelsGo.gemm(groups, kk, a, lda, b, want, ldc)
		if d := cmp.Diff(want, got, cmpApprox(1e-5)); d != "" {
			t.Errorf("gemm (-go +asm):\n%.500s", d)
		}
	})
	t.Run("transpose", func(t *testing.T) {
		bi, bj, ls, ld := 2, 3, 27, 19
		src := randSlice(r, (8*bi-1)*ls+8*bj)
		got, want := make([]float32, (8*bj-1)*ld+8*bi), make([]float32, (8*bj-1)*ld+8*bi)
		k.wino.transpose(src, ls, got, ld, bi, bj)
		winoKernelsGo.transpose(src, ls, want, ld, bi, bj)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("transpose (-go +asm):\n%.500s", d)
		}
	})
}

// cmpApprox compares float32 values to a relative tolerance (absolute
// below 1).
func cmpApprox(tol float64) cmp.Option {
	return cmp.Comparer(func(a, b float32) bool {
		return math.Abs(float64(a)-float64(b)) <= tol*math.Max(1, math.Abs(float64(a)))
	})
}

// TestWinogradAssemblyUpToDate fails when winograd_amd64.s differs from
// what internal/wingen generates. -short skips it (it builds the
// generator).
func TestWinogradAssemblyUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	out := filepath.Join(t.TempDir(), "winograd_amd64.s")
	cmd := exec.Command("go", "run", "./internal/wingen", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the generator: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("winograd_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("winograd_amd64.s is stale: run go generate ./search/engine/tensor")
	}
}

// TestPadHWC checks PadHWC against its definition, with channel counts and
// widths on and off the 8x8 transpose blocks, rows and columns beyond the
// border (extra), and a dirty destination.
func TestPadHWC(t *testing.T) {
	for _, c := range []struct{ c, h, w, pad, extra int }{
		{16, 8, 8, 2, 0}, {8, 3, 17, 1, 0}, {5, 4, 9, 0, 0}, {24, 1, 16, 3, 0}, {16, 8, 8, 2, 1}, {8, 5, 9, 1, 2},
	} {
		x := make([]float32, c.c*c.h*c.w)
		for i := range x {
			x[i] = float32(i + 1)
		}
		wp := c.w + 2*c.pad + c.extra
		got := make([]float32, (c.h+2*c.pad+c.extra)*wp*c.c)
		for i := range got {
			got[i] = -1
		}
		PadHWC(got, x, c.c, c.h, c.w, c.pad, wp)
		want := make([]float32, len(got))
		for ch := range c.c {
			for y := range c.h {
				for xx := range c.w {
					want[((y+c.pad)*wp+xx+c.pad)*c.c+ch] = x[(ch*c.h+y)*c.w+xx]
				}
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%+v: (-want +got):\n%.300s", c, d)
		}
	}
}

// TestConv2DBackwardDataImages checks that the image-by-image input
// gradient gives the bits of Conv2DBackwardData when fill pads the same
// output gradient to ImagesBackward.Padded (tiles that cover the output
// exactly, and tiles that overhang it), that each task's images reach fill
// in order on one worker, and that shapes off the Winograd path are
// refused.
func TestConv2DBackwardDataImages(t *testing.T) {
	k, ok := asmKernels()
	if !ok || k.wino == nil {
		t.Skip("no Winograd kernels on this build")
	}
	r := rand.New(rand.NewPCG(15, 16))
	for _, c := range []struct {
		s       ConvShape
		perTask int
		ok      bool
	}{
		{ConvShape{N: 7, Cin: 16, H: 8, W: 8, Cout: 16, KH: 5, KW: 5, Stride: 1, Pad: 2}, 3, true},
		{ConvShape{N: 5, Cin: 8, H: 32, W: 32, Cout: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, 2, true},
		{ConvShape{N: 9, Cin: 32, H: 16, W: 16, Cout: 24, KH: 5, KW: 5, Stride: 1, Pad: 2}, 16, true},
		{ConvShape{N: 3, Cin: 8, H: 7, W: 9, Cout: 8, KH: 3, KW: 3, Stride: 1, Pad: 1}, 2, true},
		{ConvShape{N: 4, Cin: 16, H: 32, W: 32, Cout: 16, KH: 5, KW: 5, Stride: 1, Pad: 2}, 2, true},
		{ConvShape{N: 3, Cin: 8, H: 8, W: 8, Cout: 8, KH: 3, KW: 3, Stride: 2, Pad: 1}, 2, false},
		{ConvShape{N: 3, Cin: 8, H: 8, W: 8, Cout: 8, KH: 1, KW: 1, Stride: 1, Pad: 0}, 2, false},
	} {
		t.Run(fmt.Sprintf("%v/%d", c.s, c.perTask), func(t *testing.T) {
			s := c.s
			ws := newWorkspace(2, k)
			defer ws.Close()
			w, g := randSlice(r, s.WLen()), randSlice(r, s.YLen())
			want := make([]float32, s.XLen())
			Conv2DBackwardData(s, g, w, want, ws)
			got := make([]float32, s.XLen())
			q := s.KH - 1 - s.Pad
			oimg := s.Cout * s.OutH() * s.OutW()
			wp := 0
			if p := PrepareBackwardDataImages(s, w, ws); p != nil {
				_, wp = p.Padded()
			}
			var mu sync.Mutex
			last := map[int]int{} // task -> last image filled
			workerOf := map[int]int{}
			ran := Conv2DBackwardDataImages(s, w, got, ws, c.perTask, func(worker, n int, dst []float32) {
				mu.Lock()
				task := n / c.perTask
				if l, seen := last[task]; seen && (n != l+1 || workerOf[task] != worker) {
					t.Errorf("image %d of task %d after image %d (worker %d, then %d)", n, task, l, workerOf[task], worker)
				} else if !seen && n%c.perTask != 0 {
					t.Errorf("task %d starts at image %d", task, n)
				}
				last[task], workerOf[task] = n, worker
				mu.Unlock()
				PadHWC(dst, g[n*oimg:(n+1)*oimg], s.Cout, s.OutH(), s.OutW(), q, wp)
			})
			if ran != c.ok || HasBackwardDataImages(s, ws) != c.ok {
				t.Fatalf("ran = %v, HasBackwardDataImages = %v, want %v", ran, HasBackwardDataImages(s, ws), c.ok)
			}
			if !ran {
				return
			}
			if len(last) != (s.N+c.perTask-1)/c.perTask {
				t.Errorf("%d tasks filled, want %d", len(last), (s.N+c.perTask-1)/c.perTask)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("differs from Conv2DBackwardData (-want +got):\n%.300s", d)
			}
			// The same by ranges of images, the later range first.
			p := PrepareBackwardDataImages(s, w, ws)
			got2 := make([]float32, s.XLen())
			mid := s.N / 2 / c.perTask * c.perTask
			for _, r := range [][2]int{{mid, s.N}, {0, mid}} {
				p.Run(r[0], r[1], got2, c.perTask, func(_, n int, dst []float32) {
					if n < r[0] || n >= r[1] {
						t.Errorf("range %v: image %d filled", r, n)
					}
					PadHWC(dst, g[n*oimg:(n+1)*oimg], s.Cout, s.OutH(), s.OutW(), q, wp)
				})
			}
			if d := cmp.Diff(want, got2); d != "" {
				t.Errorf("by ranges: differs from Conv2DBackwardData (-want +got):\n%.300s", d)
			}
		})
	}
}
