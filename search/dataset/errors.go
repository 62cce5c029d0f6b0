package dataset

import (
	"errors"
	"fmt"
	"io"
)

// FormatError reports input that does not follow its file format: the file,
// the byte offset at which the problem was found, and what was expected there.
//
// Offsets count bytes from the start of the file. When the file is
// compressed (gzip IDX files, zlib elements of MAT files) the offset counts
// bytes of the decompressed stream and Decompressed is true.
type FormatError struct {
	File         string // path of the file as given to the loader
	Offset       int64  // byte offset of the problem, >= 0
	Decompressed bool   // Offset counts decompressed bytes
	Msg          string // what was expected and what was found
}

func (e *FormatError) Error() string {
	where := "offset"
	if e.Decompressed {
		where = "decompressed offset"
	}
	return fmt.Sprintf("dataset: %s: %s %d: %s", e.File, where, e.Offset, e.Msg)
}

// formatErrorf builds a *FormatError.
func formatErrorf(file string, off int64, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// countingReader counts the bytes read through it so parsers can name
// offsets in errors.
type countingReader struct {
	r   io.Reader
	off int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.off += int64(n)
	return n, err
}

// readFull reads exactly len(p) bytes; a short read becomes a FormatError at
// the offset where the data ended, naming what was being read.
func readFull(c *countingReader, p []byte, file string, what string) error {
	start := c.off
	n, err := io.ReadFull(c, p)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErrorf(file, start+int64(n), "truncated: expected %d bytes of %s, file ends after %d", len(p), what, n)
	}
	return formatErrorf(file, start+int64(n), "reading %s: %v", what, err)
}

// readAllLimited reads exactly n bytes from c, growing the destination as
// data arrives so that a header claiming a huge size cannot force a huge
// allocation before the data is there.
func readAllLimited(c *countingReader, n int64, file, what string) ([]byte, error) {
	const chunk = 1 << 20
	start := c.off
	var buf []byte
	if n <= chunk {
		buf = make([]byte, n)
		if err := readFull(c, buf, file, what); err != nil {
			return nil, err
		}
		return buf, nil
	}
	buf = make([]byte, 0, chunk)
	for int64(len(buf)) < n {
		want := min(int64(chunk), n-int64(len(buf)))
		if int64(cap(buf)-len(buf)) < want {
			nb := make([]byte, len(buf), min(n, 2*int64(cap(buf))+want))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(c, buf[len(buf):len(buf)+int(want)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, formatErrorf(file, c.off, "truncated: expected %d bytes of %s from offset %d, file ends after %d", n, what, start, len(buf))
			}
			return nil, formatErrorf(file, c.off, "reading %s: %v", what, err)
		}
	}
	return buf, nil
}

// expectEOF returns a FormatError if c has more data.
func expectEOF(c *countingReader, file string) error {
	var b [1]byte
	n, err := c.Read(b[:])
	for n == 0 && err == nil {
		n, err = c.Read(b[:])
	}
	if n > 0 {
		return formatErrorf(file, c.off-1, "expected end of file, found more data")
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return formatErrorf(file, c.off, "reading past the data: %v", err)
	}
	return nil
}
