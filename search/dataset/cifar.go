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
	if labelBytes < 1 || labelBytes > 2 {
		return nil, fmt.Errorf("dataset: CIFAR label bytes %d, want 1 or 2", labelBytes)
	}
	rec := labelBytes + cifarPixels
	c := &countingReader{r: bufio.NewReaderSize(r, 1<<20)}
	out := &CIFARRecords{}
	buf := make([]byte, rec)
	for {
		start := c.off
		n, err := io.ReadFull(c, buf)
		if n == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, formatErrorf(name, start+int64(n), "truncated record %d: expected %d bytes (%d label + 3072 pixel), file ends after %d", len(out.Labels), rec, labelBytes, n)
			}
			return nil, formatErrorf(name, start+int64(n), "reading record %d: %v", len(out.Labels), err)
		}
		l := buf[labelBytes-1]
		if int(l) >= classes {
			return nil, formatErrorf(name, start+int64(labelBytes-1), "record %d: expected a label 0..%d, got %d", len(out.Labels), classes-1, l)
		}
		if labelBytes == 2 && buf[0] >= 20 {
			return nil, formatErrorf(name, start, "record %d: expected a coarse label 0..19, got %d", len(out.Labels), buf[0])
		}
		out.Labels = append(out.Labels, l)
		out.Pix = append(out.Pix, buf[labelBytes:]...)
	}
	if len(out.Labels) == 0 {
		return nil, formatErrorf(name, 0, "expected at least one %d-byte record, file is empty", rec)
	}
	return out, nil
}

func readCIFARFile(path string, labelBytes, classes, wantRecords int) (*CIFARRecords, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	recs, err := ReadCIFARBin(f, path, labelBytes, classes)
	if err != nil {
		return nil, err
	}
	if wantRecords > 0 && len(recs.Labels) != wantRecords {
		return nil, formatErrorf(path, int64(len(recs.Labels)*(labelBytes+cifarPixels)), "expected %d records, file has %d", wantRecords, len(recs.Labels))
	}
	return recs, nil
}

// findDir returns dir, or dir/sub if dir does not hold marker but dir/sub
// does (so users may point at the extracted folder or its parent).
func findDir(dir, sub, marker string) string {
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		return dir
	}
	if _, err := os.Stat(filepath.Join(dir, sub, marker)); err == nil {
		return filepath.Join(dir, sub)
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

func cifarSamples(parts ...*CIFARRecords) *samples {
	p := &samples{}
	for _, r := range parts {
		for _, l := range r.Labels {
			p.labels = append(p.labels, int32(l))
		}
		if len(parts) == 1 {
			p.pix = r.Pix
		} else {
			p.pix = append(p.pix, r.Pix...)
		}
	}
	return p
}

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
	dir = findDir(dir, "cifar-10-batches-bin", "test_batch.bin")
	if _, err := os.Stat(filepath.Join(dir, "test_batch.bin")); err != nil {
		if _, perr := os.Stat(filepath.Join(dir, "test_batch")); perr == nil {
			return nil, fmt.Errorf("dataset: cifar10: %s holds the Python (pickle) version of CIFAR-10; want the binary version (cifar-10-batches-bin with data_batch_1.bin ... test_batch.bin)", dir)
		}
	}
	var parts []*CIFARRecords
	for i := 1; i <= 5; i++ {
		r, err := readCIFARFile(filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i)), 1, 10, want)
		if err != nil {
			return nil, err
		}
		parts = append(parts, r)
	}
	te, err := readCIFARFile(filepath.Join(dir, "test_batch.bin"), 1, 10, want)
	if err != nil {
		return nil, err
	}
	names, err := readNames(filepath.Join(dir, "batches.meta.txt"), 10, cifar10ClassNames)
	if err != nil {
		return nil, err
	}
	s := &Set{Name: "cifar10", Kind: Static, Source: dir, ClassNames: names, C: 3, H: 32, W: 32,
		train: cifarSamples(parts...), test: cifarSamples(te)}
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
	dir = findDir(dir, "cifar-100-binary", "test.bin")
	tr, err := readCIFARFile(filepath.Join(dir, "train.bin"), 2, 100, wantTrain)
	if err != nil {
		return nil, err
	}
	te, err := readCIFARFile(filepath.Join(dir, "test.bin"), 2, 100, wantTest)
	if err != nil {
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
