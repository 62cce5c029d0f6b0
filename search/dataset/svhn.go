package dataset

import (
	"fmt"
	"math"
	"path/filepath"
)

var svhnClassNames = mnistClassNames

// LoadSVHN loads the cropped-digits SVHN format from dir: train_32x32.mat
// (73,257 images) and test_32x32.mat (26,032), MATLAB level-5 files holding
// X (uint8, 32x32x3xN, column-major) and y (N labels 1..10, where 10 is the
// digit 0). Images are kept as uint8 CHW; the digit is the class.
func LoadSVHN(dir string) (*Set, error) {
	tr, err := readSVHN(filepath.Join(dir, "train_32x32.mat"))
	if err != nil {
		return nil, err
	}
	te, err := readSVHN(filepath.Join(dir, "test_32x32.mat"))
	if err != nil {
		return nil, err
	}
	s := &Set{Name: "svhn", Kind: Static, Source: dir, ClassNames: svhnClassNames, C: 3, H: 32, W: 32, train: tr, test: te}
	s.Mean, s.Std, s.NormSource = normFor(s.Name)
	return s, s.finish(false)
}

func readSVHN(path string) (*samples, error) {
	vars, err := ReadMATFile(path)
	if err != nil {
		return nil, err
	}
	return svhnFromMAT(vars, path)
}

// svhnFromMAT converts the X and y variables of an SVHN file. It reorders
// X.U8 in place (column-major to CHW) and keeps it as the pixels.
func svhnFromMAT(vars map[string]*MATArray, path string) (*samples, error) {
	X, y := vars["X"], vars["y"]
	if X == nil || y == nil {
		return nil, fmt.Errorf("dataset: %s: expected variables X and y of the SVHN cropped-digits format", path)
	}
	if len(X.Dims) != 4 || X.Dims[0] != 32 || X.Dims[1] != 32 || X.Dims[2] != 3 {
		return nil, fmt.Errorf("dataset: %s: variable X has dimensions %v, want [32 32 3 N]", path, X.Dims)
	}
	if X.U8 == nil {
		return nil, fmt.Errorf("dataset: %s: variable X is not stored as uint8", path)
	}
	n := X.Dims[3]
	if y.Len() != n {
		return nil, fmt.Errorf("dataset: %s: variable y has %d labels for %d images", path, y.Len(), n)
	}
	// Each image is transposed within its own 3072 bytes of X, which the
	// MAT reader handed over, so the pixels are held once.
	p := &samples{labels: make([]int32, n), pix: X.U8}
	var src [cifarPixels]uint8
	for i := range n {
		v := y.At(i)
		if v != math.Trunc(v) || v < 1 || v > 10 {
			return nil, fmt.Errorf("dataset: %s: label y(%d) = %v, want an integer 1..10", path, i+1, v)
		}
		p.labels[i] = int32(v) % 10
		// MATLAB X(row, col, ch, i) at row + 32*col + 1024*ch + 3072*i.
		dst := p.pix[i*cifarPixels : (i+1)*cifarPixels]
		copy(src[:], dst)
		for ch := range 3 {
			for row := range 32 {
				for col := range 32 {
					dst[ch*1024+row*32+col] = src[row+32*col+1024*ch]
				}
			}
		}
	}
	return p, nil
}
