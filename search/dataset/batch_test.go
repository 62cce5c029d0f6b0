package dataset

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIntegrate(t *testing.T) {
	ev := []Event{
		{T: 0, X: 0, Y: 0, P: 0}, {T: 1, X: 1, Y: 0, P: 1}, {T: 2, X: 0, Y: 1, P: 0},
		{T: 10, X: 1, Y: 1, P: 1}, {T: 11, X: 0, Y: 0, P: 0}, {T: 30, X: 1, Y: 0, P: 0}, {T: 40, X: 0, Y: 0, P: 1},
	}
	// frame, polarity, y, x -> index in a [2][2][2][2] buffer
	at := func(f, p, y, x int) int { return ((f*2+p)*2+y)*2 + x }
	cases := []struct {
		name string
		g    FrameGeometry
		want map[int]uint16
	}{
		// 7 events, T=2: 3 per frame, the last frame takes the other 4.
		{"number", FrameGeometry{T: 2, Mode: SplitByNumber, SensorH: 2, SensorW: 2, H: 2, W: 2},
			map[int]uint16{at(0, 0, 0, 0): 1, at(0, 1, 0, 1): 1, at(0, 0, 1, 0): 1, at(1, 1, 1, 1): 1, at(1, 0, 0, 0): 1, at(1, 0, 0, 1): 1, at(1, 1, 0, 0): 1}},
		// t in [0,40], dt = 20: frame 0 holds t < 20, frame 1 the rest.
		{"time", FrameGeometry{T: 2, Mode: SplitByTime, SensorH: 2, SensorW: 2, H: 2, W: 2},
			map[int]uint16{at(0, 0, 0, 0): 2, at(0, 1, 0, 1): 1, at(0, 0, 1, 0): 1, at(0, 1, 1, 1): 1, at(1, 0, 0, 1): 1, at(1, 1, 0, 0): 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]uint16, c.g.Len())
			for i := range dst {
				dst[i] = 7 // must be cleared
			}
			if err := Integrate(ev, c.g, dst); err != nil {
				t.Fatal(err)
			}
			want := make([]uint16, c.g.Len())
			for k, v := range c.want {
				want[k] = v
			}
			if diff := cmp.Diff(want, dst); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIntegrateBinningAndEdges(t *testing.T) {
	g := FrameGeometry{T: 3, Mode: SplitByNumber, SensorH: 128, SensorW: 128, H: 32, W: 32}
	ev := []Event{{X: 127, Y: 127, P: 1}, {X: 124, Y: 125, P: 1}}
	dst := make([]uint16, g.Len())
	if err := Integrate(ev, g, dst); err != nil {
		t.Fatal(err)
	}
	// Fewer events than frames: all go to the last frame; both bin to (31,31).
	if got := dst[(2*2+1)*32*32+31*32+31]; got != 2 {
		t.Errorf("binned count: got %d, want 2", got)
	}
	if err := Integrate([]Event{{X: 128}}, g, dst); err == nil {
		t.Errorf("event outside the sensor: got no error")
	}
	if err := Integrate(nil, FrameGeometry{T: 0, SensorH: 1, SensorW: 1, H: 1, W: 1}, nil); err == nil {
		t.Errorf("T=0: got no error")
	}
	many := make([]Event, 70000)
	small := FrameGeometry{T: 1, SensorH: 1, SensorW: 1, H: 1, W: 1}
	one := make([]uint16, small.Len())
	Integrate(many, small, one)
	if one[0] != 65535 {
		t.Errorf("saturation: got %d, want 65535", one[0])
	}
}

// staticSet builds an in-memory static set of n 1x4x4 images with pixel
// values i*16+k and labels i%3.
func staticSet(n int) *Set {
	p := &samples{labels: make([]int32, n), pix: make([]uint8, n*16)}
	for i := range n {
		p.labels[i] = int32(i % 3)
		for k := range 16 {
			p.pix[i*16+k] = uint8(i*16 + k)
		}
	}
	s := &Set{Name: "toy", Kind: Static, ClassNames: []string{"a", "b", "c"}, C: 1, H: 4, W: 4,
		Mean: []float32{0.5}, Std: []float32{0.25}, train: p, test: p}
	if err := s.finish(false); err != nil {
		panic(err)
	}
	return s
}

func collect(t *testing.T, s *Set, sp Split, o BatchOptions) []Batch {
	t.Helper()
	it, err := s.Batches(context.Background(), sp, o)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []Batch
	for it.Next() {
		b := it.Batch()
		out = append(out, Batch{X: append([]float32(nil), b.X...), Labels: append([]int(nil), b.Labels...), Shape: append([]int(nil), b.Shape...), Index: b.Index})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBatchesStatic(t *testing.T) {
	s := staticSet(10)
	got := collect(t, s, FullTrain, BatchOptions{Size: 4})
	if len(got) != 3 {
		t.Fatalf("got %d batches, want 3", len(got))
	}
	if diff := cmp.Diff([]int{2, 1, 4, 4}, got[2].Shape); diff != "" {
		t.Errorf("last batch shape (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2, 0, 1}, got[1].Labels); diff != "" {
		t.Errorf("labels of batch 1 (-want +got):\n%s", diff)
	}
	// Sample 5, pixel 3: (83/255 - 0.5) / 0.25.
	want := (float32(83)/255 - 0.5) / 0.25
	if g := got[1].X[16+3]; math.Abs(float64(g-want)) > 1e-6 {
		t.Errorf("normalised pixel: got %v, want %v", g, want)
	}
	if n := len(collect(t, s, FullTrain, BatchOptions{Size: 4, DropLast: true})); n != 2 {
		t.Errorf("drop-last: got %d batches, want 2", n)
	}
	raw := collect(t, s, Test, BatchOptions{Size: 10, Raw: true})
	if g := raw[0].X[9*16+15]; g != float32(159)/255 {
		t.Errorf("raw pixel: got %v, want %v", g, float32(159)/255)
	}
}

func TestBatchesDeterministic(t *testing.T) {
	s := staticSet(37)
	o := BatchOptions{Size: 5, Seed: 42, Epoch: 3, Shuffle: true, Augment: &Augment{Pad: 2, Flip: true, Cutout: 2}}
	a := collect(t, s, Train, o)
	b := collect(t, s, Train, o)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed gave different batches (-first +second):\n%s", diff)
	}
	o.Epoch = 4
	c := collect(t, s, Train, o)
	if cmp.Equal(a, c) {
		t.Errorf("epochs 3 and 4 gave identical batches")
	}
	// Shuffling is a permutation of the split (16 images have distinct
	// first pixels).
	s = staticSet(16)
	seen := map[float32]bool{}
	for _, bt := range collect(t, s, Train, BatchOptions{Size: 5, Seed: 1, Shuffle: true, Raw: true}) {
		for k := range bt.Labels {
			seen[bt.X[k*16]] = true
		}
	}
	if len(seen) != s.Len(Train) {
		t.Errorf("shuffled epoch covers %d distinct samples, want %d", len(seen), s.Len(Train))
	}
}

func TestAugmentGeometry(t *testing.T) {
	g := geom{dy: 1, dx: -1}
	cases := []struct {
		y, x, sy, sx int
		ok           bool
	}{
		{0, 0, 1, -1, false}, {0, 1, 1, 0, true}, {3, 3, 4, 2, false}, {2, 3, 3, 2, true},
	}
	for _, c := range cases {
		sy, sx, ok := g.src(c.y, c.x, 4, 4)
		if ok != c.ok || (ok && (sy != c.sy || sx != c.sx)) {
			t.Errorf("src(%d,%d) = %d,%d,%v; want %d,%d,%v", c.y, c.x, sy, sx, ok, c.sy, c.sx, c.ok)
		}
	}
	f := geom{flip: true}
	if sy, sx, _ := f.src(1, 0, 4, 4); sy != 1 || sx != 3 {
		t.Errorf("flip: src(1,0) = %d,%d, want 1,3", sy, sx)
	}
	cut := geom{cutout: true, cy: 0, cx: 3, half: 1}
	if !cut.cut(0, 2) || !cut.cut(0, 3) || cut.cut(1, 3) || cut.cut(0, 1) {
		t.Errorf("cutout 2x2 at (0,3) covers the wrong pixels")
	}
	// Every augmented image keeps the pixel statistics of a crop+flip: with
	// Pad=0 and Flip only, the image is the original or its mirror.
	s := staticSet(6)
	bs := collect(t, s, FullTrain, BatchOptions{Size: 6, Seed: 9, Raw: true, Augment: &Augment{Flip: true}})
	flips := 0
	for k := range 6 {
		img := bs[0].X[k*16 : (k+1)*16]
		orig := float32(k*16) / 255
		switch {
		case img[0] == orig:
		case img[3] == orig:
			flips++
		default:
			t.Errorf("sample %d is neither the image nor its mirror: %v", k, img[:4])
		}
	}
	if flips == 0 || flips == 6 {
		t.Errorf("got %d flips of 6, want some but not all (seeded)", flips)
	}
}

func TestBatchesEvents(t *testing.T) {
	dir := t.TempDir()
	buildCIFAR10DVSDir(t, dir, 10)
	s, err := LoadCIFAR10DVS(context.Background(), dir, Options{T: 3, Size: 16, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bs := collect(t, s, Test, BatchOptions{Size: 4})
	if diff := cmp.Diff([]int{3, 4, 2, 16, 16}, bs[0].Shape); diff != "" {
		t.Fatalf("event batch shape (-want +got):\n%s", diff)
	}
	// Time-major: X[t][b] equals frame t of sample b.
	per := 2 * 16 * 16
	for b := range 4 {
		fr, err := s.Frames(Test, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		for tt := range 3 {
			got := bs[0].X[(tt*4+b)*per : (tt*4+b+1)*per]
			for k, v := range fr[tt*per : (tt+1)*per] {
				if got[k] != float32(v) {
					t.Fatalf("sample %d frame %d value %d: got %v, want %v", b, tt, k, got[k], v)
				}
			}
		}
	}
}

func TestBatchesCancel(t *testing.T) {
	s := staticSet(100)
	ctx, cancel := context.WithCancel(context.Background())
	it, err := s.Batches(ctx, FullTrain, BatchOptions{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.Next() {
		t.Fatal("no first batch")
	}
	cancel()
	for it.Next() {
	}
	if !errors.Is(it.Err(), context.Canceled) {
		t.Errorf("got %v, want context.Canceled", it.Err())
	}
	it.Close()
	it.Close() // idempotent
}

func TestBatchesNoSteadyStateAllocs(t *testing.T) {
	s := staticSet(3000)
	it, err := s.Batches(context.Background(), FullTrain, BatchOptions{Size: 2, Shuffle: true, Seed: 1, Augment: &StandardAugment})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	it.Next()
	allocs := testing.AllocsPerRun(500, func() {
		if !it.Next() {
			t.Fatal("iterator ended early")
		}
	})
	if allocs > 0.1 {
		t.Errorf("got %.2f allocations per batch, want 0", allocs)
	}
}

func TestBatchesBadOptions(t *testing.T) {
	s := staticSet(4)
	if _, err := s.Batches(context.Background(), Train, BatchOptions{Size: 0}); err == nil {
		t.Errorf("size 0: got no error")
	}
	if _, err := s.Batches(context.Background(), Train, BatchOptions{Size: 1, Augment: &Augment{Pad: 5}}); err == nil {
		t.Errorf("pad 5 on 4x4 images: got no error")
	}
}

func TestSampleGrid(t *testing.T) {
	s := staticSet(12)
	rows := PickGridRows(s, FullTrain, 2, 5)
	want := []GridRow{{Indices: []int{0, 3}, Labels: []int{0, 0}}, {Indices: []int{1, 4}, Labels: []int{1, 1}}, {Indices: []int{2, 5}, Labels: []int{2, 2}}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	img, err := SampleGrid(s, FullTrain, rows, 2)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 2*(8+2)+2 || b.Dy() != 3*(8+2)+2 {
		t.Errorf("grid size %v, want 22x32", b)
	}
	// Row 1, column 1 is sample 4; its pixel (x=1, y=0) has value 65.
	if c := img.RGBAAt(2+10+2, 2+10); c.R != 65 || c.G != 65 {
		t.Errorf("grid pixel: got %v, want grey 65", c)
	}
}
