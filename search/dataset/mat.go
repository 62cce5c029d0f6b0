package dataset

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// MATLAB level-5 MAT-file data types (the tag's type field).
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
)

// MATLAB array classes (low byte of the array flags).
const (
	mxDOUBLE = 6
	mxUINT64 = 15
)

// miSize gives the element size in bytes of the numeric data types.
var miSize = map[uint32]int{miINT8: 1, miUINT8: 1, miINT16: 2, miUINT16: 2, miINT32: 4, miUINT32: 4, miSINGLE: 4, miDOUBLE: 8, miINT64: 8, miUINT64: 8}

// maxMATElement bounds the bytes of one element (2 GiB).
const maxMATElement = 1 << 31

// MATArray is one numeric array of a MAT-file.
//
// Exactly one of U8 and F64 is set: U8 when the data is stored as miUINT8
// (kept as bytes, as for SVHN images), F64 for any other numeric storage
// type (converted exactly for integers up to 2^53). Elements are in
// MATLAB's column-major order; len is the product of Dims.
type MATArray struct {
	Name  string
	Class int   // MATLAB class, mxDOUBLE_CLASS (6) ... mxUINT64_CLASS (15)
	Dims  []int // at least 2
	U8    []uint8
	F64   []float64
}

// Len returns the number of elements.
func (a *MATArray) Len() int {
	if a.U8 != nil {
		return len(a.U8)
	}
	return len(a.F64)
}

// At returns element i as a float64.
func (a *MATArray) At(i int) float64 {
	if a.U8 != nil {
		return float64(a.U8[i])
	}
	return a.F64[i]
}

// ReadMATFile reads the numeric arrays of a MAT-file; see ReadMAT.
func ReadMATFile(path string) (map[string]*MATArray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return ReadMAT(f, path)
}

// ReadMAT reads a MATLAB level-5 MAT-file (version 0x0100, either byte
// order) and returns its real, non-sparse numeric arrays by name, including
// those inside zlib-compressed elements (miCOMPRESSED). Variables of other
// classes (cell, struct, char, sparse, object) are skipped; complex
// arrays are an error. name is used in errors.
func ReadMAT(r io.Reader, name string) (map[string]*MATArray, error) {
	c := &countingReader{r: bufio.NewReaderSize(r, 1<<16)}
	var hdr [128]byte
	if err := readFull(c, hdr[:], name, "the 128-byte MAT-file header"); err != nil {
		return nil, err
	}
	if bytes.HasPrefix(hdr[:], []byte("MATLAB 7.3 MAT-file")) {
		return nil, formatErrorf(name, 0, "expected a level-5 MAT-file, got version 7.3 (HDF5), which is not supported; save with -v7")
	}
	if !bytes.HasPrefix(hdr[:], []byte("MATLAB 5.0 MAT-file")) {
		return nil, formatErrorf(name, 0, "expected the text \"MATLAB 5.0 MAT-file\" of a level-5 MAT-file, got %q", truncateForMsg(hdr[:20]))
	}
	var order binary.ByteOrder
	switch string(hdr[126:128]) {
	case "IM":
		order = binary.LittleEndian
	case "MI":
		order = binary.BigEndian
	default:
		return nil, formatErrorf(name, 126, "expected the endian indicator \"IM\" or \"MI\", got %q", hdr[126:128])
	}
	if v := order.Uint16(hdr[124:126]); v != 0x0100 {
		return nil, formatErrorf(name, 124, "expected MAT-file version 0x0100, got 0x%04x", v)
	}
	out := map[string]*MATArray{}
	for {
		off := c.off
		var tag [8]byte
		n, err := io.ReadFull(c, tag[:])
		if n == 0 && errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, formatErrorf(name, off+int64(n), "truncated element tag: expected 8 bytes, got %d", n)
		}
		typ := order.Uint32(tag[0:4])
		nbytes := int64(order.Uint32(tag[4:8]))
		if typ>>16 != 0 {
			return nil, formatErrorf(name, off, "expected a top-level miMATRIX or miCOMPRESSED element, got a small data element")
		}
		if nbytes > maxMATElement {
			return nil, formatErrorf(name, off+4, "element declares %d bytes, more than the %d-byte limit", nbytes, int64(maxMATElement))
		}
		body, err := readAllLimited(c, nbytes, name, fmt.Sprintf("element data (type %d)", typ))
		if err != nil {
			return nil, err
		}
		file, base, dec := name, off+8, false
		var streamErr *zlibEndError
		switch typ {
		case miCOMPRESSED:
			file = fmt.Sprintf("%s (zlib element at offset %d)", name, off)
			typ, body, streamErr, err = inflateElement(body, file, order)
			if err != nil {
				return nil, err
			}
			base, dec = 8, true
			if typ != miMATRIX && streamErr == nil {
				return nil, &FormatError{File: file, Offset: 0, Decompressed: true, Msg: fmt.Sprintf("expected a compressed miMATRIX (type 14), got type %d", typ)}
			}
		case miMATRIX:
		default:
			return nil, formatErrorf(name, off, "expected a top-level miMATRIX (14) or miCOMPRESSED (15) element, got type %d", typ)
		}
		arr, err := parseMATMatrix(body, order, file, base)
		if streamErr != nil {
			// The data is corrupt whatever it parsed as; name the
			// variable when its header survived.
			variable := "of unknown name"
			if arr != nil && err == nil {
				variable = fmt.Sprintf("%q", arr.Name)
			} else if n, ok := matMatrixName(body, order); ok {
				variable = fmt.Sprintf("%q", n)
			}
			return nil, formatErrorf(name, off+8+streamErr.off, "variable %s (zlib element at offset %d): %s", variable, off, streamErr.msg)
		}
		if err != nil {
			if fe, ok := err.(*FormatError); ok {
				fe.Decompressed = dec
			}
			return nil, err
		}
		if arr == nil {
			continue // not a numeric array
		}
		if _, dup := out[arr.Name]; dup {
			return nil, formatErrorf(name, off, "variable %q appears twice", arr.Name)
		}
		out[arr.Name] = arr
	}
}

