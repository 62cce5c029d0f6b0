package dataset

import (
	"context"
	"math"
	"path/filepath"
	"testing"
)

func TestInput(t *testing.T) {
	dir := t.TempDir()
	buildCIFAR10Dir(t, filepath.Join(dir, "cifar-10-batches-bin"), 4)
	s, err := loadCIFAR10(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	x, err := s.Input(FullTrain, 6, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := s.Image(FullTrain, 6)
	if len(x) != len(img) || len(x) != 3*32*32 {
		t.Fatalf("input has %d values, want %d", len(x), 3*32*32)
	}
	for _, j := range []int{0, 1023, 1024, 3071} { // first and last pixel of channels 0 and 2
		ch := j / 1024
		want := (float32(img[j])/255 - s.Mean[ch]) / s.Std[ch]
		if math.Abs(float64(x[j]-want)) > 1e-6 {
			t.Errorf("value %d (channel %d): got %g, want %g", j, ch, x[j], want)
		}
	}
	// The buffer is reused when it is large enough.
	if y, _ := s.Input(FullTrain, 7, x); &y[0] != &x[0] {
		t.Error("Input did not reuse a large enough buffer")
	}

	cache := t.TempDir()
	ddir := t.TempDir()
	buildCIFAR10DVSDir(t, ddir, 10)
	ev, err := LoadCIFAR10DVS(context.Background(), ddir, Options{T: 4, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	fr, _ := ev.Frames(Test, 3, nil)
	in, err := ev.Input(Test, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range fr {
		if in[j] != float32(v) {
			t.Fatalf("event input %d: got %g, want the count %d", j, in[j], v)
		}
	}
}

// The images stay uint8 in memory; Set.Input and the batch iterator each
// normalise on the fly and must give the same float32 bits.
func TestInputMatchesBatches(t *testing.T) {
	dir := t.TempDir()
	buildCIFAR10Dir(t, dir, 5)
	s, err := loadCIFAR10(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	it, err := s.Batches(context.Background(), Val, BatchOptions{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	per, k := s.SampleLen(), 0
	for it.Next() {
		b := it.Batch()
		for j := range b.Labels {
			x, err := s.Input(Val, k, nil)
			if err != nil {
				t.Fatal(err)
			}
			for v := range per {
				if math.Float32bits(x[v]) != math.Float32bits(b.X[j*per+v]) {
					t.Fatalf("sample %d value %d: Input %g, batch %g", k, v, x[v], b.X[j*per+v])
				}
			}
			k++
		}
	}
	if err := it.Err(); err != nil || k != s.Len(Val) {
		t.Fatalf("compared %d of %d samples, err %v", k, s.Len(Val), err)
	}
}
