package hdf5

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// filter is one stage of a dataset's filter pipeline.
type filter struct {
	id       uint16
	optional bool
}

// parseFilters reads a filter pipeline message (versions 1 and 2),
// refusing filters other than deflate (1) and shuffle (2).
func (f *file) parseFilters(b []byte) ([]filter, error) {
	c := &cursor{f: f, b: b}
	version := c.u8()
	n := int(c.u8())
	if version == 1 {
		c.skip(6)
	} else if version != 2 && c.err == nil {
		return nil, fmt.Errorf("filter pipeline version %d, want 1 or 2", version)
	}
	var fs []filter
	for i := 0; i < n && c.err == nil; i++ {
		id := c.u16()
		nameLen := 0
		if version == 1 || id >= 256 {
			nameLen = int(c.u16())
		}
		flags := c.u16()
		nv := int(c.u16())
		if version == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		c.skip(nameLen)
		c.skip(4 * nv)
		if version == 1 && nv%2 == 1 {
			c.skip(4)
		}
		if c.err != nil {
			break
		}
		if id != 1 && id != 2 {
			return nil, fmt.Errorf("unsupported: filter %d (only deflate 1 and shuffle 2 are)", id)
		}
		fs = append(fs, filter{id, flags&1 != 0})
	}
	if c.err != nil {
		return nil, fmt.Errorf("filter pipeline: %w", c.err)
	}
	return fs, nil
}

// unfilter undoes the pipeline on one chunk; bit i of mask set means filter
// i was skipped when the chunk was written. want is the chunk's decoded size.
func unfilter(fs []filter, mask uint32, b []byte, elem, want int) ([]byte, error) {
	for i := len(fs) - 1; i >= 0; i-- {
		if i < 32 && mask&(1<<i) != 0 {
			continue
		}
		switch fs[i].id {
		case 1:
			r, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("deflate: %w", err)
			}
			out, err := io.ReadAll(io.LimitReader(r, int64(want)+1))
			if err != nil {
				return nil, fmt.Errorf("deflate: %w", err)
			}
			if len(out) > want {
				return nil, fmt.Errorf("deflate: chunk inflates to more than %d bytes", want)
			}
			b = out
		case 2:
			b = unshuffle(b, elem)
		}
	}
	return b, nil
}

// unshuffle undoes HDF5's shuffle filter: byte j of every element is
// stored together; a tail that is not a whole element stays as is.
func unshuffle(b []byte, elem int) []byte {
	if elem <= 1 {
		return b
	}
	n := len(b) / elem
	out := make([]byte, len(b))
	for j := 0; j < elem; j++ {
		for i := 0; i < n; i++ {
			out[i*elem+j] = b[j*n+i]
		}
	}
	copy(out[n*elem:], b[n*elem:])
	return out
}

// dataset reads a dataset's raw data through its layout and decodes it.
func (f *file) dataset(t *datatype, s *dataspace, layout, filters []byte) (*Value, error) {
	if err := f.checkLimit(t, s); err != nil {
		return nil, err
	}
	var fs []filter
	if filters != nil {
		var err error
		if fs, err = f.parseFilters(filters); err != nil {
			return nil, err
		}
	}
	n := s.count()
	want := n * t.size
	c := &cursor{f: f, b: layout}
	version := c.u8()
	var class uint8
	var chunkDims []int
	var addr uint64
	var raw []byte
	switch version {
	case 1, 2:
		rank := int(c.u8())
		class = c.u8()
		c.skip(5)
		if class != 0 {
			addr = c.addr()
		}
		for i := 0; i < rank; i++ {
			chunkDims = append(chunkDims, int(c.u32()))
		}
		if class == 0 {
			raw = c.bytes(int(c.u32()))
		}
	case 3, 4:
		class = c.u8()
		switch class {
		case 0:
			raw = c.bytes(int(c.u16()))
		case 1:
			addr = c.addr()
			c.length()
		case 2:
			if version == 4 {
				return nil, errors.New("unsupported: chunked layout version 4 (chunk indexes other than the B-tree v1)")
			}
			rank := int(c.u8())
			addr = c.addr()
			for i := 0; i < rank; i++ {
				chunkDims = append(chunkDims, int(c.u32()))
			}
		case 3:
			return nil, errors.New("unsupported: virtual dataset layout")
		}
	default:
		if c.err == nil {
			return nil, fmt.Errorf("data layout message version %d, want 1 to 4", version)
		}
	}
	if c.err != nil {
		return nil, fmt.Errorf("data layout: %w", c.err)
	}
	switch class {
	case 0:
		if len(raw) < want {
			return nil, fmt.Errorf("compact data of %d bytes, want %d", len(raw), want)
		}
	case 1:
		if addr == undef {
			raw = make([]byte, want)
			break
		}
		var err error
		if raw, err = f.span(addr, uint64(want)); err != nil {
			return nil, fmt.Errorf("contiguous data: %w", err)
		}
	case 2:
		var err error
		if raw, err = f.chunks(s, t.size, addr, chunkDims, fs); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unsupported: layout class %d", class)
	}
	if class != 2 && len(fs) > 0 {
		return nil, errors.New("filters on a dataset that is not chunked")
	}
	return f.decode(t, s, raw)
}

