package hdf5

import (
	"encoding/binary"
	"fmt"
)

// undef is HDF5's undefined address (all bits set).
const undef = ^uint64(0)

// file is a parse in progress: the file bytes and the sizes the superblock
// fixes.
type file struct {
	data    []byte
	base    uint64 // base address added to every address
	sizeOff int    // bytes in an address
	sizeLen int    // bytes in a length
	limit   int    // max decoded bytes per dataset
	budget  int    // decoded bytes left for the whole file (starts at limit)
	visits  int    // object headers read so far
	// gheaps caches parsed global heap collections by address.
	gheaps map[uint64]map[uint16][]byte
}

// cursor reads little-endian fields from b with bounds checks; the first
// failure is remembered in err and later reads return zeros.
type cursor struct {
	f   *file
	b   []byte
	off int
	err error
}

// errTrunc is the error of a read past the end of a structure.
type truncError struct{ what string }

func (e truncError) Error() string { return "truncated " + e.what }

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || c.off+n > len(c.b) || c.off+n < c.off {
		c.err = truncError{"structure"}
		return false
	}
	return true
}

func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	b := c.b[c.off : c.off+n]
	c.off += n
	return b
}

func (c *cursor) skip(n int) { c.bytes(n) }

func (c *cursor) u8() uint8 {
	if !c.need(1) {
		return 0
	}
	v := c.b[c.off]
	c.off++
	return v
}

func (c *cursor) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(c.b[c.off:])
	c.off += 2
	return v
}

func (c *cursor) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(c.b[c.off:])
	c.off += 4
	return v
}

// uN reads an n-byte little-endian unsigned integer (n <= 8).
func (c *cursor) uN(n int) uint64 {
	if n < 1 || n > 8 {
		c.fail(fmt.Errorf("integer field of %d bytes, want 1 to 8", n))
		return 0
	}
	b := c.bytes(n)
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// addr reads an address (relative to the base), keeping undef as is.
func (c *cursor) addr() uint64 {
	v := c.uN(c.f.sizeOff)
	if c.f.sizeOff < 8 && v == 1<<(8*c.f.sizeOff)-1 {
		return undef
	}
	if v == undef {
		return undef
	}
	return v + c.f.base
}

func (c *cursor) length() uint64 { return c.uN(c.f.sizeLen) }

// at returns a cursor on the file from address a to the end of the file.
func (f *file) at(a uint64) *cursor {
	c := &cursor{f: f, b: f.data}
	if a == undef || a > uint64(len(f.data)) {
		c.err = fmt.Errorf("address %#x outside the file (%d bytes)", a, len(f.data))
		return c
	}
	c.off = int(a)
	return c
}

// span returns the n bytes at address a.
func (f *file) span(a, n uint64) ([]byte, error) {
	if a == undef || a > uint64(len(f.data)) || n > uint64(len(f.data))-a {
		return nil, fmt.Errorf("%d bytes at address %#x outside the file (%d bytes)", n, a, len(f.data))
	}
	return f.data[a : a+n], nil
}
