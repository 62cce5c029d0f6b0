package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// datatype is a parsed datatype message of a supported class.
type datatype struct {
	class  Class
	size   int  // stored element size in bytes
	big    bool // big-endian (numbers)
	signed bool // integers
	vlen   bool // variable-length string
}

// parseDatatype reads a datatype message.
func (f *file) parseDatatype(b []byte) (*datatype, error) {
	c := &cursor{f: f, b: b}
	cv := c.u8()
	bits0 := c.u8()
	c.skip(2)
	size := c.u32()
	if c.err != nil {
		return nil, fmt.Errorf("datatype: %w", c.err)
	}
	class := cv & 0x0f
	if size == 0 || size > 1<<16 {
		return nil, fmt.Errorf("datatype of %d bytes", size)
	}
	t := &datatype{size: int(size)}
	switch class {
	case 0: // fixed-point
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return nil, fmt.Errorf("unsupported: integer of %d bytes", size)
		}
		t.class, t.big, t.signed = Int, bits0&1 != 0, bits0&8 != 0
		return t, nil
	case 1: // floating point
		c.skip(4) // bit offset, precision
		exp, expSize, mant, mantSize := c.u8(), c.u8(), c.u8(), c.u8()
		if c.err != nil {
			return nil, fmt.Errorf("float datatype: %w", c.err)
		}
		ieee := (size == 4 && exp == 23 && expSize == 8 && mant == 0 && mantSize == 23) ||
			(size == 8 && exp == 52 && expSize == 11 && mant == 0 && mantSize == 52)
		if !ieee || bits0&0x40 != 0 {
			return nil, fmt.Errorf("unsupported: float of %d bytes that is not IEEE binary32/binary64", size)
		}
		t.class, t.big = Float, bits0&1 != 0
		return t, nil
	case 3: // fixed-length string
		t.class = String
		return t, nil
	case 9: // variable-length
		if bits0&0x0f != 1 {
			return nil, errors.New("unsupported: variable-length sequence (only variable-length strings are)")
		}
		t.class, t.vlen = String, true
		return t, nil
	}
	names := map[uint8]string{2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enum", 10: "array"}
	name := names[class]
	if name == "" {
		name = fmt.Sprintf("class %d", class)
	}
	return nil, fmt.Errorf("unsupported: %s datatype", name)
}

// dataspace is a parsed dataspace message; dims is nil for a scalar and
// null is true for a null dataspace (no elements).
type dataspace struct {
	dims []int
	null bool
}

func (s *dataspace) count() int {
	if s.null {
		return 0
	}
	n := 1
	for _, d := range s.dims {
		n *= d
	}
	return n
}

// parseDataspace reads a dataspace message (versions 1 and 2).
func (f *file) parseDataspace(b []byte) (*dataspace, error) {
	c := &cursor{f: f, b: b}
	version := c.u8()
	rank := int(c.u8())
	flags := c.u8()
	s := &dataspace{}
	switch version {
	case 1:
		c.skip(5)
		if rank == 0 {
			// Version 1 has no scalar type; rank 0 is a scalar.
		}
	case 2:
		switch c.u8() {
		case 0:
		case 1:
		case 2:
			s.null = true
		default:
			return nil, errors.New("dataspace: unknown type")
		}
	default:
		if c.err == nil {
			return nil, fmt.Errorf("dataspace version %d, want 1 or 2", version)
		}
	}
	total := uint64(1)
	for i := 0; i < rank; i++ {
		d := c.length()
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("dataspace dimension %d of %d", i, d)
		}
		total *= max(d, 1)
		if total > math.MaxInt32 {
			return nil, errors.New("dataspace of more than 2^31 elements")
		}
		s.dims = append(s.dims, int(d))
	}
	_ = flags // maximum dimensions and permutation are not needed to read
	if c.err != nil {
		return nil, fmt.Errorf("dataspace: %w", c.err)
	}
	return s, nil
}

// decode turns count stored elements of type t in raw into a Value.
func (f *file) decode(t *datatype, s *dataspace, raw []byte) (*Value, error) {
	n := s.count()
	if len(raw) < n*t.size {
		return nil, fmt.Errorf("%d bytes of data for %d elements of %d bytes", len(raw), n, t.size)
	}
	v := &Value{Class: t.class, Size: t.size, Shape: append([]int{}, s.dims...)}
	if t.vlen {
		v.Size = 0
	}
	var order binary.ByteOrder = binary.LittleEndian
	if t.big {
		order = binary.BigEndian
	}
	switch {
	case t.class == Float:
		v.Floats = make([]float64, n)
		for i := range v.Floats {
			e := raw[i*t.size:]
			if t.size == 4 {
				v.Floats[i] = float64(math.Float32frombits(order.Uint32(e)))
			} else {
				v.Floats[i] = math.Float64frombits(order.Uint64(e))
			}
		}
	case t.class == Int:
		v.Ints = make([]int64, n)
		for i := range v.Ints {
			e := raw[i*t.size : (i+1)*t.size]
			var u uint64
			for j := 0; j < t.size; j++ {
				k := j
				if !t.big {
					k = t.size - 1 - j
				}
				u = u<<8 | uint64(e[k])
			}
			if t.signed && t.size < 8 && u&(1<<(8*t.size-1)) != 0 {
				u |= ^uint64(0) << (8 * t.size)
			}
			v.Ints[i] = int64(u)
		}
	case t.vlen:
		v.Strings = make([]string, n)
		for i := range v.Strings {
			c := &cursor{f: f, b: raw[i*t.size : (i+1)*t.size]}
			length := c.u32()
			coll := c.addr()
			idx := c.u32()
			if c.err != nil {
				return nil, fmt.Errorf("variable-length string %d: %w", i, c.err)
			}
			if length == 0 {
				continue
			}
			obj, err := f.globalObject(coll, idx)
			if err != nil {
				return nil, fmt.Errorf("variable-length string %d: %w", i, err)
			}
			if uint64(length) > uint64(len(obj)) {
				return nil, fmt.Errorf("variable-length string %d: %d bytes in a heap object of %d", i, length, len(obj))
			}
			v.Strings[i] = string(obj[:length])
		}
	default:
		v.Strings = make([]string, n)
		for i := range v.Strings {
			e := raw[i*t.size : (i+1)*t.size]
			v.Strings[i] = strings.TrimRight(string(e), "\x00 ")
		}
	}
	return v, nil
}

