package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
)

// Signature is the 8-byte HDF5 format signature that starts the
// superblock (at offset 0, 512, 1024, 2048, ... of the file).
var Signature = []byte("\x89HDF\r\n\x1a\n")

// Class is the kind of values a Value holds.
type Class int

// Value classes.
const (
	Float  Class = iota + 1 // IEEE floats, decoded into Value.Floats
	Int                     // integers, decoded into Value.Ints
	String                  // fixed- or variable-length strings, decoded into Value.Strings
)

func (c Class) String() string {
	switch c {
	case Float:
		return "float"
	case Int:
		return "int"
	case String:
		return "string"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Value is the decoded contents of a dataset or attribute. Shape is empty
// for a scalar; values are in row-major order and exactly one of Floats,
// Ints and Strings (the one Class names) holds prod(Shape) elements (zero
// for a null dataspace).
type Value struct {
	Class Class
	// Size is the stored element size in bytes (4 for float32; for
	// variable-length strings, 0).
	Size    int
	Shape   []int
	Floats  []float64
	Ints    []int64
	Strings []string
}

// Len returns the number of elements.
func (v *Value) Len() int {
	switch v.Class {
	case Float:
		return len(v.Floats)
	case Int:
		return len(v.Ints)
	}
	return len(v.Strings)
}

// Object is a group or a dataset.
type Object struct {
	// Path is the object's absolute path ("/" for the root group).
	Path string
	// Members are a group's children by link name; nil for a dataset.
	Members map[string]*Object
	// Data is a dataset's value; nil for a group.
	Data  *Value
	Attrs map[string]*Value
}

// IsGroup reports whether o is a group.
func (o *Object) IsGroup() bool { return o.Data == nil }

// Names returns a group's member names, sorted.
func (o *Object) Names() []string {
	names := make([]string, 0, len(o.Members))
	for n := range o.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the object at a path relative to o ("a/b"), or an error
// naming the path.
func (o *Object) Get(path string) (*Object, error) {
	cur := o
	for _, part := range splitPath(path) {
		if cur.Members == nil {
			return nil, fmt.Errorf("hdf5: %s is a dataset, not a group", cur.Path)
		}
		next, ok := cur.Members[part]
		if !ok {
			return nil, fmt.Errorf("hdf5: %s has no member %q", cur.Path, part)
		}
		cur = next
	}
	return cur, nil
}

func splitPath(p string) []string {
	var parts []string
	for _, s := range bytes.Split([]byte(p), []byte("/")) {
		if len(s) > 0 {
			parts = append(parts, string(s))
		}
	}
	return parts
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// DefaultLimit is the largest number of decoded bytes Read accepts for all
// datasets and attributes of a file together (a corrupt or hostile file cannot make it allocate
// more): 1 GiB.
const DefaultLimit = 1 << 30

// maxObjects bounds the object headers read for one file (links may
// share objects, so this bounds the work, not only the file size).
const maxObjects = 1 << 16

// maxDepth bounds group nesting (and so recursion through link cycles).
const maxDepth = 64

// Read parses an HDF5 file held in memory and returns its root group with
// every member decoded. Errors name the object path and what was wrong or
// unsupported.
func Read(data []byte) (*Object, error) { return ReadLimit(data, DefaultLimit) }

// ReadLimit is Read with a limit, in bytes, on the decoded size of the
// file's datasets and attributes together (chunks counted as decoded).
func ReadLimit(data []byte, limit int) (*Object, error) {
	f := &file{data: data, limit: limit, budget: limit, gheaps: map[uint64]map[uint16][]byte{}}
	root, err := f.superblock()
	if err != nil {
		return nil, fmt.Errorf("hdf5: superblock: %w", err)
	}
	visiting := map[uint64]bool{}
	o, err := f.object("/", root, 0, visiting)
	if err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("hdf5: /: %w", err)
	}
	return o, nil
}

// pathError is an error at an object path.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return fmt.Sprintf("hdf5: %s: %v", e.path, e.err) }
func (e *pathError) Unwrap() error { return e.err }

// superblock finds and parses the superblock and returns the address of
// the root group's object header (for v0/v1, with the symbol table
// addresses cached in the root entry ignored: the header has them too).
func (f *file) superblock() (uint64, error) {
	at := -1
	for off := 0; off+len(Signature) <= len(f.data); off = max(512, off*2) {
		if bytes.Equal(f.data[off:off+len(Signature)], Signature) {
			at = off
			break
		}
	}
	if at < 0 {
		return 0, errors.New("no HDF5 signature at offset 0, 512, 1024, ...")
	}
	c := &cursor{f: f, b: f.data, off: at + len(Signature)}
	version := c.u8()
	switch version {
	case 0, 1:
		c.skip(4) // free-space, root symtab, reserved, shared header versions
		f.sizeOff, f.sizeLen = int(c.u8()), int(c.u8())
		c.skip(1)
		c.skip(4) // group leaf and internal node K
		c.skip(4) // consistency flags
		if version == 1 {
			c.skip(4) // indexed storage K, reserved
		}
		if err := f.checkSizes(); err != nil {
			return 0, err
		}
		f.base = c.uN(f.sizeOff)
		c.addr() // free space
		c.addr() // end of file
		c.addr() // driver info
		c.addr() // root entry: link name offset
		root := c.addr()
		c.skip(24) // cache type, reserved, scratch pad
		if c.err != nil {
			return 0, c.err
		}
		return root, nil
	case 2, 3:
		f.sizeOff, f.sizeLen = int(c.u8()), int(c.u8())
		if err := f.checkSizes(); err != nil {
			return 0, err
		}
		c.skip(1) // flags
		f.base = c.uN(f.sizeOff)
		ext := c.addr()
		c.addr() // end of file
		root := c.addr()
		end := c.off
		sum := c.bytes(4)
		if c.err != nil {
			return 0, c.err
		}
		if err := checkSum(fmt.Sprintf("superblock version %d", version), f.data[at:end], sum); err != nil {
			return 0, err
		}
		if ext != undef {
			// The extension holds shared-message tables and such; NIR files
			// written by h5py do not use them, and ignoring them is safe only
			// when nothing refers to them, which object headers check.
			_ = ext
		}
		return root, nil
	}
	return 0, fmt.Errorf("superblock version %d, want 0 to 3", version)
}

func (f *file) checkSizes() error {
	for _, s := range []int{f.sizeOff, f.sizeLen} {
		if s != 2 && s != 4 && s != 8 {
			return fmt.Errorf("size of offsets %d and of lengths %d, want 2, 4 or 8", f.sizeOff, f.sizeLen)
		}
	}
	return nil
}
