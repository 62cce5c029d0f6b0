package hdf5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Write layout constants: 8-byte addresses and lengths, the library's
// default group internal node K, and the minimum global heap collection
// size libhdf5 reads at once.
const (
	wInternalK = 16
	wGHeapMin  = 4096
)

// Write encodes a tree of groups and datasets (as Read returns) into an
// HDF5 file: superblock version 0, version-1 object headers, symbol-table
// groups (one B-tree v1 leaf and one symbol node per group, names sorted),
// contiguous datasets, and those over 64 KiB chunked and deflate-compressed
// (DefaultWriteOptions), variable-length strings in global heap
// collections, attributes. Floats are written with their Value.Size (4 or 8 bytes),
// integers as signed with theirs (1, 2, 4 or 8; 0 means 8), strings as
// variable-length UTF-8 unless Size > 0 (fixed length). The root must be
// a group.
func Write(root *Object) ([]byte, error) { return WriteWith(root, DefaultWriteOptions) }

// WriteWith is Write with the chunking and compression of opt.
func WriteWith(root *Object, opt WriteOptions) ([]byte, error) {
	if root == nil || root.Data != nil {
		return nil, errors.New("hdf5: write: the root must be a group")
	}
	if err := opt.check(); err != nil {
		return nil, err
	}
	w := &writer{leafK: 4, opt: opt}
	w.maxMembers(root)
	w.buf = make([]byte, 96) // the superblock, filled last
	addr, heap, bt, err := w.group("/", root)
	if err != nil {
		return nil, err
	}
	sb := w.buf[:0]
	sb = append(sb, Signature...)
	sb = append(sb, 0, 0, 0, 0, 0, 8, 8, 0)
	sb = binary.LittleEndian.AppendUint16(sb, uint16(w.leafK))
	sb = binary.LittleEndian.AppendUint16(sb, wInternalK)
	sb = binary.LittleEndian.AppendUint32(sb, 0)
	sb = le64(sb, 0, undef, uint64(len(w.buf)), undef) // base, free space, end of file, driver
	sb = le64(sb, 0, addr)                             // root entry: name offset, header
	sb = binary.LittleEndian.AppendUint32(sb, 1)       // cache type 1: scratch pad holds the symbol table
	sb = binary.LittleEndian.AppendUint32(sb, 0)
	le64(sb, bt, heap)
	return w.buf, nil
}

type writer struct {
	buf   []byte
	leafK int // group leaf node K: a symbol node holds 2K entries
	opt   WriteOptions
}

func le64(b []byte, v ...uint64) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return b
}

// maxMembers sets leafK so that one symbol node holds the largest group.
func (w *writer) maxMembers(o *Object) {
	if o.Data != nil {
		return
	}
	if k := (len(o.Members) + 1) / 2; k > w.leafK {
		w.leafK = k
	}
	for _, m := range o.Members {
		w.maxMembers(m)
	}
}

// put appends b aligned to 8 bytes and returns its address.
func (w *writer) put(b []byte) uint64 {
	for len(w.buf)%8 != 0 {
		w.buf = append(w.buf, 0)
	}
	a := uint64(len(w.buf))
	w.buf = append(w.buf, b...)
	return a
}