// chunks assembles a chunked dataset from its B-tree v1 chunk index at bt.
// chunkDims has rank+1 entries, the last the element size.
func (f *file) chunks(s *dataspace, elem int, bt uint64, chunkDims []int, fs []filter) ([]byte, error) {
	rank := len(s.dims)
	if rank == 0 || len(chunkDims) != rank+1 || chunkDims[rank] != elem {
		return nil, fmt.Errorf("chunk dimensions %v for a dataset of shape %v and %d-byte elements", chunkDims, s.dims, elem)
	}
	chunkElems := 1
	for _, d := range chunkDims[:rank] {
		if d < 1 {
			return nil, fmt.Errorf("chunk dimensions %v", chunkDims)
		}
		chunkElems *= d
		if chunkElems*elem > f.budget {
			return nil, fmt.Errorf("chunk of %v elements exceeds the decode limit of %d bytes", chunkDims[:rank], f.limit)
		}
	}
	out := make([]byte, s.count()*elem)
	if bt == undef {
		return out, nil
	}
	visited := 0
	var walk func(a uint64, depth int) error
	walk = func(a uint64, depth int) error {
		if visited++; visited > maxNodes || depth > maxDepth {
			return errors.New("chunk B-tree too large or too deep")
		}
		entries, level, err := f.btreeNode(a, 1, rank+1)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if level > 0 {
				if err := walk(e.child, depth+1); err != nil {
					return err
				}
				continue
			}
			if err := f.charge(chunkElems * elem); err != nil {
				return err
			}
			stored, err := f.span(e.child, uint64(e.size))
			if err != nil {
				return fmt.Errorf("chunk at %v: %w", e.offset[:rank], err)
			}
			data, err := unfilter(fs, e.mask, stored, elem, chunkElems*elem)
			if err != nil {
				return fmt.Errorf("chunk at %v: %w", e.offset[:rank], err)
			}
			if len(data) != chunkElems*elem {
				return fmt.Errorf("chunk at %v: %d bytes, want %d", e.offset[:rank], len(data), chunkElems*elem)
			}
			if err := place(out, data, s.dims, chunkDims[:rank], e.offset[:rank], elem); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(bt, 0); err != nil {
		return nil, fmt.Errorf("chunked data: %w", err)
	}
	return out, nil
}

// place copies a decoded chunk at element offset off into out (row-major
// dims), clipping the parts of edge chunks outside the dataset.
func place(out, chunk []byte, dims, cdims []int, off []uint64, elem int) error {
	rank := len(dims)
	for i := range dims {
		if off[i] >= uint64(dims[i]) || off[i]%uint64(cdims[i]) != 0 {
			return fmt.Errorf("chunk offset %v outside shape %v or not on a chunk boundary", off, dims)
		}
	}
	last := rank - 1
	run := min(cdims[last], dims[last]-int(off[last]))
	idx := make([]int, rank) // position inside the chunk, last axis 0
	for {
		src, dst := 0, 0
		inside := true
		for i := 0; i < rank; i++ {
			p := int(off[i]) + idx[i]
			if p >= dims[i] {
				inside = false
			}
			src = src*cdims[i] + idx[i]
			dst = dst*dims[i] + p
		}
		if inside {
			copy(out[dst*elem:(dst+run)*elem], chunk[src*elem:(src+run)*elem])
		}
		i := last - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < cdims[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return nil
		}
	}
}
