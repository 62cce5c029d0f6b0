package dataset

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Builders of small files in every supported format, used by the tests and
// as fuzz seeds.

func buildIDX(dims []int, data []byte, gz bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	if !gz {
		return b.Bytes()
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b.Bytes())
	w.Close()
	return z.Bytes()
}

func buildCIFAR(labels []byte, coarse []byte, pix []byte) []byte {
	var b bytes.Buffer
	for i, l := range labels {
		if coarse != nil {
			b.WriteByte(coarse[i])
		}
		b.WriteByte(l)
		b.Write(pix[i*cifarPixels : (i+1)*cifarPixels])
	}
	return b.Bytes()
}

// matVar is a variable for buildMAT: data type miUINT8 (u8) or miDOUBLE (f64).
type matVar struct {
	name string
	dims []int
	u8   []byte
	f64  []float64
}

func pad8(b *bytes.Buffer) {
	for b.Len()%8 != 0 {
		b.WriteByte(0)
	}
}

func matElement(order binary.ByteOrder, typ uint32, data []byte) []byte {
	var b bytes.Buffer
	if len(data) <= 4 && len(data) > 0 && typ != miMATRIX {
		var w [8]byte
		order.PutUint32(w[:], uint32(len(data))<<16|typ)
		copy(w[4:], data)
		return w[:]
	}
	var t [8]byte
	order.PutUint32(t[0:], typ)
	order.PutUint32(t[4:], uint32(len(data)))
	b.Write(t[:])
	b.Write(data)
	pad8(&b)
	return b.Bytes()
}

func buildMAT(order binary.ByteOrder, compress bool, vars ...matVar) []byte {
	return buildMATLevel(order, compress, zlib.DefaultCompression, vars...)
}

// buildMATLevel is buildMAT with the zlib compression level of compressed
// elements (zlib.NoCompression writes stored blocks, whose bytes a test can
// change without breaking the deflate structure).
func buildMATLevel(order binary.ByteOrder, compress bool, level int, vars ...matVar) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 128)
	for i := range 124 {
		hdr[i] = ' '
	}
	copy(hdr, "MATLAB 5.0 MAT-file, Platform: test, Created on: test")
	order.PutUint16(hdr[124:], 0x0100)
	if order == binary.LittleEndian {
		copy(hdr[126:], "IM")
	} else {
		copy(hdr[126:], "MI")
	}
	b.Write(hdr)
	for _, v := range vars {
		var m bytes.Buffer
		flags := make([]byte, 8)
		class := uint32(mxDOUBLE)
		if v.u8 != nil {
			class = 9
		}
		order.PutUint32(flags, class)
		m.Write(matElement(order, miUINT32, flags))
		dims := make([]byte, 4*len(v.dims))
		for i, d := range v.dims {
			order.PutUint32(dims[4*i:], uint32(d))
		}
		m.Write(matElement(order, miINT32, dims))
		m.Write(matElement(order, miINT8, []byte(v.name)))
		if v.u8 != nil {
			m.Write(matElement(order, miUINT8, v.u8))
		} else {
			d := make([]byte, 8*len(v.f64))
			for i, f := range v.f64 {
				order.PutUint64(d[8*i:], math.Float64bits(f))
			}
			m.Write(matElement(order, miDOUBLE, d))
		}
		el := matElement(order, miMATRIX, m.Bytes())
		if !compress {
			b.Write(el)
			continue
		}
		var z bytes.Buffer
		zw, err := zlib.NewWriterLevel(&z, level)
		if err != nil {
			panic(err)
		}
		zw.Write(el)
		zw.Close()
		var t [8]byte
		order.PutUint32(t[0:], miCOMPRESSED)
		order.PutUint32(t[4:], uint32(z.Len()))
		b.Write(t[:])
		b.Write(z.Bytes())
	}
	return b.Bytes()
}

// buildAEDAT2 encodes events with the inverse of the CIFAR10-DVS mapping.
func buildAEDAT2(ev []Event) []byte {
	var b bytes.Buffer
	b.WriteString("#!AER-DAT2.0\r\n# This is a test file\r\n")
	for _, e := range ev {
		a := uint32(127-e.X)<<1 | uint32(e.Y)<<8 | uint32(1-e.P)
		binary.Write(&b, binary.BigEndian, a)
		binary.Write(&b, binary.BigEndian, uint32(e.T))
	}
	return b.Bytes()
}

// aedat3Packet is one packet for buildAEDAT31.
type aedat3Packet struct {
	typ      uint16
	overflow uint32
	ev       []Event
	invalid  []bool // marks events written with validity bit 0
}

