package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CIFAR binary record layout: label byte(s) then 3072 pixel bytes, the
// 1024 red, then green, then blue values of a 32x32 image in row-major
// order (already CHW).
const cifarPixels = 3 * 32 * 32

var cifar10ClassNames = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// CIFARRecords is the content of a CIFAR binary file.
type CIFARRecords struct {
	Labels []uint8 // the last label byte of each record (the fine label for CIFAR-100)
	Pix    []uint8 // len(Labels) * 3072 pixels, CHW per record
}

// ReadCIFARBin reads a CIFAR-10 (labelBytes 1) or CIFAR-100 (labelBytes 2:
// coarse then fine) binary file. Every label must be < classes and the
// stream must hold whole records only. name is used in errors.
func ReadCIFARBin(r io.Reader, name string, labelBytes, classes int) (*CIFARRecords, error) {
	out := &CIFARRecords{}
	if err := readCIFARInto(r, name, labelBytes, classes, out); err != nil {
		return nil, err
	}
	return out, nil
}

// readCIFARInto appends the records of a CIFAR binary stream to out. When
// out has the capacity for them (see newCIFARRecords), nothing is
// reallocated, so a dataset's pixels are held once, not once per growth
// step of a slice.
func readCIFARInto(r io.Reader, name string, labelBytes, classes int, out *CIFARRecords) error {
	if labelBytes < 1 || labelBytes > 2 {
		return fmt.Errorf("dataset: CIFAR label bytes %d, want 1 or 2", labelBytes)
	}
	rec := labelBytes + cifarPixels
	c := &countingReader{r: bufio.NewReaderSize(r, 1<<20)}
	var lb [2]byte
	for n := 0; ; n++ {
		start := c.off
		k, err := io.ReadFull(c, lb[:labelBytes])
		if k == 0 && errors.Is(err, io.EOF) {
			if n == 0 {
				return formatErrorf(name, 0, "expected at least one %d-byte record, file is empty", rec)
			}
			return nil
		}
		if err == nil {
			pix := len(out.Pix)
			out.Pix = append(out.Pix, make([]byte, cifarPixels)...) // no allocation within capacity
			var m int
			m, err = io.ReadFull(c, out.Pix[pix:])
			k += m
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return formatErrorf(name, start+int64(k), "truncated record %d: expected %d bytes (%d label + 3072 pixel), file ends after %d", n, rec, labelBytes, k)
			}
			return formatErrorf(name, start+int64(k), "reading record %d: %v", n, err)
		}
		l := lb[labelBytes-1]
		if int(l) >= classes {
			return formatErrorf(name, start+int64(labelBytes-1), "record %d: expected a label 0..%d, got %d", n, classes-1, l)
		}
		if labelBytes == 2 && lb[0] >= 20 {
			return formatErrorf(name, start, "record %d: expected a coarse label 0..19, got %d", n, lb[0])
		}
		out.Labels = append(out.Labels, l)
	}
}

// newCIFARRecords returns empty records with room for the records of the
// given files (by their sizes; files that cannot be read count 0 and fail
// later with their own error).
func newCIFARRecords(labelBytes int, paths ...string) *CIFARRecords {
	n := int64(0)
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			n += st.Size() / int64(labelBytes+cifarPixels)
		}
	}
	n = min(n, 1<<24) // a bound for absurd sizes; append grows past it
	return &CIFARRecords{Labels: make([]uint8, 0, n), Pix: make([]uint8, 0, n*cifarPixels)}
}

// readCIFARFile appends the records of one file to out and checks that it
// held wantRecords records (wantRecords 0: any number).
func readCIFARFile(path string, labelBytes, classes, wantRecords int, out *CIFARRecords) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	before := len(out.Labels)
	if err := readCIFARInto(f, path, labelBytes, classes, out); err != nil {
		return err
	}
	if got := len(out.Labels) - before; wantRecords > 0 && got != wantRecords {
		return formatErrorf(path, int64(got*(labelBytes+cifarPixels)), "expected %d records, file has %d", wantRecords, got)
	}
	return nil
}

// cifarDir returns the folder that holds a CIFAR binary version: dir, or
// dir/sub if dir holds none of the files but dir/sub does. It checks that
// every file is there and names the missing ones.
func cifarDir(dataset, dir, sub string, files []string) (string, error) {
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("dataset: %s: %w", dataset, err)
	}
	dir = findDir(dir, sub, files...)
	var missing []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, filepath.Join(dir, f))
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("dataset: %s: missing %s (the binary version needs %s in one folder)", dataset, strings.Join(missing, ", "), strings.Join(files, ", "))
	}
	return dir, nil
}

// findDir returns dir, or dir/sub if dir holds none of the marker files
// but dir/sub holds one (so users may point at the extracted folder or its
// parent, and a folder with some files missing is still recognised).
func findDir(dir, sub string, markers ...string) string {
	for _, d := range []string{dir, filepath.Join(dir, sub)} {
		for _, m := range markers {
			if _, err := os.Stat(filepath.Join(d, m)); err == nil {
				return d
			}
		}
	}
	return dir
}

