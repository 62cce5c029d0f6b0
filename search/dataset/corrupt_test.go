package dataset

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// aedat2Header is the header buildAEDAT2 writes.
const aedat2Header = "#!AER-DAT2.0\r\n# This is a test file\r\n"

func TestLoadCIFAR10DVSEmptyRecording(t *testing.T) {
	dir := t.TempDir()
	buildCIFAR10DVSDir(t, dir, 10)
	cut := filepath.Join(dir, "dog", "cifar10_dog_3.aedat")
	writeFile(t, cut, []byte(aedat2Header)) // cut right after its header
	_, err := LoadCIFAR10DVS(context.Background(), dir, Options{T: 2, Size: 16, CacheDir: t.TempDir()})
	// dog is class 5; its recording 3 is training sample 5*9+3.
	if err == nil || !strings.Contains(err.Error(), cut) || !strings.Contains(err.Error(), "train sample 48 (class 5) has no events") {
		t.Fatalf("got %v, want an error naming %s and train sample 48", err, cut)
	}
	s, err := LoadCIFAR10DVS(context.Background(), dir, Options{T: 2, Size: 16, CacheDir: t.TempDir(), AllowEmpty: true})
	if err != nil {
		t.Fatalf("with AllowEmpty: %v", err)
	}
	defer s.Close()
	fr, err := s.Frames(FullTrain, 48, nil)
	if err != nil || sum16(fr) != 0 {
		t.Errorf("empty sample: %d events, err %v; want 0", sum16(fr), err)
	}
}

func TestReadAEDAT2ByteOrder(t *testing.T) {
	var ev []Event
	for k := range 20 {
		ev = append(ev, Event{T: int64(1000 + 37*k), X: uint16(3 * k), Y: uint16(5 * k), P: uint8(k % 2)})
	}
	good := buildAEDAT2(ev)
	if _, err := ReadAEDAT2(bytes.NewReader(good), "test.file"); err != nil {
		t.Fatalf("big-endian file: %v", err)
	}
	// The same records written little-endian.
	swapped := append([]byte(nil), good...)
	for i := len(aedat2Header); i+4 <= len(swapped); i += 4 {
		binary.BigEndian.PutUint32(swapped[i:], binary.LittleEndian.Uint32(swapped[i:]))
	}
	_, err := ReadAEDAT2(bytes.NewReader(swapped), "test.file")
	wantFormatError(t, err, int64(len(aedat2Header)), "written little-endian")
	if err != nil && !strings.Contains(err.Error(), "20 addresses use bits above bit 15") {
		t.Errorf("error %q does not give the count of implausible addresses", err)
	}

	// Timestamps alone out of order (a file of another format) are
	// implausible without the byte-swap hint.
	for i := range ev {
		ev[i].T = int64((i * 7919) % 20)
	}
	_, err = ReadAEDAT2(bytes.NewReader(buildAEDAT2(ev)), "test.file")
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "timestamps go backwards") || strings.Contains(err.Error(), "little-endian") {
		t.Errorf("shuffled timestamps: got %v, want an implausible-events error without the byte-order hint", err)
	}
}

func TestLoadDVSGestureEmptyAndCut(t *testing.T) {
	dir := t.TempDir()
	buildGestureDir(t, dir)
	// user02's recording cut at its packet boundary: the second packet
	// (events 150..299, 2500..3990 us) is gone; its third segment
	// (3000..4000 us) has no events and its second (2000..3000 us) ends
	// 500 us after the last event.
	var ev []Event
	for k := range 150 {
		ev = append(ev, Event{T: int64(1000 + 10*k), X: uint16((k * 7) % 128), Y: uint16((k*13 + 1) % 128), P: uint8(k % 2)})
	}
	rec := filepath.Join(dir, "user02_led.aedat")
	writeFile(t, rec, buildAEDAT31(aedat3Packet{typ: 1, ev: ev}))
	_, err := LoadDVSGesture(context.Background(), dir, Options{T: 2, Size: 16, CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), rec) || !strings.Contains(err.Error(), "train sample 5 (segment 2 of the recording, class 10, 3000..4000 us) has no events") {
		t.Fatalf("got %v, want an error naming %s and its empty segment", err, rec)
	}
	var logs []string
	opt := Options{T: 2, Size: 16, CacheDir: t.TempDir(), AllowEmpty: true, Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }}
	s, err := LoadDVSGesture(context.Background(), dir, opt)
	if err != nil {
		t.Fatalf("with AllowEmpty: %v", err)
	}
	defer s.Close()
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], rec) || !strings.Contains(s.Warnings[0], "cut short") {
		t.Errorf("got warnings %q, want one naming the cut recording", s.Warnings)
	}
	found := false
	for _, l := range logs {
		found = found || strings.HasPrefix(l, "warning: ") && strings.Contains(l, "cut short")
	}
	if !found {
		t.Errorf("the warning was not logged: %q", logs)
	}
	// A second load, served from the frame cache, reports it too.
	logs = nil
	s2, err := LoadDVSGesture(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, l := range logs {
		if strings.HasPrefix(l, "integrating ") {
			t.Errorf("second load integrated again: %q", l)
		}
	}
	if !slices.Equal(s2.Warnings, s.Warnings) {
		t.Errorf("load from the cache: got warnings %q, want %q", s2.Warnings, s.Warnings)
	}
}

func TestCheckSplitEmpty(t *testing.T) {
	dir := t.TempDir()
	buildCIFAR10DVSDir(t, dir, 2) // 1 training recording per class: Train is empty
	s, err := LoadCIFAR10DVS(context.Background(), dir, Options{T: 2, Size: 16, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.CheckSplit(Train)
	if err == nil || !strings.Contains(err.Error(), "cifar10-dvs") || !strings.Contains(err.Error(), "the train split is empty") || !strings.Contains(err.Error(), "at least 1 per class") {
		t.Errorf("CheckSplit(Train): got %v, want an error naming cifar10-dvs, the train split and the reason", err)
	}
	if _, err := s.Batches(context.Background(), Train, BatchOptions{Size: 4}); err == nil || !strings.Contains(err.Error(), "train split is empty") {
		t.Errorf("Batches(Train): got %v, want the empty-split error", err)
	}
	for _, sp := range []Split{Val, FullTrain, Test} {
		if err := s.CheckSplit(sp); err != nil {
			t.Errorf("CheckSplit(%v): %v", sp, err)
		}
	}
	if err := s.CheckSplit(Split(9)); err == nil {
		t.Error("CheckSplit(9): no error")
	}
}