func buildAEDAT31(packets ...aedat3Packet) []byte {
	var b bytes.Buffer
	b.WriteString("#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n")
	for _, p := range packets {
		h := make([]byte, 28)
		binary.LittleEndian.PutUint16(h[0:], p.typ)
		binary.LittleEndian.PutUint16(h[2:], 1)
		binary.LittleEndian.PutUint32(h[4:], 8)
		binary.LittleEndian.PutUint32(h[8:], 4)
		binary.LittleEndian.PutUint32(h[12:], p.overflow)
		binary.LittleEndian.PutUint32(h[16:], uint32(len(p.ev)))
		binary.LittleEndian.PutUint32(h[20:], uint32(len(p.ev)))
		binary.LittleEndian.PutUint32(h[24:], uint32(len(p.ev)))
		b.Write(h)
		for i, e := range p.ev {
			d := uint32(e.X)<<17 | uint32(e.Y)<<2 | uint32(e.P)<<1 | 1
			if p.invalid != nil && p.invalid[i] {
				d &^= 1
			}
			binary.Write(&b, binary.LittleEndian, d)
			binary.Write(&b, binary.LittleEndian, uint32(e.T&0x7FFFFFFF))
		}
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pattern returns n deterministic pseudo-random bytes.
func pattern(n int, seed uint64) []byte {
	b := make([]byte, n)
	x := seed*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// buildMNISTDir writes the four IDX files of an MNIST-layout dataset with
// nTrain and nTest images of h x w and labels i%10.
func buildMNISTDir(t testing.TB, dir string, nTrain, nTest, h, w int, gz bool) {
	for _, part := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		labels := make([]byte, part.n)
		for i := range labels {
			labels[i] = byte(i % 10)
		}
		suffix := ""
		if gz {
			suffix = ".gz"
		}
		writeFile(t, filepath.Join(dir, part.prefix+"-images-idx3-ubyte"+suffix), buildIDX([]int{part.n, h, w}, pattern(part.n*h*w, uint64(part.n)), gz))
		writeFile(t, filepath.Join(dir, part.prefix+"-labels-idx1-ubyte"+suffix), buildIDX([]int{part.n}, labels, gz))
	}
}

// buildCIFAR10Dir writes a CIFAR-10 binary folder with per records per file.
func buildCIFAR10Dir(t testing.TB, dir string, per int) {
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("data_batch_%d.bin", i)
		if i == 6 {
			name = "test_batch.bin"
		}
		labels := make([]byte, per)
		for k := range labels {
			labels[k] = byte((k + i) % 10)
		}
		writeFile(t, filepath.Join(dir, name), buildCIFAR(labels, nil, pattern(per*cifarPixels, uint64(i))))
	}
	writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"))
}

// buildGestureDir writes a DVS Gesture folder: two training users and one
// test user, each recording with three labelled segments.
func buildGestureDir(t testing.TB, dir string) {
	trials := map[string][]string{"trials_to_train.txt": {"user01_led.aedat", "user02_led.aedat"}, "trials_to_test.txt": {"user03_led.aedat"}}
	for list, names := range trials {
		var lb bytes.Buffer
		for u, n := range names {
			lb.WriteString(n + "\n")
			var ev []Event
			for k := range 300 {
				ev = append(ev, Event{T: int64(1000 + 10*k), X: uint16((k * 7) % 128), Y: uint16((k*13 + u) % 128), P: uint8(k % 2)})
			}
			writeFile(t, filepath.Join(dir, n), buildAEDAT31(aedat3Packet{typ: 1, ev: ev[:150]}, aedat3Packet{typ: 1, ev: ev[150:]}))
			csv := "class,startTime_usec,endTime_usec\n1,1000,2000\n5,2000,3000\n11,3000,4000\n"
			writeFile(t, filepath.Join(dir, n[:len(n)-len(".aedat")]+"_labels.csv"), []byte(csv))
		}
		writeFile(t, filepath.Join(dir, list), lb.Bytes())
	}
}

// buildCIFAR10DVSDir writes perClass recordings per class.
func buildCIFAR10DVSDir(t testing.TB, dir string, perClass int) {
	for c, cls := range cifar10ClassNames {
		for i := range perClass {
			var ev []Event
			for k := range 40 + i {
				ev = append(ev, Event{T: int64(5 * k), X: uint16((k*3 + c) % 128), Y: uint16((k*5 + i) % 128), P: uint8((k + c) % 2)})
			}
			writeFile(t, filepath.Join(dir, cls, fmt.Sprintf("cifar10_%s_%d.aedat", cls, i)), buildAEDAT2(ev))
		}
	}
}

// buildTinyDir writes a Tiny-ImageNet folder with 3 classes, perClass
// training images per class and 2 validation images per class; one
// training image is greyscale.
func buildTinyDir(t testing.TB, dir string, perClass int) {
	wnids := []string{"n01443537", "n01629819", "n01641577"}
	var ann bytes.Buffer
	enc := func(path string, grey bool, shade int) {
		var img image.Image
		if grey {
			g := image.NewGray(image.Rect(0, 0, 64, 64))
			for i := range g.Pix {
				g.Pix[i] = uint8(shade)
			}
			img = g
		} else {
			m := image.NewRGBA(image.Rect(0, 0, 64, 64))
			for y := range 64 {
				for x := range 64 {
					m.Set(x, y, color.RGBA{uint8(shade), uint8(4 * x), uint8(4 * y), 255})
				}
			}
			img = m
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, b.Bytes())
	}
	words := ""
	for c, w := range wnids {
		words += fmt.Sprintf("%s\tclass %d, other name\n", w, c)
		for i := range perClass {
			enc(filepath.Join(dir, "train", w, "images", fmt.Sprintf("%s_%d.JPEG", w, i)), c == 1 && i == 0, 40*c+i)
		}
		for i := range 2 {
			name := fmt.Sprintf("val_%d.JPEG", 2*c+i)
			enc(filepath.Join(dir, "val", "images", name), false, 40*c)
			fmt.Fprintf(&ann, "%s\t%s\t0\t0\t63\t63\n", name, w)
		}
	}
	writeFile(t, filepath.Join(dir, "wnids.txt"), []byte(fmt.Sprintf("%s\n%s\n%s\n", wnids[0], wnids[1], wnids[2])))
	writeFile(t, filepath.Join(dir, "words.txt"), []byte(words))
	writeFile(t, filepath.Join(dir, "val", "val_annotations.txt"), ann.Bytes())
}