// globalObject returns object idx of the global heap collection at a.
func (f *file) globalObject(a uint64, idx uint32) ([]byte, error) {
	objs, ok := f.gheaps[a]
	if !ok {
		var err error
		if objs, err = f.globalHeap(a); err != nil {
			return nil, err
		}
		f.gheaps[a] = objs
	}
	if idx > math.MaxUint16 {
		return nil, fmt.Errorf("global heap object index %d", idx)
	}
	o, ok := objs[uint16(idx)]
	if !ok {
		return nil, fmt.Errorf("global heap at %#x has no object %d", a, idx)
	}
	return o, nil
}

// globalHeap parses the global heap collection ("GCOL") at a.
func (f *file) globalHeap(a uint64) (map[uint16][]byte, error) {
	c := f.at(a)
	if !bytes.Equal(c.bytes(4), []byte("GCOL")) {
		return nil, fmt.Errorf("global heap at %#x: no GCOL signature", a)
	}
	if v := c.u8(); v != 1 && c.err == nil {
		return nil, fmt.Errorf("global heap at %#x: version %d, want 1", a, v)
	}
	c.skip(3)
	size := c.length()
	if c.err != nil {
		return nil, fmt.Errorf("global heap at %#x: %w", a, c.err)
	}
	blk, err := f.span(a, size)
	if err != nil || size < 16 {
		return nil, fmt.Errorf("global heap at %#x: collection of %d bytes outside the file", a, size)
	}
	c = &cursor{f: f, b: blk, off: 16}
	objs := map[uint16][]byte{}
	for c.off+8+f.sizeLen <= len(blk) {
		idx := c.u16()
		c.skip(6) // reference count, reserved
		n := c.length()
		if idx == 0 || c.err != nil {
			break // free space: the rest of the collection
		}
		if n > uint64(len(blk)) {
			return nil, fmt.Errorf("global heap at %#x: object %d of %d bytes", a, idx, n)
		}
		data := c.bytes(int(n))
		c.skip(int((8 - n%8) % 8))
		if data == nil {
			return nil, fmt.Errorf("global heap at %#x: object %d runs past the collection", a, idx)
		}
		objs[idx] = data
	}
	return objs, nil
}

// attribute reads an attribute message and decodes its value.
func (f *file) attribute(b []byte) (string, *Value, error) {
	c := &cursor{f: f, b: b}
	version := c.u8()
	c.skip(1)
	nameLen, typLen, spaceLen := int(c.u16()), int(c.u16()), int(c.u16())
	pad := func(n int) int { return n }
	switch version {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		c.skip(1) // name character set
	default:
		if c.err == nil {
			return "", nil, fmt.Errorf("attribute message version %d, want 1 to 3", version)
		}
	}
	nb := c.bytes(pad(nameLen))
	tb := c.bytes(pad(typLen))
	sb := c.bytes(pad(spaceLen))
	if c.err != nil {
		return "", nil, c.err
	}
	name := strings.TrimRight(string(nb[:nameLen]), "\x00")
	t, err := f.parseDatatype(tb[:typLen])
	if err != nil {
		return name, nil, err
	}
	s, err := f.parseDataspace(sb[:spaceLen])
	if err != nil {
		return name, nil, err
	}
	if err := f.checkLimit(t, s); err != nil {
		return name, nil, err
	}
	v, err := f.decode(t, s, c.b[c.off:])
	return name, v, err
}

// checkLimit charges a value's decoded size to the file's budget and
// refuses it when the budget is exceeded.
func (f *file) checkLimit(t *datatype, s *dataspace) error {
	per := t.size
	if t.vlen || t.class != String && per < 8 {
		per = 16 // decoded element size (float64, int64, string header)
	}
	n := s.count()
	if n > 0 && n > f.budget/per {
		return fmt.Errorf("%d elements of %d bytes exceed the decode limit of %d bytes per file", n, per, f.limit)
	}
	return f.charge(n * per)
}

// charge takes n decoded bytes from the file's budget.
func (f *file) charge(n int) error {
	if n > f.budget {
		return fmt.Errorf("decoding more than the limit of %d bytes per file", f.limit)
	}
	f.budget -= n
	return nil
}
