package dataset

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tests of corrupted files that parse: each builds a small valid file,
// damages it the way a disk, a download or a wrong tool would, and checks
// that loading fails with an error naming the file and the place.

// svhnMAT builds an SVHN-layout MAT-file of n images whose X element is the
// last one of the file, compressed with stored zlib blocks.
func svhnMAT(n int) []byte {
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(1 + i%10)
	}
	return buildMATLevel(binary.LittleEndian, true, zlib.NoCompression,
		matVar{name: "y", dims: []int{n, 1}, f64: y},
		matVar{name: "X", dims: []int{32, 32, 3, n}, u8: pattern(n*cifarPixels, 7)})
}

func TestReadMATChecksum(t *testing.T) {
	good := svhnMAT(2)
	if _, err := ReadMAT(bytes.NewReader(good), "test.file"); err != nil {
		t.Fatalf("intact file: %v", err)
	}
	// Four bytes of pixel data zeroed inside the stored zlib stream: the
	// deflate structure is intact, only the Adler-32 checksum (the last 4
	// bytes of the file) tells.
	bad := append([]byte(nil), good...)
	at := len(bad) - 200
	if bytes.Equal(bad[at:at+4], make([]byte, 4)) {
		t.Fatal("test pattern has zeros where the test corrupts it")
	}
	copy(bad[at:at+4], make([]byte, 4))
	_, err := ReadMAT(bytes.NewReader(bad), "test.file")
	wantFormatError(t, err, int64(len(bad)-4), `variable "X"`)
	if err != nil && !strings.Contains(err.Error(), "Adler-32 checksum") {
		t.Errorf("error %q does not name the checksum", err)
	}

	// The zlib stream cut before its checksum (the element length fixed
	// up so that the file structure stays valid).
	xStart := bytes.LastIndex(good[:len(good)-4], []byte{miCOMPRESSED, 0, 0, 0})
	cut := append([]byte(nil), good[:len(good)-4]...)
	binary.LittleEndian.PutUint32(cut[xStart+4:], binary.LittleEndian.Uint32(cut[xStart+4:])-4)
	_, err = ReadMAT(bytes.NewReader(cut), "test.file")
	wantFormatError(t, err, int64(len(cut)), "ends before its Adler-32 checksum")
}

func TestLoadSVHNCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := svhnMAT(3)
	bad := append([]byte(nil), good...)
	copy(bad[len(bad)-300:], make([]byte, 4))
	writeFile(t, filepath.Join(dir, "train_32x32.mat"), bad)
	writeFile(t, filepath.Join(dir, "test_32x32.mat"), good)
	_, err := LoadSVHN(dir)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != filepath.Join(dir, "train_32x32.mat") || !strings.Contains(err.Error(), `variable "X"`) {
		t.Fatalf("got %v, want a FormatError naming train_32x32.mat and variable X", err)
	}
}

func TestLoadCIFARMissingFile(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "cifar-10-batches-bin")
	buildCIFAR10Dir(t, dir, 2)
	if err := os.Remove(filepath.Join(dir, "test_batch.bin")); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{parent, dir} {
		_, err := loadCIFAR10(at, false)
		want := filepath.Join(dir, "test_batch.bin")
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), filepath.Join(parent, "data_batch")) {
			t.Errorf("load from %s: got %v, want an error naming %s", at, err, want)
		}
	}

	p100 := t.TempDir()
	writeFile(t, filepath.Join(p100, "cifar-100-binary", "train.bin"), buildCIFAR([]byte{1}, []byte{1}, pattern(cifarPixels, 1)))
	_, err := loadCIFAR100(p100, false)
	if want := filepath.Join(p100, "cifar-100-binary", "test.bin"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("cifar100: got %v, want an error naming %s", err, want)
	}
}