// group writes o's members, then its local heap, symbol node, B-tree and
// object header; it returns the header, heap and B-tree addresses.
func (w *writer) group(path string, o *Object) (addr, heap, bt uint64, err error) {
	if o.Members == nil && o.Data == nil {
		o = &Object{Path: o.Path, Attrs: o.Attrs, Members: map[string]*Object{}}
	}
	if w.leafK > math.MaxUint16 {
		return 0, 0, 0, fmt.Errorf("hdf5: write %s: %d members, want at most %d per group", path, 2*w.leafK, 2*math.MaxUint16)
	}
	names := o.Names()
	addrs := make([]uint64, len(names))
	for i, n := range names {
		if n == "" || len(n) > 1<<16 || containsSlashOrNul(n) {
			return 0, 0, 0, fmt.Errorf("hdf5: write %s: member name %q, want a non-empty name without '/' or NUL", path, n)
		}
		child := o.Members[n]
		if child == nil {
			return 0, 0, 0, fmt.Errorf("hdf5: write %s: member %q is nil", path, n)
		}
		if child.Data != nil {
			addrs[i], err = w.dataset(join(path, n), child)
		} else {
			addrs[i], _, _, err = w.group(join(path, n), child)
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
	// Local heap: "" at 0, then each name NUL-terminated, padded to 8.
	seg := make([]byte, 8)
	offs := make([]uint64, len(names))
	for i, n := range names {
		offs[i] = uint64(len(seg))
		seg = append(seg, n...)
		seg = append(seg, 0)
		for len(seg)%8 != 0 {
			seg = append(seg, 0)
		}
	}
	hb := []byte("HEAP\x00\x00\x00\x00")
	hb = le64(hb, uint64(len(seg)), 1) // data size, free list: none (H5HL_FREE_NULL)
	heap = uint64(len(w.buf)+7) &^ 7
	hb = le64(hb, heap+32)
	w.put(append(hb, seg...))
	// Symbol node with 2K entry slots.
	sn := []byte("SNOD\x01\x00")
	sn = binary.LittleEndian.AppendUint16(sn, uint16(len(names)))
	for i := range names {
		sn = le64(sn, offs[i], addrs[i])
		sn = append(sn, make([]byte, 24)...) // cache type 0, reserved, scratch pad
	}
	sn = append(sn, make([]byte, 40*(2*w.leafK-len(names)))...)
	snod := w.put(sn)
	// B-tree: one leaf (level 0) with one child, keys "" and the last name.
	// An empty group's B-tree has no entries (as libhdf5 writes it).
	tb := []byte("TREE\x00\x00\x01\x00")
	if len(names) == 0 {
		tb[6] = 0
	}
	tb = le64(tb, undef, undef, 0)
	if len(names) > 0 {
		tb = le64(tb, snod, offs[len(names)-1])
	}
	tb = append(tb, make([]byte, 24+8*(4*wInternalK+1)-len(tb))...)
	bt = w.put(tb)
	stab := le64(nil, bt, heap)
	msgs := [][2]any{{uint16(msgSymbolTable), stab}}
	attrs, err := w.attrMessages(path, o.Attrs)
	if err != nil {
		return 0, 0, 0, err
	}
	return w.header(append(msgs, attrs...)), heap, bt, nil
}

func containsSlashOrNul(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || s[i] == 0 {
			return true
		}
	}
	return false
}

// header writes a version-1 object header holding msgs (type, body) and
// returns its address.
func (w *writer) header(msgs [][2]any) uint64 {
	var body []byte
	for _, m := range msgs {
		data := m[1].([]byte)
		pad := (len(data) + 7) &^ 7
		body = binary.LittleEndian.AppendUint16(body, m[0].(uint16))
		body = binary.LittleEndian.AppendUint16(body, uint16(pad))
		body = append(body, 0, 0, 0, 0)
		body = append(body, data...)
		body = append(body, make([]byte, pad-len(data))...)
	}
	h := []byte{1, 0}
	h = binary.LittleEndian.AppendUint16(h, uint16(len(msgs)))
	h = binary.LittleEndian.AppendUint32(h, 1)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(body)))
	h = append(h, 0, 0, 0, 0)
	return w.put(append(h, body...))
}

// dataset writes o's data (and global heap for strings) and its header.
func (w *writer) dataset(path string, o *Object) (uint64, error) {
	dt, raw, err := w.encode(o.Data)
	if err != nil {
		return 0, fmt.Errorf("hdf5: write %s: %w", path, err)
	}
	msgs := [][2]any{{uint16(msgDataspace), dataspaceMsg(o.Data.Shape)}, {uint16(msgDatatype), dt}}
	if w.opt.chunked(o.Data, raw) {
		filters, layout, err := w.chunkedData(o.Data.Shape, len(raw)/o.Data.Len(), raw)
		if err != nil {
			return 0, fmt.Errorf("hdf5: write %s: %w", path, err)
		}
		msgs = append(msgs, [2]any{uint16(msgFilters), filters}, [2]any{uint16(msgLayout), layout})
	} else {
		addr := undef
		if len(raw) > 0 {
			addr = w.put(raw)
		}
		layout := []byte{3, 1}
		layout = le64(layout, addr, uint64(len(raw)))
		msgs = append(msgs, [2]any{uint16(msgLayout), layout})
	}
	attrs, err := w.attrMessages(path, o.Attrs)
	if err != nil {
		return 0, err
	}
	return w.header(append(msgs, attrs...)), nil
}

