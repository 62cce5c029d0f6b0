package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantFormatError checks that err is a *FormatError at offset off whose
// message contains substr.
func wantFormatError(t *testing.T, err error, off int64, substr string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got error %v (%T), want a *FormatError", err, err)
	}
	if fe.Offset != off || !strings.Contains(fe.Error(), substr) {
		t.Errorf("got error %q at offset %d, want offset %d and text %q", fe.Error(), fe.Offset, off, substr)
	}
	if !strings.Contains(fe.Error(), "test.file") {
		t.Errorf("error %q does not name the file", fe.Error())
	}
}

func TestReadIDX(t *testing.T) {
	data := pattern(2*3*4, 1)
	for _, gz := range []bool{false, true} {
		got, err := ReadIDX(bytes.NewReader(buildIDX([]int{2, 3, 4}, data, gz)), "test.file")
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if diff := cmp.Diff(&IDX{Dims: []int{2, 3, 4}, Data: data}, got); diff != "" {
			t.Errorf("gz=%v: IDX mismatch (-want +got):\n%s", gz, diff)
		}
	}
}

var idxErrorCases = []struct {
	name   string
	file   []byte
	gz     bool
	off    int64
	substr string
}{
	{"empty", nil, false, 0, "truncated"},
	{"bad magic", []byte{1, 2, 8, 1, 0, 0, 0, 0}, false, 0, "IDX magic"},
	{"float type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, false, 2, "element type"},
	{"zero dims", []byte{0, 0, 8, 0}, false, 3, "1 to 4 IDX dimensions"},
	{"truncated dims", []byte{0, 0, 8, 2, 0, 0, 0, 5, 0, 0}, false, 10, "IDX dimension"},
	{"truncated data", append([]byte{0, 0, 8, 1, 0, 0, 0, 5}, 1, 2, 3), false, 11, "expected 5 bytes of IDX data"},
	{"trailing data", append([]byte{0, 0, 8, 1, 0, 0, 0, 2}, 1, 2, 3), false, 10, "expected end of file"},
	{"huge", []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2}, false, 8, "more than"},
	{"gz truncated data", append([]byte{0, 0, 8, 1, 0, 0, 0, 5}, 1, 2), true, 10, "decompressed offset 10"},
}

func TestReadIDXErrors(t *testing.T) {
	for _, c := range idxErrorCases {
		t.Run(c.name, func(t *testing.T) {
			f := c.file
			if c.gz {
				f = gzipBytes(c.file)
			}
			_, err := ReadIDX(bytes.NewReader(f), "test.file")
			wantFormatError(t, err, c.off, c.substr)
		})
	}
}

func gzipBytes(b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

func TestReadIDXCorruptGzip(t *testing.T) {
	f := buildIDX([]int{100}, pattern(100, 3), true)
	f[len(f)-6] ^= 0xff // break the CRC-32 in the gzip trailer
	_, err := ReadIDX(bytes.NewReader(f), "test.file")
	var fe *FormatError
	if !errors.As(err, &fe) || !fe.Decompressed || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("got %v, want a decompressed-offset FormatError about the checksum", err)
	}
}

func TestReadCIFARBin(t *testing.T) {
	pix := pattern(3*cifarPixels, 2)
	got, err := ReadCIFARBin(bytes.NewReader(buildCIFAR([]byte{3, 0, 9}, nil, pix)), "test.file", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&CIFARRecords{Labels: []byte{3, 0, 9}, Pix: pix}, got); diff != "" {
		t.Errorf("CIFAR-10 mismatch (-want +got):\n%s", diff)
	}
	got, err = ReadCIFARBin(bytes.NewReader(buildCIFAR([]byte{99, 42}, []byte{19, 0}, pix[:2*cifarPixels])), "test.file", 2, 100)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]byte{99, 42}, got.Labels); diff != "" {
		t.Errorf("CIFAR-100 fine labels (-want +got):\n%s", diff)
	}
}

func TestReadCIFARBinErrors(t *testing.T) {
	good := buildCIFAR([]byte{1, 2}, nil, pattern(2*cifarPixels, 2))
	bad := append([]byte(nil), good...)
	bad[3073] = 10
	cases := []struct {
		name       string
		file       []byte
		labelBytes int
		classes    int
		off        int64
		substr     string
	}{
		{"empty", nil, 1, 10, 0, "file is empty"},
		{"truncated", good[:3073+100], 1, 10, 3173, "truncated record 1"},
		{"label range", bad, 1, 10, 3073, "label 0..9, got 10"},
		{"coarse range", buildCIFAR([]byte{1}, []byte{20}, pattern(cifarPixels, 1)), 2, 100, 0, "coarse label"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCIFARBin(bytes.NewReader(c.file), "test.file", c.labelBytes, c.classes)
			wantFormatError(t, err, c.off, c.substr)
		})
	}
}

func TestReadMAT(t *testing.T) {
	x := pattern(2*3*2, 5)
	y := []float64{1, 10, 7}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, comp := range []bool{false, true} {
			f := buildMAT(order, comp, matVar{name: "X", dims: []int{2, 3, 2}, u8: x}, matVar{name: "y", dims: []int{3, 1}, f64: y}, matVar{name: "s", dims: []int{1, 1}, f64: []float64{2.5}})
			got, err := ReadMAT(bytes.NewReader(f), "test.file")
			if err != nil {
				t.Fatalf("%v compressed=%v: %v", order, comp, err)
			}
			want := map[string]*MATArray{
				"X": {Name: "X", Class: 9, Dims: []int{2, 3, 2}, U8: x},
				"y": {Name: "y", Class: mxDOUBLE, Dims: []int{3, 1}, F64: y},
				"s": {Name: "s", Class: mxDOUBLE, Dims: []int{1, 1}, F64: []float64{2.5}},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%v compressed=%v (-want +got):\n%s", order, comp, diff)
			}
		}
	}
}

