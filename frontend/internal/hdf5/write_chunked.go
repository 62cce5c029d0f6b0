package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
)

// Chunked writing. A numeric dataset of more than WriteOptions.ChunkAbove
// bytes is written as libhdf5 writes a chunked, gzip-compressed one:
// chunks of whole rows of the first dimension, each compressed with zlib
// (HDF5's deflate filter, id 1), indexed by one B-tree v1 leaf (node type
// 1); a filter pipeline message (version 1) names the filter and its
// level, a layout message (version 3, class 2) the chunk dimensions and
// the B-tree. An edge chunk is stored whole, zero-padded past the
// dataset's end, as libhdf5 stores it.

// maxLeafChunks is the chunks one B-tree v1 leaf holds: 2K with the
// indexed-storage K of 32 that a version-0 superblock implies.
const maxLeafChunks = 2 * 32

// WriteOptions configure WriteWith.
type WriteOptions struct {
	// ChunkAbove is the raw size in bytes above which a float or integer
	// dataset of rank >= 1 is written chunked and deflate-compressed; 0
	// writes every dataset contiguous.
	ChunkAbove int
	// ChunkBytes is the uncompressed size a chunk aims at, rounded to whole
	// rows of the first dimension (at least one row, at most
	// maxLeafChunks chunks per dataset).
	ChunkBytes int
	// Level is the deflate level, 1 (fastest) to 9 (smallest).
	Level int
}

// DefaultWriteOptions chunks datasets over 64 KiB into chunks of about 64
// KiB at deflate level 4 (h5py's gzip default).
var DefaultWriteOptions = WriteOptions{ChunkAbove: 64 << 10, ChunkBytes: 64 << 10, Level: 4}

// check reports options that cannot be written.
func (o WriteOptions) check() error {
	if o.ChunkAbove < 0 || (o.ChunkAbove > 0 && (o.ChunkBytes < 1 || o.Level < 1 || o.Level > 9)) {
		return fmt.Errorf("hdf5: write options %+v: want ChunkAbove >= 0 and, when chunking, ChunkBytes >= 1 and Level in 1..9", o)
	}
	return nil
}

// chunked reports whether v is written chunked under o (raw its size).
func (o WriteOptions) chunked(v *Value, raw []byte) bool {
	return o.ChunkAbove > 0 && len(raw) > o.ChunkAbove && len(v.Shape) >= 1 && v.Shape[0] > 0 && (v.Class == Float || v.Class == Int)
}

// chunkedData writes raw (elements of elem bytes, row-major shape) as
// compressed chunks and their B-tree, and returns the filter pipeline and
// layout messages.
func (w *writer) chunkedData(shape []int, elem int, raw []byte) (filters, layout []byte, err error) {
	o := w.opt
	rowBytes := elem
	for _, d := range shape[1:] {
		rowBytes *= d
	}
	rows := max(1, o.ChunkBytes/max(rowBytes, 1))
	rows = max(rows, (shape[0]+maxLeafChunks-1)/maxLeafChunks)
	rows = min(rows, shape[0])
	chunkBytes := rows * rowBytes
	if int64(chunkBytes) > 1<<32-1 {
		return nil, nil, fmt.Errorf("a chunk of %d rows is %d bytes, more than a chunk can hold (2^32-1)", rows, chunkBytes)
	}
	rank := len(shape)
	type chunk struct {
		addr uint64
		size int
		row  int
	}
	var chunks []chunk
	buf := make([]byte, chunkBytes)
	for r := 0; r < shape[0]; r += rows {
		clear(buf)
		copy(buf, raw[r*rowBytes:min((r+rows)*rowBytes, len(raw))])
		var z bytes.Buffer
		zw, err := zlib.NewWriterLevel(&z, o.Level)
		if err != nil {
			return nil, nil, err
		}
		if _, err := zw.Write(buf); err != nil {
			return nil, nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, nil, err
		}
		chunks = append(chunks, chunk{addr: w.put(z.Bytes()), size: z.Len(), row: r})
	}
	// key: stored size, filter mask, offsets of the rank dimensions and of
	// the element (0); the last key bounds the last chunk from above.
	key := func(b []byte, size int, row int) []byte {
		b = binary.LittleEndian.AppendUint32(b, uint32(size))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = le64(b, uint64(row))
		for range rank - 1 {
			b = le64(b, 0)
		}
		return le64(b, 0)
	}
	tb := []byte("TREE\x01\x00")
	tb = binary.LittleEndian.AppendUint16(tb, uint16(len(chunks)))
	tb = le64(tb, undef, undef)
	for _, c := range chunks {
		tb = key(tb, c.size, c.row)
		tb = le64(tb, c.addr)
	}
	last := chunks[len(chunks)-1]
	tb = binary.LittleEndian.AppendUint32(tb, 0)
	tb = binary.LittleEndian.AppendUint32(tb, 0)
	tb = le64(tb, uint64(last.row+rows))
	for _, d := range shape[1:] {
		tb = le64(tb, uint64(d))
	}
	tb = le64(tb, uint64(elem))
	keySize := 8 + 8*(rank+1)
	full := 24 + maxLeafChunks*8 + (maxLeafChunks+1)*keySize // the node as libhdf5 reads it
	tb = append(tb, make([]byte, full-len(tb))...)
	bt := w.put(tb)

	filters = []byte{1, 1, 0, 0, 0, 0, 0, 0}    // version 1, one filter, reserved
	filters = append(filters, 1, 0, 0, 0, 0, 0) // deflate, no name, mandatory
	filters = binary.LittleEndian.AppendUint16(filters, 1)
	filters = binary.LittleEndian.AppendUint32(filters, uint32(o.Level))
	filters = append(filters, 0, 0, 0, 0) // an odd number of client values is padded

	layout = []byte{3, 2, byte(rank + 1)}
	layout = le64(layout, bt)
	layout = binary.LittleEndian.AppendUint32(layout, uint32(rows))
	for _, d := range shape[1:] {
		layout = binary.LittleEndian.AppendUint32(layout, uint32(d))
	}
	layout = binary.LittleEndian.AppendUint32(layout, uint32(elem))
	return filters, layout, nil
}
