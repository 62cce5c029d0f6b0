package hdf5

import (
	"bytes"
	"errors"
	"fmt"
)

// link is a hard link from a group to an object header.
type link struct {
	name string
	addr uint64
}

// maxNodes bounds the B-tree nodes visited for one group or dataset.
const maxNodes = 1 << 20

// symbolTable reads an old-style group: the B-tree v1 (type 0) at bt whose
// leaves point to symbol table nodes, with names in the local heap at heap.
func (f *file) symbolTable(bt, heap uint64) ([]link, error) {
	names, err := f.localHeap(heap)
	if err != nil {
		return nil, err
	}
	var links []link
	visited := 0
	var walk func(a uint64, depth int) error
	walk = func(a uint64, depth int) error {
		if visited++; visited > maxNodes || depth > maxDepth {
			return errors.New("group B-tree too large or too deep")
		}
		kids, level, err := f.btreeNode(a, 0, 0)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if level > 0 {
				if err := walk(k.child, depth+1); err != nil {
					return err
				}
				continue
			}
			l, err := f.symbolNode(k.child, names)
			if err != nil {
				return err
			}
			links = append(links, l...)
		}
		return nil
	}
	if err := walk(bt, 0); err != nil {
		return nil, fmt.Errorf("symbol table: %w", err)
	}
	return links, nil
}

// localHeap returns the data segment of the local heap at a.
func (f *file) localHeap(a uint64) ([]byte, error) {
	c := f.at(a)
	if !bytes.Equal(c.bytes(4), []byte("HEAP")) {
		return nil, fmt.Errorf("local heap at %#x: no HEAP signature", a)
	}
	if v := c.u8(); v != 0 {
		return nil, fmt.Errorf("local heap at %#x: version %d, want 0", a, v)
	}
	c.skip(3)
	size := c.length()
	c.length() // free list
	data := c.addr()
	if c.err != nil {
		return nil, fmt.Errorf("local heap at %#x: %w", a, c.err)
	}
	b, err := f.span(data, size)
	if err != nil {
		return nil, fmt.Errorf("local heap at %#x: %w", a, err)
	}
	return b, nil
}

// cstring returns the NUL-terminated string at off in b.
func cstring(b []byte, off uint64) (string, error) {
	if off >= uint64(len(b)) {
		return "", fmt.Errorf("name offset %d outside the local heap (%d bytes)", off, len(b))
	}
	s := b[off:]
	i := bytes.IndexByte(s, 0)
	if i < 0 {
		return "", fmt.Errorf("name at heap offset %d is not NUL-terminated", off)
	}
	return string(s[:i]), nil
}

// btreeEntry is one child of a B-tree v1 node with the key before it.
type btreeEntry struct {
	child uint64
	// chunk keys (type 1): stored size, filter mask, offsets (rank+1).
	size   uint32
	mask   uint32
	offset []uint64
}

// btreeNode reads the B-tree v1 node at a of the given type (0 group, 1
// chunk; rank is the chunk key's dimensionality for type 1).
func (f *file) btreeNode(a uint64, typ uint8, rank int) ([]btreeEntry, int, error) {
	c := f.at(a)
	if !bytes.Equal(c.bytes(4), []byte("TREE")) {
		return nil, 0, fmt.Errorf("B-tree node at %#x: no TREE signature", a)
	}
	if t := c.u8(); t != typ && c.err == nil {
		return nil, 0, fmt.Errorf("B-tree node at %#x: type %d, want %d", a, t, typ)
	}
	level := int(c.u8())
	n := int(c.u16())
	c.addr()
	c.addr()
	key := func() btreeEntry {
		var e btreeEntry
		if typ == 0 {
			c.length()
			return e
		}
		e.size = c.u32()
		e.mask = c.u32()
		for i := 0; i < rank; i++ {
			e.offset = append(e.offset, c.uN(8))
		}
		return e
	}
	entries := make([]btreeEntry, 0, min(n, 1024))
	for i := 0; i < n && c.err == nil; i++ {
		e := key()
		e.child = c.addr()
		entries = append(entries, e)
	}
	if c.err != nil {
		return nil, 0, fmt.Errorf("B-tree node at %#x: %w", a, c.err)
	}
	return entries, level, nil
}

// symbolNode reads a symbol table node ("SNOD") and its entries.
func (f *file) symbolNode(a uint64, names []byte) ([]link, error) {
	c := f.at(a)
	if !bytes.Equal(c.bytes(4), []byte("SNOD")) {
		return nil, fmt.Errorf("symbol table node at %#x: no SNOD signature", a)
	}
	if v := c.u8(); v != 1 && c.err == nil {
		return nil, fmt.Errorf("symbol table node at %#x: version %d, want 1", a, v)
	}
	c.skip(1)
	n := int(c.u16())
	var links []link
	for i := 0; i < n && c.err == nil; i++ {
		off := c.length()
		addr := c.addr()
		c.skip(24) // cache type, reserved, scratch pad
		if c.err != nil {
			break
		}
		name, err := cstring(names, off)
		if err != nil {
			return nil, fmt.Errorf("symbol table node at %#x: %w", a, err)
		}
		links = append(links, link{name, addr})
	}
	if c.err != nil {
		return nil, fmt.Errorf("symbol table node at %#x: %w", a, c.err)
	}
	return links, nil
}

// linkInfo checks a link info message: links stored densely (fractal heap)
// are not supported.
func (f *file) linkInfo(b []byte) error {
	c := &cursor{f: f, b: b}
	if v := c.u8(); v != 0 && c.err == nil {
		return fmt.Errorf("link info message version %d, want 0", v)
	}
	flags := c.u8()
	if flags&1 != 0 {
		c.skip(8)
	}
	heap := c.addr()
	if c.err != nil {
		return fmt.Errorf("link info message: %w", c.err)
	}
	if heap != undef {
		return errors.New("unsupported: dense link storage (fractal heap)")
	}
	return nil
}

// attrInfo checks an attribute info message: attributes stored densely
// (fractal heap) are not supported.
func (f *file) attrInfo(b []byte) error {
	c := &cursor{f: f, b: b}
	if v := c.u8(); v != 0 && c.err == nil {
		return fmt.Errorf("attribute info message version %d, want 0", v)
	}
	flags := c.u8()
	if flags&1 != 0 {
		c.skip(2)
	}
	heap := c.addr()
	if c.err != nil {
		return fmt.Errorf("attribute info message: %w", c.err)
	}
	if heap != undef {
		return errors.New("unsupported: dense attribute storage (fractal heap)")
	}
	return nil
}

// linkMessage reads a link message; only hard links are supported.
func (f *file) linkMessage(b []byte) (link, error) {
	c := &cursor{f: f, b: b}
	if v := c.u8(); v != 1 && c.err == nil {
		return link{}, fmt.Errorf("link message version %d, want 1", v)
	}
	flags := c.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8)
	}
	if flags&0x10 != 0 {
		c.skip(1)
	}
	n := c.uN(1 << (flags & 3))
	if n > uint64(len(b)) {
		return link{}, fmt.Errorf("link name of %d bytes in a %d-byte message", n, len(b))
	}
	name := string(c.bytes(int(n)))
	if c.err != nil {
		return link{}, fmt.Errorf("link message: %w", c.err)
	}
	if typ != 0 {
		return link{name: name}, fmt.Errorf("unsupported: link %q of type %d (soft or external link)", name, typ)
	}
	addr := c.addr()
	if c.err != nil {
		return link{}, fmt.Errorf("link %q: %w", name, c.err)
	}
	return link{name, addr}, nil
}
