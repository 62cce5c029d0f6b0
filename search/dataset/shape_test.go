package dataset

import (
	"context"
	"testing"
)

// TestStandardShape compares StandardShape with the sets the loaders give
// for standard-format files (MNIST 28x28, CIFAR-10, DVS Gesture at Size 64),
// and checks the fixed shapes and the unknown-name error.
func TestStandardShape(t *testing.T) {
	mdir, cdir, gdir := t.TempDir(), t.TempDir(), t.TempDir()
	buildMNISTDir(t, mdir, 20, 10, 28, 28, false)
	buildCIFAR10Dir(t, cdir, 4)
	buildGestureDir(t, gdir)
	mn, err := loadMNISTLayout("mnist", mdir, false)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := loadCIFAR10(cdir, false)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{T: 5, Size: 64, CacheDir: t.TempDir()}
	ge, err := LoadDVSGesture(context.Background(), gdir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer ge.Close()
	for name, s := range map[string]*Set{"mnist": mn, "cifar10": cf, "dvs-gesture": ge} {
		got, err := StandardShape(name, opt)
		got.Test = 0 // the files built here are small
		if want := (Shape{s.C, s.H, s.W, s.Classes(), 0}); err != nil || got != want {
			t.Errorf("StandardShape(%s) = %v, %v; the loaded set has %v", name, got, err, want)
		}
	}
	for name, want := range map[string]Shape{"cifar100": {3, 32, 32, 100, 10000}, "tiny-imagenet": {3, 64, 64, 200, 10000}, "cifar10-dvs": {2, 128, 128, 10, 1000}} {
		if got, err := StandardShape(name, Options{}); err != nil || got != want {
			t.Errorf("StandardShape(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := StandardShape("imagenet", Options{}); err == nil {
		t.Error("StandardShape(imagenet): no error")
	}
}