func TestReadMATErrors(t *testing.T) {
	le := binary.LittleEndian
	good := buildMAT(le, false, matVar{name: "y", dims: []int{3, 1}, f64: []float64{1, 2, 3}})
	short := buildMAT(le, false, matVar{name: "y", dims: []int{4, 1}, f64: []float64{1, 2, 3}})
	comp := buildMAT(le, true, matVar{name: "y", dims: []int{3, 1}, f64: []float64{1, 2, 3}})
	badZ := append([]byte(nil), comp...)
	badZ[128+8] ^= 0xff
	badVer := append([]byte(nil), good...)
	badVer[124] = 7
	cases := []struct {
		name   string
		file   []byte
		off    int64
		substr string
	}{
		{"empty", nil, 0, "128-byte MAT-file header"},
		{"not mat", bytes.Repeat([]byte("x"), 128), 0, "MATLAB 5.0 MAT-file"},
		{"hdf5", append([]byte("MATLAB 7.3 MAT-file"), make([]byte, 109)...), 0, "version 7.3 (HDF5)"},
		{"version", badVer, 124, "version 0x0100"},
		{"truncated element", good[:len(good)-5], int64(len(good) - 5), "expected 72 bytes of element data"},
		{"element count", short, 128 + 8 + 16 + 16 + 8 + 4, "expected 4 elements"},
		{"bad zlib", badZ, 8, "zlib"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMAT(bytes.NewReader(c.file), "test.file")
			wantFormatError(t, err, c.off, c.substr)
		})
	}
}

func TestReadAEDAT2(t *testing.T) {
	ev := []Event{{T: 10, X: 0, Y: 0, P: 0}, {T: 20, X: 127, Y: 127, P: 1}, {T: 4000000000, X: 64, Y: 3, P: 1}}
	got, err := ReadAEDAT2(bytes.NewReader(buildAEDAT2(ev)), "test.file")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ev, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// The address decoding, checked on one literal record: addr 0x0301
	// gives x = 127 - 0 = 127, y = 3, p = 1 - 1 = 0.
	raw := append([]byte("#!AER-DAT2.0\r\n"), 0, 0, 3, 1, 0, 0, 0, 9)
	got, err = ReadAEDAT2(bytes.NewReader(raw), "test.file")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Event{{T: 9, X: 127, Y: 3, P: 0}}, got); diff != "" {
		t.Errorf("literal record (-want +got):\n%s", diff)
	}
}

func TestReadAEDAT2Errors(t *testing.T) {
	good := buildAEDAT2([]Event{{T: 1}, {T: 2}})
	hl := int64(len("#!AER-DAT2.0\r\n# This is a test file\r\n"))
	cases := []struct {
		name   string
		file   []byte
		off    int64
		substr string
	}{
		{"empty", nil, 0, "file is empty"},
		{"no header", []byte{0, 0, 0, 1, 0, 0, 0, 1}, 0, "#!AER-DAT2.0"},
		{"aedat3", []byte("#!AER-DAT3.1\r\n"), 0, "#!AER-DAT2.0"},
		{"open header", []byte("#!AER-DAT2.0"), 12, "newline"},
		{"truncated event", good[:len(good)-3], hl + 8, "truncated event"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadAEDAT2(bytes.NewReader(c.file), "test.file")
			wantFormatError(t, err, c.off, c.substr)
		})
	}
}

func TestReadAEDAT31(t *testing.T) {
	p1 := aedat3Packet{typ: 1, ev: []Event{{T: 5, X: 1, Y: 2, P: 1}, {T: 6, X: 127, Y: 0, P: 0}, {T: 7, X: 3, Y: 3, P: 1}}, invalid: []bool{false, false, true}}
	other := aedat3Packet{typ: 2, ev: []Event{{T: 1}}} // not polarity: skipped
	p2 := aedat3Packet{typ: 1, overflow: 1, ev: []Event{{T: 8, X: 100, Y: 127, P: 1}}}
	got, err := ReadAEDAT31(bytes.NewReader(buildAEDAT31(p1, other, p2)), "test.file", 128, 128)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{T: 5, X: 1, Y: 2, P: 1}, {T: 6, X: 127, Y: 0, P: 0}, {T: 8 | 1<<31, X: 100, Y: 127, P: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestReadAEDAT31Errors(t *testing.T) {
	hdr := "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n"
	hl := int64(len(hdr))
	good := buildAEDAT31(aedat3Packet{typ: 1, ev: []Event{{T: 1}, {T: 2}}})
	outside := buildAEDAT31(aedat3Packet{typ: 1, ev: []Event{{T: 1, X: 200}}})
	counts := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(counts[hl+20:], 5) // number > capacity
	cases := []struct {
		name   string
		file   []byte
		off    int64
		substr string
	}{
		{"empty", nil, 0, "truncated header"},
		{"aedat2", []byte("#!AER-DAT2.0\r\n"), 0, "#!AER-DAT3.1"},
		{"no end", []byte("#!AER-DAT3.1\r\n#x\r\n"), 18, "#!END-HEADER"},
		{"short packet header", good[:hl+10], hl, "truncated packet header"},
		{"truncated events", good[:len(good)-1], hl + 28 + 15, "truncated packet"},
		{"outside sensor", outside, hl + 28, "inside the 128x128 sensor"},
		{"counts", counts, hl + 20, "valid <= number <= capacity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadAEDAT31(bytes.NewReader(c.file), "test.file", 128, 128)
			wantFormatError(t, err, c.off, c.substr)
		})
	}
}