// zlibEndError is a problem found at the end of a zlib stream (a checksum
// mismatch, a stream cut before its checksum): off is the offset in the
// compressed element where it was found.
type zlibEndError struct {
	off int64
	msg string
}

// inflateElement decompresses a miCOMPRESSED element holding one element
// and returns that element's type and data. It reads the zlib stream to its
// end, where compress/zlib verifies the Adler-32 checksum of the
// decompressed data; a mismatch (or a stream that ends before its checksum)
// is returned as end, with the element data as decompressed, so the caller
// can name the variable. Decompressed bytes after the element are read and
// ignored, as MATLAB and scipy do.
func inflateElement(comp []byte, file string, order binary.ByteOrder) (typ uint32, body []byte, end *zlibEndError, err error) {
	br := bytes.NewReader(comp)
	zr, err := zlib.NewReader(br)
	if err != nil {
		return 0, nil, nil, formatErrorf(file, 8, "expected a zlib stream: %v", err)
	}
	c := &countingReader{r: zr}
	var tag [8]byte
	if err := readFull(c, tag[:], file, "the compressed element's tag"); err != nil {
		err.(*FormatError).Decompressed = true
		return 0, nil, nil, err
	}
	typ = order.Uint32(tag[0:4])
	n := int64(order.Uint32(tag[4:8]))
	if n > maxMATElement {
		return 0, nil, nil, &FormatError{File: file, Offset: 4, Decompressed: true, Msg: fmt.Sprintf("compressed element declares %d bytes, more than the limit", n)}
	}
	body, err = readAllLimited(c, n, file, "compressed element data")
	if err != nil {
		err.(*FormatError).Decompressed = true
		return 0, nil, nil, err
	}
	// compress/zlib checks the checksum only when the stream is read to EOF.
	extra, err := io.Copy(io.Discard, io.LimitReader(c, maxMATElement))
	// Offset of the compressed byte where reading stopped (the reader reads
	// bytes one at a time from a bytes.Reader, so this is exact).
	at := int64(len(comp) - br.Len())
	switch {
	case errors.Is(err, zlib.ErrChecksum):
		return typ, body, &zlibEndError{off: at - 4, msg: "Adler-32 checksum at the end of the zlib stream does not match the decompressed data: the compressed data is corrupt"}, nil
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return typ, body, &zlibEndError{off: at, msg: "the zlib stream ends before its Adler-32 checksum: the element is truncated"}, nil
	case err != nil:
		return typ, body, &zlibEndError{off: at, msg: fmt.Sprintf("reading the end of the zlib stream: %v", err)}, nil
	case extra == maxMATElement:
		return typ, body, &zlibEndError{off: at, msg: fmt.Sprintf("more than %d decompressed bytes after the element", int64(maxMATElement))}, nil
	}
	return typ, body, nil, nil
}

// matMatrixName returns the array name of miMATRIX data b, if its first
// three sub-elements parse.
func matMatrixName(b []byte, order binary.ByteOrder) (string, bool) {
	pos := 0
	var el matSub
	var err error
	for range 3 {
		if el, pos, err = nextSub(b, pos, order, "", 0, ""); err != nil {
			return "", false
		}
	}
	return string(el.data), el.typ == miINT8
}

// matSub is one sub-element of a miMATRIX.
type matSub struct {
	typ  uint32
	data []byte
	off  int64 // offset of the tag
}

