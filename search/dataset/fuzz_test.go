package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// Fuzz targets for every binary parser. Each seeds the corpus with files
// from the test builders; run briefly with
//
//	go test ./search/dataset -run '^$' -fuzz FuzzReadIDX -fuzztime 30s
//
// The property: no panic, and either a *FormatError or a result that
// satisfies the format's invariants.

func checkFuzzErr(t *testing.T, err error) {
	var fe *FormatError
	if err != nil && !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FormatError", err)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(buildIDX([]int{2, 3, 4}, pattern(24, 1), false))
	f.Add(buildIDX([]int{5}, pattern(5, 2), true))
	f.Add(buildIDX([]int{1, 1, 1, 1}, []byte{7}, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ReadIDX(bytes.NewReader(b), "fuzz")
		checkFuzzErr(t, err)
		if err != nil {
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if n != len(idx.Data) {
			t.Fatalf("dims %v hold %d elements, data has %d", idx.Dims, n, len(idx.Data))
		}
	})
}

func FuzzReadCIFARBin(f *testing.F) {
	f.Add(buildCIFAR([]byte{1, 9}, nil, pattern(2*cifarPixels, 1)), uint8(1))
	f.Add(buildCIFAR([]byte{99}, []byte{19}, pattern(cifarPixels, 2)), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, lb uint8) {
		labelBytes := int(lb%2) + 1
		classes := []int{10, 100}[labelBytes-1]
		r, err := ReadCIFARBin(bytes.NewReader(b), "fuzz", labelBytes, classes)
		checkFuzzErr(t, err)
		if err != nil {
			return
		}
		if len(r.Pix) != len(r.Labels)*cifarPixels || len(b) != len(r.Labels)*(labelBytes+cifarPixels) {
			t.Fatalf("%d labels, %d pixels from %d bytes", len(r.Labels), len(r.Pix), len(b))
		}
		for _, l := range r.Labels {
			if int(l) >= classes {
				t.Fatalf("label %d >= %d", l, classes)
			}
		}
	})
}

func FuzzReadMAT(f *testing.F) {
	x := matVar{name: "X", dims: []int{2, 2, 3, 1}, u8: pattern(12, 3)}
	y := matVar{name: "y", dims: []int{1, 1}, f64: []float64{4}}
	f.Add(buildMAT(binary.LittleEndian, false, x, y))
	f.Add(buildMAT(binary.LittleEndian, true, x, y))
	f.Add(buildMAT(binary.BigEndian, true, y))
	f.Fuzz(func(t *testing.T, b []byte) {
		vars, err := ReadMAT(bytes.NewReader(b), "fuzz")
		checkFuzzErr(t, err)
		for name, v := range vars {
			n := 1
			for _, d := range v.Dims {
				n *= d
			}
			if v.Name != name || n != v.Len() || (v.U8 == nil) == (v.F64 == nil) && n > 0 {
				t.Fatalf("variable %q: dims %v, %d elements, u8 %v f64 %v", name, v.Dims, v.Len(), v.U8 != nil, v.F64 != nil)
			}
		}
	})
}

func FuzzReadAEDAT2(f *testing.F) {
	f.Add(buildAEDAT2([]Event{{T: 1, X: 3, Y: 4, P: 1}, {T: 9, X: 127, Y: 0}}))
	f.Add([]byte("#!AER-DAT2.0\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ReadAEDAT2(bytes.NewReader(b), "fuzz")
		checkFuzzErr(t, err)
		for _, e := range ev {
			if e.X > 127 || e.Y > 127 || e.P > 1 {
				t.Fatalf("event %+v outside the 128x128 sensor", e)
			}
		}
	})
}

func FuzzReadAEDAT31(f *testing.F) {
	f.Add(buildAEDAT31(aedat3Packet{typ: 1, ev: []Event{{T: 1, X: 3, Y: 4, P: 1}}}, aedat3Packet{typ: 2, ev: []Event{{T: 2}}}))
	f.Add(buildAEDAT31(aedat3Packet{typ: 1, overflow: 3, ev: []Event{{T: 5, X: 127, Y: 127}}, invalid: []bool{true}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ReadAEDAT31(bytes.NewReader(b), "fuzz", 128, 128)
		checkFuzzErr(t, err)
		g := FrameGeometry{T: 3, Mode: SplitByTime, SensorH: 128, SensorW: 128, H: 8, W: 8}
		if err == nil {
			if err := Integrate(ev, g, make([]uint16, g.Len())); err != nil {
				t.Fatalf("parsed events do not integrate: %v", err)
			}
		}
	})
}
