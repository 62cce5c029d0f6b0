package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// IDX is the content of one IDX file (the format of MNIST and
// Fashion-MNIST): an n-dimensional array of unsigned bytes.
//
// Invariant: len(Data) is the product of Dims.
type IDX struct {
	Dims []int  // sizes, outermost first (e.g. [60000 28 28])
	Data []byte // elements in row-major order
}

// maxIDXElements bounds the element count an IDX header may declare (4 GiB).
const maxIDXElements = 1 << 32

// ReadIDXFile reads an IDX file, gzip-compressed or not (detected by the
// gzip magic bytes 1f 8b). Only element type 0x08 (unsigned byte) is
// accepted. Errors are *FormatError values naming file and offset.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// ReadIDX reads an IDX stream (gzip-compressed or not); name is used in
// errors. The whole stream must be consumed: trailing data is an error.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	compressed := err == nil && magic[0] == 0x1f && magic[1] == 0x8b
	var src io.Reader = br
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, formatErrorf(name, 0, "expected a gzip header: %v", err)
		}
		zr.Multistream(false)
		src = zr
	}
	idx, err := readIDX(&countingReader{r: src}, name)
	if fe, ok := err.(*FormatError); ok && compressed {
		fe.Decompressed = true
	}
	return idx, err
}

func readIDX(c *countingReader, name string) (*IDX, error) {
	var hdr [4]byte
	if err := readFull(c, hdr[:], name, "the IDX magic number"); err != nil {
		return nil, err
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, formatErrorf(name, 0, "expected IDX magic 00 00 08 <ndim>, got % x", hdr)
	}
	if hdr[2] != 0x08 {
		return nil, formatErrorf(name, 2, "expected IDX element type 0x08 (unsigned byte), got 0x%02x", hdr[2])
	}
	ndim := int(hdr[3])
	if ndim < 1 || ndim > 4 {
		return nil, formatErrorf(name, 3, "expected 1 to 4 IDX dimensions, got %d", ndim)
	}
	dims := make([]int, ndim)
	total := int64(1)
	for i := range dims {
		off := c.off
		var b [4]byte
		if err := readFull(c, b[:], name, "an IDX dimension"); err != nil {
			return nil, err
		}
		d := int64(binary.BigEndian.Uint32(b[:]))
		if d == 0 && i > 0 {
			return nil, formatErrorf(name, off, "expected a positive size for IDX dimension %d, got 0", i)
		}
		if d > 0 && total > maxIDXElements/d {
			return nil, formatErrorf(name, off, "IDX dimensions declare more than %d elements", int64(maxIDXElements))
		}
		total *= d
		dims[i] = int(d)
	}
	data, err := readAllLimited(c, total, name, "IDX data")
	if err != nil {
		return nil, err
	}
	if err := expectEOF(c, name); err != nil {
		return nil, err
	}
	return &IDX{Dims: dims, Data: data}, nil
}