// nextSub reads the sub-element at b[pos:], handling the small data element
// format, and returns it and the position of the next (8-byte aligned).
func nextSub(b []byte, pos int, order binary.ByteOrder, file string, base int64, what string) (matSub, int, error) {
	off := base + int64(pos)
	if len(b)-pos < 8 {
		return matSub{}, 0, formatErrorf(file, off, "truncated matrix: expected an 8-byte tag for %s, %d bytes left", what, len(b)-pos)
	}
	w := order.Uint32(b[pos:])
	if small := w >> 16; small != 0 {
		n := int(small)
		typ := w & 0xFFFF
		if n > 4 {
			return matSub{}, 0, formatErrorf(file, off, "small data element for %s declares %d bytes, want <= 4", what, n)
		}
		return matSub{typ: typ, data: b[pos+4 : pos+4+n], off: off}, pos + 8, nil
	}
	typ := w
	n := int64(order.Uint32(b[pos+4:]))
	if n > int64(len(b)-pos-8) {
		return matSub{}, 0, formatErrorf(file, off+4, "%s declares %d bytes, only %d left in the matrix", what, n, len(b)-pos-8)
	}
	next := pos + 8 + int(n)
	if pad := (8 - next%8) % 8; next+pad <= len(b) {
		next += pad
	} else {
		next = len(b)
	}
	return matSub{typ: typ, data: b[pos+8 : pos+8+int(n)], off: off}, next, nil
}

// parseMATMatrix parses the data of a miMATRIX element; it returns nil for
// arrays that are not real numeric arrays. base is the offset of b in file.
func parseMATMatrix(b []byte, order binary.ByteOrder, file string, base int64) (*MATArray, error) {
	flags, pos, err := nextSub(b, 0, order, file, base, "array flags")
	if err != nil {
		return nil, err
	}
	if flags.typ != miUINT32 || len(flags.data) != 8 {
		return nil, formatErrorf(file, flags.off, "expected array flags as 8 bytes of miUINT32, got type %d with %d bytes", flags.typ, len(flags.data))
	}
	f0 := order.Uint32(flags.data)
	class := int(f0 & 0xFF)
	complexFlag := f0&0x0800 != 0
	dimsEl, pos, err := nextSub(b, pos, order, file, base, "dimensions")
	if err != nil {
		return nil, err
	}
	if dimsEl.typ != miINT32 || len(dimsEl.data)%4 != 0 || len(dimsEl.data) < 8 {
		return nil, formatErrorf(file, dimsEl.off, "expected at least 2 dimensions as miINT32, got type %d with %d bytes", dimsEl.typ, len(dimsEl.data))
	}
	dims := make([]int, len(dimsEl.data)/4)
	total := int64(1)
	for i := range dims {
		d := int32(order.Uint32(dimsEl.data[4*i:]))
		if d < 0 {
			return nil, formatErrorf(file, dimsEl.off+8+int64(4*i), "expected a dimension >= 0, got %d", d)
		}
		dims[i] = int(d)
		total *= int64(d)
		if total > maxMATElement {
			return nil, formatErrorf(file, dimsEl.off, "dimensions %v declare too many elements", dims[:i+1])
		}
	}
	nameEl, pos, err := nextSub(b, pos, order, file, base, "array name")
	if err != nil {
		return nil, err
	}
	if nameEl.typ != miINT8 {
		return nil, formatErrorf(file, nameEl.off, "expected the array name as miINT8, got type %d", nameEl.typ)
	}
	arr := &MATArray{Name: string(nameEl.data), Class: class, Dims: dims}
	if class < mxDOUBLE || class > mxUINT64 {
		return nil, nil // cell, struct, object, char or sparse: not needed
	}
	if complexFlag {
		return nil, formatErrorf(file, flags.off+8, "variable %q: complex arrays are not supported", arr.Name)
	}
	re, _, err := nextSub(b, pos, order, file, base, "real part of "+arr.Name)
	if err != nil {
		return nil, err
	}
	sz, ok := miSize[re.typ]
	if !ok {
		return nil, formatErrorf(file, re.off, "variable %q: expected numeric data, got type %d", arr.Name, re.typ)
	}
	if int64(len(re.data)) != total*int64(sz) {
		return nil, formatErrorf(file, re.off+4, "variable %q: expected %d elements of %d bytes for dimensions %v, got %d bytes", arr.Name, total, sz, dims, len(re.data))
	}
	if re.typ == miUINT8 {
		// re.data aliases the element buffer, which this reader owns.
		arr.U8 = re.data[:len(re.data):len(re.data)]
		return arr, nil
	}
	arr.F64 = make([]float64, total)
	d := re.data
	for i := range arr.F64 {
		var v float64
		switch re.typ {
		case miINT8:
			v = float64(int8(d[i]))
		case miINT16:
			v = float64(int16(order.Uint16(d[2*i:])))
		case miUINT16:
			v = float64(order.Uint16(d[2*i:]))
		case miINT32:
			v = float64(int32(order.Uint32(d[4*i:])))
		case miUINT32:
			v = float64(order.Uint32(d[4*i:]))
		case miSINGLE:
			v = float64(math.Float32frombits(order.Uint32(d[4*i:])))
		case miDOUBLE:
			v = math.Float64frombits(order.Uint64(d[8*i:]))
		case miINT64:
			v = float64(int64(order.Uint64(d[8*i:])))
		case miUINT64:
			v = float64(order.Uint64(d[8*i:]))
		}
		arr.F64[i] = v
	}
	return arr, nil
}