// attrMessages encodes attributes (sorted by name) as version-1 messages.
func (w *writer) attrMessages(path string, attrs map[string]*Value) ([][2]any, error) {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var msgs [][2]any
	for _, n := range names {
		if n == "" || containsSlashOrNul(n) || len(n) >= 1<<16 {
			return nil, fmt.Errorf("hdf5: write %s: attribute name %q, want a non-empty name without NUL", path, n)
		}
		dt, raw, err := w.encode(attrs[n])
		if err != nil {
			return nil, fmt.Errorf("hdf5: write %s: attribute %q: %w", path, n, err)
		}
		ds := dataspaceMsg(attrs[n].Shape)
		pad8 := func(b []byte) []byte { return append(b, make([]byte, (8-len(b)%8)%8)...) }
		m := []byte{1, 0}
		m = binary.LittleEndian.AppendUint16(m, uint16(len(n)+1))
		m = binary.LittleEndian.AppendUint16(m, uint16(len(dt)))
		m = binary.LittleEndian.AppendUint16(m, uint16(len(ds)))
		m = append(m, pad8(append([]byte(n), 0))...)
		m = append(m, pad8(dt)...)
		m = append(m, pad8(ds)...)
		msgs = append(msgs, [2]any{uint16(msgAttribute), append(m, raw...)})
	}
	return msgs, nil
}

// dataspaceMsg is a version-1 dataspace of the given shape (rank 0: scalar).
func dataspaceMsg(shape []int) []byte {
	b := []byte{1, byte(len(shape)), 0, 0, 0, 0, 0, 0}
	for _, d := range shape {
		b = le64(b, uint64(d))
	}
	return b
}

// encode returns the datatype message and the raw data of v.
func (w *writer) encode(v *Value) ([]byte, []byte, error) {
	if v == nil {
		return nil, nil, errors.New("nil value")
	}
	n := 1
	for _, d := range v.Shape {
		if d < 0 {
			return nil, nil, fmt.Errorf("shape %v", v.Shape)
		}
		n *= d
	}
	if v.Len() != n {
		return nil, nil, fmt.Errorf("%d %v values for shape %v", v.Len(), v.Class, v.Shape)
	}
	dt := []byte{}
	var raw []byte
	switch v.Class {
	case Float:
		switch v.Size {
		case 4:
			dt = append(dt, 0x11, 0x20, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0)
			for _, x := range v.Floats {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(x)))
			}
		case 8, 0:
			dt = append(dt, 0x11, 0x20, 63, 0, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0)
			for _, x := range v.Floats {
				raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
			}
		default:
			return nil, nil, fmt.Errorf("float of %d bytes, want 4 or 8", v.Size)
		}
	case Int:
		size := v.Size
		if size == 0 {
			size = 8
		}
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return nil, nil, fmt.Errorf("integer of %d bytes, want 1, 2, 4 or 8", size)
		}
		dt = append(dt, 0x10, 0x08, 0, 0, byte(size), 0, 0, 0, 0, 0, byte(8*size), 0)
		for _, x := range v.Ints {
			if size < 8 && (x < -1<<(8*size-1) || x >= 1<<(8*size-1)) {
				return nil, nil, fmt.Errorf("integer %d does not fit %d bytes", x, size)
			}
			for i := 0; i < size; i++ {
				raw = append(raw, byte(uint64(x)>>(8*i)))
			}
		}
	case String:
		if v.Size > 0 {
			dt = append(dt, 0x13, 0x11, 0, 0) // null-padded UTF-8
			dt = binary.LittleEndian.AppendUint32(dt, uint32(v.Size))
			for _, s := range v.Strings {
				if len(s) > v.Size {
					return nil, nil, fmt.Errorf("string of %d bytes in a fixed length of %d", len(s), v.Size)
				}
				raw = append(raw, s...)
				raw = append(raw, make([]byte, v.Size-len(s))...)
			}
			break
		}
		dt = append(dt, 0x19, 0x01, 0x01, 0x00, 16, 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0)
		coll := w.globalHeap(v.Strings)
		for i, s := range v.Strings {
			raw = binary.LittleEndian.AppendUint32(raw, uint32(len(s)))
			raw = le64(raw, coll)
			raw = binary.LittleEndian.AppendUint32(raw, uint32(i+1))
		}
	default:
		return nil, nil, fmt.Errorf("value class %v", v.Class)
	}
	return dt, raw, nil
}

// globalHeap writes a collection holding strs as objects 1..len(strs),
// padded with a free-space object to at least wGHeapMin bytes.
func (w *writer) globalHeap(strs []string) uint64 {
	b := []byte("GCOL\x01\x00\x00\x00")
	b = le64(b, 0) // size, set below
	for i, s := range strs {
		b = binary.LittleEndian.AppendUint16(b, uint16(i+1))
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = append(b, 0, 0, 0, 0)
		b = le64(b, uint64(len(s)))
		b = append(b, s...)
		b = append(b, make([]byte, (8-len(s)%8)%8)...)
	}
	size := max(len(b)+16, wGHeapMin)
	size = (size + 7) &^ 7
	free := size - len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = le64(b, uint64(free))
	b = append(b, make([]byte, size-len(b))...)
	binary.LittleEndian.PutUint64(b[8:], uint64(size))
	return w.put(b)
}