// readNames reads a class-name file (one name per line, blank lines
// ignored) and checks it has n names (n < 0: any number > 0); a missing
// file gives fallback when fallback is not nil.
func readNames(path string, n int, fallback []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && fallback != nil {
		return fallback, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var names []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		if s := strings.TrimSpace(string(l)); s != "" {
			names = append(names, s)
		}
	}
	if n >= 0 && len(names) != n {
		return nil, fmt.Errorf("dataset: %s: expected %d class names, got %d", path, n, len(names))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("dataset: %s: expected class names, file has none", path)
	}
	return names, nil
}

func cifarSamples(r *CIFARRecords) *samples {
	p := &samples{labels: make([]int32, len(r.Labels)), pix: r.Pix}
	for i, l := range r.Labels {
		p.labels[i] = int32(l)
	}
	return p
}

// cifar10Files are the files of the CIFAR-10 binary version.
var cifar10Files = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}

// LoadCIFAR10 loads the binary version of CIFAR-10 from dir (the
// cifar-10-batches-bin folder or its parent): data_batch_1.bin to
// data_batch_5.bin (10,000 records each) and test_batch.bin; class names
// from batches.meta.txt when present.
func LoadCIFAR10(dir string) (*Set, error) { return loadCIFAR10(dir, true) }

// loadCIFAR10 with strict false accepts any number of records per file.
func loadCIFAR10(dir string, strict bool) (*Set, error) {
	want := 10000
	if !strict {
		want = 0
	}
	if _, err := os.Stat(filepath.Join(findDir(dir, "cifar-10-batches-bin", cifar10Files...), "test_batch.bin")); err != nil {
		for _, d := range []string{dir, filepath.Join(dir, "cifar-10-batches-bin"), filepath.Join(dir, "cifar-10-batches-py")} {
			if _, perr := os.Stat(filepath.Join(d, "test_batch")); perr == nil {
				return nil, fmt.Errorf("dataset: cifar10: %s holds the Python (pickle) version of CIFAR-10; want the binary version (cifar-10-batches-bin with data_batch_1.bin ... test_batch.bin)", d)
			}
		}
	}
	dir, err := cifarDir("cifar10", dir, "cifar-10-batches-bin", cifar10Files)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(cifar10Files))
	for i, f := range cifar10Files {
		paths[i] = filepath.Join(dir, f)
	}
	tr := newCIFARRecords(1, paths[:5]...)
	for _, p := range paths[:5] {
		if err := readCIFARFile(p, 1, 10, want, tr); err != nil {
			return nil, err
		}
	}
	te := newCIFARRecords(1, paths[5])
	if err := readCIFARFile(paths[5], 1, 10, want, te); err != nil {
		return nil, err
	}
	names, err := readNames(filepath.Join(dir, "batches.meta.txt"), 10, cifar10ClassNames)
	if err != nil {
		return nil, err
	}
	s := &Set{Name: "cifar10", Kind: Static, Source: dir, ClassNames: names, C: 3, H: 32, W: 32,
		train: cifarSamples(tr), test: cifarSamples(te)}
	s.Mean, s.Std, s.NormSource = normFor(s.Name)
	return s, s.finish(false)
}

// LoadCIFAR100 loads the binary version of CIFAR-100 from dir (the
// cifar-100-binary folder or its parent): train.bin (50,000 records) and
// test.bin (10,000), labels are the fine labels (100 classes); class names
// from fine_label_names.txt when present.
func LoadCIFAR100(dir string) (*Set, error) { return loadCIFAR100(dir, true) }

// loadCIFAR100 with strict false accepts any number of records per file.
func loadCIFAR100(dir string, strict bool) (*Set, error) {
	wantTrain, wantTest := 50000, 10000
	if !strict {
		wantTrain, wantTest = 0, 0
	}
	dir, err := cifarDir("cifar100", dir, "cifar-100-binary", []string{"train.bin", "test.bin"})
	if err != nil {
		return nil, err
	}
	trPath, tePath := filepath.Join(dir, "train.bin"), filepath.Join(dir, "test.bin")
	tr, te := newCIFARRecords(2, trPath), newCIFARRecords(2, tePath)
	if err := readCIFARFile(trPath, 2, 100, wantTrain, tr); err != nil {
		return nil, err
	}
	if err := readCIFARFile(tePath, 2, 100, wantTest, te); err != nil {
		return nil, err
	}
	fallback := make([]string, 100)
	for i := range fallback {
		fallback[i] = fmt.Sprintf("class%d", i)
	}
	names, err := readNames(filepath.Join(dir, "fine_label_names.txt"), 100, fallback)
	if err != nil {
		return nil, err
	}
	s := &Set{Name: "cifar100", Kind: Static, Source: dir, ClassNames: names, C: 3, H: 32, W: 32,
		train: cifarSamples(tr), test: cifarSamples(te)}
	s.Mean, s.Std, s.NormSource = normFor(s.Name)
	return s, s.finish(false)
}
